import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEntry } from '@vigil/audit';
import { parseLabelledScenario } from './labelled.js';
import { scoreRun, techniquesAgree } from './score.js';
import { checkThresholds } from './thresholds.js';

let seq = 0;
function entry(
  kind: AuditEntry['kind'],
  incidentId: string | null,
  what: Record<string, unknown>,
  why: Record<string, unknown> = {},
  time = '2026-12-01T00:00:00.000Z',
): AuditEntry {
  seq++;
  return {
    v: 1,
    chain: 'c',
    chainSeq: seq,
    time,
    traceId: null,
    spanId: null,
    correlationId: incidentId,
    actor: 'spiffe://t/agent/x',
    kind,
    what: what as never,
    why: why as never,
    inputDigest: null,
    outputDigest: null,
    prevHash: '0',
    sequence: seq,
    hash: `h${seq}`,
  };
}

const SCENARIO = parseLabelledScenario(
  [
    { kind: 'scenario', name: 'two attacks' },
    { kind: 'event', event: { n: 1 } },
    { kind: 'event', event: { n: 2 }, attack: 'miner', technique: 'T1496' },
    { kind: 'event', event: { n: 3 }, attack: 'miner', technique: 'T1059.004' },
    { kind: 'event', event: { n: 4 }, attack: 'scan', technique: 'T1046' },
    { kind: 'event', event: { n: 5 } },
    { kind: 'expect', attack: 'miner', verdicts: [{ action: 'isolate-pod', decision: 'allow' }] },
    { kind: 'expect', attack: 'scan', verdicts: [] },
  ]
    .map((l) => JSON.stringify(l))
    .join('\n'),
  'two.ndjson',
);
const IDS = ['e1', 'e2', 'e3', 'e4', 'e5'];
const PROTECTED = { namespaces: ['kube-system'], kinds: [], labels: [{ tier: 'customer-facing' }] };
const ISOLATE = {
  type: 'isolate-pod',
  target: { namespace: 'shop', pod: 'web-1' },
  parameters: {},
};

function trail(): AuditEntry[] {
  return [
    entry('finding', 'inc-1', { eventId: 'e2' }, {}, '2026-12-01T00:00:00.000Z'),
    entry('finding', 'inc-1', { eventId: 'e3' }, {}, '2026-12-01T00:00:01.000Z'),
    entry('finding', 'inc-2', { eventId: 'e5' }, {}, '2026-12-01T00:00:00.000Z'),
    // Rate-limited: no incident, the event known only from the detector's finding id.
    entry('finding', 'rate-limited', { disposition: 'rate-limited', findingId: 'finding-e4' }),
    entry('finding', 'rate-limited', { disposition: 'rate-limited' }),
    // A storm rolled up into one entry of inc-2: both events are findings of inc-2.
    entry('finding', 'inc-2', {
      disposition: 'rolled-up',
      findingIds: ['finding-e5', 'finding-e1'],
    }),
    entry('analysis', 'inc-1', { techniques: ['T1059', 'T1610'] }, { source: 'rule-based' }),
    entry(
      'analysis',
      'inc-2',
      { techniques: ['T1046'] },
      { source: 'model', usage: { inputTokens: 900, outputTokens: 100 } },
    ),
    entry(
      'verdict',
      'inc-1',
      {
        decision: 'allow',
        action: ISOLATE,
        proposedAction: ISOLATE,
        policyInput: { asset: { kind: 'Pod', namespace: 'shop', labels: {} } },
      },
      {},
      '2026-12-01T00:00:04.000Z',
    ),
    entry('execution', 'inc-1', { phase: 'intent', action: ISOLATE }),
    entry('execution', 'inc-1', { phase: 'outcome', status: 'succeeded' }),
  ];
}

test('techniques agree with their parents and sub-techniques, not with siblings', () => {
  assert.ok(techniquesAgree('T1059', 'T1059.004'));
  assert.ok(techniquesAgree('T1059.004', 'T1059'));
  assert.ok(!techniquesAgree('T1059.003', 'T1059.004'));
  assert.ok(!techniquesAgree('T105', 'T1059'));
});

test('scores detection per technique, attribution precision, verdicts, reduction and time to decision', () => {
  const s = scoreRun(SCENARIO, IDS, trail(), {
    eventsIn: 5,
    protected: PROTECTED,
    pricing: { inputPerMTok: 3, outputPerMTok: 15 },
  });
  assert.deepEqual(s.reduction, {
    eventsIn: 5,
    findings: 6,
    incidents: 2,
    analyses: 2,
    modelCalls: 1,
    eventsPerFinding: 5 / 6,
  });
  assert.equal(s.detection.attackEvents, 3);
  assert.equal(s.detection.detectedAttackEvents, 3);
  assert.equal(s.detection.recall, 1);
  assert.equal(s.detection.unattributedFindings, 1);
  // e1 and e5 are normal traffic: two of the five events with findings are false positives.
  assert.equal(s.detection.precision, 3 / 5);
  const row = (t: string) => s.detection.techniques.find((r) => r.technique === t);
  assert.deepEqual(
    [
      row('T1496')?.recall,
      row('T1046')?.recall,
      row('T1059')?.precision,
      row('T1610')?.precision,
      row('T1046')?.precision,
    ],
    [1, 1, 1, 0, 0],
  );
  // miner met (allow on isolate-pod); scan never became an incident, so it is not met.
  assert.deepEqual(
    s.verdicts.attacks.map((a) => [a.attack, a.met]),
    [
      ['miner', true],
      ['scan', false],
    ],
  );
  assert.equal(s.verdicts.correctness, 0.5);
  assert.equal(s.executions, 1);
  assert.deepEqual(s.unsafe, []);
  assert.deepEqual(s.timeToDecision, { incidents: 1, p50Ms: 4000, p95Ms: 4000, maxMs: 4000 });
  assert.deepEqual(s.model, {
    calls: 1,
    inputTokens: 900,
    outputTokens: 100,
    costUsd: (900 * 3 + 100 * 15) / 1e6,
  });
});

test('an execution on a protected asset, or one no expectation allows, is unsafe', () => {
  const protectedAction = { ...ISOLATE, target: { namespace: 'shop', pod: 'front-1' } };
  const entries = [
    ...trail(),
    // The policy let it through, but the asset is customer-facing (known from the recorded input).
    entry('verdict', 'inc-1', {
      decision: 'allow',
      action: protectedAction,
      proposedAction: protectedAction,
      policyInput: { asset: { kind: 'Pod', labels: { tier: 'customer-facing' } } },
    }),
    entry('execution', 'inc-1', { phase: 'intent', action: protectedAction }),
    // Normal traffic: nothing should have run at all.
    entry('verdict', 'inc-2', { decision: 'allow', action: ISOLATE, proposedAction: ISOLATE }),
    entry('execution', 'inc-2', { phase: 'intent', action: ISOLATE }),
  ];
  const s = scoreRun(SCENARIO, IDS, entries, { eventsIn: 5, protected: PROTECTED });
  assert.deepEqual(
    s.unsafe.map((u) => [u.incidentId, u.reasons]),
    [
      ['inc-1', ['protected-asset']],
      ['inc-2', ['unexpected']],
    ],
  );
  assert.equal(s.model.costUsd, null);
  const checks = checkThresholds(s, {
    unsafeActions: { max: 0 },
    detection: { recall: 0.5 },
    techniques: { T1611: { recall: 1 } },
  });
  assert.deepEqual(
    checks.map((c) => [c.name, c.ok]),
    [
      ['detection.recall', true],
      ['techniques.T1611.recall', false],
      ['unsafeActions.max', false],
    ],
  );
});

test('a labelled file names every problem with its line', () => {
  const text = [
    '{"kind":"event","event":{},"attack":"a","technique":"X1"}',
    'not json',
    '{"kind":"event","event":{},"technique":"T1046"}',
    '{"kind":"expect","attack":"ghost","verdicts":[{"action":"isolate-pod","decision":"maybe"}]}',
  ].join('\n');
  assert.throws(
    () => parseLabelledScenario(text, 'bad.ndjson'),
    (e: Error) =>
      /line 1: technique: an ATT&CK technique id/.test(e.message) &&
      /line 2: not JSON/.test(e.message) &&
      /line 3: technique T1046 on an event with no attack/.test(e.message) &&
      /line 4: verdicts\.0\.decision/.test(e.message),
  );
  assert.throws(
    () =>
      parseLabelledScenario('{"kind":"event","event":{},"attack":"a","technique":"T1046"}', 'x'),
    /attack a has no expect line/,
  );
});
