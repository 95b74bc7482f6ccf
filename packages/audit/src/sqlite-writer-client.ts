import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { startPackageWorker } from './package-worker.js';
import type { BatchRequest } from './sqlite-batch.js';
import type {
  WriterThreadData,
  WriterThreadReply,
  WriterThreadRequest,
} from './sqlite-writer-thread.js';

/**
 * The main-thread side of a store's writer thread: posts append transactions to it and
 * resolves each with the committed entries' sequences once its COMMIT returned (so the
 * batch is durable under `synchronous=FULL`). Rejections carry the SQLite error `code`.
 * The thread keeps the process alive only while a transaction is in flight.
 */
export class SqliteWriterThread {
  readonly #worker: Worker;
  readonly #pending = new Map<
    number,
    { chain: string; resolve: (s: number[]) => void; reject: (e: unknown) => void }
  >();
  /** Per chain, how many failed batches this client has seen (see the writer thread). */
  readonly #generation = new Map<string, number>();
  #nextId = 0;
  #failure: unknown;

  constructor(data: WriterThreadData) {
    this.#worker = startPackageWorker('sqlite-writer-thread', data);
    this.#worker.unref();
    this.#worker.on('message', (reply: WriterThreadReply) => {
      const p = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (p === undefined) return;
      if ('error' in reply) {
        if (reply.error.code !== 'VIGIL_AUDIT_EARLIER_BATCH_FAILED')
          this.#generation.set(p.chain, (this.#generation.get(p.chain) ?? 0) + 1);
        p.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      } else p.resolve(reply.sequences);
    });
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', () => this.#fail(new Error('the audit writer thread stopped')));
  }

  /**
   * Runs one append transaction in the thread. Transactions run in the order posted; one
   * posted while an earlier batch of the same chain was failing is refused with code
   * `VIGIL_AUDIT_EARLIER_BATCH_FAILED`, so a chain never commits with a gap.
   */
  run(request: BatchRequest): Promise<number[]> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const chain = request.chain.chain;
    const generation = this.#generation.get(chain) ?? 0;
    return new Promise<number[]>((resolve, reject) => {
      this.#pending.set(id, { chain, resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage({ id, generation, request } satisfies WriterThreadRequest);
    });
  }

  /** Lets transactions already posted finish, then closes the thread's connection. */
  async close(): Promise<void> {
    if (this.#failure !== undefined) return;
    const exited = once(this.#worker, 'exit');
    this.#worker.ref(); // until the thread has closed its connection
    this.#worker.postMessage('close');
    await exited;
  }

  #fail(error: unknown): void {
    this.#failure ??= error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }
}
