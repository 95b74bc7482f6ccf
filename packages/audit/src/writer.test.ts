import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteAuditStore } from './sqlite-store.js';
import { createTestCa } from './testing/identities.js';
import { verifyAudit } from './verify.js';
import { createAuditWriter } from './writer.js';

const ID = 'spiffe://writer.test/agent/remediator';

test('a writer follows certificate rotation and the chain still verifies', async (t) => {
  const ca = createTestCa();
  t.after(() => ca.dispose());
  const store = new SqliteAuditStore(':memory:');
  t.after(() => store.close());
  let current = ca.issue(ID);
  const w = createAuditWriter({ store, signer: () => current, checkpoint: { everyEntries: 2 } });
  for (let i = 0; i < 4; i++)
    await w.append({ kind: 'execution', actor: ID, what: { i }, why: {} });
  current = ca.issue(ID); // rotated: new key and certificate, same SPIFFE ID
  for (let i = 4; i < 8; i++)
    await w.append({ kind: 'execution', actor: ID, what: { i }, why: {} });
  await w.close();
  const fingerprints = new Set((await store.checkpoints()).map((c) => c.certFingerprint));
  assert.equal(fingerprints.size, 2);
  assert.equal((await store.writers()).length, 2);
  const r = await verifyAudit(store, { caPem: ca.caPem });
  assert.equal(r.ok, true, r.firstProblem?.message);
});

test('a signer that changes identity is refused and nothing is written unsigned under it', async (t) => {
  const ca = createTestCa();
  t.after(() => ca.dispose());
  const store = new SqliteAuditStore(':memory:');
  t.after(() => store.close());
  let current = ca.issue(ID);
  const w = createAuditWriter({ store, signer: () => current, checkpoint: { everyEntries: 1 } });
  await w.append({ kind: 'execution', actor: ID, what: {}, why: {} });
  current = ca.issue('spiffe://writer.test/agent/other');
  await assert.rejects(w.append({ kind: 'execution', actor: ID, what: {}, why: {} }), {
    code: 'VIGIL_AUDIT_INVALID_SIGNER',
  });
  assert.equal((await store.stats()).entries, 1);
});
