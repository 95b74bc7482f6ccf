import type { DeepReadonly } from '@vigil/core';
import type {
  Analysis,
  Authorisation,
  ExecutionResult as SocExecutionResult,
  Finding,
  HumanDecision as SocHumanDecision,
  ProposalSet as SocProposalSet,
  ProposedAction as SocProposedAction,
  Review as SocReview,
  Severity,
  SignedProposal,
  SkippedResponse,
} from '@vigil/soc';
import type { RollupDigest } from './incident-store.js';

/*
 * The messages the coordinator exchanges with the specialists are the SOC's skill
 * contracts (`@vigil/soc`); these names are the coordinator's read-only views of them.
 */
export type { Authorisation, Decision } from '@vigil/soc';
export type ProposedAction = DeepReadonly<SocProposedAction>;
/** One proposal with what the reviewer needs to judge it, signed by the remediator. */
export type Proposal = DeepReadonly<SignedProposal>;
/** The remediator's answer to a propose call. */
export type ProposalSet = DeepReadonly<SocProposalSet>;
/** The reviewer's answer for one proposal, after its bounded mutate-and-review rounds. */
export type Review = DeepReadonly<SocReview>;
/** A human's decision on an escalated proposal, as the coordinator's approvals API records it. */
export type HumanDecision = DeepReadonly<SocHumanDecision>;
/** What the graph needs of the remediator's answer to an execution. */
export type ExecutionResult = Pick<
  DeepReadonly<SocExecutionResult>,
  'executionId' | 'status' | 'detail'
>;

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
