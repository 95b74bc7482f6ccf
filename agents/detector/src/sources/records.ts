/**
 * Shared by every source: parsed lines → normalised events or rejections, with the
 * counting and dead-lettering done once, here.
 */
import type { Logger } from '@vigil/core';
import type { ParsedLine } from '../events/ndjson.js';
import { expandRecords, normaliseEvent } from '../events/normalise.js';
import type { SecurityEvent } from '../events/security-event.js';
import type { DeadLetterWriter } from './dead-letter.js';
import type { IngestCounters, Rejection } from './event-source.js';

/** One accepted event with its line. */
export interface AcceptedEvent {
  readonly event: SecurityEvent;
  readonly line: number;
}

/** What every source shares: its name, counters, dead letters and logger. */
export interface IngestContext {
  readonly source: string;
  readonly counters: IngestCounters;
  readonly deadLetter?: DeadLetterWriter | undefined;
  readonly logger?: Logger | undefined;
}

/** Counts, logs (without the text: it may hold secrets) and dead-letters a rejection. */
export function recordRejection(ctx: IngestContext, r: Rejection): void {
  ctx.counters.addRejected(r.code);
  ctx.deadLetter?.write(r);
  ctx.logger?.debug(
    { source: r.source, ref: r.ref, code: r.code, reason: r.reason },
    'event rejected',
  );
}

/**
 * Normalises one parsed line (expanding batch records such as an audit `EventList`).
 * Accepted events are pushed to `out`; rejections are recorded and pushed to
 * `rejections` when given. `ref` builds the locator of a line.
 */
export function acceptLine(
  ctx: IngestContext,
  parsed: ParsedLine,
  ref: (line: number) => string,
  out: AcceptedEvent[],
  rejections?: Rejection[],
): void {
  if (!parsed.ok) {
    ctx.counters.addReceived();
    const r: Rejection = {
      source: ctx.source,
      ref: ref(parsed.line),
      line: parsed.line,
      code: parsed.code,
      reason: parsed.reason,
      text: parsed.text,
    };
    recordRejection(ctx, r);
    rejections?.push(r);
    return;
  }
  for (const record of expandRecords(parsed.value)) {
    ctx.counters.addReceived();
    const result = normaliseEvent(record);
    if (result.ok) {
      ctx.counters.addAccepted();
      out.push({ event: result.event, line: parsed.line });
    } else {
      const r: Rejection = {
        source: ctx.source,
        ref: ref(parsed.line),
        line: parsed.line,
        code: result.code,
        reason: result.reason,
        text: JSON.stringify(record)?.slice(0, 64 * 1024),
      };
      recordRejection(ctx, r);
      rejections?.push(r);
    }
  }
}
