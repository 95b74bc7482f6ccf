/**
 * `vigil up` and `vigil status` as a user runs them: the real CLI in a child process,
 * real agent processes, real mTLS.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { isProcessAlive, type SupervisorStatus } from '@vigil/supervisor';
import { startVigilUp, type VigilUp } from '../testing/vigil-up.js';

const VIGIL = fileURLToPath(new URL('../../bin/vigil.mjs', import.meta.url));
const YAML = `apiVersion: vigil.dev/v1alpha1
kind: AgentSystem
metadata: { name: cli-up }
trustDomain: cli.vigil.local
agents:
  - name: front
    role: relays
    implementation: '@vigil/echo'
    resources: { memory: 256Mi }
    skills: [{ id: relay }, { id: echo }]
    calls: [back]
  - name: back
    role: echoes
    implementation: '@vigil/echo'
    resources: { memory: 256Mi }
    skills: [{ id: echo }]
`;

function startUp(t: TestContext, args: string[], yaml = YAML): VigilUp {
  return startVigilUp(t, yaml, args);
}

function status(stateDir: string): {
  code: number | null;
  json: { supervisorAlive: boolean } & SupervisorStatus;
} {
  const r = spawnSync(process.execPath, [VIGIL, '--state-dir', stateDir, '--json', 'status'], {
    encoding: 'utf8',
  });
  return {
    code: r.status,
    json: JSON.parse(r.stdout) as { supervisorAlive: boolean } & SupervisorStatus,
  };
}

async function waitDead(pids: number[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isProcessAlive)) {
    assert.ok(
      Date.now() < deadline,
      `processes still alive: ${pids.filter(isProcessAlive).join(', ')}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('vigil up --demo relays over mTLS, vigil status reports it, Ctrl-C stops every agent and exits 0', async (t) => {
  const up = startUp(t, ['--demo']);
  await up.waitFor(/demo: done/);
  assert.match(
    up.output(),
    /demo: front → back \(mTLS, caller seen as spiffe:\/\/cli\.vigil\.local\/agent\/front\)/,
  );
  assert.match(up.output(), /\(same trace\)/);
  const s = status(up.stateDir);
  assert.equal(s.code, 0);
  assert.equal(s.json.supervisorAlive, true);
  const pids = s.json.agents.flatMap((a) => a.replicas.map((r) => r.pid as number));
  assert.equal(pids.length, 2);
  assert.ok(s.json.agents.every((a) => a.replicas.every((r) => r.state === 'ready')));

  up.child.kill('SIGINT');
  assert.equal(await up.exited, 0);
  assert.match(up.output(), /all agents stopped/);
  await waitDead(pids);
  const after = status(up.stateDir);
  assert.equal(after.code, 1, 'status exits 1 once no supervisor runs');
  assert.ok(after.json.agents.every((a) => a.replicas.every((r) => r.state === 'stopped')));
});

/** The commands (`comm`) of the processes whose parent is `pid` (Linux /proc). */
function childCommands(pid: number): string[] {
  const commands: string[] = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) commands.push(readFileSync(`/proc/${entry}/comm`, 'utf8').trim());
    } catch {
      // The process exited while we read it.
    }
  }
  return commands;
}

test('the esbuild service that compiles the agents does not outlive the build', async (t) => {
  const up = startUp(t, []);
  await up.waitFor(/supervisor running/);
  const children = childCommands(up.child.pid!);
  assert.ok(children.length >= 2, `the agents are children of vigil up: ${children.join(', ')}`);
  assert.deepEqual(
    children.filter((command) => /esbuild/.test(command)),
    [],
  );
});

test('agents do not outlive a supervisor killed with SIGKILL', async (t) => {
  const up = startUp(t, []);
  await up.waitFor(/supervisor running/);
  const pids = status(up.stateDir).json.agents.flatMap((a) =>
    a.replicas.map((r) => r.pid as number),
  );
  up.child.kill('SIGKILL');
  await up.exited;
  await waitDead(pids);
  assert.equal(status(up.stateDir).code, 1);
});

test('an invalid declaration starts nothing and exits 2', async (t) => {
  const up = startUp(t, [], YAML.replace('calls: [back]', 'calls: [bakc]'));
  assert.equal(await up.exited, 2);
  assert.match(up.output(), /bakc/);
  assert.equal(existsSync(join(up.stateDir, 'run', 'status.json')), false);
});
