/**
 * Shared by every source: parsed lines → normalised events or rejections, with the
 * counting and dead-lettering done once, here.
 */
import type { Logger } from '@vigil/core';
import type { ParsedLine } from '../events/ndjson.js';
import { expandRecords, normaliseEvent } from '../events/normalise.js';
import { REJECTED_TEXT_MAX } from '../events/ndjson.js';
import type { NormaliseResult } from '../events/result.js';
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
  rejections?: { push(r: Rejection): unknown },
): void {
  if (!parsed.ok) {
    ctx.counters.addReceived();
    const r: Rejection = {
      source: ctx.source,
      ref: ref(parsed.line),
      line: parsed.line,
      code: parsed.code,
      reason: parsed.reason,
      ...(parsed.offset === undefined ? {} : { offset: parsed.offset }),
      text: parsed.text,
    };
    recordRejection(ctx, r);
    rejections?.push(r);
    return;
  }
  for (const record of expandRecords(parsed.value)) {
    ctx.counters.addReceived();
    const result = normaliseSafely(record);
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
        ...(result.field === undefined ? {} : { field: result.field }),
        text: textOf(record),
      };
      recordRejection(ctx, r);
      rejections?.push(r);
    }
  }
}

/**
 * `normaliseEvent`, which never throws on its own terms, guarded against the one failure
 * it cannot report as a value: a stack overflow on a record nested too deep for its
 * recursive walks (the HTTP source refuses those before parsing; other sources may not).
 */
function normaliseSafely(record: unknown): NormaliseResult {
  try {
    return normaliseEvent(record);
  } catch (error) {
    if (error instanceof RangeError)
      return { ok: false, code: 'NESTING_TOO_DEEP', reason: `record nested too deep to process` };
    throw error;
  }
}

/** The record as dead-letter text, truncated; a record too deep to serialise is named so. */
export function textOf(record: unknown): string | undefined {
  try {
    return JSON.stringify(record)?.slice(0, REJECTED_TEXT_MAX);
  } catch {
    return '(record too deeply nested to serialise)';
  }
}
