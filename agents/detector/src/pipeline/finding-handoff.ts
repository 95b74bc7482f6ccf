import type { Finding } from '@vigil/soc';

/**
 * Where the pipeline hands a finding before its event counts as processed, and from where
 * findings reach the coordinator. Two implementations: the replica's own SQLite outbox
 * ({@link FindingOutbox}, one process) and a JetStream stream shared by every replica
 * ({@link JetStreamFindingOutbox}, deduplicated by finding id on the server).
 *
 * Contract: once `enqueue` resolves the finding is kept durably outside the event's
 * delivery (a crash of this process after that loses nothing); it throws
 * `VIGIL_DETECTOR_INGEST_FULL` when nothing more can be kept now. Delivery to the
 * coordinator is at least once; a finding id is `finding-<eventId>`, which the
 * coordinator deduplicates.
 */
export interface FindingHandoff {
  enqueue(finding: Finding): void | Promise<void>;
  /** Why a source should not take new events now (at the high-water mark), or undefined. */
  refusal(highWater?: number): { reason: string; retryAfterSeconds: number } | undefined;
  /** Findings kept but not yet acknowledged by the coordinator (as last known). */
  pending(): number;
  /** Opens the store and starts delivering (what an earlier process left goes first). */
  start(): void | Promise<void>;
  /** Stops delivering; what is still kept stays for the next start. */
  stop(): Promise<void>;
}
