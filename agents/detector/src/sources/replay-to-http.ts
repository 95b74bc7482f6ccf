/**
 * Pushes an NDJSON file of events to a detector's `POST /v1/events` — the client side of
 * `vigil scenario replay`. Lines are validated locally first (a line the detector would
 * reject is reported here with its file line number and not sent), sent in NDJSON
 * batches, paced to `rate` events per second when given, retried on 429/503 after the
 * server's `Retry-After`.
 */
import { createFileReplaySource, type ReplaySummary } from './file-source.js';
import type { IntakeReport } from './intake-report.js';
import { IngestError } from './errors.js';
import type { IngestStats } from './event-source.js';

export interface ReplayToHttpOptions {
  readonly file: string;
  /** The detector's events URL, e.g. `http://127.0.0.1:7400/v1/events`. */
  readonly url: string;
  /** Bearer token (read from an environment variable by the CLI; never printed). */
  readonly token?: string;
  readonly rate?: number;
  readonly loop?: boolean;
  /** Events per request. Default 500. */
  readonly batch?: number;
  /** Give up on a batch after this many 429/503 answers in a row. Default 30. */
  readonly maxRetries?: number;
  readonly signal?: AbortSignal;
}

export interface ReplayReport {
  readonly sent: number;
  readonly accepted: number;
  /** Lines the detector rejected, by file line number. */
  readonly rejectedByServer: readonly { readonly line: number; readonly reason: string }[];
  /** Lines rejected before sending (malformed, unknown format), with the local counters. */
  readonly local: IngestStats;
  readonly requests: number;
  readonly retries: number;
  readonly passes: number;
}

export async function replayToHttp(options: ReplayToHttpOptions): Promise<ReplayReport> {
  const source = createFileReplaySource({
    path: options.file,
    ...(options.rate === undefined ? {} : { rate: options.rate }),
    ...(options.loop === undefined ? {} : { loop: options.loop }),
    name: 'replay',
  });
  const batchSize = Math.max(
    1,
    Math.min(
      options.batch ?? 500,
      options.rate === undefined ? Infinity : Math.ceil(options.rate / 5),
    ),
  );
  const maxRetries = options.maxRetries ?? 30;
  let batch: string[] = [];
  let batchLines: number[] = [];
  let sent = 0;
  let accepted = 0;
  let requests = 0;
  let retries = 0;
  const rejectedByServer: { line: number; reason: string }[] = [];
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;

  async function flush(): Promise<void> {
    if (batch.length === 0) return;
    const body = `${batch.join('\n')}\n`;
    const lines = batchLines;
    batch = [];
    batchLines = [];
    for (let attempt = 0; ; attempt++) {
      requests += 1;
      let res: Response;
      try {
        res = await fetch(options.url, {
          method: 'POST',
          headers,
          body,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
      } catch (error) {
        throw new IngestError(
          'VIGIL_DETECTOR_INGEST_UNAVAILABLE',
          `cannot reach ${options.url}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      if ((res.status === 429 || res.status === 503) && attempt < maxRetries) {
        await res.body?.cancel();
        retries += 1;
        const wait = Number(res.headers.get('retry-after') ?? '1');
        await new Promise((r) =>
          setTimeout(r, Math.max(0, Number.isFinite(wait) ? wait : 1) * 1000),
        );
        continue;
      }
      const text = await res.text();
      if (res.status !== 202 && res.status !== 400) {
        throw new IngestError(
          'VIGIL_DETECTOR_INGEST_UNAVAILABLE',
          `${options.url} answered ${res.status}: ${text.slice(0, 300)}`,
        );
      }
      const answer = JSON.parse(text) as IntakeReport;
      sent += lines.length;
      accepted += answer.accepted;
      // The answer lists the first rejections; the detector's dead-letter file has them all.
      for (const r of answer.rejections)
        rejectedByServer.push({ line: lines[r.line - 1] ?? r.line, reason: r.reason });
      return;
    }
  }

  const onAbort = (): void => void source.stop();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await source.start(async (event, delivery) => {
      batch.push(JSON.stringify(event.raw));
      batchLines.push(delivery.line);
      if (batch.length >= batchSize) await flush();
    });
    const summary: ReplaySummary = await source.finished;
    if (!options.signal?.aborted) await flush();
    return {
      sent,
      accepted,
      rejectedByServer,
      local: source.counters.snapshot(),
      requests,
      retries,
      passes: summary.passes,
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
