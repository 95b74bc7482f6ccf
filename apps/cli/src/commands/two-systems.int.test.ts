/**
 * Two Vigil systems on one machine: each `vigil up` takes its own free port for the
 * coordinator's API and publishes it in its state directory, and each CLI talks to its own
 * system. A fixed port that is taken is a clear, immediate error naming the port.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readServiceAddress } from '@vigil/runtime';
import { OPS_API_SERVICE } from '@vigil/coordinator';
import { runVigil } from '../testing/run-vigil.js';
import { startVigilUp } from '../testing/vigil-up.js';

function declaration(name: string, api = ''): string {
  return `apiVersion: vigil.dev/v1alpha1
kind: AgentSystem
metadata: { name: ${name} }
trustDomain: ${name}.vigil.local
agents:
  - name: coordinator
    role: coordinates
    implementation: '@vigil/coordinator'
    resources: { memory: 256Mi }
    skills: [{ id: handle-finding }, { id: resume-incident }]
    settings: {${api}}
`;
}

test('two systems run side by side and each CLI talks to its own coordinator', async (t) => {
  const first = startVigilUp(t, declaration('first'));
  const second = startVigilUp(t, declaration('second'));
  await Promise.all([first.waitFor(/supervisor running/), second.waitFor(/supervisor running/)]);

  const a = readServiceAddress(first.stateDir, OPS_API_SERVICE);
  const b = readServiceAddress(second.stateDir, OPS_API_SERVICE);
  assert.ok(a && b, 'each coordinator publishes its API address in its state directory');
  assert.notEqual(a.url, b.url);

  // Each system has its own admin token: talking to the other system would answer 401.
  for (const up of [first, second]) {
    const run = await runVigil([
      '-f',
      up.configPath,
      '--state-dir',
      up.stateDir,
      '--json',
      'approvals',
      'list',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), []);
  }
  assert.doesNotMatch(first.output() + second.output(), /EADDRINUSE|crash loop/i);

  // A third system pinned to the first one's port: one clear error naming it, no restarts.
  const port = new URL(a.url).port;
  const third = startVigilUp(t, declaration('third', ` api: { port: ${port} } `));
  await third.waitFor(/not restarted/);
  assert.match(third.output(), new RegExp(`port ${port} is in use`));
  assert.match(third.output(), /configuration error, not restarted/);
});
