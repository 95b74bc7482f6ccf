import {
  Annotation,
  END,
  interrupt,
  START,
  StateGraph,
  type BaseCheckpointSaver,
} from '@langchain/langgraph';
import { digestOf } from '@vigil/core';
import type { Analysis, Finding, SkippedResponse } from '@vigil/soc';
import type {
  ApprovalRequest,
  Authorisation,
  ExecutionResult,
  HumanDecision,
  IncidentPorts,
  IncidentSummary,
  Proposal,
  ProposalOutcome,
  Review,
} from './ports.js';

/** Replaces the channel's value (the default for every field but `degraded`). */
function last<T>(initial: () => T) {
  return Annotation<T>({ reducer: (_old, next) => next, default: initial });
}

/**
 * The state of one incident's graph run, checkpointed after every node. Records are
 * keyed by proposal id so a node re-run after a crash overwrites rather than appends.
 */
export const IncidentState = Annotation.Root({
  incidentId: last<string>(() => ''),
  finding: last<Finding | null>(() => null),
  analysis: last<Analysis | null>(() => null),
  proposals: last<Proposal[]>(() => []),
  skipped: last<SkippedResponse[]>(() => []),
  reviews: last<Record<string, Review>>(() => ({})),
  decisions: last<Record<string, HumanDecision>>(() => ({})),
  /** Reviews of actions a human edited before approving. */
  rereviews: last<Record<string, Review>>(() => ({})),
  approvals: last<Record<string, string>>(() => ({})),
  executions: last<Record<string, ExecutionResult>>(() => ({})),
  degraded: Annotation<string[]>({
    reducer: (a, b) => [...new Set([...a, ...b])],
    default: () => [],
  }),
  status: last<'open' | 'awaiting-approval' | 'closed'>(() => 'open'),
});

export type IncidentStateValue = typeof IncidentState.State;

/** The idempotency key of one execution: the same incident, proposal and action never run twice. */
export function executionKey(incidentId: string, proposalId: string, action: unknown): string {
  return digestOf({ incidentId, proposalId, action });
}

/** The resume value the approvals API passes when every pending approval of an incident is decided. */
export type ApprovalResume = Record<string, HumanDecision>;

/**
 * Builds the incident graph: analyse → propose → review → execute what policy allowed →
 * (request approval → await approval → execute what humans approved) → notify → close.
 * Escalation pauses the run with a LangGraph `interrupt`; the run resumes with
 * `Command({ resume: decisions })`. Side effects that must happen once sit in their own
 * nodes before the interrupt, because a node is re-executed from its start when it resumes.
 */
export function buildIncidentGraph(ports: IncidentPorts, checkpointer: BaseCheckpointSaver) {
  const ctxOf = (s: IncidentStateValue) => ({ incidentId: s.incidentId });

  const graph = new StateGraph(IncidentState)
    .addNode('analyse', async (s) => {
      const analysis = await ports.analyse(s.finding!, ctxOf(s));
      return { analysis, degraded: analysis.degraded ? [analysis.degraded] : [] };
    })
    .addNode('propose', async (s) => {
      const { proposals, skipped } = await ports.propose(s.finding!, s.analysis!, ctxOf(s));
      await ports.record(
        'proposal',
        {
          proposals: proposals.map((p) => ({
            id: p.id,
            action: p.action,
            blastRadius: p.blastRadius,
          })),
        },
        {
          rationale: `responses recommended by the ${s.analysis!.source} analysis`,
          recommended: s.analysis!.recommendedResponses,
          skipped,
        },
        ctxOf(s),
      );
      return { proposals: [...proposals], skipped: [...skipped] };
    })
    .addNode('review', async (s) => {
      const reviews: Record<string, Review> = {};
      for (const proposal of s.proposals) {
        const review = await ports.review(proposal, s.finding!, s.analysis!, ctxOf(s));
        reviews[proposal.id] =
          review.decision === 'mutate' ? await validateRewrite(ports, proposal, review, s) : review;
      }
      return { reviews };
    })
    .addNode('request_approval', async (s) => {
      const requests: ApprovalRequest[] = s.proposals
        .filter((p) => s.reviews[p.id]?.decision === 'escalate')
        .map((p) => {
          const review = s.reviews[p.id]!;
          return {
            id: `${s.incidentId}/${p.id}`,
            incidentId: s.incidentId,
            proposalId: p.id,
            action: review.action,
            actionDigest: digestOf(review.action),
            review,
          };
        });
      await ports.requestApprovals(requests, ctxOf(s));
      await ports.notify(summarise({ ...s, status: 'awaiting-approval' }), ctxOf(s));
      return { status: 'awaiting-approval' as const };
    })
    .addNode('await_approval', async (s) => {
      const decisions = interrupt<{ incidentId: string; pending: string[] }, ApprovalResume>({
        incidentId: s.incidentId,
        pending: s.proposals
          .filter((p) => s.reviews[p.id]?.decision === 'escalate')
          .map((p) => p.id),
      });
      const rereviews: Record<string, Review> = {};
      const approvals: Record<string, string> = {};
      for (const [proposalId, decision] of Object.entries(decisions)) {
        if (decision.decision !== 'approve') continue;
        const proposal = s.proposals.find((p) => p.id === proposalId);
        if (!proposal) continue;
        if (decision.editedAction) {
          // An edited action is a new proposal: the remediator re-assesses its blast radius
          // and signs it, and the policy reviews it again before anything runs.
          const edited = await ports.assess(proposal.id, decision.editedAction, ctxOf(s));
          const rereview = await ports.review(edited, s.finding!, s.analysis!, ctxOf(s));
          rereviews[proposalId] = rereview;
          if (rereview.decision === 'deny') continue;
        }
        // The human signed the approval for exactly the (edited) action; the remediator
        // verifies that binding again before executing.
        if (decision.approval) approvals[proposalId] = decision.approval;
      }
      return { decisions, rereviews, approvals, status: 'open' as const };
    })
    .addNode('execute', async (s) => {
      const executions: Record<string, ExecutionResult> = { ...s.executions };
      for (const proposal of s.proposals) {
        const plan = executionPlan(s, proposal.id);
        if (!plan || executions[proposal.id]) continue;
        executions[proposal.id] = await ports.execute(
          plan.action,
          plan.authorisation,
          executionKey(s.incidentId, proposal.id, plan.action),
          ctxOf(s),
        );
      }
      return { executions };
    })
    .addNode('notify', async (s) => {
      await ports.notify(summarise({ ...s, status: 'closed' }), ctxOf(s));
      return { status: 'closed' as const };
    })
    .addEdge(START, 'analyse')
    .addEdge('analyse', 'propose')
    .addEdge('propose', 'review')
    // What policy allowed runs at once; only then does the run wait for humans on what
    // it escalated, and come back here to execute what they approved.
    .addEdge('review', 'execute')
    .addConditionalEdges('execute', (s) => (awaitsHumans(s) ? 'request_approval' : 'notify'), [
      'request_approval',
      'notify',
    ])
    .addEdge('request_approval', 'await_approval')
    .addEdge('await_approval', 'execute')
    .addEdge('notify', END);

  return graph.compile({ checkpointer });
}

/** Rule id of a rewrite the remediator refused to assess (it names no valid target). */
export const INVALID_REWRITE_RULE = 'vigil.mutation.invalid';

/**
 * A policy rewrite is validated like any proposal before anything runs: the remediator
 * assesses the rewritten action (catalogue shape, a target that exists in its inventory,
 * the rewrite's own asset and blast radius) and signs it, and the reviewer judges that
 * proposal. A rewrite the remediator refuses is denied here, with its reason, rather than
 * failing the incident at execution; one the policy rewrites yet again is escalated.
 */
async function validateRewrite(
  ports: IncidentPorts,
  proposal: Proposal,
  review: Review,
  s: IncidentStateValue,
): Promise<Review> {
  const ctx = { incidentId: s.incidentId };
  let assessed: Proposal;
  try {
    assessed = await ports.assess(proposal.id, review.action, ctx);
  } catch (error) {
    return {
      ...review,
      decision: 'deny',
      reasons: [
        ...review.reasons,
        `the rewritten ${review.action.type} is not a valid action: ${error instanceof Error ? error.message : String(error)}`,
      ],
      rules: [...review.rules, INVALID_REWRITE_RULE],
    };
  }
  const again = await ports.review(assessed, s.finding!, s.analysis!, ctx);
  const merged = {
    ...again,
    reasons: [...new Set([...review.reasons, ...again.reasons])],
    rules: [...new Set([...review.rules, ...again.rules])],
  };
  // An allow of the assessed rewrite executes it under that verdict: still a mutation.
  if (again.decision === 'allow') return { ...merged, decision: 'mutate' };
  if (again.decision === 'mutate')
    return {
      ...merged,
      decision: 'escalate',
      action: assessed.action,
      reasons: [...merged.reasons, 'the policy rewrote its own rewrite: a human decides'],
    };
  return merged;
}

/** Policy escalated an action and no human has decided yet (the decisions arrive all at once). */
function awaitsHumans(s: IncidentStateValue): boolean {
  return (
    Object.keys(s.decisions).length === 0 &&
    Object.values(s.reviews).some((r) => r.decision === 'escalate')
  );
}

/** What to execute for a proposal, and on whose authority — or nothing. */
function executionPlan(
  s: IncidentStateValue,
  proposalId: string,
): { action: Review['action']; authorisation: Authorisation } | undefined {
  const review = s.reviews[proposalId];
  if (!review) return undefined;
  if (review.decision === 'allow' || review.decision === 'mutate')
    return { action: review.action, authorisation: { kind: 'verdict', jws: review.verdict } };
  if (review.decision !== 'escalate') return undefined;
  const approval = s.approvals[proposalId];
  if (!approval) return undefined;
  const rereview = s.rereviews[proposalId];
  if (rereview && (rereview.decision === 'allow' || rereview.decision === 'mutate')) {
    return { action: rereview.action, authorisation: { kind: 'verdict', jws: rereview.verdict } };
  }
  return {
    action: rereview?.action ?? review.action,
    authorisation: { kind: 'approval', jws: approval },
  };
}

/** The outcome of each proposal as it stands, for notifications and the incidents API. */
export function summarise(s: IncidentStateValue): IncidentSummary {
  const items = s.proposals.map((proposal) => {
    const review = s.rereviews[proposal.id] ?? s.reviews[proposal.id];
    const execution = s.executions[proposal.id];
    const decision = s.decisions[proposal.id];
    let outcome: ProposalOutcome;
    if (execution) outcome = execution.status === 'succeeded' ? 'executed' : 'execution-failed';
    else if (review?.decision === 'deny') outcome = 'denied-by-policy';
    else if (decision?.decision === 'expired') outcome = 'approval-expired';
    else if (decision) outcome = 'rejected-by-human';
    else outcome = 'awaiting-approval';
    return {
      proposal,
      ...(review ? { review } : {}),
      outcome,
      ...(execution
        ? { detail: execution.detail }
        : decision
          ? { detail: `${decision.by}: ${decision.reason}` }
          : {}),
    };
  });
  return {
    incidentId: s.incidentId,
    status: s.status === 'closed' ? 'closed' : 'awaiting-approval',
    finding: s.finding!,
    analysis: s.analysis!,
    items,
    skipped: s.skipped,
    degraded: s.degraded,
  };
}
