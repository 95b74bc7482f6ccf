import type { CheckedPage, CompactPage } from './entry-check.js';
import { AuditError } from './errors.js';
import { startBundledPackageWorker } from './package-worker.js';
import type { SequenceRange } from './store.js';

/** What a verification worker thread is given (see `verify-worker.ts`). */
export interface VerifyWorkerData {
  /** The SQLite file, opened read-only by the worker. */
  readonly path: string;
  /** `[chain, writer SPIFFE ID]` of every registered chain. */
  readonly writers: readonly (readonly [string, string])[];
  /** Per chain, the positions whose hashes checkpoints and anchors are compared with. */
  readonly needed: readonly (readonly [string, readonly number[]])[];
  readonly pageSize: number;
  /** The slices of the log, in store order. */
  readonly ranges: readonly SequenceRange[];
  /**
   * `[0]`: the next slice to read, shared by all workers (each takes one with
   * `Atomics.add`), so a worker that gets less CPU reads fewer slices.
   */
  readonly next: Int32Array;
}

/** What a verification worker posts: a checked page of a range, or the end of that range. */
export type VerifyWorkerMessage =
  | { readonly range: number; readonly page: CheckedPage | CompactPage }
  | { readonly range: number; readonly done: true };

/** Options of {@link scanCheckedInParallel}. */
export interface ParallelScanOptions {
  readonly path: string;
  readonly writers: ReadonlyMap<string, string>;
  readonly needed: ReadonlyMap<string, ReadonlySet<number>>;
  readonly workers: number;
  readonly pageSize: number;
  /** The log's sequence bounds when verification started (later entries are not read). */
  readonly firstSequence: number;
  readonly lastSequence: number;
}

/**
 * Slices per worker. Workers take the next slice as they finish one, in store order, so
 * the verifying thread (which consumes slices in that order) holds at most a few slices'
 * pages read ahead; small slices let the workers finish together (on a machine shared with
 * other work one of them may get less CPU): a million entries make slices of ~16,000, a
 * few tens of milliseconds of work each.
 */
const SLICES_PER_WORKER = 32;

/**
 * Reads and hashes the entries of an on-disk SQLite store in `workers` threads, each with
 * its own read-only connection (WAL lets readers run side by side), and yields the checked
 * pages in store (`sequence`) order — the same pages, in the same order, as checking
 * `store.scanSealed()` in this thread, some of them compacted (see {@link CompactPage}). Throws `VIGIL_AUDIT_STORE` when a worker fails.
 */
export async function* scanCheckedInParallel(
  o: ParallelScanOptions,
): AsyncIterable<CheckedPage | CompactPage> {
  const count = o.lastSequence - o.firstSequence + 1;
  if (count <= 0) return;
  const slices = Math.min(count, o.workers * SLICES_PER_WORKER);
  const span = Math.ceil(count / slices);
  const ranges = Array.from({ length: slices }, (_, index) => ({
    afterSequence: o.firstSequence - 1 + index * span,
    throughSequence: Math.min(o.lastSequence, o.firstSequence - 1 + (index + 1) * span),
  }));
  const next = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const buffered = ranges.map(() => ({ pages: [] as (CheckedPage | CompactPage)[], done: false }));
  let failure: unknown;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const writers = [...o.writers];
  const needed = [...o.needed].map(([chain, positions]) => [chain, [...positions]] as const);
  const threads = await Promise.all(
    Array.from({ length: Math.min(o.workers, slices) }, async () => {
      const data: VerifyWorkerData = {
        path: o.path,
        writers,
        needed,
        pageSize: o.pageSize,
        ranges,
        next,
      };
      const thread = await startBundledPackageWorker('verify-worker', data);
      thread.on('message', (m: VerifyWorkerMessage) => {
        const slot = buffered[m.range]!;
        if ('page' in m) slot.pages.push(m.page);
        else slot.done = true;
        signal();
      });
      thread.on('error', (error) => {
        failure ??= error;
        signal();
      });
      thread.on('exit', (code) => {
        if (code !== 0) failure ??= new Error(`verification worker exited with code ${code}`);
        signal();
      });
      return thread;
    }),
  );
  try {
    for (const slot of buffered) {
      for (;;) {
        const page = slot.pages.shift();
        if (page !== undefined) {
          yield page;
          continue;
        }
        if (slot.done) break;
        if (failure !== undefined) {
          throw new AuditError(
            'VIGIL_AUDIT_STORE',
            `parallel verification of ${o.path} failed: ${(failure as Error).message}`,
            { cause: failure },
          );
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    }
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
