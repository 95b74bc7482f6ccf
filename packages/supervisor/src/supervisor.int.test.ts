/**
 * The supervisor with real agent processes (the echo agent), real certificates and
 * mutual TLS on loopback. The test itself calls agents as one of the declared agents
 * (with that agent's certificate), exactly as a peer would.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { connect } from 'node:tls';
import {
  SqliteAuditStore,
  computeComplianceMetrics,
  sqliteAuditPath,
  verifyAudit,
  type AuditEntry,
} from '@vigil/audit';
import { createLogger, isVigilError } from '@vigil/core';
import { startOtlpReceiver } from '@vigil/telemetry';
import { loadAgentCredentialsSync, pkiPaths } from '@vigil/pki';
import { loadAgentSystem, spiffeIdOf, type AgentSystem } from '@vigil/registry';
import { createAgentClient, createFilePeerDirectory, type AgentClient } from '@vigil/transport';

/**
 * What the echo agent (agents/echo, started by name as each agent's implementation)
 * answers; declared here because the harness's tests import no agent.
 */
interface EchoOutput {
  readonly echo: unknown;
  readonly agent: string;
  readonly replica: number;
  readonly pid: number;
  readonly caller: { readonly spiffeId: string; readonly name: string };
  readonly traceId?: string;
}
import { probe } from './probe.js';
import { endpointsPath } from './status.js';
import type { ReplicaStatus, SupervisorStatus } from './status.js';
import {
  createSupervisor,
  type Supervisor,
  type SupervisorEvent,
  type SupervisorOptions,
} from './supervisor.js';
import { waitForEvent, waitForStatus } from './wait.js';

const WAIT = { timeoutMs: 90_000 };
const TEST_PROBES = {
  intervalMs: 250,
  timeoutMs: 750,
  failureThreshold: 3,
  startTimeoutMs: 90_000,
  readyPollMs: 100,
};
const quiet = createLogger('test', { level: 'silent' });

interface AgentDecl {
  calls?: string[];
  skills?: string[];
  settings?: Record<string, unknown>;
  restartPolicy?: Record<string, unknown>;
  memory?: string;
}

function yamlOf(name: string, agents: Record<string, AgentDecl>): string {
  const lines = [
    'apiVersion: vigil.dev/v1alpha1',
    'kind: AgentSystem',
    `metadata: { name: ${name} }`,
    'trustDomain: test.vigil.local',
    'agents:',
  ];
  for (const [agent, d] of Object.entries(agents)) {
    lines.push(
      `  - name: ${agent}`,
      '    role: test agent',
      "    implementation: '@vigil/echo'",
      `    resources: { memory: ${d.memory ?? '256Mi'} }`,
      `    skills: ${JSON.stringify((d.skills ?? ['echo']).map((id) => ({ id, description: id })))}`,
      `    calls: ${JSON.stringify(d.calls ?? [])}`,
      `    restartPolicy: ${JSON.stringify({ initialBackoffMs: 200, maxBackoffMs: 1_000, ...(d.restartPolicy ?? {}) })}`,
      `    settings: ${JSON.stringify(d.settings ?? {})}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

interface Running {
  supervisor: Supervisor;
  system: AgentSystem;
  dir: string;
  stateDir: string;
  events: SupervisorEvent[];
  /** An mTLS client holding the identity of `as`. */
  clientAs(as: string): AgentClient;
}

async function runSystem(
  t: TestContext,
  agents: Record<string, AgentDecl>,
  start = true,
  overrides: Partial<SupervisorOptions> = {},
): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sup-'));
  const configPath = join(dir, 'vigil.yaml');
  writeFileSync(configPath, yamlOf('sup-test', agents));
  const system = await loadAgentSystem(configPath);
  const stateDir = join(dir, 'state');
  const supervisor = createSupervisor({
    system,
    configPath,
    stateDir,
    logger: quiet,
    probes: TEST_PROBES,
    shutdownTimeoutMs: 20_000,
    drainTimeoutMs: 15_000,
    ...overrides,
  });
  const events: SupervisorEvent[] = [];
  supervisor.on('event', (e) => events.push(e));
  const clients: AgentClient[] = [];
  t.after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await supervisor.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  if (start) await supervisor.start();
  return {
    supervisor,
    system,
    dir,
    stateDir,
    events,
    clientAs(as) {
      const client = createAgentClient({
        system,
        selfName: as,
        credentials: () => loadAgentCredentialsSync(stateDir, as),
        peers: createFilePeerDirectory(endpointsPath(stateDir)),
        logger: quiet,
        deadlineMs: 20_000,
        breaker: { failureThreshold: 1_000, resetTimeoutMs: 100 },
      });
      clients.push(client);
      return client;
    },
  };
}

function replica(status: SupervisorStatus, agent: string, index = 0): ReplicaStatus {
  const r = status.agents.find((a) => a.name === agent)?.replicas[index];
  assert.ok(r, `no replica ${agent}[${index}] in status`);
  return r;
}

test('every agent runs as its own process, callees are ready before their callers start', async (t) => {
  const { supervisor, events } = await runSystem(t, {
    front: { calls: ['back'], skills: ['relay', 'echo'] },
    back: {},
  });
  const status = supervisor.status();
  const front = replica(status, 'front');
  const back = replica(status, 'back');
  assert.equal(front.state, 'ready');
  assert.equal(back.state, 'ready');
  assert.ok(
    front.pid !== null && back.pid !== null && front.pid !== back.pid && front.pid !== process.pid,
  );
  const backReady = events.findIndex(
    (e) => e.type === 'state' && e.agent === 'back' && e.to === 'ready',
  );
  const frontSpawned = events.findIndex((e) => e.type === 'spawned' && e.agent === 'front');
  assert.ok(
    backReady >= 0 && backReady < frontSpawned,
    'back must be ready before front is spawned',
  );
  // One relay through the mTLS hop, operator-initiated over IPC.
  const result = await supervisor.invoke('front', 'relay', { message: 'hi' });
  const output = result.output as { to: string; reply: EchoOutput };
  assert.equal(output.to, 'back');
  assert.equal(output.reply.caller.spiffeId, 'spiffe://test.vigil.local/agent/front');
  assert.equal(output.reply.pid, back.pid);
  assert.equal(
    output.reply.traceId,
    result.traceId,
    'the callee runs in the trace of the invocation',
  );
});

test('kill -9 of one agent: the supervisor restarts it with back-off and its peers keep serving', async (t) => {
  const run = await runSystem(t, { front: { calls: ['back', 'other'] }, back: {}, other: {} });
  const { supervisor } = run;
  const client = run.clientAs('front');
  const oldPid = replica(supervisor.status(), 'back').pid as number;
  const otherPid = replica(supervisor.status(), 'other').pid;

  const exited = waitForEvent(supervisor, (e) => e.type === 'exited' && e.agent === 'back', WAIT);
  const scheduled = waitForEvent(
    supervisor,
    (e) => e.type === 'restart-scheduled' && e.agent === 'back',
    WAIT,
  );
  process.kill(oldPid, 'SIGKILL');
  const exit = await exited;
  assert.equal(exit.type === 'exited' && exit.signal, 'SIGKILL');
  const restart = await scheduled;
  assert.ok(
    restart.type === 'restart-scheduled' && restart.delayMs >= 100,
    'restart waits the back-off',
  );

  // The peer keeps serving while back is down or restarting.
  const reply = await client.callSkill<EchoOutput>('other', 'echo', { n: 1 });
  assert.equal(reply.agent, 'other');
  assert.equal(reply.pid, otherPid);

  const status = await waitForStatus(
    supervisor,
    (s) => replica(s, 'back').state === 'ready' && replica(s, 'back').pid !== oldPid,
    { ...WAIT, what: 'back ready again' },
  );
  assert.equal(replica(status, 'back').restarts, 1);
  assert.equal(replica(status, 'back').lastExit?.signal, 'SIGKILL');
  assert.equal(replica(status, 'other').restarts, 0);
  const again = await client.callSkill<EchoOutput>('back', 'echo', { n: 2 }, { idempotent: true });
  assert.equal(again.pid, replica(status, 'back').pid);
});

test('a killed agent leaves started, exited, restart-scheduled and started entries in the supervisor chain, which verifies', async (t) => {
  const since = new Date();
  const { supervisor, system, stateDir } = await runSystem(t, { back: {} });
  const firstPid = replica(supervisor.status(), 'back').pid!;

  process.kill(firstPid, 'SIGKILL');
  await waitForStatus(
    supervisor,
    (s) => {
      const r = replica(s, 'back');
      return r.state === 'ready' && r.pid !== null && r.pid !== firstPid;
    },
    { ...WAIT, what: 'back ready again' },
  );
  const secondPid = replica(supervisor.status(), 'back').pid!;
  await supervisor.stop();

  const store = new SqliteAuditStore(sqliteAuditPath(stateDir));
  t.after(() => store.close());
  const entries: AuditEntry[] = [];
  for await (const e of store.query()) entries.push(e);
  const supervisorId = 'spiffe://test.vigil.local/supervisor';
  assert.ok(
    entries.every((e) => e.kind === 'agent-lifecycle' && e.actor === supervisorId),
    'every entry is a lifecycle entry written by the supervisor identity',
  );
  const events = entries.map((e) => `${String(e.what['event'])}:${String(e.what['pid'])}`);
  assert.deepEqual(events, [
    `started:${firstPid}`,
    `ready:${firstPid}`,
    `exited:${firstPid}`,
    `restart-scheduled:null`,
    `started:${secondPid}`,
    `ready:${secondPid}`,
    `stopping:${secondPid}`,
    `stopped:${secondPid}`,
  ]);
  const exited = entries[2]!;
  assert.equal(exited.what['signal'], 'SIGKILL');
  assert.equal(exited.what['agent'], 'back');
  assert.equal(exited.what['agentSpiffeId'], spiffeIdOf(system, 'back'));
  assert.ok(Number(entries[3]!.what['delayMs']) >= 100, 'the back-off is recorded');
  assert.match(String(entries[3]!.why['rationale']), /restart policy always: killed by SIGKILL/);

  const report = await verifyAudit(store, {
    caPem: readFileSync(pkiPaths(stateDir).caCert, 'utf8'),
  });
  assert.equal(report.ok, true, JSON.stringify(report.firstProblem));
  assert.equal(report.chains.length, 1);
  assert.equal(report.chains[0]!.closed, true, 'the chain ends with a final signed checkpoint');

  const metrics = await computeComplianceMetrics(store, {
    agents: system.agents,
    spiffeIdOf: (name) => spiffeIdOf(system, name),
    since,
    until: new Date(Date.now() + 1000),
  });
  assert.equal(metrics.fiveSignal.agents[0]!.signals.health, true, 'the health signal is observed');
});

test('one invocation exports spans from both agent processes over OTLP/HTTP: one trace id, caller and callee spans linked', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  // The two-agent example's shape: front relays to back over mTLS A2A.
  const { supervisor, system } = await runSystem(
    t,
    { front: { calls: ['back'], skills: ['relay', 'echo'] }, back: {} },
    true,
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } },
  );
  const result = await supervisor.invoke('front', 'relay', { message: 'traced' });
  // Draining agents export their buffered spans before they exit.
  await supervisor.stop();

  const spans = receiver.spans.filter((s) => s.traceId === result.traceId);
  const named = (name: string) => {
    const span = spans.find((s) => s.name === name);
    assert.ok(span, `no span "${name}" in ${spans.map((s) => s.name).join(', ')}`);
    return span;
  };
  const invoke = named('invoke relay');
  const call = named('a2a.call back/echo');
  const serve = named('a2a.serve echo');
  assert.equal(invoke.parentSpanId, '', 'the operator invocation is the root');
  assert.equal(call.parentSpanId, invoke.spanId);
  assert.equal(serve.parentSpanId, call.spanId, 'the callee continues the caller span');
  assert.equal(call.kind, 3, 'client');
  assert.equal(serve.kind, 2, 'server');
  for (const [span, agent] of [
    [invoke, 'front'],
    [call, 'front'],
    [serve, 'back'],
  ] as const) {
    assert.equal(span.resource['service.name'], agent);
    assert.equal(span.resource['service.instance.id'], `${agent}-0`);
    assert.equal(span.resource['vigil.spiffe_id'], spiffeIdOf(system, agent));
  }
});

test('a busy-looping agent: callers time out at their deadline, unrelated calls are unaffected, liveness restarts it', async (t) => {
  const run = await runSystem(t, {
    front: { calls: ['stuck', 'other'] },
    stuck: { settings: { testHooks: { busyLoopOnSkill: 'echo' } } },
    other: {},
  });
  const { supervisor } = run;
  const client = run.clientAs('front');
  const stuckPid = replica(supervisor.status(), 'stuck').pid as number;
  const killed = waitForEvent(supervisor, (e) => e.type === 'exited' && e.agent === 'stuck', WAIT);

  const stuckCall = client.callSkill('stuck', 'echo', { spin: true }, { deadlineMs: 2_000 });
  const unrelated = client.callSkill<EchoOutput>('other', 'echo', { fine: true });
  await assert.rejects(stuckCall, (e: unknown) =>
    isVigilError(e, 'VIGIL_TRANSPORT_DEADLINE_EXCEEDED'),
  );
  assert.equal((await unrelated).agent, 'other');

  const exit = await killed;
  assert.ok(exit.type === 'exited');
  assert.equal(exit.pid, stuckPid);
  assert.equal(exit.error?.code, 'VIGIL_SUPERVISOR_LIVENESS_FAILED');
  const status = await waitForStatus(
    supervisor,
    (s) => replica(s, 'stuck').state === 'ready' && replica(s, 'stuck').pid !== stuckPid,
    { ...WAIT, what: 'stuck restarted' },
  );
  assert.equal(replica(status, 'stuck').lastError?.code, 'VIGIL_SUPERVISOR_LIVENESS_FAILED');
  assert.equal(replica(status, 'other').restarts, 0);
  assert.equal(replica(status, 'front').restarts, 0);
});

test('an agent in a crash loop is marked failed and not restarted; its callers still start and serve', async (t) => {
  const run = await runSystem(t, {
    caller: { calls: ['broken'], skills: ['relay', 'echo'] },
    misconfigured: { settings: { relayDeadlineMs: 'soon' } },
    broken: {
      settings: { testHooks: { failStart: true } },
      restartPolicy: {
        initialBackoffMs: 50,
        maxBackoffMs: 200,
        crashLoop: { restarts: 2, windowSeconds: 600 },
      },
    },
  });
  const { supervisor } = run;
  const status = supervisor.status();
  const broken = replica(status, 'broken');
  assert.equal(broken.state, 'failed');
  assert.equal(broken.pid, null);
  assert.equal(broken.restarts, 2);
  assert.equal(broken.lastError?.code, 'VIGIL_SUPERVISOR_CRASH_LOOP');
  assert.match(broken.lastError?.message ?? '', /VIGIL_RUNTIME_START_FAILED|refusing to start/);
  assert.equal(replica(status, 'caller').state, 'ready');
  // A configuration error is not retried at all: restarting cannot fix it.
  const misconfigured = replica(status, 'misconfigured');
  assert.equal(misconfigured.state, 'failed');
  assert.equal(misconfigured.restarts, 0);
  assert.match(
    misconfigured.lastError?.message ?? '',
    /agents\.misconfigured\.settings\.relayDeadlineMs/,
  );
  // The failed agent stays failed: no spawn after it was marked.
  const spawnsBefore = run.events.filter(
    (e) => e.type === 'spawned' && e.agent === 'broken',
  ).length;
  assert.equal(spawnsBefore, 3);
  // The caller serves; its call to the failed agent fails fast with a transport error.
  const out = await supervisor.invoke('caller', 'echo', { alive: true });
  assert.equal((out.output as EchoOutput).agent, 'caller');
  await assert.rejects(
    supervisor.invoke('caller', 'relay', {}, { deadlineMs: 3_000 }),
    (e: unknown) => isVigilError(e),
  );
});

test('graceful shutdown drains an in-flight call before the agent exits', async (t) => {
  const dirForRelease = mkdtempSync(join(tmpdir(), 'vigil-release-'));
  t.after(() => rmSync(dirForRelease, { recursive: true, force: true }));
  const release = join(dirForRelease, 'release');
  const run = await runSystem(t, {
    front: { calls: ['back'] },
    back: { settings: { testHooks: { holdEchoUntilFile: release } } },
  });
  const { supervisor } = run;
  const client = run.clientAs('front');
  const back = replica(supervisor.status(), 'back');
  const call = client.callSkill<EchoOutput>('back', 'echo', { held: true }, { deadlineMs: 60_000 });

  // Bounded wait until the call is in flight inside back.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await probe(`http://127.0.0.1:${back.healthPort}/readyz`, 1_000);
    if (r.ok && (r.body as { inFlight?: number }).inFlight === 1) break;
    assert.ok(Date.now() < deadline, 'the held call never reached back');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const draining = waitForEvent(
    supervisor,
    (e) => e.type === 'state' && e.agent === 'back' && e.to === 'unready',
    WAIT,
  );
  const stopping = supervisor.stop();
  await draining; // back got SIGTERM and is draining, with the call still held
  assert.equal(
    replica(supervisor.status(), 'back').pid,
    back.pid,
    'back is still running while draining',
  );
  writeFileSync(release, '');
  const reply = await call;
  assert.equal(reply.agent, 'back');
  await stopping;
  const final = replica(supervisor.status(), 'back');
  assert.equal(final.state, 'stopped');
  assert.equal(final.lastExit?.code, 0, 'drained and exited cleanly, not killed');
  assert.equal(final.lastExit?.signal, null);
});

test('certificate rotation over IPC reloads the credentials without restarting the agent', async (t) => {
  const run = await runSystem(t, { front: { calls: ['back'] }, back: {} });
  const { supervisor, stateDir } = run;
  const client = run.clientAs('front');
  const before = replica(supervisor.status(), 'back');
  assert.ok(before.certificate);

  const reloaded = await supervisor.rotateCredentials({ force: ['back'] });
  const entry = reloaded.find((r) => r.agent === 'back');
  assert.ok(entry, 'back reloaded');
  assert.notEqual(entry.certificate.fingerprintSha256, before.certificate.fingerprintSha256);
  const after = replica(supervisor.status(), 'back');
  assert.equal(after.pid, before.pid, 'same process');
  assert.equal(after.restarts, 0);
  assert.equal(after.certificate?.fingerprintSha256, entry.certificate.fingerprintSha256);

  // A new TLS connection is served with the new certificate.
  const creds = loadAgentCredentialsSync(stateDir, 'front');
  const served = await new Promise<string>((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port: after.port,
        cert: creds.cert,
        key: creds.key,
        ca: creds.ca,
        servername: 'localhost',
        checkServerIdentity: () => undefined,
      },
      () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.end();
      },
    );
    socket.on('error', reject);
  });
  assert.equal(served, entry.certificate.fingerprintSha256);
  const reply = await client.callSkill<EchoOutput>('back', 'echo', { after: 'rotation' });
  assert.equal(reply.pid, before.pid);
});

test('a hung call costs its caller the deadline only: the agent stays up and serves its other skills', async (t) => {
  const run = await runSystem(t, {
    front: { calls: ['hung'] },
    hung: {
      calls: ['other'],
      skills: ['echo', 'relay'],
      settings: { testHooks: { hangOnSkill: 'echo' } },
    },
    other: {},
  });
  const { supervisor } = run;
  const client = run.clientAs('front');
  const before = replica(supervisor.status(), 'hung');
  await assert.rejects(client.callSkill('hung', 'echo', {}, { deadlineMs: 1_500 }), (e: unknown) =>
    isVigilError(e, 'VIGIL_TRANSPORT_DEADLINE_EXCEEDED'),
  );
  const relayed = await client.callSkill<{ reply: EchoOutput }>('hung', 'relay', {
    message: 'still here',
  });
  assert.equal(relayed.reply.agent, 'other');
  const after = replica(supervisor.status(), 'hung');
  assert.equal(after.pid, before.pid);
  assert.equal(after.restarts, 0);
  assert.equal(after.state, 'ready');
});

test('the V8 heap limit derived from resources.memory stops a leaking agent, which is restarted', async (t) => {
  const run = await runSystem(t, {
    front: { calls: ['leaky'] },
    leaky: { settings: { testHooks: { leakOnSkill: 'echo' } } },
  });
  const { supervisor, stateDir } = run;
  const client = run.clientAs('front');
  const before = replica(supervisor.status(), 'leaky');
  const exited = waitForEvent(supervisor, (e) => e.type === 'exited' && e.agent === 'leaky', WAIT);
  await assert.rejects(
    client.callSkill('leaky', 'echo', {}, { deadlineMs: 60_000 }),
    (e: unknown) => isVigilError(e),
  );
  const exit = await exited;
  assert.ok(
    exit.type === 'exited' && (exit.signal !== null || exit.code !== 0),
    'the process died',
  );
  const log = readFileSync(join(stateDir, 'logs', 'leaky-0.log'), 'utf8');
  assert.match(log, /heap limit|JavaScript heap out of memory/, 'V8 reports the heap limit');
  assert.match(log, /--max-old-space-size=192/);
  const status = await waitForStatus(
    supervisor,
    (s) => replica(s, 'leaky').state === 'ready' && replica(s, 'leaky').pid !== before.pid,
    { ...WAIT, what: 'leaky restarted' },
  );
  assert.equal(replica(status, 'leaky').restarts, 1);
});

test('the kernel data limit (RLIMIT_DATA via prlimit) refuses an off-heap allocation beyond it; the agent lives on', async (t) => {
  const run = await runSystem(
    t,
    {
      front: { calls: ['hog'] },
      hog: { memory: '128Mi', settings: { testHooks: { allocateOnSkill: 'echo' } } },
    },
    true,
    { memory: { rssWatchdog: 'off' } },
  );
  const { supervisor } = run;
  const client = run.clientAs('front');
  const before = replica(supervisor.status(), 'hog');
  const spawned = run.events.find((e) => e.type === 'spawned' && e.agent === 'hog');
  assert.ok(spawned?.type === 'spawned');
  assert.equal(
    spawned.memory.rlimitDataBytes,
    512 * 1024 * 1024,
    'prlimit must be available (util-linux)',
  );
  await assert.rejects(
    client.callSkill('hog', 'echo', { allocateMiB: 768 }, { deadlineMs: 60_000 }),
    (e: unknown) => isVigilError(e) && /cannot allocate 768 MiB/.test(e.message),
  );
  const small = await client.callSkill<EchoOutput>(
    'hog',
    'echo',
    { allocateMiB: 64 },
    { deadlineMs: 60_000 },
  );
  assert.equal(small.pid, before.pid);
  assert.equal(replica(supervisor.status(), 'hog').restarts, 0);
});

test('with the watchdog in kill mode, an agent whose resident set exceeds resources.memory is killed and restarted', async (t) => {
  const run = await runSystem(
    t,
    { front: { calls: ['hog'] }, hog: { settings: { testHooks: { allocateOnSkill: 'echo' } } } },
    true,
    {
      // Only the resident-set watchdog is under test: the default data rlimit (512 MiB)
      // refuses the 320 MiB allocation when the process already maps ~200 MiB, and
      // touching 320 MiB can stall the hog's event loop past a probe deadline on a loaded
      // machine, so neither may stop the hog first.
      memory: { rssWatchdog: 'kill', rlimitFloorBytes: 2048 * 1024 * 1024 },
      probes: { ...TEST_PROBES, failureThreshold: 1_000 },
    },
  );
  const { supervisor } = run;
  const client = run.clientAs('front');
  const before = replica(supervisor.status(), 'hog');
  const over = waitForEvent(
    supervisor,
    (e) => e.type === 'memory-over-limit' && e.agent === 'hog',
    WAIT,
  );
  const exited = waitForEvent(supervisor, (e) => e.type === 'exited' && e.agent === 'hog', WAIT);
  const call = client
    .callSkill('hog', 'echo', { allocateMiB: 320, hold: true }, { deadlineMs: 120_000 })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  const warning = await Promise.race([
    over,
    call.then((ended) =>
      assert.fail(`the hog's call ended before the watchdog fired: ${String(ended)}`),
    ),
  ]);
  assert.ok(warning.type === 'memory-over-limit' && warning.action === 'kill');
  assert.ok(warning.rssBytes > warning.limitBytes);
  const exit = await exited;
  assert.ok(exit.type === 'exited');
  assert.equal(exit.error?.code, 'VIGIL_SUPERVISOR_MEMORY_EXCEEDED');
  assert.equal(exit.signal, 'SIGKILL');
  assert.ok(isVigilError(await call), 'the held call failed with its process');
  const status = await waitForStatus(
    supervisor,
    (s) => replica(s, 'hog').state === 'ready' && replica(s, 'hog').pid !== before.pid,
    { ...WAIT, what: 'hog restarted' },
  );
  assert.equal(replica(status, 'hog').lastError?.code, 'VIGIL_SUPERVISOR_MEMORY_EXCEEDED');
});

test('certificates due for renewal are renewed on the timer and hot-reloaded into the running agents', async (t) => {
  const run = await runSystem(t, { front: { calls: ['back'] }, back: {} }, true, {
    identities: { validityHours: 0.02, renewAfterFraction: 0.05 },
    rotationCheckIntervalMs: 500,
  });
  const { supervisor } = run;
  const before = replica(supervisor.status(), 'back');
  const event = await waitForEvent(
    supervisor,
    (e) => e.type === 'credentials-reloaded' && e.agent === 'back',
    { ...WAIT, what: 'a timed renewal of back' },
  );
  assert.ok(event.type === 'credentials-reloaded');
  assert.equal(event.pid, before.pid);
  assert.notEqual(event.certificate.fingerprintSha256, before.certificate?.fingerprintSha256);
  assert.equal(replica(supervisor.status(), 'back').restarts, 0);
  const reply = await run
    .clientAs('front')
    .callSkill<EchoOutput>('back', 'echo', { renewed: true });
  assert.equal(reply.pid, before.pid);
});
