import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AuditEntry, AuditEntryInput } from './entry.js';
import { defineAuditVocabulary, inline } from './kinds.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { createTestCa, type TestCa } from './testing/identities.js';
import { reconstructTrace, renderTraceTree, traceSteps, traceToJson } from './trace.js';
import { createAuditWriter, type AuditWriter } from './writer.js';

const TD = 'spiffe://trace.test/agent';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
// A small agent system of its own: cases opened from intakes, triaged, assessed, acted on
// through the harness's proposal/verdict/approval/execution kinds, and noticed.
const vocabulary = defineAuditVocabulary({
  correlation: 'case',
  kinds: {
    intake: {
      flowRank: 0,
      summarize: (e) => `${inline(e.what['count'])} events from ${inline(e.what['source'])}`,
    },
    triage: { flowRank: 10, execution: true },
    assessment: { flowRank: 20, execution: true },
    notice: { flowRank: 80 },
  },
});
let ca: TestCa;
let store: SqliteAuditStore;
const w: Record<string, AuditWriter> = {};

before(() => {
  ca = createTestCa();
  store = new SqliteAuditStore(':memory:');
  for (const name of ['detector', 'coordinator', 'analyst', 'remediator', 'reviewer', 'notifier']) {
    w[name] = createAuditWriter({
      store,
      signer: ca.issue(`${TD}/${name}`),
      kinds: vocabulary.kinds,
    });
  }
});
after(async () => {
  await store.close();
  ca.dispose();
});

const t0 = Date.parse('2026-11-25T10:00:00.000Z');
function at(ms: number): string {
  return new Date(t0 + ms).toISOString();
}
async function rec(
  agent: string,
  ms: number,
  input: Omit<AuditEntryInput, 'actor' | 'time' | 'traceId'> & { actor?: string },
): Promise<AuditEntry> {
  return w[agent]!.append({ actor: `${TD}/${agent}`, traceId: TRACE, time: at(ms), ...input });
}

test('rebuilds a multi-agent decision chain as a tree with timings, from the audit store alone', async () => {
  const batch = await rec('detector', 0, {
    kind: 'intake',
    what: { count: 3, source: 'falco' },
    why: {},
  });
  const finding = await rec('detector', 4, {
    kind: 'triage',
    correlationId: 'case-1',
    what: { title: 'Shell in container', severity: 'high', parentEntryId: batch.hash },
    why: { rationale: 'isolation score 0.81' },
  });
  const analysis = await rec('analyst', 120, {
    kind: 'assessment',
    correlationId: 'case-1',
    what: { severity: 'high', confidence: 0.9, tags: ['scripted'], parentEntryId: finding.hash },
    why: { rationale: 'interactive shell spawned by web server', model: 'offline-rules' },
  });
  const p1 = await rec('remediator', 150, {
    kind: 'proposal',
    correlationId: 'case-1',
    what: {
      proposalId: 'p1',
      action: { type: 'isolate-pod', target: { namespace: 'shop', name: 'web-1' } },
      parentEntryId: analysis.hash,
    },
    why: {},
  });
  await rec('remediator', 151, {
    kind: 'proposal',
    correlationId: 'case-1',
    what: {
      proposalId: 'p2',
      action: { type: 'delete-pod', target: { namespace: 'kube-system', name: 'coredns' } },
      parentEntryId: analysis.hash,
    },
    why: {},
  });
  const v1 = await rec('reviewer', 160, {
    kind: 'verdict',
    correlationId: 'case-1',
    what: { decision: 'allow', proposalId: 'p1', parentEntryId: p1.hash },
    why: { ruleIds: ['ops.allow.isolate'], reasons: ['isolation is reversible'] },
  });
  const v2 = await rec('reviewer', 161, {
    kind: 'verdict',
    correlationId: 'case-1',
    what: { decision: 'escalate', proposalId: 'p2' },
    why: { ruleIds: ['ops.escalate.critical'] },
  }); // no parentEntryId: inferred by proposalId
  const req = await rec('coordinator', 170, {
    kind: 'approval-request',
    correlationId: 'case-1',
    what: { proposalId: 'p2', parentEntryId: v2.hash },
    why: {},
  });
  await rec('coordinator', 5170, {
    kind: 'approval',
    actor: 'user:alice',
    correlationId: 'case-1',
    what: { decision: 'rejected', parentEntryId: req.hash },
    why: { comment: 'coredns is critical' },
  });
  const ex = await w['remediator']!.recordStep(
    {
      kind: 'execution',
      actor: `${TD}/remediator`,
      traceId: TRACE,
      correlationId: 'case-1',
      time: at(200),
      what: { action: { type: 'isolate-pod' }, parentEntryId: v1.hash },
      why: {},
    },
    () => Promise.resolve('networkpolicy/vigil-isolate-web-1 created'),
    (result) => ({ what: { result } }),
  );
  await rec('notifier', 300, {
    kind: 'notice',
    correlationId: 'case-1',
    what: { channel: 'slack', status: 'delivered', parentEntryId: ex.outcome.hash },
    why: {},
  });
  // Unrelated noise.
  await rec('detector', 10, {
    kind: 'triage',
    correlationId: 'case-2',
    traceId: undefined,
    what: { title: 'other' },
    why: {},
  } as never);

  const trace = await reconstructTrace(store, 'case-1', vocabulary);
  assert.equal(trace.entries, 12); // the intake joins through the triage's parentEntryId
  assert.deepEqual(trace.correlationIds, ['case-1']);
  assert.deepEqual(trace.traceIds, [TRACE]);
  assert.equal(trace.roots.length, 1);
  const root = trace.roots[0]!;
  assert.equal(root.entry.kind, 'intake');
  const analysisNode = root.children[0]!.children[0]!;
  assert.equal(analysisNode.entry.kind, 'assessment');
  assert.equal(analysisNode.offsetMs, 120);
  const [prop1, prop2] = analysisNode.children;
  assert.equal(prop1!.children[0]!.entry.what['decision'], 'allow');
  const escalated = prop2!.children[0]!;
  assert.equal(escalated.link, 'inferred');
  assert.equal(escalated.entry.what['decision'], 'escalate');
  const approval = escalated.children[0]!.children[0]!;
  assert.equal(approval.entry.actor, 'user:alice');
  assert.equal(approval.offsetMs, 5170);
  const intent = prop1!.children[0]!.children[0]!;
  assert.equal(intent.entry.what['phase'], 'intent');
  assert.equal(intent.children[0]!.entry.what['status'], 'succeeded');
  assert.equal(intent.children[0]!.children[0]!.entry.kind, 'notice');

  const text = renderTraceTree(trace);
  assert.match(text, /^case case-1 · trace 4bf92f35/);
  assert.match(text, /└─ \+0 ms {2}intake {2}detector {2}3 events from falco/);
  assert.match(
    text,
    /verdict {2}reviewer {2}allow .*rules ops\.allow\.isolate — isolation is reversible/,
  );
  assert.match(text, /approval {2}user:alice {2}rejected by user:alice: "coredns is critical"/);
  assert.match(text, /\+5170 ms/);
  // Same tree by trace id, and as JSON.
  const byTrace = await reconstructTrace(store, TRACE, vocabulary);
  assert.equal(byTrace.entries, 12);
  const json = JSON.parse(JSON.stringify(traceToJson(trace))) as {
    roots: { kind: string; children: unknown[] }[];
  };
  assert.equal(json.roots[0]!.kind, 'intake');
  // As rows: every node once, in the printed order, each under its parent.
  const steps = traceSteps(trace);
  assert.equal(steps.length, 12);
  const printed = text.split('\n').slice(1);
  steps.forEach((step, i) => assert.ok(printed[i]!.includes(`[${step.entry.hash.slice(0, 12)}]`)));
  assert.deepEqual(
    steps.slice(0, 3).map((s) => [s.entry.kind, s.depth, s.parentId]),
    [
      ['intake', 0, null],
      [root.children[0]!.entry.kind, 1, root.entry.hash],
      ['assessment', 2, root.children[0]!.entry.hash],
    ],
  );
});

test("without the system's describers its kinds are summarised as JSON and placed only by explicit parents", async () => {
  const trace = await reconstructTrace(store, 'case-1');
  assert.equal(trace.correlation, 'correlation');
  assert.match(renderTraceTree(trace), /^correlation case-1 · trace/);
  const root = trace.roots.find((n) => n.entry.kind === 'intake')!;
  assert.equal(root.summary, '{"count":3,"source":"falco"}');
  const all = (nodes: readonly (typeof root)[]): (typeof root)[] =>
    nodes.flatMap((n) => [n, ...all(n.children)]);
  // The escalated verdict names no parent: the harness kinds keep their flow, so it still
  // follows the proposal of the same proposalId.
  const escalated = all(trace.roots).find((n) => n.entry.what['decision'] === 'escalate')!;
  assert.equal(escalated.link, 'inferred');
  assert.equal(
    all(trace.roots).find((n) => n.children.includes(escalated))?.entry.kind,
    'proposal',
  );
});

test('names the id when nothing matches', async () => {
  await assert.rejects(reconstructTrace(store, 'case-404'), {
    code: 'VIGIL_AUDIT_NOT_FOUND',
    message: /case-404/,
  });
});
