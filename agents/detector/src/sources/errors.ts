import { VigilError } from '@vigil/core';

/**
 * Error codes of the detector's ingestion layer. Bad *events* are never errors (they
 * are counted rejections); these are for broken configuration and environments.
 *
 * - `VIGIL_CONFIG_DETECTOR_INGEST`: a source is configured wrongly (no authentication,
 *   a missing token variable, a non-positive rate); exit code 2 in the CLI.
 * - `VIGIL_DETECTOR_INGEST_UNAVAILABLE`: the medium cannot be reached or read (file
 *   missing, NATS down, port taken).
 * - `VIGIL_DETECTOR_INGEST_STATE`: a source was started twice or used after stop.
 * - `VIGIL_DETECTOR_INGEST_FULL`: the sink cannot durably keep more right now (the
 *   findings outbox is full); the event was not taken and may be sent again later. The
 *   HTTP source answers 503 with `Retry-After` (`details.retryAfterSeconds`), JetStream
 *   naks.
 */
export type IngestErrorCode =
  | 'VIGIL_CONFIG_DETECTOR_INGEST'
  | 'VIGIL_DETECTOR_INGEST_UNAVAILABLE'
  | 'VIGIL_DETECTOR_INGEST_STATE'
  | 'VIGIL_DETECTOR_INGEST_FULL';

/** The one error class of the detector's ingestion layer. */
export class IngestError extends VigilError {
  declare readonly code: IngestErrorCode;

  constructor(
    code: IngestErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
