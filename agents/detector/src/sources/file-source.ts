/**
 * File replay: reads an NDJSON file (a scenario, a dead-letter file fixed up, an export
 * from a SIEM) and feeds it to the sink, optionally paced (`rate` events per second)
 * and looped. Lines are read in bounded chunks and checked as HTTP bodies are (see
 * {@link NdjsonStream}): an oversized line is skipped and reported, never buffered whole.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Logger } from '@vigil/core';
import { DEFAULT_MAX_LINE_BYTES, type ParsedLine } from '../events/ndjson.js';
import type { DeadLetterWriter } from './dead-letter.js';
import { IngestCounters, type EventSink, type EventSource } from './event-source.js';
import { IngestError } from './errors.js';
import { DEFAULT_MAX_DEPTH, NdjsonStream, type LineLimits } from './ndjson-stream.js';
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
  /** Deepest nesting of arrays and objects accepted in a line (default {@link DEFAULT_MAX_DEPTH}). */
  readonly maxDepth?: number;
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
  const limits: LineLimits = {
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
  };
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
        for await (const parsed of readLines(handle, limits)) {
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
 * numbers, through the same {@link NdjsonStream} as HTTP bodies: memory bounded by
 * `maxLineBytes` + one chunk, one leading byte-order mark stripped, bad UTF-8 and too-deep
 * nesting rejected by line and byte offset.
 */
async function* readLines(handle: FileHandle, limits: LineLimits): AsyncGenerator<ParsedLine> {
  const chunk = Buffer.allocUnsafe(64 * 1024);
  const stream = new NdjsonStream(limits);
  let position = 0;
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    // Every line this chunk completes is parsed before the chunk buffer is read into again.
    yield* stream.push(chunk.subarray(0, bytesRead));
  }
  yield* stream.end();
}
