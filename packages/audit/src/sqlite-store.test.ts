import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { SqliteAuditStore } from './sqlite-store.js';
import { describeAuditStoreContract, type ContractStore } from './store-contract.js';
import { createTestCa } from './testing/identities.js';
import { verifyAudit } from './verify.js';
import { createAuditWriter } from './writer.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function freshStore(): Promise<ContractStore> {
  const path = join(dir, `audit-${++n}.db`);
  const store = new SqliteAuditStore(path);
  return Promise.resolve({
    store,
    sql: (statement, params = []) => {
      store.database.prepare(statement).run(...params);
      return Promise.resolve();
    },
    reopen: () => Promise.resolve(new SqliteAuditStore(path)),
  });
}

describeAuditStoreContract('SqliteAuditStore', freshStore);

// The same contract with verification reading and hashing in worker threads, in slices of
// a few entries and pages of 3 rows, so every tampering case is also found at the right
// entry when the log is checked in parallel and reassembled in store order.
describeAuditStoreContract('SqliteAuditStore, verified by worker threads', freshStore, {
  verify: { workers: 2, pageSize: 3 },
});

test('a batch that fails on the writer thread leaves no gap: batches of the chain already in flight are refused, later appends chain on from the committed head', async (t) => {
  const ca = createTestCa();
  t.after(() => ca.dispose());
  const store = new SqliteAuditStore(join(dir, `audit-${++n}.db`));
  t.after(() => store.close());
  assert.equal(store.pipelinesAppends, true);
  const id = 'spiffe://pipeline.test/agent/a';
  const w = createAuditWriter({ store, signer: ca.issue(id) });
  store.database.exec(`CREATE TRIGGER refuse BEFORE INSERT ON entries WHEN NEW.what LIKE '%boom%'
    BEGIN SELECT json('a storage failure, not a constraint'); END`);
  // 512 appends at once: the writer cuts them into two batches and submits the second
  // while the first (holding the refused entry) is committing.
  const first = await Promise.allSettled(
    Array.from({ length: 512 }, (_, i) =>
      w.append({ kind: 'finding', actor: id, what: { i, note: i === 3 ? 'boom' : 'ok' }, why: {} }),
    ),
  );
  const refused = first.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
  // The batch behind the failing one was submitted before it failed: it is refused, not
  // committed after a gap.
  assert.ok(refused.some((m) => /earlier batch of chain .* did not commit/.test(m)));
  store.database.exec('DROP TRIGGER refuse');
  const later = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      w.append({ kind: 'finding', actor: id, what: { i }, why: {} }),
    ),
  );
  await w.close();
  const committed = first.filter((r) => r.status === 'fulfilled').length + later.length;
  assert.equal(later.at(-1)!.chainSeq, committed);
  const r = await verifyAudit(store, { caPem: ca.caPem });
  assert.equal(r.ok, true, r.firstProblem?.message);
  assert.equal(r.entries, committed);
});
