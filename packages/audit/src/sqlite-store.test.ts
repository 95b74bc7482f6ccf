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

test('entries are found by id whether or not entry_ids covers them, and a lookup indexes them once more than 4,096 are missing', async (t) => {
  const ca = createTestCa();
  t.after(() => ca.dispose());
  const store = new SqliteAuditStore(':memory:');
  t.after(() => store.close());
  const id = 'spiffe://ids.test/agent/a';
  const w = createAuditWriter({ store, signer: ca.issue(id) });
  const append = (count: number) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        w.append({ kind: 'finding', actor: id, what: { i }, why: {} }),
      ),
    );
  const indexed = () =>
    (store.database.prepare('SELECT COUNT(*) AS n FROM entry_ids').get() as { n: number }).n;
  const byId = async (hashes: string[]) => {
    const out: number[] = [];
    for await (const e of store.query({ hashes })) out.push(e.sequence);
    return out;
  };
  const few = await append(10);
  assert.deepEqual(await byId([few[3]!.hash, few[7]!.hash]), [few[3]!.sequence, few[7]!.sequence]);
  assert.equal(indexed(), 0, 'a short tail is scanned, not indexed');
  const many = await append(5000);
  assert.deepEqual(await byId([many[4999]!.hash]), [many[4999]!.sequence]);
  assert.equal(indexed(), 5010);
  const later = await append(3);
  assert.deepEqual(await byId([few[0]!.hash, many[2500]!.hash, later[2]!.hash, 'f'.repeat(64)]), [
    few[0]!.sequence,
    many[2500]!.sequence,
    later[2]!.sequence,
  ]);
  // entry_ids is derived data: a rewritten row neither hides an entry nor lends its id to another.
  store.database
    .prepare('UPDATE entry_ids SET hash = ? WHERE sequence = ?')
    .run(many[10]!.hash, many[20]!.sequence);
  store.database.prepare('DELETE FROM entry_ids WHERE sequence = ?').run(many[10]!.sequence);
  assert.deepEqual(await byId([many[10]!.hash]), [many[10]!.sequence]);
  assert.deepEqual(await byId([many[20]!.hash, many[30]!.hash]), [
    many[20]!.sequence,
    many[30]!.sequence,
  ]);
  await w.close();
});

test('a read-only store finds entries by id in a file written before entry_ids existed, and opening it for writing drops the old hash index', async (t) => {
  const ca = createTestCa();
  t.after(() => ca.dispose());
  const path = join(dir, `audit-${++n}.db`);
  const store = new SqliteAuditStore(path, { writerThread: false });
  const id = 'spiffe://ids.test/agent/b';
  const w = createAuditWriter({ store, signer: ca.issue(id) });
  const entries = await Promise.all(
    [1, 2, 3].map((i) => w.append({ kind: 'finding', actor: id, what: { i }, why: {} })),
  );
  await w.close();
  store.database.exec('DROP TABLE entry_ids; CREATE INDEX entries_hash ON entries (hash)');
  await store.close();
  const reader = new SqliteAuditStore(path, { readOnly: true });
  const found: string[] = [];
  for await (const e of reader.query({ hashes: [entries[1]!.hash] })) found.push(e.hash);
  await reader.close();
  assert.deepEqual(found, [entries[1]!.hash]);
  const reopened = new SqliteAuditStore(path);
  t.after(() => reopened.close());
  const indexes = reopened.database
    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'")
    .all() as { name: string }[];
  assert.ok(!indexes.some((i) => i.name === 'entries_hash'));
});

test('worker threads report exactly what one thread reports when a run of a chain is stored again after it, across compacted pages', async (t) => {
  const ca = createTestCa();
  t.after(() => ca.dispose());
  const store = new SqliteAuditStore(join(dir, `audit-${++n}.db`));
  t.after(() => store.close());
  const id = 'spiffe://copies.test/agent/a';
  const other = 'spiffe://copies.test/agent/b';
  const a = createAuditWriter({ store, signer: ca.issue(id), checkpoint: { everyEntries: 5 } });
  const b = createAuditWriter({ store, signer: ca.issue(other) });
  for (let i = 0; i < 20; i++) {
    await a.append({ kind: 'finding', actor: id, what: { i }, why: {} });
    if (i % 3 === 0) await b.append({ kind: 'finding', actor: other, what: { i }, why: {} });
  }
  await a.close();
  await b.close();
  // Positions 4..9 of chain a, stored again after everything: six consecutive, linked
  // entries that fill clean pages of their own, below where the chain already stands.
  store.database.exec(`DROP INDEX entries_chain_pos;
    INSERT INTO entries (v, chain, chain_seq, time, trace_id, span_id, correlation_id, actor, kind, what, why, input_digest, output_digest, prev_hash, hash)
    SELECT v, chain, chain_seq, time, trace_id, span_id, correlation_id, actor, kind, what, why, input_digest, output_digest, prev_hash, hash
    FROM entries WHERE chain = '${a.chain}' AND chain_seq BETWEEN 4 AND 9 ORDER BY chain_seq`);
  const one = await verifyAudit(store, { caPem: ca.caPem });
  const parallel = await verifyAudit(store, { caPem: ca.caPem, workers: 2, pageSize: 3 });
  assert.equal(one.firstProblem?.code, 'INSERTED');
  assert.deepEqual({ ...parallel, durationMs: 0 }, { ...one, durationMs: 0 });
});

test('entry_ids catches up in slices across a gap in sequences wider than a slice', async (t) => {
  const ca = createTestCa();
  t.after(() => ca.dispose());
  const store = new SqliteAuditStore(':memory:');
  t.after(() => store.close());
  const id = 'spiffe://ids.test/agent/c';
  const w = createAuditWriter({ store, signer: ca.issue(id), maxBatch: 5000 });
  const entries = await Promise.all(
    Array.from({ length: 26_000 }, (_, i) =>
      w.append({ kind: 'finding', actor: id, what: { i }, why: {} }),
    ),
  );
  await w.close();
  store.database.prepare('DELETE FROM entries WHERE sequence <= 21000').run();
  const found: number[] = [];
  for await (const e of store.query({ hashes: [entries[21_500]!.hash] })) found.push(e.sequence);
  assert.deepEqual(found, [entries[21_500]!.sequence]);
  const n = (store.database.prepare('SELECT COUNT(*) AS n FROM entry_ids').get() as { n: number })
    .n;
  assert.equal(n, 5000);
});
