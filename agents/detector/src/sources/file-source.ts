/**
 * File replay: reads an NDJSON file (a scenario, a dead-letter file fixed up, an export
 * from a SIEM) and feeds it to the sink, optionally paced (`rate` events per second)
 * and looped. Lines are read in bounded chunks: an oversized line is skipped and
 * reported, never buffered whole.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Logger } from '@vigil/core';
import {
  DEFAULT_MAX_LINE_BYTES,
  parseLine,
  REJECTED_TEXT_MAX,
  type ParsedLine,
} from '../events/ndjson.js';
import type { DeadLetterWriter } from './dead-letter.js';
import { IngestCounters, type EventSink, type EventSource } from './event-source.js';
import { IngestError } from './errors.js';
import { acceptLine, type AcceptedEvent, type IngestContext } from './records.js';

/** Time, injectable so pacing can be tested with mock time. */
export interface ReplayClock {
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface FileReplayOptions {
  readonly path: string;
  readonly name?: string;
  /** Events per second; unpaced when absent. */
  readonly rate?: number;
  /** Start again at the top after the last line, until stopped. */
  readonly loop?: boolean;
  readonly maxLineBytes?: number;
  readonly deadLetter?: DeadLetterWriter;
  readonly logger?: Logger;
  readonly clock?: ReplayClock;
}

export interface ReplaySummary {
  /** Passes over the file completed. */
  readonly passes: number;
  readonly stopped: boolean;
}

export interface FileReplaySource extends EventSource {
  /** Resolves when the file has been replayed (once, or until stopped with `loop`). Rejects if reading fails. */
  readonly finished: Promise<ReplaySummary>;
}

const realClock: ReplayClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    }),
};

export function createFileReplaySource(options: FileReplayOptions): FileReplaySource {
  if (options.rate !== undefined && !(options.rate > 0 && Number.isFinite(options.rate)))
    throw new IngestError(
      'VIGIL_CONFIG_DETECTOR_INGEST',
      `replay rate must be a positive number of events per second, got ${options.rate}`,
    );
  const name = options.name ?? 'file';
  const counters = new IngestCounters();
  const ctx: IngestContext = {
    source: name,
    counters,
    deadLetter: options.deadLetter,
    logger: options.logger,
  };
  const clock = options.clock ?? realClock;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const file = basename(options.path);
  const abort = new AbortController();
  let started = false;
  let resolveFinished!: (s: ReplaySummary) => void;
  let rejectFinished!: (e: unknown) => void;
  const finished = new Promise<ReplaySummary>((res, rej) => {
    resolveFinished = res;
    rejectFinished = rej;
  });
  // A caller that only awaits stop() must not see an unhandled rejection.
  finished.catch(() => {});
  let run: Promise<void> = Promise.resolve();

  async function replay(handle: FileHandle, sink: EventSink): Promise<void> {
    let passes = 0;
    let sent = 0;
    const t0 = clock.now();
    const staged: AcceptedEvent[] = [];
    try {
      do {
        for await (const parsed of readLines(handle, maxLineBytes)) {
          if (abort.signal.aborted) break;
          staged.length = 0;
          acceptLine(ctx, parsed, (line) => `${file}:${line}`, staged);
          for (const { event, line } of staged) {
            if (abort.signal.aborted) break;
            if (options.rate !== undefined) {
              const due = t0 + (sent * 1000) / options.rate;
              const wait = due - clock.now();
              if (wait > 0) await clock.sleep(wait, abort.signal);
              if (abort.signal.aborted) break;
            }
            sent += 1;
            try {
              await sink(event, { source: name, ref: `${file}:${line}`, line, attempt: 1 });
              counters.addProcessed();
            } catch (error) {
              counters.addFailed();
              options.logger?.warn(
                { ref: `${file}:${line}`, err: error },
                'event processing failed',
              );
            }
          }
        }
        if (!abort.signal.aborted) passes += 1;
      } while (options.loop === true && !abort.signal.aborted);
      resolveFinished({ passes, stopped: abort.signal.aborted });
    } catch (error) {
      rejectFinished(
        new IngestError(
          'VIGIL_DETECTOR_INGEST_UNAVAILABLE',
          `cannot read ${options.path}: ${(error as Error).message}`,
          { cause: error },
        ),
      );
    } finally {
      await handle.close();
    }
  }

  return {
    name,
    counters,
    finished,
    async start(sink: EventSink): Promise<void> {
      if (started)
        throw new IngestError('VIGIL_DETECTOR_INGEST_STATE', `source ${name} already started`);
      started = true;
      let handle: FileHandle;
      try {
        handle = await open(options.path, 'r');
      } catch (error) {
        throw new IngestError(
          'VIGIL_DETECTOR_INGEST_UNAVAILABLE',
          `cannot open ${options.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          { cause: error },
        );
      }
      run = replay(handle, sink);
    },
    async stop(): Promise<void> {
      abort.abort();
      await run;
    },
  };
}

/**
 * Reads `handle` from the start in 64 KiB chunks and yields parsed lines with their
 * numbers. Memory stays bounded by `maxLineBytes` + one chunk: the part of an
 * oversized line beyond the limit is skipped, not kept.
 */
async function* readLines(handle: FileHandle, maxLineBytes: number): AsyncGenerator<ParsedLine> {
  const chunk = Buffer.allocUnsafe(64 * 1024);
  let position = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overflow = 0; // bytes of the current line beyond what we kept, when oversized
  let line = 0;
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    let start = 0;
    while (start < bytesRead) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 || nl >= bytesRead ? bytesRead : nl;
      const piece = chunk.subarray(start, end);
      if (overflow > 0 || pendingBytes + piece.length > maxLineBytes) {
        // Keep only a prefix for the dead letter; count the rest.
        const room = Math.max(0, Math.min(REJECTED_TEXT_MAX, maxLineBytes) - pendingBytes);
        if (room > 0) {
          pending.push(Buffer.from(piece.subarray(0, room)));
          pendingBytes += Math.min(room, piece.length);
        }
        overflow += piece.length - Math.min(room, piece.length);
      } else {
        pending.push(Buffer.from(piece));
        pendingBytes += piece.length;
      }
      if (end === bytesRead) break; // line continues in the next chunk
      line += 1;
      const parsed = finishLine(pending, pendingBytes, overflow, line, maxLineBytes);
      pending = [];
      pendingBytes = 0;
      overflow = 0;
      if (parsed !== undefined) yield parsed;
      start = end + 1;
    }
  }
  if (pendingBytes > 0 || overflow > 0) {
    const parsed = finishLine(pending, pendingBytes, overflow, line + 1, maxLineBytes);
    if (parsed !== undefined) yield parsed;
  }
}

function finishLine(
  pending: Buffer[],
  bytes: number,
  overflow: number,
  line: number,
  max: number,
): ParsedLine | undefined {
  const text = Buffer.concat(pending, bytes).toString('utf8');
  return parseLine(text, line, bytes + overflow, max);
}
