import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAgentSystem, RegistryError } from './index.js';
import { goDurationSeconds } from './kubernetes-schema.js';

const BASE = `apiVersion: vigil.dev/v1alpha1
kind: AgentSystem
metadata: { name: demo }
trustDomain: demo.local
agents:
  - { name: front, role: Front, implementation: '@vigil/echo', calls: [back] }
  - { name: back, role: Back, implementation: '@vigil/echo' }
`;

function problems(text: string): string[] {
  try {
    parseAgentSystem(text, 'test.yaml');
  } catch (error) {
    assert.ok(error instanceof RegistryError, String(error));
    return error.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected the declaration to be refused');
}

test('a declaration without a kubernetes section gets every default', () => {
  const k = parseAgentSystem(BASE, 'test.yaml').kubernetes;
  assert.equal(k.ports.a2a, 8443);
  assert.equal(k.ports.health, 8080);
  assert.deepEqual(k.certificates, {
    provider: 'cert-manager',
    issuer: { caSecret: 'vigil-ca' },
    duration: '24h',
    renewBefore: '8h',
  });
  assert.deepEqual(k.network.egress, []);
  assert.equal(k.state.postgres.development, false);
  assert.deepEqual(k.state.postgres.agents, []);
});

test('unknown agents in the kubernetes section are reported where they are written', () => {
  const found = problems(
    `${BASE}kubernetes:
  opaClients: [bak]
  network:
    egress: [{ name: model, cidrs: [10.0.0.0/8], ports: [443], agents: [frnt] }]
  state: { postgres: { agents: [nobody] } }
`,
  );
  assert.deepEqual(found, [
    'kubernetes.opaClients[0]: unknown agent "bak"',
    'kubernetes.network.egress[0].agents[0]: unknown agent "frnt"',
    'kubernetes.state.postgres.agents[0]: unknown agent "nobody"',
  ]);
});

test('a CIDR, a duration and renewBefore longer than duration are checked', () => {
  const found = problems(
    `${BASE}kubernetes:
  certificates: { duration: 1h, renewBefore: 2h }
  network:
    egress: [{ name: model, cidrs: [10.0.0.300/8], ports: [443] }]
`,
  );
  assert.deepEqual(found, [
    'kubernetes.certificates.renewBefore: must be shorter than duration (1h)',
    'kubernetes.network.egress[0].cidrs[0]: "10.0.0.300/8" is not a CIDR (e.g. 10.0.0.0/16)',
  ]);
  assert.ok(
    problems(`${BASE}kubernetes: { certificates: { duration: 1d } }\n`)[0]?.includes('duration'),
  );
});

test('go durations are read as hours, minutes and seconds', () => {
  assert.equal(goDurationSeconds('1h30m'), 5400);
  assert.equal(goDurationSeconds('90s'), 90);
});

test('permission rules may name the namespaces they apply to', () => {
  const s = parseAgentSystem(
    BASE.replace(
      "implementation: '@vigil/echo' }",
      "implementation: '@vigil/echo', permissions: { rules: [{ apiGroups: [''], resources: [pods], verbs: [get], namespaces: ['*'] }] } }",
    ),
    'test.yaml',
  );
  assert.deepEqual(s.agents[1]?.permissions.rules[0]?.namespaces, ['*']);
  assert.deepEqual(
    problems(
      BASE.replace(
        "implementation: '@vigil/echo' }",
        "implementation: '@vigil/echo', permissions: { rules: [{ apiGroups: [''], resources: [pods], verbs: [get], namespaces: [Bad_NS] }] } }",
      ),
    ),
    [
      'agents[1].permissions.rules[0].namespaces[0]: must be a namespace name (DNS-1123 label) or "*"',
    ],
  );
});
