import { z } from 'zod';
import { defineAgentContracts, defineSkill } from '@vigil/core';
import { DECISIONS, proposedActionSchema } from '@vigil/policy';
import { analysisSchema, severitySchema } from './analysis.js';
import { findingSchema } from './finding.js';

/**
 * The SOC's skill contracts: every message its agents exchange, defined once. Handlers
 * (`implementSkill` of `@vigil/runtime`) and calls (`createPeerClient`) are typed by these;
 * the callee validates the input, the caller the output, and the agent cards publish both
 * as JSON Schema.
 */

const id = z.string().min(1);
const nonNegativeInt = z.number().int().min(0);

/** One thing an action touches, and how. */
export const affectedAssetSchema = z.object({
  kind: z.string(),
  name: z.string(),
  namespace: z.string().optional(),
  /** Why it is affected: `isolated`, `deleted`, `scaled to 0`, `egress restricted`… */
  effect: z.string(),
});

/**
 * How much an action touches, computed by the remediator from its inventory. The
 * reviewer's `maxBlastRadius` compares against `total` (pods + users + nodes);
 * `replicas` counts workload replicas taken out of service.
 */
export const blastRadiusSchema = z.object({
  pods: nonNegativeInt,
  replicas: nonNegativeInt,
  users: nonNegativeInt,
  nodes: nonNegativeInt,
  namespaces: z.array(z.string()),
  total: nonNegativeInt,
  assets: z.array(affectedAssetSchema),
  /** Caveats a reviewer must see (host-network pod, bare pod not recreated, …). */
  warnings: z.array(z.string()),
});
export type BlastRadius = z.infer<typeof blastRadiusSchema>;
export type AffectedAsset = z.infer<typeof affectedAssetSchema>;

/** The target asset as the inventory knows it — what the policy matches namespaces, kinds and labels on. */
export const targetAssetSchema = z.object({
  kind: z.string().min(1),
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
  labels: z.record(z.string(), z.string()),
  owner: z.object({ kind: z.string().min(1), name: z.string().min(1) }).optional(),
  replicas: nonNegativeInt.optional(),
});
export type TargetAsset = z.infer<typeof targetAssetSchema>;

/**
 * One proposal as the remediator answers it and the coordinator forwards it to the
 * reviewer: signed by the remediator over its action, asset and blast radius
 * (`signProposal`), so the reviewer trusts the signature, not the sender.
 */
export const signedProposalSchema = z.object({
  id,
  action: proposedActionSchema,
  asset: targetAssetSchema,
  blastRadius: blastRadiusSchema,
  reversible: z.boolean(),
  basis: z.string(),
  signature: id,
});
export type SignedProposal = z.infer<typeof signedProposalSchema>;

/** A recommended response the remediator could not turn into a safe action, and why. */
export const skippedResponseSchema = z.object({ type: z.string(), reason: z.string() });
export type SkippedResponse = z.infer<typeof skippedResponseSchema>;

/** The remediator's answer to `propose-actions`. */
export const proposalSetSchema = z.object({
  proposals: z.array(signedProposalSchema),
  skipped: z.array(skippedResponseSchema),
});
export type ProposalSet = z.infer<typeof proposalSetSchema>;

/** How an execution is authorised: the reviewer's verdict, or a signed human approval (compact JWS). */
export const authorisationSchema = z.strictObject({
  kind: z.enum(['verdict', 'approval']),
  jws: id,
});
export type Authorisation = z.infer<typeof authorisationSchema>;

/** The reviewer's answer for one proposal, after its bounded mutate-and-review rounds. */
export const reviewSchema = z.object({
  decision: z.enum(DECISIONS),
  /** The action the decision applies to: the proposal's, or the rewrite after `mutate`. */
  action: proposedActionSchema,
  verdict: id.describe("Compact JWS signed by the reviewer, bound to the action's digest."),
  reasons: z.array(z.string()),
  rules: z.array(z.string()).describe('The policy rules that fired.'),
  revision: z.string().describe('Policy bundle revision.'),
  confidence: z.number().min(0).max(1),
  rounds: z.number().int().min(1),
});
export type Review = z.infer<typeof reviewSchema>;

/** Who authorised an execution (never the token itself). */
export const authorisationRecordSchema = z.object({
  kind: z.enum(['verdict', 'approval']),
  /** The verdict's or approval's `jti`. */
  id: z.string(),
  /** Reviewer SPIFFE ID or approver identity. */
  by: z.string(),
  decision: z.string(),
});
export type AuthorisationRecord = z.infer<typeof authorisationRecordSchema>;

/** `pending` is written before acting; a `pending` row found at start-up means a crash mid-execution. */
export const executionStateSchema = z.enum(['pending', 'done', 'failed', 'unknown']);
export type ExecutionState = z.infer<typeof executionStateSchema>;

/**
 * The remediator's record of one execution, as it answers it. What undo needs (the
 * plan's memo) stays in the remediator's store: it is nobody else's business.
 */
export const executionRecordSchema = z.object({
  id,
  idempotencyKey: z.string(),
  action: proposedActionSchema,
  actionDigest: z.string(),
  executor: z.string(),
  authorisation: authorisationRecordSchema,
  state: executionStateSchema,
  reversible: z.boolean(),
  /** Request summaries as planned. */
  plan: z.array(z.string()),
  /** The outcome: step results, or the reconcile note (the executor's own JSON). */
  result: z.json().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Failed before anything was sent (or reconciled as not applied): a retry may act. */
  retryable: z.boolean(),
  attempts: nonNegativeInt,
  /** This execution undoes that one. */
  undoOf: z.string().optional(),
  /** The execution that undid this one. */
  undoneBy: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ExecutionRecord = z.infer<typeof executionRecordSchema>;

/** The remediator's answer to `execute-action`. */
export const executionResultSchema = z.object({
  executionId: id,
  status: z.enum(['succeeded', 'failed']),
  detail: z.string(),
  record: executionRecordSchema,
});
export type ExecutionResult = z.infer<typeof executionResultSchema>;

/** An inverse action ready for review (`undo-action`), not executed. */
export const undoProposalSchema = z.object({
  undoOf: id,
  action: proposedActionSchema,
  digest: z.string(),
  blastRadius: blastRadiusSchema,
});
export type UndoProposal = z.infer<typeof undoProposalSchema>;

/** The `notify` skill's input: one notification, validated at the edge. */
export const notificationSchema = z.object({
  incidentId: id,
  kind: z.enum(['incident', 'escalation', 'approval-expired', 'degraded', 'failed']),
  title: z.string().min(1).max(300),
  severity: severitySchema,
  summary: z.string().max(4000),
  verdicts: z
    .array(
      z.object({
        action: z.string(),
        target: z.string(),
        decision: z.string(),
        reasons: z.array(z.string()),
        outcome: z.string().optional(),
      }),
    )
    .max(50),
  degraded: z.array(z.string()).max(20),
  traceLink: z.string().min(1),
  dedupKey: z.string().min(1),
  group: z.string().min(1).max(500).optional(),
  findings: z.number().int().min(1).optional(),
});
export type Notification = z.infer<typeof notificationSchema>;

/** Why a notification was held back for a summary. */
export const holdReasonSchema = z.enum(['similar', 'rate-limit']);
export type HoldReason = z.infer<typeof holdReasonSchema>;

/** The outcome of one delivery: a value, never an exception (a failed delivery is a result). */
export const deliveryResultSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('delivered'), channel: z.string(), attempts: nonNegativeInt }),
  z.object({ status: z.literal('duplicate'), channel: z.string(), attempts: z.literal(0) }),
  /** Not sent now: counted into the channel's summary of `group`, sent when the limit allows. */
  z.object({
    status: z.literal('held-back'),
    channel: z.string(),
    attempts: z.literal(0),
    group: z.string(),
    reason: holdReasonSchema,
    /** Notifications of the group held back so far, this one included. */
    pending: nonNegativeInt,
  }),
  z.object({
    status: z.literal('failed'),
    channel: z.string(),
    attempts: nonNegativeInt,
    error: z.string(),
  }),
]);
export type DeliveryResult = z.infer<typeof deliveryResultSchema>;

/** What the coordinator answers for a finding. */
export const assignmentSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.enum(['new', 'joined']),
    incidentId: id,
    entities: z.array(z.string()),
    stormKey: z.string(),
  }),
  /** A repeat of a storm (same storm key within the rollup window): counted in its incident. */
  z.object({ kind: z.literal('rolled-up'), incidentId: id, stormKey: z.string() }),
  z.object({ kind: z.literal('rate-limited'), entity: z.string() }),
  /** The finding was recorded before (a redelivery): acknowledged, nothing re-run. */
  z.object({ kind: z.literal('duplicate'), incidentId: id }),
]);
export type Assignment = z.infer<typeof assignmentSchema>;

/** A human's decision on an escalated proposal, as the coordinator's approvals API records it. */
export const humanDecisionSchema = z.object({
  decision: z.enum(['approve', 'reject', 'expired']),
  by: z.string().describe('`user:<id>` of the approver; `system` for expiry.'),
  reason: z.string(),
  /** Parameters the approver edited before approving; the edited action is reviewed again. */
  editedAction: proposedActionSchema.optional(),
  approval: z.string().optional().describe("The approver's signed decision (compact JWS)."),
  at: z.number(),
});
export type HumanDecision = z.infer<typeof humanDecisionSchema>;

export const approvalStatusSchema = z.enum(['pending', 'approved', 'rejected', 'expired']);
export type ApprovalStatus = z.infer<typeof approvalStatusSchema>;

/** One approval request of the coordinator's queue. */
export const approvalRecordSchema = z.object({
  id: id.describe('`<incident>/<proposal>`: URL-encode it in paths.'),
  incidentId: id,
  proposalId: id,
  action: proposedActionSchema,
  actionDigest: z.string().describe('RFC 8785 (JCS) SHA-256 digest of the action, hex.'),
  review: reviewSchema,
  status: approvalStatusSchema,
  requestedAt: z.number(),
  expiresAt: z.number(),
  decision: humanDecisionSchema.optional(),
});
export type ApprovalRecord = z.infer<typeof approvalRecordSchema>;

/** A person's decision as `resume-incident` takes it (the approvals API's body, signed). */
export const approvalInputSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  /** `user:<id>` of an authenticated analyst or admin. */
  by: id,
  reason: z.string(),
  /** Edited parameters; the edited action is reviewed again before anything runs. */
  parameters: z.record(z.string(), z.unknown()).optional(),
  /**
   * The decision signed by the human (`signApproval` of `@vigil/policy`) over the exact
   * action decided on — the edited one when parameters changed.
   */
  approval: id,
});
export type ApprovalInput = z.infer<typeof approvalInputSchema>;

/** What the coordinator sends the reviewer for one proposal. */
export const reviewRequestSchema = z.object({
  incidentId: id,
  proposal: signedProposalSchema,
  analysis: analysisSchema,
  detectorScore: z.number().min(0).max(1),
  /** Addresses and pods observed in the finding (inputs of the narrowing mutations). */
  observed: z
    .object({ addresses: z.array(z.string()).default([]), pods: z.array(z.string()).default([]) })
    .default({ addresses: [], pods: [] }),
});
export type ReviewRequest = z.infer<typeof reviewRequestSchema>;

/** One raw record the detector refused, and why (the first ones of a batch are listed). */
export const rejectedRecordSchema = z.object({
  /** 1-based item number in `events`. */
  line: z.number().int().min(1),
  code: z.string(),
  reason: z.string(),
  /** The field at fault (dotted path), when one field is. */
  field: z.string().optional(),
  offset: z.number().int().min(0).optional(),
});

/**
 * What a batch of raw records came to: counts that add up (`records = accepted +
 * duplicates + rejected`), the first rejections in full, and the findings it produced.
 */
export const intakeReportSchema = z.object({
  records: nonNegativeInt,
  accepted: nonNegativeInt,
  duplicates: nonNegativeInt,
  rejected: nonNegativeInt,
  rejections: z.array(rejectedRecordSchema),
  /** Rejections counted but not listed. */
  rejectionsOmitted: nonNegativeInt,
  lines: nonNegativeInt,
  findings: nonNegativeInt,
});

/** The SOC's skills. */
export const SOC_SKILLS = Object.freeze({
  ingestEvents: defineSkill({
    id: 'ingest-events',
    /** Raw records (Kubernetes audit, Falco, OCSF…): untrusted data, normalised by the detector. */
    input: z.object({ events: z.array(z.unknown()) }),
    output: intakeReportSchema,
  }),
  handleFinding: defineSkill({
    id: 'handle-finding',
    input: findingSchema,
    output: assignmentSchema,
  }),
  resumeIncident: defineSkill({
    id: 'resume-incident',
    input: approvalInputSchema.extend({ approvalId: id }),
    output: z.object({ approval: approvalRecordSchema }),
  }),
  analyseFinding: defineSkill({
    id: 'analyse-finding',
    input: z.object({ incidentId: id, finding: findingSchema }),
    output: analysisSchema,
  }),
  proposeActions: defineSkill({
    id: 'propose-actions',
    input: z.union([
      z.strictObject({ incidentId: id, finding: findingSchema, analysis: analysisSchema }),
      /** Re-assessment of one (edited) action, e.g. after an approver changed its parameters. */
      z.strictObject({ incidentId: id, proposalId: id, action: proposedActionSchema }),
    ]),
    output: proposalSetSchema,
  }),
  executeAction: defineSkill({
    id: 'execute-action',
    input: z.strictObject({
      incidentId: id.optional(),
      action: proposedActionSchema,
      authorisation: authorisationSchema,
      idempotencyKey: z.string().min(1).max(512).optional(),
      undoOf: z.uuid().optional(),
      /** The blast radius `total` the reviewer saw; more now → not executed (review again). */
      reviewedBlastRadius: nonNegativeInt.optional(),
    }),
    output: executionResultSchema,
  }),
  undoAction: defineSkill({
    id: 'undo-action',
    input: z.strictObject({ executionId: id }),
    output: undoProposalSchema,
  }),
  reviewAction: defineSkill({
    id: 'review-action',
    input: reviewRequestSchema,
    output: reviewSchema,
  }),
  notify: defineSkill({
    id: 'notify',
    input: notificationSchema,
    output: z.object({ results: z.array(deliveryResultSchema) }),
  }),
});

/**
 * Which SOC agent serves which skills (as `vigil.yaml` declares them): the map
 * `createPeerClient` types calls by, so a peer or skill name that does not exist does
 * not compile.
 */
export const SOC_AGENTS = defineAgentContracts({
  detector: [SOC_SKILLS.ingestEvents],
  coordinator: [SOC_SKILLS.handleFinding, SOC_SKILLS.resumeIncident],
  analyst: [SOC_SKILLS.analyseFinding],
  remediator: [SOC_SKILLS.proposeActions, SOC_SKILLS.executeAction, SOC_SKILLS.undoAction],
  reviewer: [SOC_SKILLS.reviewAction],
  notifier: [SOC_SKILLS.notify],
});
