// The writer thread of a SqliteAuditStore (`sqlite-writer-client.ts`): its own connection
// to the store's file runs every append transaction, so the fsync of one batch's commit
// overlaps with the hashing and signing of the next batch on the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { prepareBatchStatements, type BatchRequest } from './sqlite-batch.js';

/** What the writer thread is given. */
export interface WriterThreadData {
  readonly path: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  readonly busyTimeoutMs: number;
}

/**
 * A request to the writer thread, and its answer. `generation` counts the failures the
 * client had seen on this chain when it posted the request (see below).
 */
export type WriterThreadRequest = {
  readonly id: number;
  readonly generation: number;
  readonly request: BatchRequest;
};
export type WriterThreadReply =
  | { readonly id: number; readonly sequences: number[] }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string } };

const data = workerData as WriterThreadData;
const port = parentPort!;
const db = new Database(data.path);
db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
// journal_mode=WAL is a property of the file (set by the store); synchronous is per connection.
db.pragma(`synchronous = ${data.synchronous}`);
const statements = prepareBatchStatements(db);
// A writer posts its next batch before the previous one committed, each chained onto the
// one before. When a batch of a chain fails, the batches of that chain posted before the
// client learned of it would leave a gap: they are refused (their generation is not newer
// than the failure), and the writer re-chains them from the last committed head.
const failedGeneration = new Map<string, number>();
port.on('message', (m: WriterThreadRequest | 'close') => {
  if (m === 'close') {
    db.close();
    port.close();
    return;
  }
  const chain = m.request.chain.chain;
  let reply: WriterThreadReply;
  if (m.generation <= (failedGeneration.get(chain) ?? -1)) {
    reply = {
      id: m.id,
      error: {
        code: 'VIGIL_AUDIT_EARLIER_BATCH_FAILED',
        message: `an earlier batch of chain ${chain} did not commit`,
      },
    };
  } else {
    try {
      reply = { id: m.id, sequences: statements.run(m.request) };
    } catch (cause) {
      failedGeneration.set(chain, m.generation);
      const e = cause as { code?: unknown; message?: unknown };
      reply = { id: m.id, error: { code: String(e.code ?? ''), message: String(e.message) } };
    }
  }
  port.postMessage(reply);
});
