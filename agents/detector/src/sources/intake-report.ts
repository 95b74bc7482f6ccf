/**
 * What one request to the HTTP source comes to: counts that add up —
 * `records = accepted + duplicates + rejected` — and the first rejections in full, so the
 * answer stays small whatever the body (a body of 100,000 bad lines answers with the
 * count and the first {@link DEFAULT_REPORTED_REJECTIONS}, not 100,000 entries).
 */
import type { Rejection } from './event-source.js';

/** One rejection as the answer shows it (the dead-letter file has the text too). */
export interface ReportedRejection {
  readonly line: number;
  readonly code: Rejection['code'];
  readonly reason: string;
  readonly field?: string;
  readonly offset?: number;
}

/** The JSON body of an answer to `POST /v1/events`. */
export interface IntakeReport {
  /** Records read from the body (an audit `EventList` line counts its items). */
  readonly records: number;
  /** Records processed (scored, and any finding durably queued). */
  readonly accepted: number;
  /** Records already taken earlier (same event id): not processed again. */
  readonly duplicates: number;
  /** Records rejected; the first ones are listed in `rejections`. */
  readonly rejected: number;
  readonly rejections: readonly ReportedRejection[];
  /** Rejections counted but not listed (see the dead-letter file). */
  readonly rejectionsOmitted: number;
  /** Lines of the body read so far; on a 503/413 midway, the lines after it were not taken. */
  readonly lines: number;
}

export const DEFAULT_REPORTED_REJECTIONS = 100;

/** Accumulates an {@link IntakeReport}. */
export class IntakeTally {
  accepted = 0;
  duplicates = 0;
  rejected = 0;
  readonly #listed: ReportedRejection[] = [];
  readonly #max: number;

  constructor(maxListed: number) {
    this.#max = maxListed;
  }

  reject(r: Rejection): void {
    this.rejected += 1;
    if (this.#listed.length < this.#max)
      this.#listed.push({
        line: r.line,
        code: r.code,
        reason: r.reason,
        ...(r.field === undefined ? {} : { field: r.field }),
        ...(r.offset === undefined ? {} : { offset: r.offset }),
      });
  }

  report(lines: number): IntakeReport {
    return {
      records: this.accepted + this.duplicates + this.rejected,
      accepted: this.accepted,
      duplicates: this.duplicates,
      rejected: this.rejected,
      rejections: this.#listed,
      rejectionsOmitted: this.rejected - this.#listed.length,
      lines,
    };
  }
}
