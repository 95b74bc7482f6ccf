/**
 * Detector replicas as a user runs them: `vigil up` with `replicas: 2` of the real
 * detector on one durable consumer of a real nats-server's JetStream, findings handed to
 * a JetStream stream deduplicated by finding id, relayed to a recording stand-in
 * coordinator (`@vigil/detector/testing`). A backlog of events is published, one replica
 * is killed with SIGKILL mid-stream, and every event must come to exactly its findings,
 * once.
 *
 * The findings of a stream are known in advance only where they do not depend on what a
 * replica saw before (rates, the novelty gate learn per process): the model here is a
 * foreign one (`estateHistory: false`) and the events span two hours, so the forest waits
 * for the gate's warm-up and the rule tier alone pages — a pure function of each event.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { RetentionPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  contextOf,
  loadRuleSet,
  normaliseEvent,
  saveModel,
  trainModel,
  type IngestStats,
} from '@vigil/detector';
import { generateScenario } from '@vigil/soc-scenario';
import { recordedFindingsPath, type RecordedFinding } from '@vigil/detector/testing';
import { readSupervisorStatus } from '@vigil/supervisor';
import { startNats } from '@vigil/testkit';
import { startVigilUp, type VigilUp } from '../testing/vigil-up.js';

const EVENTS = 'VIGIL_EVENTS';
const FINDINGS = 'VIGIL_FINDINGS';
const ACK_WAIT_MS = 2000;
const BATCH = 64;

function declaration(natsUrl: string, modelPath: string, replicas: number): string {
  const settings = {
    model: modelPath,
    nats: {
      servers: [natsUrl],
      stream: EVENTS,
      durable: 'detector',
      ackWaitMs: ACK_WAIT_MS,
      // Pulled-ahead messages wait out their ack wait in the buffer: few, on a loaded machine.
      batch: BATCH,
      findings: { stream: FINDINGS, subject: 'vigil.findings', ackWaitMs: ACK_WAIT_MS },
    },
  };
  return `apiVersion: vigil.dev/v1alpha1
kind: AgentSystem
metadata: { name: detector-replicas }
trustDomain: test.vigil.local
agents:
  - name: detector
    role: Anomaly detection
    implementation: '@vigil/detector'
    skills: [{ id: ingest-events }]
    replicas: ${replicas}
    resources: { memory: 256Mi }
    # A killed replica stays down: its unacknowledged events must reach the other one.
    restartPolicy: { policy: never }
    calls: [coordinator]
    settings: ${JSON.stringify(settings)}
  - name: coordinator
    role: Records findings
    implementation: '@vigil/detector/testing'
    skills: [{ id: handle-finding }]
`;
}

interface ReplicaView {
  readonly index: number;
  readonly pid: number;
  readonly model: string;
  readonly intake: IngestStats;
}

async function replicas(up: VigilUp): Promise<ReplicaView[]> {
  const agent = readSupervisorStatus(up.stateDir).status.agents.find((a) => a.name === 'detector');
  const out: ReplicaView[] = [];
  for (const r of agent?.replicas ?? []) {
    if (r.state !== 'ready' || r.pid === null) continue;
    const res = await fetch(`http://127.0.0.1:${r.healthPort}/readyz`).catch(() => undefined);
    if (res === undefined) continue;
    const body = (await res.json()) as {
      agentStatus?: { model: string; intake: Record<string, IngestStats> };
    };
    const intake = body.agentStatus?.intake['nats'];
    if (body.agentStatus === undefined || intake === undefined) continue;
    out.push({ index: r.replica, pid: r.pid, model: body.agentStatus.model, intake });
  }
  return out;
}

/** Polls `probe` (external processes: nothing to wait on but their state) until it answers. */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  state: () => Promise<string>,
  ms = 180_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${await state()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function recorded(up: VigilUp): RecordedFinding[] {
  const path = recordedFindingsPath(up.stateDir);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as RecordedFinding);
}

async function streamOfEvents(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-detector-replicas-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const train = generateScenario({ seed: 101, events: 6000, minutes: 2880 });
  const baseline = train.lines
    .map((l) => normaliseEvent(JSON.parse(l)))
    .flatMap((r, i) => (r.ok && train.labels[i]?.attack === null ? [r.event] : []));
  const { model } = trainModel(baseline, { seed: 1, estateHistory: false });
  const modelPath = join(dir, 'model.json');
  await saveModel(model, modelPath);
  const rules = loadRuleSet();
  const context = contextOf(model.encoder.addresses);
  const stream = generateScenario({ seed: 7, events: 20_000, minutes: 120 });
  const expected = new Set<string>();
  for (const line of stream.lines) {
    const n = normaliseEvent(JSON.parse(line));
    assert.ok(n.ok);
    if (rules.evaluate(n.event, context).alert) expected.add(`finding-${n.event.id}`);
  }
  return { modelPath, modelId: model.id, lines: stream.lines, expected };
}

test('two detector replicas on one durable JetStream consumer: kill -9 of one mid-stream loses no event and duplicates no finding', async (t) => {
  const nats = await startNats(t);
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  // Work-queue retention: a message leaves the stream once a replica acknowledged it.
  await jsm.streams.add({
    name: EVENTS,
    subjects: ['events.>'],
    retention: RetentionPolicy.Workqueue,
  });
  const { modelPath, modelId, lines, expected } = await streamOfEvents(t);
  assert.ok(expected.size > 50, `the stream raises findings (${expected.size})`);
  // The backlog is there before the replicas start: the one killed holds pulled,
  // unacknowledged events at that moment.
  const js = jetstream(nc);
  for (let i = 0; i < lines.length; i += 500)
    await Promise.all(lines.slice(i, i + 500).map((l) => js.publish('events.k8s', l)));

  const up = startVigilUp(t, declaration(nats.url, modelPath, 2));
  const state = async (): Promise<string> => {
    const c = await jsm.consumers.info(EVENTS, 'detector').catch(() => undefined);
    const f = await jsm.streams.info(FINDINGS).catch(() => undefined);
    const logs = ['detector-0', 'detector-1', 'coordinator-0'].map((name) => {
      const path = join(up.stateDir, 'logs', `${name}.log`);
      return existsSync(path) ? `--- ${name}\n${readFileSync(path, 'utf8').slice(-4000)}` : '';
    });
    return [
      JSON.stringify({
        events: c && { pending: c.num_pending, ackPending: c.num_ack_pending },
        findings: f?.state,
        recorded: recorded(up).length,
        replicas: await replicas(up),
      }),
      ...logs,
    ].join('\n');
  };
  await up.waitFor(/supervisor running/, 240_000);
  const both = await until(
    'both replicas report',
    async () => {
      const r = await replicas(up);
      return r.length === 2 ? r : undefined;
    },
    state,
  );
  assert.deepEqual(
    both.map((r) => r.model),
    [modelId, modelId],
    'both replicas score with one model version',
  );

  const victim = await until(
    'replica 1 mid-stream',
    async () => {
      const r = (await replicas(up)).find((x) => x.index === 1);
      return r !== undefined && r.intake.processed >= 1500 ? r : undefined;
    },
    state,
  );
  const before = await jsm.consumers.info(EVENTS, 'detector');
  process.kill(victim.pid, 'SIGKILL');
  const killedAt = Date.now();
  assert.ok(before.num_pending > 0, 'killed mid-stream: events were still waiting');

  await until(
    'the survivor took the killed replica’s events',
    async () => {
      const r = (await replicas(up)).find((x) => x.index === 0);
      return r !== undefined && r.intake.redelivered > 0 ? r : undefined;
    },
    state,
  );
  await until(
    'every event acknowledged',
    async () => {
      const c = await jsm.consumers.info(EVENTS, 'detector');
      return c.num_pending === 0 && c.num_ack_pending === 0 ? c : undefined;
    },
    state,
  );
  const drainedAfterMs = Date.now() - killedAt;
  await until(
    'every finding relayed',
    async () => {
      const s = await jsm.streams.info(FINDINGS);
      return s.state.messages === 0 &&
        new Set(recorded(up).map((f) => f.findingId)).size >= expected.size
        ? s
        : undefined;
    },
    state,
  );

  const events = await jsm.streams.info(EVENTS);
  assert.equal(events.state.messages, 0, 'no event left unacknowledged in the work queue');
  const findings = await jsm.streams.info(FINDINGS);
  assert.equal(
    findings.state.last_seq,
    expected.size,
    'the findings stream stored each finding once: republished ones were dropped as duplicates',
  );
  const calls = recorded(up);
  const ids = calls.map((f) => f.findingId);
  assert.deepEqual(new Set(ids), expected, 'every event came to exactly its findings');
  // The relay acknowledges after the coordinator answered, one finding at a time: a kill
  // between the two repeats at most that one, which the coordinator answers `duplicate`.
  assert.ok(ids.length - expected.size <= 1, `${ids.length - expected.size} repeated calls`);
  assert.ok(calls.every((f) => f.modelVersion === modelId));
  // Replica 1 never came back (restart policy never): the events it held unacknowledged
  // when killed were acknowledged above, so by replica 0.
  const detector = readSupervisorStatus(up.stateDir).status.agents.find(
    (a) => a.name === 'detector',
  );
  assert.ok(
    ['failed', 'stopped'].includes(detector?.replicas[1]?.state ?? ''),
    `the killed replica stayed down (${detector?.replicas[1]?.state})`,
  );
  const final = (await replicas(up)).find((x) => x.index === 0);
  assert.equal(final?.intake.rejected, 0);
  assert.ok(
    !existsSync(join(up.stateDir, 'detector', 'dead-letter.0.ndjson')) ||
      readFileSync(join(up.stateDir, 'detector', 'dead-letter.0.ndjson'), 'utf8') === '',
  );
  t.diagnostic(
    `events ${lines.length}, findings ${expected.size}; replica 1 killed after ${victim.intake.processed} events with ${before.num_pending} not yet delivered; every event acknowledged ${drainedAfterMs} ms after the kill (ack wait ${ACK_WAIT_MS} ms); survivor's redeliveries ${final?.intake.redelivered} (the killed replica's, at most ${BATCH}, and its own that waited out the ack wait in its buffer); repeated coordinator calls ${ids.length - expected.size}`,
  );
});
