import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { loadAgentSystem } from '@vigil/registry';
import { REPO_ROOT } from './opa.js';
import { policyDataFromSystem } from './system-data.js';

test('policy data from the repository vigil.yaml: system, agents, escalation lists', async () => {
  const system = await loadAgentSystem(resolve(REPO_ROOT, 'vigil.yaml'));
  const data = policyDataFromSystem(system) as {
    system: { namespace: string; trustDomain: string };
    agents: Record<string, { spiffeId: string; autoExecute: string[] }>;
    escalation: { confidenceThreshold: number; alwaysEscalate: { namespaces: string[] } };
    maxReviewRounds: number;
    failClosed: string;
    settings: Record<string, unknown>;
  };
  assert.equal(data.system.namespace, system.metadata.namespace);
  assert.equal(
    data.agents['remediator']?.spiffeId,
    `spiffe://${system.trustDomain}/agent/remediator`,
  );
  assert.deepEqual(data.agents['remediator']?.autoExecute, [
    ...(system.agents.find((a) => a.name === 'remediator')?.autonomy.autoExecute ?? []),
  ]);
  assert.equal(data.escalation.confidenceThreshold, system.policy.escalation.confidenceThreshold);
  assert.ok(data.escalation.alwaysEscalate.namespaces.includes('kube-system'));
  assert.equal(data.maxReviewRounds, system.policy.maxReviewRounds);
  assert.equal(data.failClosed, system.policy.failClosed);
  assert.deepEqual(data.settings, {});
  // Deterministic, and a plain copy: the frozen registry objects are not shared.
  assert.deepEqual(policyDataFromSystem(system), data);
  data.escalation.alwaysEscalate.namespaces.push('x');
  assert.ok(!system.policy.escalation.alwaysEscalate.namespaces.includes('x'));
});
