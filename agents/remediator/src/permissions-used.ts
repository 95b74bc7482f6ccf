import { z } from 'zod';
import type { RbacPermission } from './actions/requests.js';
import type { ExecutionRecord } from './store/execution-store.js';

/** The part of a stored plan result this reads (`PlanResult`, round-tripped through JSON). */
const stepsSchema = z.object({
  steps: z.array(
    z.object({
      kind: z.enum(['kubernetes', 'webhook']),
      permission: z
        .object({
          apiGroups: z.tuple([z.string()]),
          resources: z.tuple([z.string()]),
          verbs: z.tuple([z.string()]),
        })
        .optional(),
      outcome: z.object({ ok: z.boolean() }),
    }),
  ),
});

/** What an execution exercised of the remediator's grants, for its audit outcome entry. */
export interface ExercisedGrants {
  /** RBAC permissions of the requests that succeeded (duplicates removed). */
  readonly permissionsUsed: readonly RbacPermission[];
  /** Declared tool ids of the executors that carried them (`<executor>-executor`, as in vigil.yaml). */
  readonly toolsUsed: readonly string[];
}

/**
 * The grants `record` exercised: only requests that succeeded count, so a refused or
 * skipped request never makes a permission look needed. A routing executor's name is
 * `<kubernetes side>+<webhook side>`; each step is credited to the side that carried it.
 */
export function exercisedGrants(record: ExecutionRecord): ExercisedGrants {
  const parsed = stepsSchema.safeParse(record.result);
  if (!parsed.success) return { permissionsUsed: [], toolsUsed: [] };
  const [kubernetesSide, webhookSide = kubernetesSide] = record.executor.split('+');
  const permissions = new Map<string, RbacPermission>();
  const tools = new Set<string>();
  for (const step of parsed.data.steps) {
    if (!step.outcome.ok) continue;
    tools.add(`${step.kind === 'kubernetes' ? kubernetesSide : webhookSide}-executor`);
    if (step.permission) permissions.set(JSON.stringify(step.permission), step.permission);
  }
  return { permissionsUsed: [...permissions.values()], toolsUsed: [...tools] };
}
