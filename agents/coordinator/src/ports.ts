import type { Analysis, ActionType, Finding, Severity, SkippedResponse } from '@vigil/soc';
import type { RollupDigest } from './incident-store.js';

/** A concrete, typed response proposed by the remediator. */
export interface ProposedAction {
  readonly type: ActionType;
  readonly target: Readonly<Record<string, unknown>>;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** One proposal with what the reviewer needs to judge it. */
export interface Proposal {
  readonly id: string;
  readonly action: ProposedAction;
  readonly blastRadius: Readonly<Record<string, unknown>>;
  readonly asset: Readonly<Record<string, unknown>>;
  /** The remediator's signature over the action, asset and blast radius (`signProposal`). */
  readonly signature?: string;
}

/** The remediator's answer to a propose call. */
export interface ProposalSet {
  readonly proposals: readonly Proposal[];
  readonly skipped: readonly SkippedResponse[];
}

export type Decision = 'allow' | 'deny' | 'escalate' | 'mutate';

/** The reviewer's answer for one proposal, after its bounded mutate-and-review rounds. */
export interface Review {
  readonly decision: Decision;
  /** The action the decision applies to: the proposal's, or the rewritten one after `mutate`. */
  readonly action: ProposedAction;
  /** Compact JWS signed by the reviewer, bound to the digest of `action`. */
  readonly verdict: string;
  readonly reasons: readonly string[];
  readonly rules: readonly string[];
  readonly revision: string;
  readonly confidence: number;
}

/** A human's decision on an escalated proposal, as the coordinator's approvals API records it. */
export interface HumanDecision {
  readonly decision: 'approve' | 'reject' | 'expired';
  /** `user:<id>` of the approver; `system` for expiry. */
  readonly by: string;
  readonly reason: string;
  /** Parameters the approver edited before approving; the edited action is reviewed again. */
  readonly editedAction?: ProposedAction;
  /** The approver's signed approval (compact JWS) bound to the exact action approved. */
  readonly approval?: string;
  readonly at: number;
}

/** How an execution was authorised: the reviewer's verdict, or a signed human approval. */
export type Authorisation =
  | { readonly kind: 'verdict'; readonly jws: string }
  | { readonly kind: 'approval'; readonly jws: string };

export interface ExecutionResult {
  readonly executionId: string;
  readonly status: 'succeeded' | 'failed';
  readonly detail: string;
}

export type ProposalOutcome =
  | 'executed'
  | 'execution-failed'
  | 'denied-by-policy'
  | 'rejected-by-human'
  | 'approval-expired'
  | 'awaiting-approval';

/** Where an incident step happened, for the audit trail and traces. */
export interface StepContext {
  readonly incidentId: string;
  /** Who acted when not the coordinator itself: `user:<id>` for a human decision. */
  readonly actor?: string;
  /** W3C ids of the step's span, when the step has its own (an approval wait). */
  readonly traceId?: string | undefined;
  readonly spanId?: string | undefined;
}

/**
 * Everything the incident graph needs from the outside world. The graph knows no
 * transport: the agent wires these to A2A skill calls; tests wire them to the real
 * specialist libraries in-process.
 */
export interface IncidentPorts {
  analyse(finding: Finding, ctx: StepContext): Promise<Analysis>;
  propose(finding: Finding, analysis: Analysis, ctx: StepContext): Promise<ProposalSet>;
  /** Re-assesses one (edited) action: the remediator computes its asset and blast radius and signs it. */
  assess(proposalId: string, action: ProposedAction, ctx: StepContext): Promise<Proposal>;
  review(
    proposal: Proposal,
    finding: Finding,
    analysis: Analysis,
    ctx: StepContext,
  ): Promise<Review>;
  /** Executes with an idempotency key: a repeated key returns the first result. */
  execute(
    action: ProposedAction,
    authorisation: Authorisation,
    idempotencyKey: string,
    ctx: StepContext,
  ): Promise<ExecutionResult>;
  /** Opens approval requests for escalated proposals (persisted before the graph pauses). */
  requestApprovals(requests: readonly ApprovalRequest[], ctx: StepContext): Promise<void>;
  notify(summary: IncidentSummary, ctx: StepContext): Promise<void>;
  /** Tells people an incident's run failed and why (never silent; a failed delivery is logged, not thrown). */
  notifyFailure(failure: IncidentFailure, ctx: StepContext): Promise<void>;
  /** Appends a coordinator step to the audit trail; durable when it resolves, with the entry id. */
  record(
    kind: string,
    what: Record<string, unknown>,
    why: Record<string, unknown>,
    ctx: StepContext,
  ): Promise<{ readonly hash: string } | void>;
}

export interface ApprovalRequest {
  readonly id: string;
  readonly incidentId: string;
  readonly proposalId: string;
  readonly action: ProposedAction;
  readonly actionDigest: string;
  readonly review: Review;
}

/** What the notifier is told when an incident settles (or waits for a human). */
export interface IncidentSummary {
  readonly incidentId: string;
  readonly status: 'closed' | 'awaiting-approval';
  readonly finding: Finding;
  readonly analysis: Analysis;
  readonly items: readonly {
    proposal: Proposal;
    review?: Review;
    outcome: ProposalOutcome;
    detail?: string;
  }[];
  /** Recommended responses that became no action, with the remediator's reason. */
  readonly skipped: readonly SkippedResponse[];
  readonly degraded: readonly string[];
  /** What the incident covers, as the coordinator's store knows it when it notifies. */
  readonly correlation?: {
    /** Findings counted in the incident, storm repeats included. */
    readonly findings: number;
    /** Distinct signatures (see `signatureOf`) of its analysed findings. */
    readonly signatures: readonly string[];
    readonly rollup?: RollupDigest;
  };
}

/**
 * An incident whose graph run failed: what is known of it and why. The severity is the
 * analysis' when there is one, else the detection's own (rule tier, event priority), so
 * a failure is never announced as less than what was detected.
 */
export interface IncidentFailure {
  readonly incidentId: string;
  readonly finding: Finding;
  readonly severity: Severity;
  readonly reason: string;
  /** How far the run got (its analysis and each proposal's outcome), when it got to an analysis. */
  readonly progress?: IncidentSummary;
}
