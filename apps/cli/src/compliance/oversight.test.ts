import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEntry } from '@vigil/audit';
import { actionLabel, escalationsOf, incidentsOf, interventionsOf } from './oversight.js';

let seq = 0;
function entry(
  kind: AuditEntry['kind'],
  time: string,
  what: Record<string, unknown>,
  why: Record<string, unknown> = {},
  extra: Partial<AuditEntry> = {},
): AuditEntry {
  seq++;
  return {
    v: 1,
    sequence: seq,
    chain: 'c',
    chainSeq: seq,
    time,
    traceId: null,
    spanId: null,
    correlationId: 'inc-1',
    actor: 'spiffe://t/agent/coordinator',
    kind,
    what,
    why,
    inputDigest: null,
    outputDigest: null,
    prevHash: '',
    hash: `h${seq}`,
    ...extra,
  };
}

const PERIOD = { from: new Date('2026-12-07T10:00:00Z'), to: new Date('2026-12-07T12:00:00Z') };
const ACTION = { type: 'isolate-pod', target: { namespace: 'shop', pod: 'web-1' } };

test('escalations carry who decided, why, and how long each waited; undecided ones wait until the period ends', () => {
  const request = (id: string, time: string) =>
    entry(
      'approval-request',
      time,
      { approvalId: id, action: ACTION },
      { reasons: ['customer-facing'], rules: ['escalate.protected-label'] },
    );
  const entries = [
    request('a', '2026-12-07T09:59:00Z'), // before the period, decided inside it
    request('b', '2026-12-07T10:10:00Z'),
    request('c', '2026-12-07T11:00:00Z'),
    request('old', '2026-12-07T08:00:00Z'), // neither requested nor decided in the period
    entry(
      'approval',
      '2026-12-07T10:01:00Z',
      { approvalId: 'a', decision: 'approve', edited: true },
      { approver: 'user:alice', comment: 'owner agreed' },
      { actor: 'user:alice' },
    ),
    entry(
      'approval',
      '2026-12-07T10:40:00Z',
      { approvalId: 'b', decision: 'expired' },
      { rationale: 'escalations expire and are rejected (fail safe)' },
    ),
  ];
  const byId = Object.fromEntries(escalationsOf(entries, PERIOD).map((e) => [e.approvalId, e]));
  assert.deepEqual(Object.keys(byId).sort(), ['a', 'b', 'c']);
  assert.equal(byId['a']?.status, 'approved');
  assert.equal(byId['a']?.decidedBy, 'user:alice');
  assert.equal(byId['a']?.comment, 'owner agreed');
  assert.equal(byId['a']?.edited, true);
  assert.equal(byId['a']?.waitedMs, 120_000);
  assert.equal(byId['a']?.action, 'isolate-pod shop/web-1');
  assert.deepEqual(byId['a']?.rules, ['escalate.protected-label']);
  assert.equal(byId['b']?.status, 'expired');
  assert.equal(byId['b']?.comment, 'escalations expire and are rejected (fail safe)');
  assert.equal(byId['b']?.waitedMs, 30 * 60_000);
  assert.equal(byId['c']?.status, 'pending');
  assert.equal(byId['c']?.decidedBy, null);
  assert.equal(byId['c']?.waitedMs, 60 * 60_000);
});

test('denials and mutations name the proposed and the replacement action; incidents group by correlation id', () => {
  const entries = [
    entry('analysis', '2026-12-07T10:00:01Z', { severity: 'high', techniques: ['T1496'] }),
    entry(
      'verdict',
      '2026-12-07T10:00:02Z',
      {
        decision: 'mutate',
        proposedAction: { type: 'delete-pod', target: { namespace: 'shop', pod: 'web-1' } },
        action: ACTION,
      },
      { rules: ['mutate.delete-pod-to-isolate'], reasons: ['safer'], revision: 'sha256:r1' },
    ),
    entry('verdict', '2026-12-07T10:00:03Z', { decision: 'allow', action: ACTION }),
    entry(
      'verdict',
      '2026-12-07T10:00:04Z',
      { decision: 'deny', action: ACTION },
      {},
      { correlationId: 'inc-2' },
    ),
    entry('execution', '2026-12-07T10:00:05Z', { phase: 'intent', action: ACTION }),
    entry('execution', '2026-12-07T10:00:06Z', { phase: 'outcome', status: 'succeeded' }),
  ];
  const interventions = interventionsOf(entries);
  assert.deepEqual(
    interventions.map((i) => [i.decision, i.proposed, i.replacement, i.incidentId]),
    [
      ['mutate', 'delete-pod shop/web-1', 'isolate-pod shop/web-1', 'inc-1'],
      ['deny', 'isolate-pod shop/web-1', null, 'inc-2'],
    ],
  );
  assert.equal(interventions[0]?.revision, 'sha256:r1');
  const [one, two] = incidentsOf(entries);
  assert.equal(one?.id, 'inc-1');
  assert.deepEqual(one?.verdicts, { mutate: 1, allow: 1 });
  assert.equal(one?.executed, 1);
  assert.equal(one?.severity, 'high');
  assert.deepEqual(one?.techniques, ['T1496']);
  assert.deepEqual(two?.verdicts, { deny: 1 });
  assert.equal(actionLabel(undefined), '(no action recorded)');
});
