import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runVigil, tempDir } from '../testing/run-vigil.js';

const BAD = `apiVersion: vigil.dev/v1alpha1
kind: AgentSystem
metadata:
  name: bad
trustDomain: Bad.Example
agents:
  - name: coordinator
    role: Coordination
    implementation: '@vigil/echo'
    calls: [notifer]
  - name: notifier
    role: Notification
    implementation: '@vigil/echo'
    resorces: { memory: 64Mi }
`;

test('vigil registry exits 2 and lists every problem of an invalid declaration on stderr', async (t) => {
  const file = join(tempDir(t, 'registry'), 'vigil.yaml');
  writeFileSync(file, BAD);
  const { code, stdout, stderr } = await runVigil(['-f', file, 'registry']);
  assert.equal(code, 2, stderr);
  assert.equal(stdout, '');
  assert.equal(
    stderr,
    [
      `vigil: VIGIL_CONFIG_INVALID: invalid AgentSystem declaration ${file} (3 problems):`,
      '  trustDomain: "Bad.Example" is not a SPIFFE trust domain (only lowercase letters, digits, ".", "-" and "_") (line 5) — did you mean "bad.example"?',
      '  agents[0].calls[0]: unknown agent "notifer" (line 10) — did you mean "notifier"?',
      '  agents[1].resorces: unknown field "resorces" (line 14) — did you mean "resources"?',
      '',
    ].join('\n'),
  );
});

test('vigil registry exits 2 when the declaration file is missing', async (t) => {
  const file = join(tempDir(t, 'registry'), 'missing.yaml');
  const { code, stderr } = await runVigil(['-f', file, 'registry']);
  assert.equal(code, 2);
  assert.match(stderr, /VIGIL_CONFIG_NOT_FOUND: no AgentSystem declaration at .*missing\.yaml/);
});

test('vigil registry prints the SOC with identities, callers and autonomy', async () => {
  const { code, stdout, stderr } = await runVigil(['registry']);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^AgentSystem vigil-soc \(vigil\.dev\/v1alpha1\)/);
  assert.match(stdout, /identity\s+spiffe:\/\/soc\.vigil\.local\/agent\/remediator/);
  assert.match(stdout, /coordinator — Incident coordination[\s\S]*?called by\s+detector/);
  assert.match(stdout, /auto-executes on a policy allow: isolate-pod, block-ip, revoke-sa-token/);
});

test('vigil registry --json prints the system description', async () => {
  const { code, stdout } = await runVigil([
    '-f',
    'examples/two-agent/vigil.yaml',
    'registry',
    '--json',
  ]);
  assert.equal(code, 0);
  const description = JSON.parse(stdout) as {
    name: string;
    agents: { name: string; spiffeId: string; calls: string[]; callers: string[] }[];
  };
  assert.equal(description.name, 'two-agent');
  assert.deepEqual(
    description.agents.map((a) => [a.name, a.spiffeId, a.calls, a.callers]),
    [
      ['greeter', 'spiffe://two-agent.vigil.local/agent/greeter', ['echo'], []],
      ['echo', 'spiffe://two-agent.vigil.local/agent/echo', [], ['greeter']],
    ],
  );
});

test('vigil registry <agent> shows one agent and rejects an unknown one with exit 2', async () => {
  const one = await runVigil(['registry', 'reviewer', '--json']);
  assert.equal(one.code, 0, one.stderr);
  assert.equal((JSON.parse(one.stdout) as { name: string }).name, 'reviewer');
  const unknown = await runVigil(['registry', 'reviewr']);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /VIGIL_CONFIG_UNKNOWN_AGENT: .*no agent "reviewr" — did you mean "reviewer"\?/,
  );
});

test('vigil registry --schema prints the JSON Schema of the declaration', async () => {
  const { code, stdout } = await runVigil(['registry', '--schema']);
  assert.equal(code, 0);
  const schema = JSON.parse(stdout) as {
    $schema: string;
    required: string[];
    additionalProperties: boolean;
    properties: { agents: { items: { required: string[] } } };
  };
  assert.match(schema.$schema, /json-schema\.org/);
  assert.deepEqual(schema.required.sort(), [
    'agents',
    'apiVersion',
    'kind',
    'metadata',
    'trustDomain',
  ]);
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(schema.properties.agents.items.required.sort(), [
    'implementation',
    'name',
    'role',
  ]);
});
