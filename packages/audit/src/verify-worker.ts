// A worker thread of parallel verification (`parallel-scan.ts`): reads slices of the log
// through its own read-only SQLite connection, taking the next unread slice as it finishes
// one, hashes every entry, and posts each checked page to the verifying thread (compacted
// when nothing in it needs a closer look).
import { parentPort, workerData } from 'node:worker_threads';
import { checkSealedRowsCompactly, transferablesOf } from './entry-check.js';
import type { VerifyWorkerData, VerifyWorkerMessage } from './parallel-scan.js';
import { SqliteAuditStore } from './sqlite-store.js';

const data = workerData as VerifyWorkerData;
const port = parentPort!;
const writers = new Map(data.writers);
const needed = new Map(data.needed.map(([chain, positions]) => [chain, new Set(positions)]));
const store = new SqliteAuditStore(data.path, { readOnly: true });
try {
  for (;;) {
    const index = Atomics.add(data.next, 0, 1);
    const range = data.ranges[index];
    if (range === undefined) break;
    for await (const rows of store.scanSealed(data.pageSize, range)) {
      const page = checkSealedRowsCompactly(rows, writers, needed);
      port.postMessage({ range: index, page } satisfies VerifyWorkerMessage, transferablesOf(page));
    }
    port.postMessage({ range: index, done: true } satisfies VerifyWorkerMessage);
  }
} finally {
  await store.close();
}
