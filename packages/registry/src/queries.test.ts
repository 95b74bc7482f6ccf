import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  agentNameFromSpiffeId,
  calleesOf,
  callersOf,
  describeSystem,
  findAgent,
  getAgent,
  loadAgentSystemSync,
  mayCall,
  parseAgentSystem,
  RegistryError,
  spiffeIdOf,
  startOrder,
} from './index.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const soc = loadAgentSystemSync(join(ROOT, 'vigil.yaml'));

test('derives each agent SPIFFE ID from the trust domain and name', () => {
  assert.equal(spiffeIdOf(soc, 'coordinator'), 'spiffe://soc.vigil.local/agent/coordinator');
  assert.throws(
    () => spiffeIdOf(soc, 'notifer'),
    (error: unknown) =>
      error instanceof RegistryError &&
      error.code === 'VIGIL_CONFIG_UNKNOWN_AGENT' &&
      /no agent "notifer" — did you mean "notifier"\?/.test(error.message),
  );
});

test('maps only exact agent SPIFFE IDs of this trust domain back to names', () => {
  assert.equal(agentNameFromSpiffeId(soc, 'spiffe://soc.vigil.local/agent/reviewer'), 'reviewer');
  for (const id of [
    'spiffe://other.vigil.local/agent/reviewer',
    'spiffe://soc.vigil.local/user/reviewer',
    'spiffe://soc.vigil.local/agent/reviewer/extra',
    'spiffe://soc.vigil.local/agent/reviewer?x=1',
    'spiffe://soc.vigil.local/agent/reviewer#x',
    'spiffe://SOC.vigil.local/agent/reviewer',
    'spiffe://soc.vigil.local/agent/Reviewer',
    'spiffe://soc.vigil.local/agent/nobody',
    'spiffe://soc.vigil.local/agent/',
    'https://soc.vigil.local/agent/reviewer',
    '',
  ]) {
    assert.equal(agentNameFromSpiffeId(soc, id), undefined, id);
  }
});

test('identity.spiffeIds: service-account names agents as csi-driver-spiffe names their ServiceAccounts', () => {
  const text = (spiffeIds?: string) =>
    JSON.stringify({
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'AgentSystem',
      metadata: { name: 'demo', namespace: 'agents' },
      trustDomain: 'demo.local',
      ...(spiffeIds === undefined ? {} : { identity: { spiffeIds } }),
      agents: [{ name: 'front', role: 'Front', implementation: '@vigil/echo' }],
    });
  const sa = parseAgentSystem(text('service-account'), 'sa.yaml');
  assert.equal(spiffeIdOf(sa, 'front'), 'spiffe://demo.local/ns/agents/sa/front');
  assert.equal(agentNameFromSpiffeId(sa, 'spiffe://demo.local/ns/agents/sa/front'), 'front');
  for (const id of [
    'spiffe://demo.local/agent/front',
    'spiffe://demo.local/ns/other/sa/front',
    'spiffe://demo.local/ns/agents/sa/front/x',
    'spiffe://demo.local/ns/agents/sa/nobody',
  ]) {
    assert.equal(agentNameFromSpiffeId(sa, id), undefined, id);
  }
  const byDefault = parseAgentSystem(text(), 'default.yaml');
  assert.equal(byDefault.identity.spiffeIds, 'agent');
  assert.equal(spiffeIdOf(byDefault, 'front'), 'spiffe://demo.local/agent/front');
  assert.throws(
    () => parseAgentSystem(text('pod'), 'bad.yaml'),
    (e: RegistryError) => e.problems.some((p) => p.path === 'identity.spiffeIds'),
  );
});

test('answers who may call whom from the calls graph', () => {
  assert.deepEqual(callersOf(soc, 'coordinator'), ['detector']);
  assert.deepEqual(callersOf(soc, 'reviewer'), ['coordinator']);
  assert.deepEqual(callersOf(soc, 'detector'), []);
  assert.deepEqual(calleesOf(soc, 'coordinator'), [
    'analyst',
    'remediator',
    'reviewer',
    'notifier',
  ]);
  assert.equal(mayCall(soc, 'coordinator', 'remediator'), true);
  assert.equal(mayCall(soc, 'remediator', 'coordinator'), false, 'calls are one-way');
  assert.equal(mayCall(soc, 'detector', 'remediator'), false, 'no transitive permission');
  assert.equal(mayCall(soc, 'analyst', 'remediator'), false);
  assert.equal(mayCall(soc, 'nobody', 'coordinator'), false);
  assert.equal(mayCall(soc, 'coordinator', 'nobody'), false);
  assert.throws(() => callersOf(soc, 'nobody'), { code: 'VIGIL_CONFIG_UNKNOWN_AGENT' });
});

test('finds agents by name', () => {
  assert.equal(findAgent(soc, 'remediator')?.role, 'Response execution');
  assert.equal(findAgent(soc, 'nobody'), undefined);
  assert.equal(getAgent(soc, 'notifier').name, 'notifier');
  assert.throws(() => getAgent(soc, 'nobody'), { code: 'VIGIL_CONFIG_UNKNOWN_AGENT' });
});

test('orders agents callees first', () => {
  const order = startOrder(soc);
  assert.equal(order.length, soc.agents.length);
  for (const agent of soc.agents) {
    for (const callee of agent.calls) {
      assert.ok(
        order.indexOf(callee) < order.indexOf(agent.name),
        `${callee} before ${agent.name}`,
      );
    }
  }
});

test('describes the system with identities, callers and callees', () => {
  const d = describeSystem(soc);
  assert.equal(d.name, 'vigil-soc');
  assert.equal(d.source, join(ROOT, 'vigil.yaml'));
  const coordinator = d.agents.find((a) => a.name === 'coordinator');
  assert.ok(coordinator);
  assert.equal(coordinator.spiffeId, 'spiffe://soc.vigil.local/agent/coordinator');
  assert.deepEqual(coordinator.callers, ['detector']);
  assert.deepEqual(coordinator.calls, ['analyst', 'remediator', 'reviewer', 'notifier']);
  assert.deepEqual(
    d.callGraph.filter((e) => e.from === 'coordinator').map((e) => e.to),
    ['analyst', 'remediator', 'reviewer', 'notifier'],
  );
  const remediator = d.agents.find((a) => a.name === 'remediator');
  assert.deepEqual(remediator?.autonomy.autoExecute, [
    'isolate-pod',
    'block-ip',
    'revoke-sa-token',
  ]);
  // Plain data: survives a JSON round trip unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(d)), d);
});

test('describes notification channels without their secrets', () => {
  const s = parseAgentSystem(
    `apiVersion: vigil.dev/v1alpha1
kind: AgentSystem
metadata: { name: t }
trustDomain: t.local
agents:
  - { name: a, role: A, implementation: '@vigil/echo' }
notifications:
  channels:
    - name: slack
      type: slack
      url: https://hooks.slack.example/services/T000/B000/SECRETPART
    - name: hook
      type: webhook
      url: https://user:pw@hooks.example/path?token=SECRETQUERY
      secretEnv: HOOK_KEY
    - name: pd
      type: pagerduty
      url: https://events.pagerduty.example/v2/enqueue
      routingKeyEnv: PD_KEY
`,
    't.yaml',
  );
  const channels = describeSystem(s).notifications.channels;
  assert.deepEqual(channels, [
    { name: 'slack', type: 'slack', target: 'https://hooks.slack.example/…' },
    {
      name: 'hook',
      type: 'webhook',
      target: 'POST https://hooks.example/path (HMAC key in $HOOK_KEY)',
    },
    {
      name: 'pd',
      type: 'pagerduty',
      target: 'https://events.pagerduty.example/v2/enqueue (routing key in $PD_KEY)',
    },
  ]);
  assert.doesNotMatch(JSON.stringify(channels), /SECRET|pw@/);
});
