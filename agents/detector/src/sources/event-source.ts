/**
 * The `EventSource` interface: every medium events arrive through (HTTP, file replay,
 * NATS JetStream) turns raw records into normalised {@link SecurityEvent}s, hands each
 * to one sink, and accounts for every record it could not use.
 */
import { EventEmitter } from 'node:events';
import type { SecurityEvent } from '../events/security-event.js';
import type { RejectCode } from '../events/result.js';

/** Where one event came from, for evidence and for acknowledgement. */
export interface Delivery {
  /** The source's name (`http`, `file`, `nats`, or as configured). */
  readonly source: string;
  /** A locator an operator can follow: `events.ndjson:12`, `request 7 line 3`, `VIGIL_EVENTS seq 41 line 1`. */
  readonly ref: string;
  /** 1-based line within the request, file or message (for a JSON array, the element position). */
  readonly line: number;
  /** 1 on first delivery; more when a durable medium redelivers after a failure or crash. */
  readonly attempt: number;
}

/**
 * Processes one event. The returned promise resolves once the event is processed
 * (scored, forwarded): only then does a durable source acknowledge it. A rejection
 * means "not processed": JetStream redelivers, HTTP and file count it as failed.
 * Sources call the sink for one event at a time, which is their back-pressure.
 */
export type EventSink = (event: SecurityEvent, delivery: Delivery) => Promise<void>;

/**
 * A medium events arrive through.
 *
 * Contract (tested for every implementation by `describeEventSourceContract`):
 * - `start(sink)` resolves when the source is ready to receive; it throws an
 *   `IngestError` when the medium is unusable (port taken, file missing, server down),
 *   and when called twice.
 * - every valid record reaches `sink` once per delivery, in arrival order, with at most
 *   one sink call in flight;
 * - every record that cannot be normalised is counted by reason code, reported with its
 *   location, never passed to the sink, and written to the dead-letter writer if one is
 *   configured;
 * - a sink failure is counted (`failed`) and does not stop the source;
 * - `stop()` stops intake, waits for the in-flight sink call (and, for buffering
 *   sources, the queued events), releases the medium and is idempotent. No sink call
 *   starts after `stop()` resolves.
 */
export interface EventSource {
  readonly name: string;
  start(sink: EventSink): Promise<void>;
  stop(): Promise<void>;
  /** Live counters of this source. */
  readonly counters: IngestCounters;
}

/** A record that was not turned into an event, and why. */
export interface Rejection {
  readonly source: string;
  readonly ref: string;
  readonly line: number;
  readonly code: RejectCode | 'SINK_FAILED';
  readonly reason: string;
  /** The field at fault (dotted path), when one field is. */
  readonly field?: string;
  /** Byte offset of the fault in the request body, file or message, when known. */
  readonly offset?: number;
  /** The offending text (truncated), when there is one. */
  readonly text?: string;
}

/** A snapshot of {@link IngestCounters}. */
export interface IngestStats {
  /** Records seen (valid or not). */
  readonly received: number;
  /** Records normalised into events. */
  readonly accepted: number;
  /** Records rejected, total and by reason code. */
  readonly rejected: number;
  readonly rejectedByCode: Readonly<Record<string, number>>;
  /** Events the sink finished. */
  readonly processed: number;
  /** Records whose event id was taken recently: answered, not processed again. */
  readonly duplicates: number;
  /** Events the sink failed on. */
  readonly failed: number;
  /** Messages a durable medium delivered again (a crashed consumer's, or after a nak). */
  readonly redelivered: number;
  /** Requests or batches refused whole (HTTP 401/413/429…), by HTTP status or reason. */
  readonly refused: Readonly<Record<string, number>>;
}

/**
 * Counters of one source. Emits `update` after every change, so tests and health
 * endpoints can wait on a condition instead of polling.
 */
export class IngestCounters extends EventEmitter {
  received = 0;
  accepted = 0;
  rejected = 0;
  processed = 0;
  duplicates = 0;
  failed = 0;
  redelivered = 0;
  readonly rejectedByCode: Record<string, number> = {};
  readonly refused: Record<string, number> = {};

  addReceived(n = 1): void {
    this.received += n;
  }

  addAccepted(n = 1): void {
    this.accepted += n;
    this.emit('update');
  }

  addRejected(code: string): void {
    this.rejected += 1;
    this.rejectedByCode[code] = (this.rejectedByCode[code] ?? 0) + 1;
    this.emit('update');
  }

  addProcessed(): void {
    this.processed += 1;
    this.emit('update');
  }

  addDuplicate(): void {
    this.duplicates += 1;
    this.emit('update');
  }

  addFailed(): void {
    this.failed += 1;
    this.emit('update');
  }

  addRedelivered(): void {
    this.redelivered += 1;
    this.emit('update');
  }

  addRefused(why: string): void {
    this.refused[why] = (this.refused[why] ?? 0) + 1;
    this.emit('update');
  }

  snapshot(): IngestStats {
    return {
      received: this.received,
      accepted: this.accepted,
      rejected: this.rejected,
      rejectedByCode: { ...this.rejectedByCode },
      processed: this.processed,
      duplicates: this.duplicates,
      failed: this.failed,
      redelivered: this.redelivered,
      refused: { ...this.refused },
    };
  }

  /** Resolves once `predicate(snapshot)` holds (checked now and after every update). */
  until(predicate: (s: IngestStats) => boolean): Promise<IngestStats> {
    return new Promise((resolve) => {
      const check = (): void => {
        const s = this.snapshot();
        if (predicate(s)) {
          this.off('update', check);
          resolve(s);
        }
      };
      this.on('update', check);
      check();
    });
  }
}
