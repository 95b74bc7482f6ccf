import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAgentSystem, RegistryError } from './index.js';

const HEADER = `apiVersion: vigil.dev/v1alpha1
kind: AgentSystem
metadata:
  name: test
trustDomain: test.vigil.local
agents:
  - name: coordinator
    role: Coordination
    implementation: '@vigil/echo'
    stateful: true
    replicas: 2
  - name: worker
    role: Work
    implementation: '@vigil/echo'
    replicas: 3
`;

function problemsOf(text: string): RegistryError['problems'] {
  try {
    parseAgentSystem(text, 'test.yaml');
  } catch (error) {
    assert.ok(error instanceof RegistryError, String(error));
    return error.problems;
  }
  assert.fail('the declaration loaded');
}

test('refuses replicas of a stateful agent on SQLite state, at its replicas, naming the stores', () => {
  const problems = problemsOf(
    `${HEADER}storage:\n  checkpoints: { backend: postgres, url: postgres://vigil@db:5432/vigil }\n`,
  );
  assert.equal(problems.length, 1, JSON.stringify(problems));
  const [problem] = problems;
  assert.equal(problem?.path, 'agents[0].replicas');
  assert.equal(problem?.line, 11); // the coordinator's `replicas: 2`
  assert.match(problem!.message, /"coordinator" is stateful and asks for 2 replicas/);
  assert.match(problem!.message, /storage\.state is SQLite/);
  assert.doesNotMatch(problem!.message, /storage\.checkpoints/);
  assert.match(problem!.hint ?? '', /backend: postgres/);
});

test('names both stores when neither is on PostgreSQL (the default)', () => {
  const [problem, ...rest] = problemsOf(HEADER);
  assert.deepEqual(rest, []);
  assert.match(problem!.message, /storage\.state and storage\.checkpoints are SQLite/);
});

test('accepts replicas of a stateful agent whose state and checkpoints are on PostgreSQL', () => {
  const system = parseAgentSystem(
    `${HEADER}storage:
  state: { backend: postgres, url: postgres://vigil@db:5432/vigil }
  checkpoints: { backend: postgres, url: postgres://vigil@db:5432/vigil }
`,
    'test.yaml',
  );
  assert.equal(system.agents[0]?.replicas, 2);
  assert.equal(system.agents[0]?.stateful, true);
  assert.equal(system.storage.state.backend, 'postgres');
});

test('stateless agents take any number of replicas on SQLite, and one stateful replica is fine', () => {
  const system = parseAgentSystem(HEADER.replace('replicas: 2', 'replicas: 1'), 'test.yaml');
  assert.equal(system.agents[1]?.replicas, 3);
  assert.equal(system.agents[1]?.stateful, false);
});
