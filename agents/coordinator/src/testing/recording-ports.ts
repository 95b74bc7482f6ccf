import { analyseOffline } from '@vigil/analyst';
import { digestOf } from '@vigil/core';
import type { Finding } from '@vigil/soc';
import type {
  Decision,
  IncidentFailure,
  IncidentPorts,
  IncidentSummary,
  Proposal,
  ProposedAction,
} from '../ports.js';

/** A proposal as the remediator answers it, on one pod, touching one pod (the test's stand-in). */
export function podProposal(id: string, action: ProposedAction): Proposal {
  const namespace = String(action.target['namespace'] ?? 'shop');
  const pod = String(action.target['pod'] ?? 'web-1');
  return {
    id,
    action,
    asset: { kind: 'Pod', name: pod, namespace, labels: {} },
    blastRadius: {
      pods: 1,
      replicas: 0,
      users: 0,
      nodes: 0,
      namespaces: [namespace],
      total: 1,
      assets: [{ kind: 'Pod', name: pod, namespace, effect: action.type }],
      warnings: [],
    },
    reversible: true,
    basis: 'test',
    signature: 'unsigned-test-proposal',
  };
}

export const minerFinding: Finding = {
  id: 'f-1',
  detectedAt: 1,
  score: 0.8,
  threshold: 0.6,
  modelVersion: 't',
  topFeatures: [],
  event: {
    id: 'e1',
    time: 1,
    format: 'falco',
    classUid: 1007,
    activity: 'launch',
    severityId: 4,
    actor: {},
    tags: [],
    raw: {},
    process: { name: 'xmrig' },
    workload: { namespace: 'shop', pod: 'web-1' },
  },
  entities: { workload: 'shop/web-1', addresses: [] },
};

/**
 * Ports whose reviewer answers from a table (action type → decision) and whose
 * executor counts calls per idempotency key, returning the first result again — the
 * contract the real remediator keeps. The analyser is the real offline analyser.
 */
export function recordingPorts(
  decisions: Partial<Record<string, Decision>>,
  options: { failNotifyOnce?: boolean } = {},
) {
  const executed = new Map<string, { action: ProposedAction; kind: string; calls: number }>();
  const notified: IncidentSummary[] = [];
  const failures: IncidentFailure[] = [];
  const approvalRequests: string[] = [];
  const records: string[] = [];
  let failNotify = options.failNotifyOnce ?? false;
  const ports: IncidentPorts = {
    analyse: async (f) => analyseOffline(f),
    propose: async (f, a) => ({
      proposals: a.recommendedResponses.map((type, i) =>
        podProposal(`p${i}`, { type, target: { namespace: 'shop', pod: 'web-1' }, parameters: {} }),
      ),
      skipped: [],
    }),
    review: async (p) => {
      const decision = decisions[p.action.type] ?? 'deny';
      const action =
        decision === 'mutate' ? { ...p.action, type: 'isolate-pod' as const } : p.action;
      return {
        decision,
        action,
        verdict: `jws:${digestOf(action)}`,
        reasons: [`table says ${decision}`],
        rules: ['test'],
        revision: 'r1',
        confidence: 0.9,
        rounds: 1,
      };
    },
    assess: async (id, action) => podProposal(id, action),
    execute: async (action, authorisation, key) => {
      const seen = executed.get(key);
      if (seen) {
        seen.calls++;
        return { executionId: key, status: 'succeeded', detail: 'replayed' };
      }
      executed.set(key, { action, kind: authorisation.kind, calls: 1 });
      return { executionId: key, status: 'succeeded', detail: `${action.type} done` };
    },
    requestApprovals: async (requests) =>
      void approvalRequests.push(...requests.map((r) => r.proposalId)),
    notify: async (summary) => {
      if (failNotify && summary.status === 'closed') {
        failNotify = false;
        throw new Error('coordinator crashed before notifying');
      }
      notified.push(summary);
    },
    notifyFailure: async (failure) => void failures.push(failure),
    // Each record answers an entry id, as the audit writer does (here `<kind>-<n>`).
    record: async (kind) => ({ hash: `${kind}-${records.push(kind)}` }),
  };
  return { ports, executed, notified, failures, approvalRequests, records };
}
