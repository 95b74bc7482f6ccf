import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AuditEntryInput } from './entry.js';
import { defineAuditVocabulary } from './kinds.js';
import {
  computeComplianceMetrics,
  renderComplianceTable,
  type AgentPermissionView,
  type ComplianceOptions,
} from './metrics.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { createTestCa, type TestCa } from './testing/identities.js';
import { createAuditWriter, type AuditWriter } from './writer.js';

// A constructed history whose metrics were computed by hand (see the comments).
const TD = 'spiffe://metrics.test/agent';
const id = (name: string) => `${TD}/${name}`;
const T1 = 'a'.repeat(32); // a case's trace shared by detector, reviewer, remediator
const T2 = 'b'.repeat(32); // detector2 alone
const t0 = Date.parse('2026-11-25T10:00:00.000Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();

const agents: AgentPermissionView[] = [
  // 6 read atoms, no tools: granted 6, autonomous 6.
  {
    name: 'detector',
    role: 'detector',
    permissions: {
      rules: [{ apiGroups: [''], resources: ['pods', 'events'], verbs: ['get', 'list', 'watch'] }],
      tools: [],
    },
    autonomy: { autoExecute: [] },
  },
  // pods:get (read, autonomous) + pods:patch (write, no autonomous tool): granted 2, autonomous 1.
  {
    name: 'detector2',
    role: 'detector',
    permissions: {
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'] }],
      tools: [],
    },
    autonomy: { autoExecute: [] },
  },
  // 4 RBAC atoms + 3 tools = 7 granted. Without a tool map: isolate-pod, pods:get and the 3 write atoms = 5.
  // With the map isolate-pod -> networkpolicies:create: isolate-pod, pods:get, networkpolicies:create = 3.
  {
    name: 'remediator',
    role: 'remediator',
    permissions: {
      rules: [
        {
          apiGroups: ['networking.k8s.io'],
          resources: ['networkpolicies'],
          verbs: ['create', 'delete'],
        },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'delete'] },
      ],
      tools: ['isolate-pod', 'delete-pod', 'block-ip'],
    },
    autonomy: { autoExecute: ['isolate-pod'] },
  },
  // 1 tool, not auto-executed: granted 1, autonomous 0.
  {
    name: 'reviewer',
    role: 'reviewer',
    permissions: { rules: [], tools: ['opa-eval'] },
    autonomy: { autoExecute: [] },
  },
  // 2 tools, all auto-executed: granted 2, autonomous 2.
  {
    name: 'notifier',
    role: 'notifier',
    permissions: { rules: [], tools: ['slack', 'email'] },
    autonomy: { autoExecute: ['*'] },
  },
];

let ca: TestCa;
let store: SqliteAuditStore;
let options: ComplianceOptions;

before(async () => {
  ca = createTestCa();
  store = new SqliteAuditStore(':memory:');
  const w: Record<string, AuditWriter> = {};
  for (const name of ['detector', 'detector2', 'remediator', 'reviewer', 'supervisor'])
    w[name] = createAuditWriter({ store, signer: ca.issue(id(name)) });
  const rec = (name: string, s: number, input: Omit<AuditEntryInput, 'actor' | 'time'>) =>
    w[name]!.append({ actor: id(name), time: at(s), ...input });
  // detector: execution + intent + communication (T1) + identity; health below -> all five.
  await rec('detector', 1, {
    kind: 'triage',
    traceId: T1,
    what: { title: 'x' },
    why: { rationale: 'score 0.9' },
  });
  // detector2: execution, identity; no intent, alone in T2, health below -> not all.
  await rec('detector2', 2, { kind: 'intake', traceId: T2, what: { count: 5 }, why: {} });
  // reviewer: 3 allow, 2 mutate, 1 deny, 1 escalate in the window (ruleIds = intent; T1 = communication); no health.
  for (const [i, decision] of [
    'allow',
    'mutate',
    'allow',
    'deny',
    'mutate',
    'escalate',
    'allow',
  ].entries()) {
    await rec('reviewer', 10 + i, {
      kind: 'verdict',
      traceId: T1,
      what: { decision },
      why: { ruleIds: [`r${i}`] },
    });
  }
  // remediator: a succeeded isolate-pod using networkpolicies:create; a failed delete-pod; an open block-ip intent.
  await rec('remediator', 20, {
    kind: 'execution',
    traceId: T1,
    what: { phase: 'intent', action: { type: 'isolate-pod' } },
    why: { rationale: 'contain' },
  });
  await rec('remediator', 21, {
    kind: 'execution',
    traceId: T1,
    what: {
      phase: 'outcome',
      status: 'succeeded',
      action: { type: 'isolate-pod' },
      permissionsUsed: [
        { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create'] },
      ],
    },
    why: {},
  });
  await rec('remediator', 22, {
    kind: 'execution',
    traceId: T1,
    what: { phase: 'outcome', status: 'failed', action: { type: 'delete-pod' } },
    why: {},
  });
  await rec('remediator', 23, {
    kind: 'execution',
    traceId: T1,
    what: { phase: 'intent', action: { type: 'block-ip' } },
    why: {},
  });
  // supervisor: health of detector, detector2, remediator, notifier (not reviewer).
  for (const agent of ['detector', 'detector2', 'remediator', 'notifier']) {
    await rec('supervisor', 30, {
      kind: 'agent-lifecycle',
      what: { agent, event: 'started', pid: 1 },
      why: {},
    });
  }
  // Outside the window: must not count.
  await rec('reviewer', 7200, {
    kind: 'verdict',
    traceId: T1,
    what: { decision: 'mutate' },
    why: { ruleIds: ['late'] },
  });
  await rec('supervisor', 7200, {
    kind: 'agent-lifecycle',
    what: { agent: 'reviewer', event: 'started' },
    why: {},
  });
  options = {
    agents,
    spiffeIdOf: id,
    since: new Date(t0),
    until: new Date(t0 + 3600_000),
    // The system's own kinds: a triage and an intake are work its agents do.
    vocabulary: defineAuditVocabulary({
      kinds: { triage: { execution: true }, intake: { execution: true } },
    }),
  };
});
after(async () => {
  await store.close();
  ca.dispose();
});

test('least agency ratio per class beside the share of granted permissions used', async () => {
  const m = await computeComplianceMetrics(store, options);
  const byClass = Object.fromEntries(m.leastAgency.map((l) => [l.agentClass, l]));
  assert.deepEqual(
    { ...byClass['detector'], ratio: byClass['detector']!.ratio },
    {
      agentClass: 'detector',
      agents: ['detector', 'detector2'],
      granted: 8,
      autonomous: 7,
      ratio: 7 / 8,
      used: 0,
      usedShare: 0,
    },
  );
  assert.deepEqual(byClass['remediator'], {
    agentClass: 'remediator',
    agents: ['remediator'],
    granted: 7,
    autonomous: 5,
    ratio: 5 / 7,
    used: 2,
    usedShare: 2 / 7,
  });
  assert.equal(byClass['reviewer']!.ratio, 0);
  assert.equal(byClass['notifier']!.ratio, 1);
  const mapped = await computeComplianceMetrics(store, {
    ...options,
    toolPermissions: {
      'isolate-pod': [
        { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create'] },
      ],
    },
  });
  assert.equal(mapped.leastAgency.find((l) => l.agentClass === 'remediator')!.autonomous, 3);
});

test('five-signal coverage counts agents observed in all five domains', async () => {
  const m = await computeComplianceMetrics(store, options);
  assert.deepEqual(
    m.fiveSignal.agents.filter((a) => a.all).map((a) => a.agent),
    ['detector', 'remediator'],
  );
  assert.equal(m.fiveSignal.covered, 2);
  assert.equal(m.fiveSignal.total, 5);
  assert.equal(m.fiveSignal.coverage, 0.4);
  assert.deepEqual(m.fiveSignal.perSignal, {
    identity: 0.8,
    execution: 0.8,
    intent: 0.6,
    communication: 0.6,
    health: 0.8,
  });
  assert.deepEqual(m.fiveSignal.agents.find((a) => a.agent === 'detector2')!.signals, {
    identity: true,
    execution: true,
    intent: false,
    communication: false,
    health: true,
  });
});

test("the execution signal counts the kinds the system's vocabulary says are work, and only those", async () => {
  const { vocabulary: _, ...harnessOnly } = options;
  const m = await computeComplianceMetrics(store, harnessOnly);
  // The detectors recorded only their system's kinds: unknown to the harness, not work.
  const execution = (agent: string) =>
    m.fiveSignal.agents.find((a) => a.agent === agent)!.signals.execution;
  assert.equal(execution('detector'), false);
  assert.equal(execution('detector2'), false);
  assert.equal(execution('remediator'), true);
});

test('step mutation intervention rate is mutate over every verdict that was not a plain allow', async () => {
  const m = await computeComplianceMetrics(store, options);
  assert.deepEqual(m.mutation, { flagged: 4, mutate: 2, deny: 1, escalate: 1, rate: 0.5 });
  const table = renderComplianceTable(m);
  assert.match(table, /step mutation intervention rate: 2\/4 = 50\.0%/);
  assert.match(table, /five-signal coverage: 2\/5 = 40\.0%/);
});
