import type { ActionPlan } from '../actions/action.js';
import { permissionOf, type RbacPermission } from '../actions/requests.js';
import type { Executor, RequestOutcome } from './executor.js';

/** What happened to one planned request. */
export interface StepResult {
  readonly summary: string;
  /** `kubernetes` or `webhook`: which side of a routing executor carried it. */
  readonly kind: 'kubernetes' | 'webhook';
  /** The RBAC permission the request exercised (Kubernetes requests only). */
  readonly permission?: RbacPermission;
  readonly outcome: RequestOutcome;
}

/** The result of carrying out a plan: `ok` when every request succeeded. */
export interface PlanResult {
  readonly ok: boolean;
  readonly steps: readonly StepResult[];
  /** Requests not sent because an earlier one failed. */
  readonly skipped: readonly string[];
}

/**
 * Sends a plan's requests in order, stopping at the first failure (later requests may
 * depend on earlier ones: the quarantine label only after its policy exists).
 */
export async function executePlan(
  executor: Executor,
  plan: ActionPlan,
  idempotencyKey: string,
  signal?: AbortSignal,
): Promise<PlanResult> {
  const steps: StepResult[] = [];
  for (const [i, request] of plan.requests.entries()) {
    const outcome = await executor.send(request, {
      idempotencyKey: `${idempotencyKey}#${i}`,
      ...(signal ? { signal } : {}),
    });
    const permission = permissionOf(request);
    steps.push({
      summary: request.summary,
      kind: request.kind,
      ...(permission ? { permission } : {}),
      outcome,
    });
    if (!outcome.ok) {
      return {
        ok: false,
        steps,
        skipped: plan.requests.slice(i + 1).map((r) => r.summary),
      };
    }
  }
  return { ok: true, steps, skipped: [] };
}
