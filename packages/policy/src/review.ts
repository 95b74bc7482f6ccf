import { digestOf } from '@vigil/core';
import { POLICY_ERROR_CODES } from './errors.js';
import { describeIssues } from './guarded-engine.js';
import {
  policyInputSchema,
  type Decision,
  type FailClosedDecision,
  type PolicyDecision,
  type PolicyEngine,
  type PolicyInput,
  type ProposedAction,
} from './types.js';

/** Rule id recorded when the review loop ran out of rounds. */
export const MAX_ROUNDS_RULE = 'vigil.review.max-rounds';

/**
 * The outcome of reviewing one proposed action, possibly over several rounds: what the
 * reviewer signs. When a mutated action was accepted, `decision` is `mutate` and
 * `mutatedAction` is the action to execute instead of `action`.
 */
export interface Verdict {
  readonly decision: Decision;
  readonly reasons: readonly string[];
  readonly rules: readonly string[];
  readonly confidence: number;
  readonly revision: string;
  /** The action as proposed. */
  readonly action: ProposedAction;
  /** The rewritten action to execute instead; present exactly when `decision` is `mutate`. */
  readonly mutatedAction?: ProposedAction;
  /**
   * The action the last round reviewed: `action`, or a rewrite of it. An escalation is
   * about this action, so a human approval binds to its digest.
   */
  readonly reviewedAction: ProposedAction;
  /** Every evaluation, in order (round 1 reviewed `action`). */
  readonly rounds: readonly PolicyDecision[];
  /** Set when the harness failed closed (see {@link PolicyDecision.failClosed}). */
  readonly failClosed?: { readonly code: string; readonly message: string };
}

export interface ReviewOptions {
  /** Rounds at most (vigil.yaml `policy.maxReviewRounds`, default 2); then escalate. */
  readonly maxReviewRounds?: number;
  /** Decision when the loop itself fails (e.g. `reassess` throws); default `deny`. */
  readonly failClosed?: FailClosedDecision;
  /**
   * Builds the input for reviewing a mutated action — e.g. recomputing the blast radius
   * from the inventory for the narrower action. Default: the previous input with the
   * action replaced (conservative: the blast radius of the original proposal).
   */
  readonly reassess?: (
    mutated: ProposedAction,
    previous: PolicyInput,
  ) => PolicyInput | Promise<PolicyInput>;
}

function dedupe(items: readonly string[]): string[] {
  return [...new Set(items)];
}

/**
 * Reviews `input.action` with `engine`: a `mutate` decision is reviewed again with the
 * mutated action, for at most `maxReviewRounds` rounds, after which the verdict is
 * `escalate` (rule {@link MAX_ROUNDS_RULE}). Precedence across rounds: a later round's
 * deny or escalate wins; a later allow of the rewritten action makes the verdict
 * `mutate` with that action. Never rejects: failures are fail-closed verdicts.
 */
export async function reviewAction(
  engine: PolicyEngine,
  input: unknown,
  options: ReviewOptions = {},
): Promise<Verdict> {
  const maxRounds = options.maxReviewRounds ?? 2;
  const failClosed = options.failClosed ?? 'deny';
  const parsed = policyInputSchema.safeParse(input);
  if (!parsed.success) {
    // The engine would fail closed too; decide here so the verdict still names an action
    // when one can be read.
    const decision = await engine.evaluate(input);
    const action = (input as { action?: ProposedAction } | null)?.action;
    return Object.freeze({
      ...decision,
      action: action ?? { type: '', target: {}, parameters: {} },
      reviewedAction: action ?? { type: '', target: {}, parameters: {} },
      rounds: Object.freeze([decision]),
    });
  }
  const proposed = parsed.data.action;
  const rounds: PolicyDecision[] = [];
  const seen = new Set<string>([digestOf(proposed)]);
  let current: PolicyInput = input as PolicyInput;
  let candidate: ProposedAction | undefined;
  let reviewing: ProposedAction = proposed;
  let lastReviewed: ProposedAction = proposed;
  for (let round = 1; round <= maxRounds; round += 1) {
    lastReviewed = reviewing;
    const decision = await engine.evaluate(current);
    rounds.push(decision);
    const reasons = dedupe(rounds.flatMap((r) => r.reasons));
    const rules = dedupe(rounds.flatMap((r) => r.rules));
    const base = {
      reasons,
      rules,
      confidence: decision.confidence,
      revision: decision.revision,
      action: proposed,
      reviewedAction: lastReviewed,
      rounds,
    };
    if (decision.failClosed !== undefined) {
      return Object.freeze({
        ...base,
        decision: decision.decision,
        failClosed: decision.failClosed,
      });
    }
    if (decision.decision !== 'mutate') {
      if (candidate !== undefined && decision.decision === 'allow') {
        return Object.freeze({ ...base, decision: 'mutate', mutatedAction: lastReviewed });
      }
      return Object.freeze({ ...base, decision: decision.decision });
    }
    const mutated = decision.mutatedAction as ProposedAction;
    const digest = digestOf(mutated);
    if (seen.has(digest)) {
      // The policy rewrote an action into one already reviewed: it would loop forever.
      return Object.freeze({
        ...base,
        decision: 'escalate',
        reasons: [...reasons, 'the policy rewrote the action into one it had already reviewed'],
        rules: [...rules, MAX_ROUNDS_RULE],
      });
    }
    seen.add(digest);
    candidate = mutated;
    try {
      current = options.reassess
        ? await options.reassess(mutated, current)
        : ({ ...(current as Record<string, unknown>), action: mutated } as PolicyInput);
    } catch (error) {
      const message = `re-assessing the mutated action failed: ${error instanceof Error ? error.message : String(error)}`;
      return Object.freeze({
        ...base,
        decision: failClosed,
        reasons: [...reasons, `fail closed (${failClosed}): ${message}`],
        rules: [...rules, 'vigil.fail-closed.engine-error'],
        confidence: 0,
        failClosed: { code: POLICY_ERROR_CODES.ENGINE_ERROR, message },
      });
    }
    const check = policyInputSchema.safeParse(current);
    if (!check.success) {
      const message = `the re-assessed input is malformed: ${describeIssues(check.error).join('; ')}`;
      return Object.freeze({
        ...base,
        decision: failClosed,
        reasons: [...reasons, `fail closed (${failClosed}): ${message}`],
        rules: [...rules, 'vigil.fail-closed.input-invalid'],
        confidence: 0,
        failClosed: { code: POLICY_ERROR_CODES.INPUT_INVALID, message },
      });
    }
    reviewing = check.data.action;
  }
  const last = rounds[rounds.length - 1] as PolicyDecision;
  return Object.freeze({
    decision: 'escalate',
    reasons: [
      ...dedupe(rounds.flatMap((r) => r.reasons)),
      `still rewriting after ${maxRounds} review rounds`,
    ],
    rules: [...dedupe(rounds.flatMap((r) => r.rules)), MAX_ROUNDS_RULE],
    confidence: last.confidence,
    revision: last.revision,
    action: proposed,
    reviewedAction: lastReviewed,
    rounds,
  });
}
