import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toOcsfRemediationActivity } from './ocsf.js';
import type { ExecutionRecord } from './store/execution-store.js';

const base: ExecutionRecord = {
  id: '7d1f5c1e-3f0e-4c7e-9f0b-6c1d2e3f4a5b',
  idempotencyKey: 'k',
  action: { type: 'isolate-pod', target: { namespace: 'shop', pod: 'web-1' }, parameters: {} },
  actionDigest: 'sha256:' + 'a'.repeat(64),
  executor: 'dry-run',
  authorisation: { kind: 'verdict', id: 'j', by: 'spiffe://t/agent/reviewer', decision: 'allow' },
  state: 'done',
  reversible: true,
  memo: {},
  plan: [],
  retryable: false,
  attempts: 1,
  createdAt: '2026-11-25T18:00:00.000Z',
  updatedAt: '2026-11-25T18:00:01.000Z',
};

test('an isolation exports as OCSF Network Remediation, Isolate, with its D3FEND countermeasure', () => {
  const e = toOcsfRemediationActivity(base);
  assert.equal(e['class_uid'], 7004);
  assert.equal(e['activity_id'], 1);
  assert.equal(e['type_uid'], 700401);
  assert.equal(e['status_id'], 1);
  assert.equal(e['command_uid'], base.id);
  assert.deepEqual(e['countermeasures'], [
    { d3fend: { technique: { uid: 'D3-NI', name: 'Network Isolation' } } },
  ]);
});

test('an undo exports as Restore and a failure as status 2', () => {
  const e = toOcsfRemediationActivity({
    ...base,
    action: { type: 'scale-workload', target: {}, parameters: { replicas: 3 } },
    state: 'failed',
    undoOf: 'x',
  });
  assert.equal(e['activity_id'], 3);
  assert.equal(e['type_uid'], 700303);
  assert.equal(e['status_id'], 2);
});
