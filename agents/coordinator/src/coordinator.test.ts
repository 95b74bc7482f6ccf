import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { isVigilError } from '@vigil/core';
import { ensureCertificateAuthority, issueUserCredentials } from '@vigil/pki';
import { signApproval } from '@vigil/policy';
import { initTelemetry, startOtlpReceiver } from '@vigil/telemetry';
import { createApprovalVerifier } from './approval-verifier.js';
import { analyseOffline } from '@vigil/analyst';
import { Coordinator, mergeAnalyses } from './coordinator.js';
import { failureNotificationFor } from './notification.js';
import { DEFAULT_CORRELATION, type CorrelationSettings } from './correlator.js';
import { IncidentStore } from './incident-store.js';
import type { Finding } from '@vigil/soc';
import type { Decision, IncidentPorts, ProposedAction } from './ports.js';
import { minerFinding, recordingPorts } from './testing/recording-ports.js';

const TRUST_DOMAIN = 'soc.test';
const ROLES: Record<string, string> = { 'user:alice': 'analyst', 'user:victor': 'viewer' };

/** A human decision signed with a real user certificate from the test's CA. */
async function signedBy(
  dir: string,
  user: string,
  action: ProposedAction,
  decision: 'approve' | 'reject',
  comment: string,
) {
  const creds = await issueUserCredentials(dir, TRUST_DOMAIN, user);
  return signApproval(
    { action, decision, comment },
    { spiffeId: creds.spiffeId, privateKeyPem: creds.key, certPem: creds.cert },
    { ttlSeconds: 600 },
  );
}

async function setup(
  t: TestContext,
  decisions: Partial<Record<string, Decision>>,
  options: {
    /** Wraps the recording ports, to hold a step back at a chosen moment. */
    readonly wrap?: (ports: IncidentPorts) => IncidentPorts;
    readonly concurrency?: number;
    readonly maxQueuedRuns?: number;
    readonly correlation?: CorrelationSettings;
    /** The coordinator's clock, moved by the test. */
    readonly clock?: { now: number };
  } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-coord-'));
  const { certPem: caPem } = await ensureCertificateAuthority(dir, TRUST_DOMAIN);
  const recording = recordingPorts(decisions);
  const {
    wrap = (ports: IncidentPorts) => ports,
    clock = { now: Date.now() },
    ...limits
  } = options;
  const make = () => {
    const store = new IncidentStore(join(dir, 'coordinator.db'));
    const coordinator = new Coordinator({
      ...limits,
      ports: wrap(recording.ports),
      store,
      checkpointer: SqliteSaver.fromConnString(join(dir, 'checkpoints.db')),
      approvalTtlMs: 60_000,
      now: () => clock.now,
      verifyApproval: createApprovalVerifier({
        trustDomain: TRUST_DOMAIN,
        caPem: () => caPem,
        roleOf: (by) => ROLES[by],
      }),
    });
    return { store, coordinator };
  };
  const first = make();
  t.after(() => {
    first.store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { ...first, ...recording, make, clock, dir };
}

/**
 * Another finding about the miner's workload that no storm shares: a different process,
 * so a different signature (see `signatureOf`).
 */
function unlike(id: string): Finding {
  return {
    ...minerFinding,
    id,
    event: { ...minerFinding.event, id: `e-${id}`, process: { name: `proc-${id}` } },
  };
}

test('findings about the same workload join one incident', async (t) => {
  const { coordinator, store } = await setup(t, { 'isolate-pod': 'allow' });
  const a = await coordinator.handleFinding(minerFinding);
  const b = await coordinator.handleFinding(unlike('f-2'));
  await coordinator.idle();
  assert.equal(a.kind, 'new');
  assert.equal(b.kind, 'joined');
  assert.equal('incidentId' in b && b.incidentId, 'incidentId' in a && a.incidentId);
  assert.equal(store.incidents().length, 1);
  assert.equal(store.incidents()[0]?.findings, 2);
});

test('a run the remediator refuses ends failed and notifies with why, at the analysis severity', async (t) => {
  const { coordinator, store, failures, notified } = await setup(
    t,
    { 'delete-pod': 'mutate', 'isolate-pod': 'allow' },
    {
      wrap: (ports) => ({
        ...ports,
        execute: async () => {
          throw new Error('remediator refused isolate-pod: no pod "shop/web-1" in namespace shop');
        },
      }),
    },
  );
  const a = await coordinator.handleFinding(minerFinding);
  await coordinator.idle();
  const id = 'incidentId' in a ? a.incidentId : '';
  assert.equal(store.incident(id)?.status, 'failed');
  assert.equal(notified.length, 0);
  assert.equal(failures.length, 1);
  const failure = failures[0]!;
  assert.match(failure.reason, /remediator refused isolate-pod/);
  assert.equal(failure.severity, failure.progress?.analysis.severity);
  assert.notEqual(store.incident(id)?.severity, 'unknown');
  const n = failureNotificationFor(failure, undefined);
  assert.equal(n.kind, 'failed');
  assert.equal(n.severity, failure.severity);
  assert.match(n.summary, /Why: remediator refused isolate-pod/);
  assert.ok(n.verdicts.some((v) => v.decision === 'mutate'));
  assert.deepEqual(
    n.verdicts.map((v) => [v.action, v.decision]),
    failure.progress!.items.map((i) => [i.review!.action.type, i.review!.decision]),
  );
});

test('a run that fails before any analysis notifies at the detection severity, never unknown', async (t) => {
  const { coordinator, store, failures } = await setup(
    t,
    {},
    {
      wrap: (ports) => ({
        ...ports,
        analyse: async () => {
          throw new Error('analyst unreachable');
        },
      }),
    },
  );
  const finding = {
    ...minerFinding,
    event: { ...minerFinding.event, severityId: 2 },
    detection: {
      severity: 'critical' as const,
      ruleHits: [
        {
          id: 'crypto-miner',
          title: 'Crypto miner',
          techniques: ['T1496'],
          severity: 'critical' as const,
          source: 'vigil',
        },
      ],
    },
  };
  const a = await coordinator.handleFinding(finding);
  await coordinator.idle();
  const id = 'incidentId' in a ? a.incidentId : '';
  assert.equal(store.incident(id)?.status, 'failed');
  assert.equal(failures.length, 1);
  assert.equal(failures[0]?.severity, 'critical');
  assert.equal(failures[0]?.progress, undefined);
  assert.equal(store.incident(id)?.severity, 'critical');
  const n = failureNotificationFor(failures[0]!, undefined);
  assert.match(n.title, /^Incident failed: launch/);
  assert.match(n.summary, /Why: analyst unreachable/);
});

test('a policy rewrite is assessed by the remediator like any proposal: an invalid rewrite is denied, never executed', async (t) => {
  const assessed: string[] = [];
  const { coordinator, store, executed, notified } = await setup(
    t,
    { 'delete-pod': 'mutate', 'isolate-pod': 'allow' },
    {
      wrap: (ports) => ({
        ...ports,
        // The rewrite names a pod the inventory does not have (as when a rule put
        // "namespace/name" where the pod name belongs).
        assess: async (id, action) => {
          assessed.push(action.type);
          throw new Error(`no pod ${JSON.stringify(action.target['pod'])} in the inventory`);
        },
      }),
    },
  );
  const a = await coordinator.handleFinding(minerFinding);
  await coordinator.idle();
  const id = 'incidentId' in a ? a.incidentId : '';
  assert.deepEqual(assessed, ['isolate-pod'], 'the rewrite went back to the remediator');
  assert.equal(store.incident(id)?.status, 'closed', 'denied, not a failed incident');
  const item = notified.at(-1)!.items.find((i) => i.proposal.action.type === 'delete-pod')!;
  assert.equal(item.outcome, 'denied-by-policy', 'the invalid rewrite never executed');
  assert.equal(
    executed.size,
    notified.at(-1)!.items.filter((i) => i.outcome === 'executed').length,
  );
  assert.ok(item.review!.rules.includes('vigil.mutation.invalid'));
  assert.ok(item.review!.reasons.some((r) => /not a valid action: no pod/.test(r)));
});

/** A promise and the function that settles it: a step the test lets go of when it chooses. */
function gate() {
  let open!: () => void;
  const closed = new Promise<void>((resolve) => (open = resolve));
  return { closed, open };
}

/** Ports whose analyses wait for `release`; `analysing` opens when the first one starts. */
function heldAnalysis() {
  const analysing = gate();
  const release = gate();
  const wrap = (ports: IncidentPorts): IncidentPorts => ({
    ...ports,
    analyse: async (finding, ctx) => {
      analysing.open();
      await release.closed;
      return ports.analyse(finding, ctx);
    },
  });
  return { analysing, release, wrap };
}

test('an incident whose first findings are recorded out of order opens once and runs once', async (t) => {
  // The opener's audit append is slow; the joiner's, issued after it, completes first.
  const opener = gate();
  const { coordinator, store, notified } = await setup(
    t,
    { 'isolate-pod': 'allow' },
    {
      wrap: (ports) => ({
        ...ports,
        record: async (kind, what, why, ctx) => {
          if (what['findingId'] === minerFinding.id) await opener.closed;
          return ports.record(kind, what, why, ctx);
        },
      }),
    },
  );
  const first = coordinator.handleFinding(minerFinding);
  const joiner = await coordinator.handleFinding(unlike('f-2'));
  assert.equal(joiner.kind, 'joined');
  opener.open();
  assert.equal((await first).kind, 'new');
  await coordinator.idle();
  assert.equal(store.incidents().length, 1);
  assert.equal(store.incidents()[0]?.findings, 2);
  assert.equal(notified.length, 1, 'one graph run, one notification');
});

test('the analysis of an incident waits for a finding correlated into it that is still being recorded', async (t) => {
  const joinerRecorded = gate();
  const analysed: string[] = [];
  const { coordinator } = await setup(
    t,
    { 'isolate-pod': 'allow' },
    {
      wrap: (ports) => ({
        ...ports,
        record: async (kind, what, why, ctx) => {
          if (what['findingId'] === 'f-2') await joinerRecorded.closed;
          return ports.record(kind, what, why, ctx);
        },
        analyse: async (finding, ctx) => {
          analysed.push(finding.id);
          return ports.analyse(finding, ctx);
        },
      }),
    },
  );
  await coordinator.handleFinding(minerFinding);
  const joiner = coordinator.handleFinding(unlike('f-2'));
  await new Promise((resolve) => setTimeout(resolve, 0)); // the window (0 ms) ends meanwhile
  assert.deepEqual(analysed, [], 'the analysis waits for the joiner');
  joinerRecorded.open();
  assert.equal((await joiner).kind, 'joined');
  await coordinator.idle();
  assert.deepEqual(analysed.sort(), ['f-1', 'f-2']);
});

test('a finding arriving once its incident is being analysed opens a new incident with its own analysis', async (t) => {
  const { analysing, release, wrap } = heldAnalysis();
  const { coordinator, store, notified } = await setup(t, { 'isolate-pod': 'allow' }, { wrap });
  const first = await coordinator.handleFinding(minerFinding);
  await analysing.closed;
  const later = await coordinator.handleFinding(unlike('f-late'));
  release.open();
  await coordinator.idle();
  assert.equal(later.kind, 'new');
  assert.notEqual(
    'incidentId' in later && later.incidentId,
    'incidentId' in first && first.incidentId,
  );
  assert.deepEqual(
    store.incidents().map((i) => i.status),
    ['closed', 'closed'],
  );
  assert.equal(notified.length, 2, 'each incident analysed and notified');
});

test('a coordinator with a full run queue refuses a finding without recording it, and accepts it again later', async (t) => {
  const { analysing, release, wrap } = heldAnalysis();
  const { coordinator, store, notified } = await setup(
    t,
    { 'isolate-pod': 'allow' },
    { wrap, concurrency: 1, maxQueuedRuns: 1 },
  );
  const about = (pod: string) => ({
    ...minerFinding,
    id: `f-${pod}`,
    event: { ...minerFinding.event, id: `e-${pod}`, workload: { namespace: 'shop', pod } },
    entities: { workload: `shop/${pod}`, addresses: [] },
  });
  await coordinator.handleFinding(about('a'));
  await analysing.closed; // the one slot is busy
  await coordinator.handleFinding(about('b'));
  await new Promise((resolve) => setTimeout(resolve, 0)); // b's window (0 ms) ends: b queues
  await assert.rejects(coordinator.handleFinding(about('c')), (e) =>
    isVigilError(e, 'VIGIL_COORDINATOR_BUSY'),
  );
  assert.equal(store.incidentOfFinding('f-c'), undefined, 'nothing of the refused finding kept');
  release.open();
  await coordinator.idle();
  assert.equal((await coordinator.handleFinding(about('c'))).kind, 'new');
  await coordinator.idle();
  assert.equal(notified.length, 3);
});

test('findings about one workload hours apart in event time open separate incidents', async (t) => {
  // A replayed day arrives in seconds; correlation follows when the events happened.
  const { coordinator, store } = await setup(t, { 'isolate-pod': 'allow' });
  const threeHours = 3 * 3_600_000;
  const a = await coordinator.handleFinding(minerFinding);
  const b = await coordinator.handleFinding({
    ...minerFinding,
    id: 'f-later',
    event: { ...minerFinding.event, id: 'e-later', time: minerFinding.event.time + threeHours },
  });
  await coordinator.idle();
  assert.equal(a.kind, 'new');
  assert.equal(b.kind, 'new');
  assert.equal(store.incidents().length, 2);
});

test('a redelivered finding is acknowledged with its incident and not recorded twice', async (t) => {
  const { coordinator, store } = await setup(t, { 'isolate-pod': 'allow' });
  const first = await coordinator.handleFinding(minerFinding);
  const again = await coordinator.handleFinding(minerFinding);
  await coordinator.idle();
  assert.equal(again.kind, 'duplicate');
  assert.equal(
    'incidentId' in again && again.incidentId,
    'incidentId' in first && first.incidentId,
  );
  assert.equal(store.incidents().length, 1);
  assert.equal(store.incidents()[0]?.findings, 1);
});

test('a flood of different findings about one entity is rate-limited', async (t) => {
  const { coordinator } = await setup(t, {});
  const kinds = [];
  for (let i = 0; i < 15; i++) kinds.push((await coordinator.handleFinding(unlike(`f-${i}`))).kind);
  await coordinator.idle();
  assert.equal(
    kinds.filter((k) => k === 'rate-limited').length,
    5,
    'burst of 10 admitted, the rest limited',
  );
});

/** The miner's finding again on replica `pod` of the same Deployment, `offsetMs` later in event time. */
function repeat(id: string, pod: string, offsetMs = 1_000): Finding {
  return {
    ...minerFinding,
    id,
    event: {
      ...minerFinding.event,
      id: `e-${id}`,
      time: minerFinding.event.time + offsetMs,
      workload: { namespace: 'shop', pod },
    },
    entities: { workload: `shop/${pod}`, addresses: [] },
  };
}

test('repeats of one signature on one workload class roll up into one incident with a count and a digest', async (t) => {
  const audited: Record<string, unknown>[] = [];
  const { coordinator, store, notified } = await setup(
    t,
    { 'isolate-pod': 'allow' },
    {
      wrap: (ports) => ({
        ...ports,
        record: async (kind, what, why, ctx) => {
          if (kind === 'finding') audited.push({ ...what, incidentId: ctx.incidentId });
          return ports.record(kind, what, why, ctx);
        },
      }),
    },
  );
  const first = await coordinator.handleFinding(minerFinding);
  await coordinator.idle(); // analysed, closed and notified
  // 200 repeats on three replicas (pod names Kubernetes generates), sent concurrently as
  // a flood arrives: after the analysis, so none of them may start a run of its own.
  const pods = ['web-7d9f8b6c4-x2kqz', 'web-7d9f8b6c4-m9wtp', 'web-7d9f8b6c4-b4hzn'];
  const answers = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      coordinator.handleFinding(repeat(`r-${i}`, pods[i % 3]!, 1_000 + i)),
    ),
  );
  await coordinator.idle();
  assert.ok(answers.every((a) => a.kind === 'rolled-up'));
  assert.ok(
    answers.every(
      (a) => 'incidentId' in a && a.incidentId === ('incidentId' in first && first.incidentId),
    ),
  );
  const [incident, ...others] = store.incidents();
  assert.equal(others.length, 0, 'one incident for the storm');
  assert.equal(incident?.findings, 201);
  assert.equal(incident?.rollup?.count, 200);
  assert.equal(incident?.rollup?.firstAt, minerFinding.event.time + 1_000);
  assert.equal(incident?.rollup?.lastAt, minerFinding.event.time + 1_199);
  assert.deepEqual(Object.values(incident?.rollup?.storms ?? {}), [200]);
  assert.equal(incident?.rollup?.entities[`workload:shop/${pods[0]}`], 67);
  assert.deepEqual(incident?.rollup?.latest.at(-1), 'r-199');
  assert.equal(notified.length, 1, 'one run, one notification');
  // The audit trail names every rolled-up finding, in a few entries rather than 200.
  const rolled = audited.filter((a) => a['disposition'] === 'rolled-up');
  assert.ok(rolled.length < 10, `${rolled.length} rollup entries`);
  assert.deepEqual(
    rolled.flatMap((a) => a['findingIds'] as string[]).sort(),
    answers.map((_, i) => `r-${i}`).sort(),
  );
  assert.equal(store.incidentOfFinding('r-7'), incident?.id, 'a redelivery is a duplicate');
  assert.equal((await coordinator.handleFinding(repeat('r-7', pods[1]!))).kind, 'duplicate');
});

test('a storm outside its window, or of another signature, opens its own incident', async (t) => {
  const { coordinator, store } = await setup(t, { 'isolate-pod': 'allow' });
  await coordinator.handleFinding(minerFinding);
  await coordinator.idle();
  const tenMinutes = 10 * 60_000;
  const late = await coordinator.handleFinding(repeat('late', 'web-2', tenMinutes + 1));
  const other = await coordinator.handleFinding({
    ...unlike('other'),
    event: { ...unlike('other').event, time: minerFinding.event.time + tenMinutes + 2 },
  });
  await coordinator.idle();
  assert.equal(late.kind, 'new');
  assert.equal(other.kind, 'new');
  assert.equal(store.incidents().length, 3);
});

test('a storm survives a restart: its digest is kept and its repeats keep rolling up', async (t) => {
  const { coordinator, store, make } = await setup(t, { 'isolate-pod': 'allow' });
  const first = await coordinator.handleFinding(minerFinding);
  await coordinator.handleFinding(repeat('r-1', 'web-2'));
  await coordinator.idle();
  store.close();
  const again = make();
  t.after(() => again.store.close());
  await again.coordinator.resumeInFlight();
  const next = await again.coordinator.handleFinding(repeat('r-2', 'web-3', 5_000));
  await again.coordinator.idle();
  assert.equal(next.kind, 'rolled-up');
  assert.equal('incidentId' in next && next.incidentId, 'incidentId' in first && first.incidentId);
  const incident = again.store.incidents()[0];
  assert.equal(incident?.findings, 3);
  assert.equal(incident?.rollup?.count, 2);
  assert.deepEqual(incident?.rollup?.latest, ['r-1', 'r-2']);
});

test('rollup is off with a window of 0: repeats are correlated and rate-limited as before', async (t) => {
  const { coordinator, store } = await setup(
    t,
    {},
    { correlation: { ...DEFAULT_CORRELATION, rollupWindowMs: 0 } },
  );
  const kinds = [];
  for (let i = 0; i < 12; i++)
    kinds.push((await coordinator.handleFinding(repeat(`f-${i}`, 'web-1', i))).kind);
  await coordinator.idle();
  assert.deepEqual(kinds.slice(0, 2), ['new', 'joined']);
  assert.equal(kinds.filter((k) => k === 'rate-limited').length, 2);
  assert.equal(store.incidents()[0]?.rollup, undefined);
});

test('an approved escalation resumes the graph and executes under the signed approval', async (t) => {
  const { coordinator, store, executed, dir } = await setup(t, {
    'isolate-pod': 'escalate',
    'delete-pod': 'deny',
  });
  await coordinator.handleFinding(minerFinding);
  await coordinator.idle();
  const [pending] = store.approvals({ status: 'pending' });
  assert.ok(pending);
  assert.equal(store.incident(pending.incidentId)?.status, 'awaiting-approval');
  const approval = await signedBy(dir, 'alice', pending.action, 'approve', 'confirmed');
  await assert.rejects(
    coordinator.decide(pending.id, {
      decision: 'approve',
      by: 'user:alice',
      reason: '  ',
      approval,
    }),
    (e) => isVigilError(e, 'VIGIL_APPROVAL_REASON_REQUIRED'),
  );
  await coordinator.decide(pending.id, {
    decision: 'approve',
    by: 'user:alice',
    reason: 'confirmed',
    approval,
  });
  await coordinator.idle();
  assert.equal(store.incident(pending.incidentId)?.status, 'closed');
  assert.deepEqual(
    [...executed.values()].map((e) => e.kind),
    ['approval'],
  );
  await assert.rejects(
    coordinator.decide(pending.id, {
      decision: 'reject',
      by: 'user:alice',
      reason: 'late',
      approval,
    }),
    (e) => isVigilError(e, 'VIGIL_APPROVAL_NOT_PENDING'),
  );
});

test('a human decision ends an approval.wait span begun at the request, carrying the approval entry id', async (t) => {
  const receiver = await startOtlpReceiver();
  const telemetry = await initTelemetry({
    serviceName: 'coordinator',
    otlpEndpoint: receiver.endpoint,
    processor: 'simple',
  });
  t.after(async () => {
    await telemetry.shutdown();
    await receiver.close();
  });
  // The request was made a minute before the human decides.
  const { coordinator, store, dir } = await setup(
    t,
    { 'isolate-pod': 'escalate', 'delete-pod': 'deny' },
    { clock: { now: Date.now() - 60_000 } },
  );
  await coordinator.handleFinding(minerFinding);
  await coordinator.idle();
  const [pending] = store.approvals({ status: 'pending' });
  assert.ok(pending);
  await coordinator.decide(pending.id, {
    decision: 'approve',
    by: 'user:alice',
    reason: 'confirmed',
    approval: await signedBy(dir, 'alice', pending.action, 'approve', 'confirmed'),
  });
  await telemetry.forceFlush();
  const wait = receiver.spans.find((s) => s.name === 'approval.wait');
  assert.ok(wait, 'an approval.wait span was exported');
  assert.equal(wait.attributes['vigil.approval_id'], pending.id);
  assert.equal(wait.attributes['vigil.approval.decision'], 'approve');
  assert.match(String(wait.attributes['vigil.audit.entry_id']), /^approval-\d+$/);
  assert.equal(wait.startTimeMs, pending.requestedAt);
  assert.ok(wait.endTimeMs - wait.startTimeMs >= 60_000, 'the span covers the whole wait');
});

test('a decision is refused unless the authenticated analyst signed it for exactly this action', async (t) => {
  const { coordinator, store, executed, dir } = await setup(t, {
    'isolate-pod': 'escalate',
    'delete-pod': 'deny',
  });
  await coordinator.handleFinding(minerFinding);
  await coordinator.idle();
  const [pending] = store.approvals({ status: 'pending' });
  const input = (approval: string, by = 'user:alice') => ({
    decision: 'approve' as const,
    by,
    reason: 'ok',
    approval,
  });
  const byViewer = await signedBy(dir, 'victor', pending!.action, 'approve', 'ok');
  await assert.rejects(coordinator.decide(pending!.id, input(byViewer, 'user:victor')), (e) =>
    isVigilError(e, 'VIGIL_APPROVAL_FORBIDDEN'),
  );
  const byOther = await signedBy(dir, 'mallory', pending!.action, 'approve', 'ok');
  await assert.rejects(coordinator.decide(pending!.id, input(byOther)), (e) =>
    isVigilError(e, 'VIGIL_APPROVAL_WRONG_SIGNER'),
  );
  const otherAction = await signedBy(
    dir,
    'alice',
    { ...pending!.action, type: 'delete-pod' },
    'approve',
    'ok',
  );
  await assert.rejects(coordinator.decide(pending!.id, input(otherAction)), (e) =>
    isVigilError(e, 'VIGIL_APPROVAL_ACTION_MISMATCH'),
  );
  const rejection = await signedBy(dir, 'alice', pending!.action, 'reject', 'no');
  await assert.rejects(coordinator.decide(pending!.id, input(rejection)), (e) =>
    isVigilError(e, 'VIGIL_APPROVAL_DECISION_MISMATCH'),
  );
  assert.equal(store.approval(pending!.id)?.status, 'pending');
  assert.equal(executed.size, 0);
});

test('an expired escalation is rejected, notified, and never executed', async (t) => {
  const { coordinator, store, executed, notified, clock } = await setup(t, {
    'isolate-pod': 'escalate',
  });
  await coordinator.handleFinding(minerFinding);
  await coordinator.idle();
  const [pending] = store.approvals({ status: 'pending' });
  clock.now += 60_001;
  await assert.rejects(
    coordinator.decide(pending!.id, {
      decision: 'approve',
      by: 'user:alice',
      reason: 'too late',
      approval: 'unused',
    }),
    (e) => isVigilError(e, 'VIGIL_APPROVAL_EXPIRED'),
  );
  await coordinator.idle();
  assert.equal(store.approval(pending!.id)?.status, 'expired');
  assert.equal(executed.size, 0);
  assert.ok(notified.at(-1)?.items.some((i) => i.outcome === 'approval-expired'));
});

test('a new coordinator process resumes incidents left open by the previous one', async (t) => {
  const { coordinator, store, make, executed } = await setup(t, { 'isolate-pod': 'allow' });
  // The previous process opened the incident and died before its graph ran.
  store.recordFinding('inc-orphan', minerFinding, 1, { title: 'orphan', severity: 'unknown' });
  await coordinator.graph.updateState(
    { configurable: { thread_id: 'inc-orphan' } },
    { incidentId: 'inc-orphan', finding: minerFinding },
    '__start__',
  );
  const next = make();
  t.after(() => next.store.close());
  assert.deepEqual(await next.coordinator.resumeInFlight(), ['inc-orphan']);
  await next.coordinator.idle();
  assert.equal(next.store.incident('inc-orphan')?.status, 'closed');
  assert.equal(executed.size, 1);
});

test('after a restart, findings about an incident still in flight join it', async (t) => {
  const { store, make } = await setup(t, { 'isolate-pod': 'allow' });
  // The previous process recorded a finding, then died while gathering more.
  store.recordFinding('inc-gathering', minerFinding, 1, {
    title: 'gathering',
    severity: 'unknown',
  });
  // A fresh process: its correlator starts empty and learns the incident back.
  const again = make();
  t.after(() => again.store.close());
  await again.coordinator.resumeInFlight();
  const joined = await again.coordinator.handleFinding(unlike('f-3'));
  assert.equal(joined.kind, 'joined');
  assert.equal('incidentId' in joined && joined.incidentId, 'inc-gathering');
  await again.coordinator.idle();
});

test('an incident analysis covers the findings correlated into it', () => {
  const shell = analyseOffline({
    ...minerFinding,
    id: 'f-shell',
    event: {
      ...minerFinding.event,
      process: { name: 'bash' },
      rule: 'Terminal shell in container',
    },
  });
  const miner = analyseOffline(minerFinding);
  const merged = mergeAnalyses([shell, miner]);
  assert.deepEqual(new Set(merged.techniques), new Set(['T1609', 'T1496']));
  assert.equal(merged.severity, 'critical');
  assert.equal(merged.confidence, Math.max(shell.confidence, miner.confidence));
  assert.ok(merged.recommendedResponses.includes('delete-pod'));
  assert.match(merged.summary, /\+1 correlated finding/);
});

test("an incident's risk score is the highest of its findings' detector scores", () => {
  const miner = analyseOffline(minerFinding);
  const scored = (riskScore: number | undefined) => ({
    ...miner,
    evidence: {
      ruleConfidence: 0.5,
      severityFloor: 'high' as const,
      ...(riskScore === undefined ? {} : { riskScore }),
    },
  });
  assert.equal(mergeAnalyses([scored(40), scored(71), scored(undefined)]).evidence?.riskScore, 71);
  assert.equal(mergeAnalyses([scored(undefined)]).evidence?.riskScore, undefined);
});
