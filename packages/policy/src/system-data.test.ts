import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { loadAgentSystem } from '@vigil/registry';
import { REPO_ROOT } from './opa.js';
import { createPolicyEngine, policyDataFromSystem } from './system-data.js';

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
  assert.deepEqual(data.settings, system.policy.settings);
  assert.notEqual(data.settings, system.policy.settings);
  // Deterministic, and a plain copy: the frozen registry objects are not shared.
  assert.deepEqual(policyDataFromSystem(system), data);
  data.escalation.alwaysEscalate.namespaces.push('x');
  assert.ok(!system.policy.escalation.alwaysEscalate.namespaces.includes('x'));
});

test('createPolicyEngine serves vigil.yaml policy.bundle with its data and failClosed', async (t) => {
  const system = await loadAgentSystem(resolve(REPO_ROOT, 'vigil.yaml'));
  const engine = await createPolicyEngine(system, {
    entrypoint: 'vigil/soc/review/verdict',
    baseDir: REPO_ROOT,
  });
  t.after(() => engine.close());
  assert.equal(engine.backend, system.policy.engine === 'server' ? 'opa-server' : 'opa-wasm');
  const malformed = await engine.evaluate({});
  assert.equal(malformed.decision, system.policy.failClosed);
  const input = JSON.parse(
    await readFile(resolve(REPO_ROOT, 'policies/examples/isolate-kube-system.json'), 'utf8'),
  ) as unknown;
  assert.equal((await engine.evaluate(input)).decision, 'escalate');
});
