import type { IncomingMessage } from 'node:http';
import { isVigilError } from '@vigil/core';
import type { EventSink, Rejection } from './event-source.js';
import type { IngestError } from './errors.js';
import { bodyLines, type BodyLimits } from './http-body.js';
import type { IntakeEnd, IntakeRefusal } from './http-replies.js';
import { IntakeTally } from './intake-report.js';
import type { RecentIds } from './recent-ids.js';
import { acceptLine, textOf, type AcceptedEvent, type IngestContext } from './records.js';

/**
 * Records parsed before they are delivered. Small enough that they die young (a scavenge
 * rarely finds them alive); large enough that parsing and scoring each keep their code and
 * tables in cache for a run instead of evicting each other at every record.
 */
const DELIVERY_BATCH = 64;

/** What {@link createBodyDelivery} needs. */
export interface BodyDeliveryOptions {
  readonly ctx: IngestContext;
  /** Event ids taken recently: a record sent again is a duplicate, answered, not processed. */
  readonly recent: RecentIds;
  readonly limits: BodyLimits;
  /** Rejections listed in a report. */
  readonly maxReported: number;
  /** `Retry-After` seconds when the sink's refusal names none. */
  readonly retryAfterSeconds: number;
}

/** One request's body read, parsed and handed to the sink. */
export type BodyDelivery = (
  req: IncomingMessage,
  sink: EventSink,
  encoding: { gzip: boolean; json: boolean },
) => Promise<{ tally: IntakeTally; end: IntakeEnd }>;

/**
 * Reads a body incrementally (`http-body.ts`), normalises its lines, and hands the
 * records to the sink in runs of {@link DELIVERY_BATCH}; reading waits while a run is
 * processed (TCP pushes back on the sender) and while the dead-letter file catches up.
 * `accepted` counts only records the sink finished; the sink refusing one
 * (`VIGIL_DETECTOR_INGEST_FULL`) stops the request there.
 */
export function createBodyDelivery(options: BodyDeliveryOptions): BodyDelivery {
  const { ctx, recent } = options;
  const { counters, source: name } = ctx;
  let requestSeq = 0;

  /** Resolves with a refusal when the sink could not keep one (that record and the rest of the run were not taken). */
  async function deliver(
    sink: EventSink,
    staged: readonly AcceptedEvent[],
    refOf: (line: number) => string,
    tally: IntakeTally,
  ): Promise<{ refusal: IntakeRefusal; line: number } | undefined> {
    for (const { event, line } of staged) {
      if (recent.has(event.id)) {
        tally.duplicates += 1;
        counters.addDuplicate();
        continue;
      }
      const ref = refOf(line);
      try {
        await sink(event, { source: name, ref, line, attempt: 1 });
      } catch (error) {
        if (isVigilError(error, 'VIGIL_DETECTOR_INGEST_FULL')) {
          const details = (error as IngestError).details;
          return {
            line,
            refusal: {
              reason: (error as Error).message,
              retryAfterSeconds: Number(
                details?.['retryAfterSeconds'] ?? options.retryAfterSeconds,
              ),
            },
          };
        }
        counters.addFailed();
        const r: Rejection = {
          source: name,
          ref,
          line,
          code: 'SINK_FAILED',
          reason: `not processed: ${(error as Error)?.message ?? String(error)}`,
          text: textOf(event.raw),
        };
        ctx.deadLetter?.write(r);
        tally.reject(r);
        ctx.logger?.warn({ ref, err: error }, 'event processing failed');
        continue;
      }
      recent.add(event.id);
      counters.addProcessed();
      tally.accepted += 1;
    }
    return undefined;
  }

  return async (req, sink, encoding) => {
    requestSeq += 1;
    const request = requestSeq;
    const refOf = (line: number): string => `request ${request} line ${line}`;
    const tally = new IntakeTally(options.maxReported);
    const rejections = { push: (r: Rejection) => tally.reject(r) };
    const staged: AcceptedEvent[] = [];
    const lines = bodyLines(req, { ...options.limits, ...encoding });
    for (;;) {
      const step = await lines.next();
      if (step.done === true) {
        const refused = await deliver(sink, staged, refOf, tally);
        if (refused !== undefined) return { tally, end: { kind: 'refused', ...refused } };
        return { tally, end: step.value };
      }
      for (const parsed of step.value) {
        acceptLine(ctx, parsed, refOf, staged, rejections);
        if (staged.length < DELIVERY_BATCH) continue;
        const refused = await deliver(sink, staged, refOf, tally);
        staged.length = 0;
        if (refused !== undefined) {
          await lines.return({ kind: 'aborted', lines: 0 });
          return { tally, end: { kind: 'refused', ...refused } };
        }
      }
      // Rejections are written as fast as the disk takes them, not buffered without bound.
      await ctx.deadLetter?.ready();
    }
  };
}
