/**
 * `@vigil/detector`: the SOC detector — event ingestion and normalisation into
 * `SecurityEvent`, feature extraction, and an Isolation Forest pre-filter that scores each
 * event in microseconds so only anomalies reach the language-model tier.
 *
 * @example
 * ```ts
 * import { IsolationForest } from '@vigil/detector';
 * const forest = IsolationForest.fit(matrix, rows, cols, { trees: 100, sampleSize: 256, seed: 1 });
 * const s = forest.score(row); // 2^(-E[h(x)]/c(psi)), near 1 = anomalous
 * ```
 */
export {
  IsolationForest,
  averagePathLength,
  type IsolationForestParams,
  type IsolationForestArrays,
} from './model/iforest.js';
export {
  type SecurityEvent,
  type EventFormat,
  type EventOrigin,
  type OcsfClassUid,
  type EventActor,
  type EventNetwork,
  type EventResource,
  type EventWorkload,
  type EventProcess,
} from './events/security-event.js';
export { normaliseEvent, expandRecords } from './events/normalise.js';
export { type NormaliseResult, type RejectCode } from './events/result.js';
export { parseNdjson, parseLine, DEFAULT_MAX_LINE_BYTES, type ParsedLine, type NdjsonOptions } from './events/ndjson.js';
export {
  IngestCounters,
  type EventSource,
  type EventSink,
  type Delivery,
  type Rejection,
  type IngestStats,
} from './sources/event-source.js';
export { IngestError, type IngestErrorCode } from './sources/errors.js';
export { createDeadLetterFile, type DeadLetterWriter } from './sources/dead-letter.js';
export {
  createHttpEventSource,
  bearerTokenFromEnv,
  type HttpEventSource,
  type HttpEventSourceOptions,
  type HttpAuthOptions,
} from './sources/http-source.js';
export {
  createFileReplaySource,
  type FileReplaySource,
  type FileReplayOptions,
  type ReplayClock,
  type ReplaySummary,
} from './sources/file-source.js';
export { createJetStreamSource, type JetStreamSourceOptions } from './sources/nats-source.js';
