import { z } from 'zod';

/** The four outcomes of a review (DESIGN.md, "Verdicts and escalation"). */
export const DECISIONS = ['allow', 'deny', 'escalate', 'mutate'] as const;
export type Decision = (typeof DECISIONS)[number];

/** How evaluation failures resolve: never `allow`. */
export type FailClosedDecision = 'deny' | 'escalate';

const record = z.record(z.string(), z.unknown());

/**
 * An action an agent proposes. The action vocabulary belongs to the policy (the SOC's
 * is in `policies/soc/actions.rego`); the harness only requires this shape.
 */
export const proposedActionSchema = z.strictObject({
  type: z.string().min(1).max(128),
  target: record,
  parameters: record,
});
export type ProposedAction = z.infer<typeof proposedActionSchema>;

const nonNegativeInt = z.number().int().min(0);
const unit = z.number().min(0).max(1);

/**
 * Everything the policy decides on. Validated before any engine sees it, so a policy
 * never has to guess at missing fields: malformed input fails closed in the harness.
 */
export const policyInputSchema = z.strictObject({
  action: proposedActionSchema,
  /** The target asset as the inventory knows it (not as the proposal claims). */
  asset: z
    .object({
      kind: z.string().min(1),
      name: z.string().min(1),
      namespace: z.string().min(1).optional(),
      labels: z.record(z.string(), z.string()).default({}),
      owner: z.strictObject({ kind: z.string().min(1), name: z.string().min(1) }).optional(),
      replicas: nonNegativeInt.optional(),
    })
    .loose(),
  /** What the action touches, computed by the requester from the inventory. */
  blastRadius: z.strictObject({
    pods: nonNegativeInt,
    replicas: nonNegativeInt,
    users: nonNegativeInt,
  }),
  analysis: z
    .object({
      severity: z.enum(['low', 'medium', 'high', 'critical']),
      confidence: unit,
      techniques: z.array(z.string()),
      source: z.enum(['model', 'rule-based']),
      observedAddresses: z.array(z.string()).optional(),
      affectedPods: z.array(z.string()).optional(),
    })
    .loose(),
  /** The detector's anomaly score of the triggering finding. */
  detectorScore: unit,
  /** The requesting agent, as authenticated by mTLS (never as claimed in a payload). */
  requester: z.strictObject({ spiffeId: z.string().startsWith('spiffe://') }),
  /** When the action was proposed (RFC 3339, UTC). */
  time: z.iso.datetime(),
});
export type PolicyInput = z.input<typeof policyInputSchema>;
export type ValidatedPolicyInput = z.output<typeof policyInputSchema>;

/** One evaluation of one input by one engine. */
export interface PolicyDecision {
  readonly decision: Decision;
  /** Human-readable reasons, one per rule that decided. */
  readonly reasons: readonly string[];
  /** Stable ids of the rules that decided (e.g. `escalate.blast-radius`). */
  readonly rules: readonly string[];
  /** The rewritten action; present exactly when `decision` is `mutate`. */
  readonly mutatedAction?: ProposedAction;
  /** Reviewer confidence in [0, 1] (formula in docs/policy.md). */
  readonly confidence: number;
  /** Bundle revision: digest of the policy sources, the entrypoint and the data. */
  readonly revision: string;
  /** Set when the harness, not the policy, decided (fail closed), with the cause's code. */
  readonly failClosed?: { readonly code: string; readonly message: string };
}

/**
 * A policy decision point. Implementations never reject for expected failures:
 * malformed input, engine errors and timeouts resolve to a fail-closed decision
 * (`deny` or `escalate`, configured), never `allow`.
 */
export interface PolicyEngine {
  /** Evaluates `input` (validated against {@link policyInputSchema} first). */
  evaluate(input: unknown): Promise<PolicyDecision>;
  /** The bundle revision every decision of this engine records. */
  readonly revision: string;
  /** Human-readable backend name, e.g. `opa-wasm`. */
  readonly backend: string;
  close(): Promise<void>;
}

/** The raw object the Rego entrypoint returns (snake_case, as written in Rego). */
export const regoVerdictSchema = z
  .strictObject({
    decision: z.enum(DECISIONS),
    reasons: z.array(z.string()),
    rules: z.array(z.string()),
    confidence: unit,
    mutated_action: proposedActionSchema.optional(),
  })
  .refine((v) => (v.decision === 'mutate') === (v.mutated_action !== undefined), {
    message: 'mutated_action must be present exactly when decision is mutate',
    path: ['mutated_action'],
  });
