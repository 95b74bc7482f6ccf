/**
 * `vigil up --runtime podman` as a user runs it: the real CLI in a child process, every
 * agent replica in its own container of the agent image (scripts/image/build.sh), real
 * cgroup limits, real mTLS between containers on the network the supervisor makes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { STATE_LABEL, type SupervisorStatus } from '@vigil/supervisor';
import { REPO_ROOT } from '../testing/run-vigil.js';
import { startVigilUp } from '../testing/vigil-up.js';

const VIGIL = fileURLToPath(new URL('../../bin/vigil.mjs', import.meta.url));
const YAML = `apiVersion: vigil.dev/v1alpha1
kind: AgentSystem
metadata: { name: cli-up-podman }
trustDomain: podman.vigil.local
agents:
  - name: front
    role: relays
    implementation: '@vigil/echo'
    resources: { memory: 160Mi, cpu: 300m }
    skills: [{ id: relay }, { id: echo }]
    calls: [back]
  - name: back
    role: echoes
    implementation: '@vigil/echo'
    replicas: 2
    resources: { memory: 128Mi, cpu: 200m }
    skills: [{ id: echo }]
`;

const env = {
  ...process.env,
  CONTAINERS_CONF:
    process.env['CONTAINERS_CONF'] ?? join(REPO_ROOT, '.tools/containers/containers.conf'),
};
const podman = (...args: string[]): string =>
  execFileSync('podman', args, { encoding: 'utf8', env });

function status(stateDir: string): { supervisorAlive: boolean } & SupervisorStatus {
  const r = spawnSync(process.execPath, [VIGIL, '--state-dir', stateDir, '--json', 'status'], {
    encoding: 'utf8',
  });
  return JSON.parse(r.stdout) as { supervisorAlive: boolean } & SupervisorStatus;
}

function containersOf(stateDir: string): string[] {
  const ids = status(stateDir).agents.flatMap((a) => a.replicas.map((r) => r.containerId));
  return ids.filter((id): id is string => typeof id === 'string');
}

/** Container ids still present (running or not) among `ids`. */
function present(ids: readonly string[]): string[] {
  const all = podman('ps', '-aq', '--no-trunc').split('\n');
  return ids.filter((id) => all.includes(id));
}

async function waitGone(ids: readonly string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (present(ids).length > 0) {
    assert.ok(Date.now() < deadline, `containers still present: ${present(ids).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('vigil up --runtime podman: one container per replica within its cgroup limits, read-only, no capabilities, non-root, mTLS between containers; Ctrl-C removes them', async (t) => {
  const up = startVigilUp(t, YAML, ['--runtime', 'podman', '--demo']);
  await up.waitFor(/demo: done/, 240_000);
  // The echo demo relays front → back over mTLS A2A, container to container.
  assert.match(
    up.output(),
    /demo: front → back \(mTLS, caller seen as spiffe:\/\/podman\.vigil\.local\/agent\/front\)/,
  );
  const s = status(up.stateDir);
  assert.equal(s.runtime, 'podman');
  const replicas = s.agents.flatMap((a) => a.replicas.map((r) => ({ agent: a, r })));
  assert.equal(replicas.length, 3);
  const hosts = new Set(replicas.map(({ r }) => new URL(r.url).hostname));
  assert.equal(hosts.size, 3, 'each replica has an address (network namespace) of its own');
  const ids = containersOf(up.stateDir);
  assert.equal(ids.length, 3);
  for (const { agent, r } of replicas) {
    assert.ok(r.containerId, `${agent.name}[${r.replica}] has a container`);
    const [info] = JSON.parse(podman('inspect', r.containerId)) as {
      Config: { User: string; Labels: Record<string, string> };
      HostConfig: {
        Memory: number;
        NanoCpus: number;
        ReadonlyRootfs: boolean;
        CapAdd: string[] | null;
        SecurityOpt: string[];
      };
      State: { Pid: number };
    }[];
    assert.ok(info);
    assert.equal(info.HostConfig.Memory, agent.memoryBytes, 'resources.memory is the cgroup limit');
    assert.equal(info.HostConfig.NanoCpus, agent.name === 'front' ? 300_000_000 : 200_000_000);
    assert.equal(info.HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(info.HostConfig.CapAdd ?? [], []);
    assert.ok(info.HostConfig.SecurityOpt.includes('no-new-privileges'));
    assert.equal(info.Config.User, '10001:10001');
    assert.ok(info.Config.Labels[STATE_LABEL]);
    // The kernel's own accounting, as vigil status reports it.
    const capEff = /^CapEff:\s+(\w+)$/m.exec(
      readFileSync(`/proc/${info.State.Pid}/status`, 'utf8'),
    )?.[1];
    assert.equal(capEff, '0000000000000000', 'the agent process holds no capability');
  }
  const measured = status(up.stateDir).agents.flatMap((a) =>
    a.replicas.map((r) => ({ used: r.cgroupMemoryBytes, limit: a.memoryBytes })),
  );
  for (const m of measured) {
    assert.ok(typeof m.used === 'number' && m.used > 0, 'cgroup memory is reported');
    assert.ok(m.used <= m.limit, `cgroup memory ${m.used} within ${m.limit}`);
  }
  const table = spawnSync(process.execPath, [VIGIL, '--state-dir', up.stateDir, 'status'], {
    encoding: 'utf8',
  }).stdout;
  assert.match(table, /CONTAINER .*MEM \(CGROUP\)/);
  assert.ok(table.includes(ids[0]!.slice(0, 12)), table);

  up.child.kill('SIGINT');
  assert.equal(await up.exited, 0);
  assert.match(up.output(), /all agents stopped/);
  assert.deepEqual(present(ids), [], 'every container is removed on stop');
});

test('containers do not outlive a supervisor killed with SIGKILL', async (t) => {
  const up = startVigilUp(t, YAML, ['--runtime', 'podman']);
  await up.waitFor(/supervisor running/, 240_000);
  const ids = containersOf(up.stateDir);
  assert.equal(ids.length, 3);
  up.child.kill('SIGKILL');
  await up.exited;
  // Each agent sees the supervisor's IPC channel close, drains and exits; --rm removes it.
  await waitGone(ids);
  // The network stays for the next `vigil up` of this state directory, which won't come.
  const hash = createHash('sha256').update(up.stateDir).digest('hex').slice(0, 10);
  const networks = podman('network', 'ls', '-q', '--filter', `label=${STATE_LABEL}=${hash}`);
  assert.equal(networks.trim().split('\n').filter(Boolean).length, 1);
  podman('network', 'rm', '-f', `vigil-${hash}`);
});

test('a container killed with SIGKILL is restarted by the supervisor, as a process is', async (t) => {
  const up = startVigilUp(t, YAML, ['--runtime', 'podman']);
  await up.waitFor(/supervisor running/, 240_000);
  const before = status(up.stateDir).agents.find((a) => a.name === 'front')?.replicas[0];
  assert.ok(before?.containerId);
  podman('kill', '--signal', 'KILL', before.containerId);
  await up.waitFor(/front\[0\] pid \d+ killed by SIGKILL/);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const now = status(up.stateDir).agents.find((a) => a.name === 'front')?.replicas[0];
    if (now?.state === 'ready' && now.containerId && now.containerId !== before.containerId) {
      assert.equal(now.restarts, 1);
      assert.equal(now.lastExit?.signal, 'SIGKILL');
      break;
    }
    assert.ok(Date.now() < deadline, `front not restarted: ${JSON.stringify(now)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
});
