import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAuditWriter, SqliteAuditStore, type AuditKind } from '@vigil/audit';
import { createCertificateAuthority, issueLeafCertificate } from '@vigil/pki';
import { percentile, readTimelines, waitForNotified } from './timeline.js';

const ACTOR = 'spiffe://bench.vigil.local/agent/coordinator';
const T0 = Date.parse('2026-11-25T12:00:00.000Z');

async function storeWith(
  entries: readonly {
    incidentId: string;
    kind: AuditKind;
    at: number;
    what?: Record<string, unknown>;
  }[],
) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-timeline-'));
  const store = new SqliteAuditStore(join(dir, 'audit.sqlite'));
  const ca = await createCertificateAuthority({ trustDomain: 'bench.vigil.local' });
  const leaf = await issueLeafCertificate(ca, {
    spiffeId: ACTOR,
    commonName: 'coordinator',
    notAfter: new Date(T0 + 86_400_000),
  });
  const writer = createAuditWriter({
    store,
    signer: { id: ACTOR, privateKeyPem: leaf.keyPem, certPem: leaf.certPem },
  });
  for (const e of entries)
    await writer.append({
      kind: e.kind,
      actor: ACTOR,
      correlationId: e.incidentId,
      what: e.what ?? {},
      why: {},
      time: new Date(e.at),
    });
  await writer.close();
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('an incident timeline takes each stage from its own audit entries: last analysis and verdict, execution outcome, first notification', async (t) => {
  const { store, cleanup } = await storeWith([
    { incidentId: 'inc-a', kind: 'finding', at: T0 + 5 },
    { incidentId: 'inc-a', kind: 'finding', at: T0 + 8 },
    { incidentId: 'inc-a', kind: 'analysis', at: T0 + 15 },
    { incidentId: 'inc-a', kind: 'analysis', at: T0 + 20 },
    { incidentId: 'inc-a', kind: 'proposal', at: T0 + 30 },
    { incidentId: 'inc-a', kind: 'verdict', at: T0 + 40, what: { decision: 'allow' } },
    { incidentId: 'inc-a', kind: 'verdict', at: T0 + 45, what: { decision: 'escalate' } },
    { incidentId: 'inc-a', kind: 'execution', at: T0 + 50, what: { phase: 'intent' } },
    { incidentId: 'inc-a', kind: 'execution', at: T0 + 60, what: { phase: 'outcome' } },
    { incidentId: 'inc-a', kind: 'notification', at: T0 + 70 },
    { incidentId: 'inc-a', kind: 'notification', at: T0 + 90 },
    // Another incident's entries never leak into this one's timeline.
    { incidentId: 'inc-b', kind: 'verdict', at: T0 + 99, what: { decision: 'deny' } },
  ]);
  t.after(cleanup);

  const [timeline] = await readTimelines(store, new Map([['inc-a', T0]]), new Date(T0));

  assert.deepEqual(timeline, {
    incidentId: 'inc-a',
    sentAt: T0,
    finding: T0 + 5,
    analysis: T0 + 20,
    proposal: T0 + 30,
    verdict: T0 + 45,
    execution: T0 + 60,
    notification: T0 + 70,
    decisions: ['allow', 'escalate'],
    analyses: 2,
    findings: 2,
  });
});

test('an incident with nothing executed has no execution time', async (t) => {
  const { store, cleanup } = await storeWith([
    { incidentId: 'inc-d', kind: 'finding', at: T0 + 1 },
    { incidentId: 'inc-d', kind: 'analysis', at: T0 + 2 },
    { incidentId: 'inc-d', kind: 'proposal', at: T0 + 3 },
    { incidentId: 'inc-d', kind: 'verdict', at: T0 + 4, what: { decision: 'deny' } },
    { incidentId: 'inc-d', kind: 'notification', at: T0 + 5 },
  ]);
  t.after(cleanup);

  const [timeline] = await readTimelines(store, new Map([['inc-d', T0]]), new Date(T0));

  assert.equal(timeline?.execution, undefined);
  assert.deepEqual(timeline?.decisions, ['deny']);
});

test('a timeline without a verdict entry is an error naming the incident', async (t) => {
  const { store, cleanup } = await storeWith([
    { incidentId: 'inc-c', kind: 'finding', at: T0 + 1 },
    { incidentId: 'inc-c', kind: 'analysis', at: T0 + 2 },
    { incidentId: 'inc-c', kind: 'proposal', at: T0 + 3 },
    { incidentId: 'inc-c', kind: 'notification', at: T0 + 4 },
  ]);
  t.after(cleanup);

  await assert.rejects(
    readTimelines(store, new Map([['inc-c', T0]]), new Date(T0)),
    /incident inc-c has no verdict entry/,
  );
});

test('waiting for notifications resolves once every incident has one', async (t) => {
  const { store, cleanup } = await storeWith([
    { incidentId: 'inc-a', kind: 'notification', at: T0 + 1 },
    { incidentId: 'inc-b', kind: 'notification', at: T0 + 2 },
  ]);
  t.after(cleanup);

  await waitForNotified(store, new Set(['inc-a', 'inc-b']), new Date(T0), 10_000);
});

test('waiting for notifications fails naming how many incidents are missing', async (t) => {
  const { store, cleanup } = await storeWith([
    { incidentId: 'inc-a', kind: 'notification', at: T0 + 1 },
  ]);
  t.after(cleanup);

  await assert.rejects(
    waitForNotified(store, new Set(['inc-a', 'inc-b']), new Date(T0), 0),
    /1 of 2 incidents not notified/,
  );
});

test('percentiles are nearest-rank over the values, in any order', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});
