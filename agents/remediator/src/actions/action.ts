import type { z } from 'zod';
import type { DeepReadonly } from '@vigil/core';
import type {
  AffectedAsset as SocAffectedAsset,
  BlastRadius as SocBlastRadius,
  ProposedAction,
} from '@vigil/soc';
import type { Inventory } from '../inventory/inventory.js';
import type { ApiRequest } from './requests.js';

/**
 * A concrete, typed response: what to do (`type`), to what (`target`), how
 * (`parameters`) — `@vigil/policy`'s `ProposedAction`, so the digest a verdict or
 * approval is bound to (`digestOf(action)`, RFC 8785) is the one executed. Everything
 * execution needs is in the action itself (e.g. the quarantine id), so planning is a pure
 * function of the action and the inventory.
 */
export type Action = DeepReadonly<ProposedAction>;

/** One thing an action touches. */
export type AffectedAsset = DeepReadonly<SocAffectedAsset>;

/**
 * How much an action touches: the reviewer's `maxBlastRadius` compares against
 * `total` (pods + users + nodes). `replicas` counts workload replicas taken out of service.
 */
export type BlastRadius = DeepReadonly<SocBlastRadius>;

/** The concrete requests an action makes, and what undo must remember. */
export interface ActionPlan<Memo = unknown> {
  readonly requests: readonly ApiRequest[];
  /** What {@link ActionDefinition.undo} needs later (previous replicas, prior cordon state…). */
  readonly memo: Memo;
}

/** Whether an action's effect is visible in an inventory (used by reconcile and tests). */
export type Observation = 'applied' | 'not-applied' | 'unknown';

/**
 * One action type of the catalogue. Register with `ActionRegistry.register`. `plan`
 * must be pure (no I/O): executors carry the requests out.
 */
export interface ActionDefinition<
  Target extends Record<string, unknown> = Record<string, unknown>,
  Parameters extends Record<string, unknown> = Record<string, unknown>,
  Memo = unknown,
> {
  readonly type: string;
  readonly description: string;
  readonly target: z.ZodType<Target, Record<string, unknown>>;
  readonly parameters: z.ZodType<Parameters, Record<string, unknown>>;
  /** True when {@link undo} can build an inverse action. */
  readonly reversible: boolean;
  /** For an inverse type, the type it undoes (`release-pod` → `isolate-pod`). */
  readonly inverseOf?: string;
  /** OCSF Remediation Activity class for export (7001 generic, 7003 process, 7004 network). */
  readonly ocsfClassUid?: number;
  /**
   * Who and what the action touches on `inventory`. Throws `VIGIL_REMEDIATOR_TARGET_NOT_FOUND`
   * when the target is absent.
   */
  blastRadius(action: TypedAction<Target, Parameters>, inventory: Inventory): BlastRadius;
  /**
   * The Kubernetes/webhook requests that carry the action out on `inventory`. Throws
   * `VIGIL_REMEDIATOR_TARGET_NOT_FOUND` or `VIGIL_REMEDIATOR_UNSAFE`.
   */
  plan(action: TypedAction<Target, Parameters>, inventory: Inventory): ActionPlan<Memo>;
  /**
   * The inverse action (to be reviewed again before it runs); only when `reversible`.
   * `undefined` when there is nothing to undo (e.g. the node was already cordoned).
   */
  undo?(action: TypedAction<Target, Parameters>, memo: Memo): Action | undefined;
  /** Whether the action's effect is present in `inventory`. */
  observe(action: TypedAction<Target, Parameters>, memo: Memo, inventory: Inventory): Observation;
}

export interface TypedAction<Target, Parameters> {
  readonly type: string;
  readonly target: Target;
  readonly parameters: Parameters;
}

// The registry stores definitions of heterogeneous types; `any` keeps each one's own
// types at its definition site while the registry validates inputs with its schemas.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyActionDefinition = ActionDefinition<any, any, any>;

/** Identity helper that keeps a definition's type parameters inferred. */
export function defineAction<
  Target extends Record<string, unknown>,
  Parameters extends Record<string, unknown>,
  Memo,
>(
  definition: ActionDefinition<Target, Parameters, Memo>,
): ActionDefinition<Target, Parameters, Memo> {
  return Object.freeze(definition);
}

/** Builds a {@link BlastRadius}, computing `total` and de-duplicating namespaces. */
export function blastRadius(
  parts: Omit<BlastRadius, 'total' | 'namespaces' | 'warnings'> & {
    namespaces?: readonly string[];
    warnings?: readonly string[];
  },
): BlastRadius {
  const namespaces = new Set(parts.namespaces ?? []);
  for (const a of parts.assets) if (a.namespace) namespaces.add(a.namespace);
  return Object.freeze({
    pods: parts.pods,
    replicas: parts.replicas,
    users: parts.users,
    nodes: parts.nodes,
    namespaces: [...namespaces].sort(),
    total: parts.pods + parts.users + parts.nodes,
    assets: parts.assets,
    warnings: parts.warnings ?? [],
  });
}
