import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { buildIncidentGraph, type ApprovalResume } from './incident-graph.js';
import type { ProposedAction } from './ports.js';
import { minerFinding, recordingPorts } from './testing/recording-ports.js';

function saver(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-graph-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'checkpoints.db');
}

test('executes allowed and mutated actions, records denied ones, and notifies once closed', async (t) => {
  const { ports, executed, notified } = recordingPorts({
    'isolate-pod': 'allow',
    'delete-pod': 'mutate',
  });
  const graph = buildIncidentGraph(ports, SqliteSaver.fromConnString(saver(t)));
  const final = await graph.invoke(
    { incidentId: 'inc-1', finding: minerFinding },
    { configurable: { thread_id: 'inc-1' } },
  );
  assert.equal(final.status, 'closed');
  assert.deepEqual(
    [...executed.values()].map((e) => [e.action.type, e.kind]),
    [
      ['isolate-pod', 'verdict'],
      ['isolate-pod', 'verdict'],
    ],
  );
  assert.deepEqual(
    notified.at(-1)?.items.map((i) => i.outcome),
    ['executed', 'executed'],
  );
});

test('a denied action is never executed', async (t) => {
  const { ports, executed, notified } = recordingPorts({});
  const graph = buildIncidentGraph(ports, SqliteSaver.fromConnString(saver(t)));
  await graph.invoke(
    { incidentId: 'inc-2', finding: minerFinding },
    { configurable: { thread_id: 'inc-2' } },
  );
  assert.equal(executed.size, 0);
  assert.ok(notified.at(-1)?.items.every((i) => i.outcome === 'denied-by-policy'));
});

test('an escalation pauses the graph until a human decides, then executes under the approval', async (t) => {
  const { ports, executed, approvalRequests, notified } = recordingPorts({
    'isolate-pod': 'escalate',
    'delete-pod': 'escalate',
  });
  const graph = buildIncidentGraph(ports, SqliteSaver.fromConnString(saver(t)));
  const config = { configurable: { thread_id: 'inc-3' } };
  await graph.invoke({ incidentId: 'inc-3', finding: minerFinding }, config);
  assert.deepEqual(approvalRequests, ['p0', 'p1']);
  assert.equal(executed.size, 0, 'nothing runs while a human decides');
  assert.equal(notified.at(-1)?.status, 'awaiting-approval');
  const resume: ApprovalResume = {
    p0: {
      decision: 'approve',
      by: 'user:alice',
      reason: 'confirmed miner',
      approval: 'jws-by-alice',
      at: 2,
    },
    p1: { decision: 'reject', by: 'user:alice', reason: 'too disruptive', at: 2 },
  };
  const final = await graph.invoke(new Command({ resume }), config);
  assert.equal(final.status, 'closed');
  assert.deepEqual(
    [...executed.values()].map((e) => [e.action.type, e.kind]),
    [['isolate-pod', 'approval']],
  );
  assert.deepEqual(
    notified.at(-1)?.items.map((i) => i.outcome),
    ['executed', 'rejected-by-human'],
  );
});

test('what policy allowed runs at once, without waiting for the human deciding an escalated sibling', async (t) => {
  const { ports, executed, approvalRequests, notified } = recordingPorts({
    'isolate-pod': 'escalate',
    'delete-pod': 'allow',
  });
  const graph = buildIncidentGraph(ports, SqliteSaver.fromConnString(saver(t)));
  const config = { configurable: { thread_id: 'inc-5' } };
  await graph.invoke({ incidentId: 'inc-5', finding: minerFinding }, config);
  assert.deepEqual(approvalRequests, ['p0']);
  assert.deepEqual(
    [...executed.values()].map((e) => [e.action.type, e.kind]),
    [['delete-pod', 'verdict']],
  );
  const waiting = notified.at(-1);
  assert.equal(waiting?.status, 'awaiting-approval');
  assert.deepEqual(
    waiting?.items.map((i) => i.outcome),
    ['awaiting-approval', 'executed'],
    'the humans are told what already ran',
  );
  const final = await graph.invoke(
    new Command({
      resume: {
        p0: { decision: 'approve', by: 'user:alice', reason: 'ok', approval: 'jws', at: 2 },
      },
    }),
    config,
  );
  assert.equal(final.status, 'closed');
  assert.deepEqual(
    [...executed.values()].map((e) => [e.action.type, e.kind]),
    [
      ['delete-pod', 'verdict'],
      ['isolate-pod', 'approval'],
    ],
    'the allowed action is not executed a second time',
  );
});

test('an action edited by the approver is reviewed again before it runs', async (t) => {
  const { ports, executed } = recordingPorts({
    'delete-pod': 'escalate',
    'isolate-pod': 'escalate',
    'scale-to-zero': 'deny',
  });
  const graph = buildIncidentGraph(ports, SqliteSaver.fromConnString(saver(t)));
  const config = { configurable: { thread_id: 'inc-4' } };
  await graph.invoke({ incidentId: 'inc-4', finding: minerFinding }, config);
  const edited: ProposedAction = {
    type: 'scale-to-zero',
    target: { namespace: 'shop', deployment: 'web' },
    parameters: {},
  };
  const final = await graph.invoke(
    new Command({
      resume: {
        p0: {
          decision: 'approve',
          by: 'user:bob',
          reason: 'scale instead',
          editedAction: edited,
          at: 3,
        },
      },
    }),
    config,
  );
  assert.equal(executed.size, 0, 'the policy denied the edited action');
  assert.equal(final.rereviews['p0']?.decision, 'deny');
});

test('a coordinator restarted mid-incident resumes from its checkpoint without executing twice', async (t) => {
  const file = saver(t);
  const first = recordingPorts(
    { 'isolate-pod': 'allow', 'delete-pod': 'deny' },
    { failNotifyOnce: true },
  );
  const config = { configurable: { thread_id: 'inc-5' } };
  await assert.rejects(
    buildIncidentGraph(first.ports, SqliteSaver.fromConnString(file)).invoke(
      { incidentId: 'inc-5', finding: minerFinding },
      config,
    ),
    /crashed/,
  );
  assert.equal(first.executed.size, 1);
  // A new process: a new graph over the same checkpoint file, resumed with no input.
  const restarted = buildIncidentGraph(first.ports, SqliteSaver.fromConnString(file));
  const final = await restarted.invoke(null, config);
  assert.equal(final.status, 'closed');
  assert.equal([...first.executed.values()][0]?.calls, 1, 'execute did not run again');
  assert.equal(first.notified.at(-1)?.status, 'closed');
});
