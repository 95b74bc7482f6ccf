import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarize, toOcsf, type AuditEntry } from '@vigil/audit';
import { SOC_AUDIT_VOCABULARY } from './audit-vocabulary.js';

function entry(kind: string, what: AuditEntry['what'], why: AuditEntry['why'] = {}): AuditEntry {
  return {
    v: 2,
    sequence: 7,
    chain: 'spiffe://soc.test/agent/analyst#1',
    chainSeq: 3,
    time: '2026-11-25T10:00:00.000Z',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: null,
    correlationId: 'inc-1',
    actor: 'spiffe://soc.test/agent/analyst',
    kind,
    what,
    why,
    inputDigest: null,
    outputDigest: null,
    prevHash: '0'.repeat(64),
    hash: 'a'.repeat(64),
  };
}

test('registers the SOC kinds beside the harness kinds, for its writers', () => {
  for (const kind of ['event-batch', 'finding', 'analysis', 'notification', 'proposal', 'verdict'])
    assert.ok(SOC_AUDIT_VOCABULARY.kinds.has(kind), kind);
  assert.equal(SOC_AUDIT_VOCABULARY.correlation, 'incident');
});

test('an analysis reads with its severity, confidence, ATT&CK techniques and the model', () => {
  const line = summarize(
    entry(
      'analysis',
      { severity: 'high', confidence: 0.9, techniques: [{ id: 'T1059' }, 'T1611'] },
      { rationale: 'shell from a web server', model: 'offline-rules' },
    ),
    SOC_AUDIT_VOCABULARY,
  );
  assert.equal(
    line,
    'severity high confidence 0.9 ATT&CK T1059,T1611 — shell from a web server [model offline-rules]',
  );
});

test('a proposal shows its blast radius; the harness describer does not know one', () => {
  const e = entry('proposal', {
    action: { type: 'isolate-pod', target: { namespace: 'shop', name: 'web-1' } },
    blastRadius: { pods: 1 },
  });
  assert.equal(
    summarize(e, SOC_AUDIT_VOCABULARY),
    'isolate-pod namespace=shop name=web-1 blast radius {"pods":1}',
  );
  assert.equal(summarize(e), 'isolate-pod namespace=shop name=web-1');
});

test('a finding exports as an OCSF Detection Finding with its techniques, correlated by incident', () => {
  const ocsf = toOcsf(
    entry(
      'finding',
      { findingId: 'f-1', title: 'Shell in container', severity: 'High', techniques: ['T1059'] },
      { rationale: 'anomaly score 0.8' },
    ),
    SOC_AUDIT_VOCABULARY,
  );
  assert.equal(ocsf['class_uid'], 2004);
  assert.equal(ocsf['severity_id'], 4);
  assert.deepEqual((ocsf['finding_info'] as { attacks: unknown }).attacks, [
    { technique: { uid: 'T1059' } },
  ]);
  assert.equal((ocsf['metadata'] as { correlation_uid: string }).correlation_uid, 'inc-1');
  assert.equal((ocsf['metadata'] as { uid: string }).uid, 'a'.repeat(64));
});

test('an execution exports as an OCSF Remediation Activity by what its action does', () => {
  const isolate = toOcsf(
    entry('execution', { action: { type: 'isolate-pod' }, status: 'succeeded' }),
    SOC_AUDIT_VOCABULARY,
  );
  assert.deepEqual(
    [isolate['class_uid'], isolate['activity_id'], isolate['status_id']],
    [7001, 1, 1],
  );
  const other = toOcsf(
    entry('execution', { action: { type: 'page-someone' }, phase: 'intent' }),
    SOC_AUDIT_VOCABULARY,
  );
  assert.deepEqual([other['activity_id'], other['status']], [99, 'pending']);
  // Without the SOC's describers an execution is no remediation: the plain entry.
  assert.equal(
    toOcsf(entry('execution', { action: { type: 'isolate-pod' } }))['class_uid'],
    undefined,
  );
});
