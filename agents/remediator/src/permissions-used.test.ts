import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exercisedGrants } from './permissions-used.js';
import type { ExecutionRecord } from './store/execution-store.js';

const record = (executor: string, result: unknown) => ({ executor, result }) as ExecutionRecord;
const ok = { ok: true, status: 200 };
const refused = { ok: false, status: 403, code: 'VIGIL_REMEDIATOR_API_FORBIDDEN', reason: 'no' };
const netpolCreate = {
  apiGroups: ['networking.k8s.io'],
  resources: ['networkpolicies'],
  verbs: ['create'],
};

test('credits only the requests that succeeded, each to the executor side that carried it', () => {
  const grants = exercisedGrants(
    record('kubernetes+webhook', {
      ok: false,
      steps: [
        { summary: 'a', kind: 'kubernetes', permission: netpolCreate, outcome: ok },
        { summary: 'a again', kind: 'kubernetes', permission: netpolCreate, outcome: ok },
        { summary: 'b', kind: 'webhook', outcome: ok },
        {
          summary: 'c',
          kind: 'kubernetes',
          permission: { apiGroups: [''], resources: ['pods'], verbs: ['patch'] },
          outcome: refused,
        },
      ],
      skipped: [],
    }),
  );
  assert.deepEqual(grants, {
    permissionsUsed: [netpolCreate],
    toolsUsed: ['kubernetes-executor', 'webhook-executor'],
  });
});

test('an execution that never ran a plan (planning failed) exercised nothing', () => {
  assert.deepEqual(exercisedGrants(record('dry-run', undefined)), {
    permissionsUsed: [],
    toolsUsed: [],
  });
});
