import type { z } from 'zod';
import { POLICY_ERROR_CODES, PolicyError, type PolicyErrorCode } from './errors.js';
import {
  policyInputSchema,
  regoVerdictSchema,
  type FailClosedDecision,
  type PolicyDecision,
  type PolicyEngine,
  type ValidatedPolicyInput,
} from './types.js';

/** Options every engine shares. */
export interface EngineOptions {
  /** What evaluation failures resolve to (vigil.yaml `policy.failClosed`); default `deny`. */
  readonly failClosed?: FailClosedDecision;
  /** Deadline of one evaluation in milliseconds; default 1000. */
  readonly timeoutMs?: number;
  /**
   * When set, action types outside this list fail closed before the policy runs — a
   * harness-side guard in addition to the policy's own vocabulary check.
   */
  readonly knownActionTypes?: readonly string[];
  /** Monotonic clock in milliseconds (tests inject one); default `performance.now`. */
  readonly clock?: () => number;
}

/** Rule id of a harness fail-closed decision for each cause. */
export const FAIL_CLOSED_RULES: Readonly<Record<string, string>> = Object.freeze({
  [POLICY_ERROR_CODES.INPUT_INVALID]: 'vigil.fail-closed.input-invalid',
  [POLICY_ERROR_CODES.UNKNOWN_ACTION]: 'vigil.fail-closed.unknown-action',
  [POLICY_ERROR_CODES.ENGINE_ERROR]: 'vigil.fail-closed.engine-error',
  [POLICY_ERROR_CODES.TIMEOUT]: 'vigil.fail-closed.timeout',
  [POLICY_ERROR_CODES.OUTPUT_INVALID]: 'vigil.fail-closed.output-invalid',
});

/** Formats zod issues as `path: message` lines (paths like `action.target`). */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path === '' ? '(input)' : path}: ${issue.message}`;
  });
}

/** Thrown by a backend when the deadline passed; mapped to a fail-closed decision. */
export class EvaluationTimeout extends PolicyError {
  constructor(timeoutMs: number) {
    super(POLICY_ERROR_CODES.TIMEOUT, `policy evaluation exceeded its ${timeoutMs} ms deadline`);
  }
}

/**
 * The fail-closed shell around a backend: validates the input with zod, runs the
 * backend with a deadline, validates what the policy returned, and turns every failure
 * into a `deny`/`escalate` decision with a `vigil.fail-closed.*` rule — never `allow`,
 * never a rejected promise. Backends implement {@link evaluateRaw} only.
 */
export abstract class GuardedPolicyEngine implements PolicyEngine {
  abstract readonly backend: string;
  readonly revision: string;
  protected readonly failClosedDecision: FailClosedDecision;
  protected readonly timeoutMs: number;
  protected readonly clock: () => number;
  private readonly knownActionTypes: ReadonlySet<string> | undefined;

  protected constructor(revision: string, options: EngineOptions) {
    this.revision = revision;
    this.failClosedDecision = options.failClosed ?? 'deny';
    if (this.failClosedDecision !== 'deny' && this.failClosedDecision !== 'escalate') {
      throw new PolicyError(
        POLICY_ERROR_CODES.CONFIG,
        `failClosed must be deny or escalate, not ${String(this.failClosedDecision)}`,
      );
    }
    this.timeoutMs = options.timeoutMs ?? 1000;
    if (!(this.timeoutMs > 0)) {
      throw new PolicyError(
        POLICY_ERROR_CODES.CONFIG,
        `timeoutMs must be positive, not ${this.timeoutMs}`,
      );
    }
    this.clock = options.clock ?? (() => performance.now());
    this.knownActionTypes =
      options.knownActionTypes === undefined ? undefined : new Set(options.knownActionTypes);
  }

  /**
   * Evaluates validated input and returns the entrypoint's raw result (`undefined` when
   * the policy produced none). May throw; may throw {@link EvaluationTimeout}.
   */
  protected abstract evaluateRaw(input: ValidatedPolicyInput): Promise<unknown>;

  abstract close(): Promise<void>;

  /** See {@link PolicyEngine.evaluate}: never rejects, never allows on failure. */
  async evaluate(input: unknown): Promise<PolicyDecision> {
    const parsed = policyInputSchema.safeParse(input);
    if (!parsed.success) {
      const problems = describeIssues(parsed.error);
      return this.failClosed(
        POLICY_ERROR_CODES.INPUT_INVALID,
        `malformed policy input: ${problems.join('; ')}`,
      );
    }
    if (
      this.knownActionTypes !== undefined &&
      !this.knownActionTypes.has(parsed.data.action.type)
    ) {
      return this.failClosed(
        POLICY_ERROR_CODES.UNKNOWN_ACTION,
        `action type ${JSON.stringify(parsed.data.action.type)} is not one this engine accepts`,
      );
    }
    let raw: unknown;
    const started = this.clock();
    try {
      raw = await this.evaluateRaw(parsed.data);
    } catch (error) {
      if (error instanceof EvaluationTimeout)
        return this.failClosed(POLICY_ERROR_CODES.TIMEOUT, error.message);
      const message = error instanceof Error ? error.message : String(error);
      return this.failClosed(
        POLICY_ERROR_CODES.ENGINE_ERROR,
        `policy evaluation failed: ${message}`,
      );
    }
    // A result that arrives after the deadline is discarded: the caller has already
    // been told (or would be told) that the review timed out.
    if (this.clock() - started > this.timeoutMs) {
      return this.failClosed(
        POLICY_ERROR_CODES.TIMEOUT,
        `policy evaluation exceeded its ${this.timeoutMs} ms deadline`,
      );
    }
    if (raw === undefined) {
      return this.failClosed(
        POLICY_ERROR_CODES.OUTPUT_INVALID,
        'the policy produced no verdict for this input',
      );
    }
    const verdict = regoVerdictSchema.safeParse(raw);
    if (!verdict.success) {
      return this.failClosed(
        POLICY_ERROR_CODES.OUTPUT_INVALID,
        `the policy result is not a verdict: ${describeIssues(verdict.error).join('; ')}`,
      );
    }
    const v = verdict.data;
    return Object.freeze({
      decision: v.decision,
      reasons: Object.freeze([...v.reasons]),
      rules: Object.freeze([...v.rules]),
      confidence: v.confidence,
      revision: this.revision,
      ...(v.mutated_action === undefined ? {} : { mutatedAction: v.mutated_action }),
    });
  }

  /** A decision made by the harness because the policy could not decide. */
  protected failClosed(code: PolicyErrorCode, message: string): PolicyDecision {
    const rule = FAIL_CLOSED_RULES[code] ?? 'vigil.fail-closed.engine-error';
    return Object.freeze({
      decision: this.failClosedDecision,
      reasons: Object.freeze([`fail closed (${this.failClosedDecision}): ${message}`]),
      rules: Object.freeze([rule]),
      confidence: 0,
      revision: this.revision,
      failClosed: Object.freeze({ code, message }),
    });
  }
}
