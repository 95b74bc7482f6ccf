import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { canonicalText, sealedCanonical, type AuditEntry } from './entry.js';
import type { SealedRow } from './store.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { createTestCa } from './testing/identities.js';
import { verifyAudit } from './verify.js';
import { createAuditWriter } from './writer.js';

const ID = 'spiffe://sealed.test/agent/writer';

/** Every BMP code point except lone surrogates, plus astral characters, in strings of ≤ 150. */
function unicodeChunks(): string[] {
  const chars: string[] = [];
  for (let c = 0; c < 0x10000; c++)
    if (c < 0xd800 || c > 0xdfff) chars.push(String.fromCharCode(c));
  chars.push('😀', '𝄞', '\u{10ffff}');
  const chunks: string[] = [];
  for (let i = 0; i < chars.length; i += 150) chunks.push(chars.slice(i, i + 150).join(''));
  return chunks;
}

async function sealedRows(store: SqliteAuditStore): Promise<SealedRow[]> {
  const out: SealedRow[] = [];
  for await (const page of store.scanSealed(97)) out.push(...page);
  return out;
}

async function entries(store: SqliteAuditStore): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of store.query()) out.push(e);
  return out;
}

/** A store of four entries by one writer, entry i with incident id `incident(i)`. */
async function fourEntries(
  t: TestContext,
  incident: (i: number) => string,
): Promise<{ ca: ReturnType<typeof createTestCa>; store: SqliteAuditStore }> {
  const ca = createTestCa();
  t.after(() => ca.dispose());
  const store = new SqliteAuditStore(':memory:');
  t.after(() => store.close());
  const w = createAuditWriter({ store, signer: ca.issue(ID) });
  for (let i = 0; i < 4; i++)
    await w.append({
      kind: 'finding',
      actor: ID,
      what: { i },
      why: {},
      correlationId: incident(i),
    });
  await w.close();
  return { ca, store };
}

test('SQLite rebuilds the canonical text of every entry exactly as sealedCanonical does (all of Unicode, nulls, numbers)', async (t) => {
  const ca = createTestCa();
  t.after(() => ca.dispose());
  const store = new SqliteAuditStore(':memory:');
  t.after(() => store.close());
  const w = createAuditWriter({ store, signer: ca.issue(ID), maxBatch: 100 });
  const chunks = unicodeChunks();
  await Promise.all(
    chunks.map((text, i) =>
      w.append({
        kind: 'finding',
        actor: i % 2 === 0 ? ID : `user:${text.slice(0, 40)}`,
        correlationId: text,
        traceId: i % 3 === 0 ? undefined : i.toString(16).padStart(32, '0'),
        spanId: i % 5 === 0 ? undefined : i.toString(16).padStart(16, '0'),
        inputDigest: i % 2 === 0 ? undefined : `sha256:${'c'.repeat(64)}`,
        what: { text, n: i, f: i / 7, big: 1e21 * i, neg: -0, list: [text, null, true, 1e-7] },
        why: { rationale: text.split('').reverse().join('') },
      }),
    ),
  );
  await w.close();
  const rows = await sealedRows(store);
  const stored = await entries(store);
  assert.equal(rows.length, chunks.length);
  rows.forEach((row, i) => {
    const e = stored[i]!;
    assert.equal(row.sealed, sealedCanonical(e, canonicalText(e.what), canonicalText(e.why)));
  });
  const r = await verifyAudit(store, { caPem: ca.caPem });
  assert.equal(r.ok, true, r.firstProblem?.message);
});

test('a row whose column was given another type is rebuilt in JavaScript and found altered, not an error', async (t) => {
  const { ca, store } = await fourEntries(t, (i) => `inc-${i}`);
  const [, second] = await entries(store);
  store.database
    .prepare('UPDATE entries SET correlation_id = CAST(? AS BLOB) WHERE sequence = ?')
    .run('inc-1', second!.sequence);
  const rows = await sealedRows(store);
  assert.ok(rows[1]!.sealed.includes('"correlationId":{"type":"Buffer"'));
  const r = await verifyAudit(store, { caPem: ca.caPem });
  assert.equal(r.firstProblem?.code, 'ALTERED');
  assert.equal(r.firstProblem?.sequence, second!.sequence);
});

test('a number stored in a text column is found altered at its entry, integer or not', async (t) => {
  const { ca, store } = await fourEntries(t, String);
  const [, second, third] = await entries(store);
  // TEXT affinity turns a number into a text on write: a party editing the file can drop it.
  const db = store.database;
  db.unsafeMode(true);
  db.pragma('writable_schema = ON');
  db.prepare(
    "UPDATE sqlite_schema SET sql = replace(sql, 'correlation_id TEXT', 'correlation_id') WHERE name = 'entries'",
  ).run();
  db.pragma('writable_schema = RESET');
  db.unsafeMode(false);
  const set = db.prepare('UPDATE entries SET correlation_id = ? WHERE sequence = ?');
  set.run(1n, second!.sequence);
  set.run(2.5, third!.sequence);
  assert.deepEqual(
    db.prepare('SELECT typeof(correlation_id) AS t FROM entries ORDER BY sequence').pluck().all(),
    ['text', 'integer', 'real', 'text'],
  );
  const rows = await sealedRows(store);
  assert.ok(rows[1]!.sealed.includes('"correlationId":1,'));
  assert.ok(rows[2]!.sealed.includes('"correlationId":2.5,'));
  const r = await verifyAudit(store, { caPem: ca.caPem });
  assert.equal(r.firstProblem?.code, 'ALTERED');
  assert.equal(r.firstProblem?.sequence, second!.sequence);
  assert.deepEqual(
    r.problems.map((p) => p.sequence),
    [second!.sequence],
  );
});
