// Logs written in format version 1 (before kinds were open and the correlation id was
// renamed), in version 2, and across the change all verify. The version 1 store is a
// fixture recorded with the version 1 writer (testing/fixtures/v1-audit.sqlite: a detector
// chain closed, a reviewer chain left open, one anchor), never rewritten since.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { AuditEntry } from './entry.js';
import { defineAuditVocabulary } from './kinds.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { createTestCa } from './testing/identities.js';
import { reconstructTrace } from './trace.js';
import { verifyAudit } from './verify.js';
import { createAuditWriter } from './writer.js';

const FIXTURE = new URL('./testing/fixtures/v1-audit.sqlite', import.meta.url);
const FIXTURE_CA = readFileSync(
  new URL('./testing/fixtures/v1-audit-ca.pem', import.meta.url),
  'utf8',
);
const TD = 'spiffe://fixture.test';

function copyOfFixture(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-v1-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'audit.sqlite');
  copyFileSync(FIXTURE, path);
  return path;
}

async function all(store: SqliteAuditStore): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of store.query()) out.push(e);
  return out;
}

test('a version 1 store opens, keeps its entries as version 1 and verifies', async (t) => {
  const path = copyOfFixture(t);
  const before = new Database(path, { readonly: true });
  const oldColumns = before.prepare("SELECT name FROM pragma_table_info('entries')").pluck().all();
  before.close();
  assert.ok(
    oldColumns.includes('incident_id') && !oldColumns.includes('v'),
    'fixture is version 1',
  );

  const store = new SqliteAuditStore(path, { writerThread: false });
  t.after(() => store.close());
  const entries = await all(store);
  assert.equal(entries.length, 11);
  assert.ok(entries.every((e) => e.v === 1));
  assert.equal(entries.filter((e) => e.correlationId === 'inc-1').length, 10);
  const byCorrelation: AuditEntry[] = [];
  for await (const e of store.query({ correlationId: 'inc-1' })) byCorrelation.push(e);
  assert.equal(byCorrelation.length, 10);
  const report = await verifyAudit(store, { caPem: FIXTURE_CA });
  assert.deepEqual(report.problems, []);
  assert.equal(report.ok, true);
  assert.equal(report.entries, 11);
  // Opening it again finds the current columns and changes nothing.
  await store.close();
  const again = new SqliteAuditStore(path, { writerThread: false });
  t.after(() => again.close());
  assert.equal((await verifyAudit(again, { caPem: FIXTURE_CA })).ok, true);
});

test('a version 2 log verifies, and a version changed in a row is found at that entry', async (t) => {
  const ca = createTestCa();
  t.after(() => ca.dispose());
  const store = new SqliteAuditStore(':memory:');
  t.after(() => store.close());
  const vocabulary = defineAuditVocabulary({ correlation: 'memo', kinds: { 'memo-draft': {} } });
  const w = createAuditWriter({
    store,
    signer: ca.issue(`${TD}/agent/drafter`),
    kinds: vocabulary.kinds,
  });
  const actor = `${TD}/agent/drafter`;
  for (let i = 0; i < 4; i++)
    await w.append({ kind: 'memo-draft', actor, correlationId: 'memo-1', what: { i }, why: {} });
  await assert.rejects(w.append({ kind: 'finding', actor, what: {}, why: {} }), {
    code: 'VIGIL_AUDIT_INVALID_ENTRY',
    message: /kind: finding is not registered/,
  });
  await w.close();
  const entries = await all(store);
  assert.ok(entries.every((e) => e.v === 2 && e.correlationId === 'memo-1'));
  assert.equal((await verifyAudit(store, { caPem: ca.caPem })).ok, true);

  // Claiming an entry was sealed as version 1 changes what its hash covers.
  store.database.prepare('UPDATE entries SET v = 1 WHERE sequence = ?').run(entries[2]!.sequence);
  const r = await verifyAudit(store, { caPem: ca.caPem });
  assert.equal(r.firstProblem?.code, 'ALTERED');
  assert.equal(r.firstProblem?.sequence, entries[2]!.sequence);
  // So does a version no writer seals with.
  store.database.prepare('UPDATE entries SET v = 2 WHERE sequence = ?').run(entries[2]!.sequence);
  store.database.prepare('UPDATE entries SET v = 7 WHERE sequence = ?').run(entries[1]!.sequence);
  const r7 = await verifyAudit(store, { caPem: ca.caPem });
  assert.equal(r7.firstProblem?.code, 'ALTERED');
  assert.equal(r7.firstProblem?.sequence, entries[1]!.sequence);
});

test('a log across the version change verifies: a version 1 chain continued in version 2, a new chain, an anchor over both', async (t) => {
  const path = copyOfFixture(t);
  const ca = createTestCa('Vigil after the upgrade');
  t.after(() => ca.dispose());
  const store = new SqliteAuditStore(path, { writerThread: false });
  t.after(() => store.close());
  const open = (await store.chains()).find((c) => c.identity === `${TD}/agent/reviewer`)!;
  const head = await store.chainHead(open.chain);
  assert.equal(head?.chainSeq, 6);

  // The reviewer's chain, left open by the version 1 writer, resumed after the upgrade.
  const reviewer = createAuditWriter({
    store,
    signer: ca.issue(`${TD}/agent/reviewer`),
    chainId: open.chain,
  });
  const parent = (await all(store)).find((e) => e.kind === 'finding')!;
  const verdict = await reviewer.append({
    kind: 'verdict',
    actor: `${TD}/agent/reviewer`,
    correlationId: 'inc-1',
    what: { decision: 'escalate', parentEntryId: parent.hash },
    why: { reasons: ['after the upgrade'] },
  });
  assert.equal(verdict.v, 2);
  assert.equal(verdict.chainSeq, 7);
  const detector = createAuditWriter({ store, signer: ca.issue(`${TD}/agent/detector`) });
  await detector.append({
    kind: 'finding',
    actor: `${TD}/agent/detector`,
    correlationId: 'inc-1',
    what: { n: 9 },
    why: { rationale: 'new chain, new format' },
  });
  await detector.anchor();
  await reviewer.close();
  await detector.close();

  const entries = await all(store);
  assert.deepEqual(
    [...new Set(entries.filter((e) => e.chain === open.chain).map((e) => e.v))],
    [1, 2],
  );
  const report = await verifyAudit(store, { caPem: `${FIXTURE_CA}${ca.caPem}` });
  assert.deepEqual(report.problems, []);
  assert.equal(report.ok, true);
  assert.equal(report.entries, 13);
  assert.equal(report.anchors, 2);

  // One correlation id gathers the entries of both versions.
  const trace = await reconstructTrace(store, 'inc-1');
  assert.equal(trace.entries, 12);
  assert.deepEqual(trace.correlationIds, ['inc-1']);

  // Tampering with the version 1 part is still found where it is.
  const old = entries.find((e) => e.chain === open.chain && e.chainSeq === 2)!;
  store.database
    .prepare('UPDATE entries SET what = \'{"decision":"allow"}\' WHERE sequence = ?')
    .run(old.sequence);
  const tampered = await verifyAudit(store, { caPem: `${FIXTURE_CA}${ca.caPem}` });
  assert.equal(tampered.firstProblem?.code, 'ALTERED');
  assert.equal(tampered.firstProblem?.sequence, old.sequence);
});
