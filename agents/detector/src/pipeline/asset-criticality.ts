/**
 * Asset criticality: which namespaces and resources matter most to the estate, as the
 * operator declares them (detector `settings.assets`), so a finding's risk
 * (`@vigil/soc` `riskScoreOf`) weighs the same detection higher on the control plane than
 * in a scratch namespace.
 *
 * ```yaml
 * settings:
 *   assets:
 *     default: medium
 *     entries:
 *       - { name: payments, namespaces: [payments, 'payments-*'], criticality: critical }
 *       - { name: sandboxes, namespaces: ['dev-*'], criticality: low }
 * ```
 *
 * Entries are tried in order, the first that matches wins; an entry with both
 * `namespaces` and `resources` needs both. Without `entries` the built-in list below
 * applies (the control plane is critical); a declared list replaces it.
 */
import { z } from 'zod';
import { assetCriticalitySchema, type AssetCriticality } from '@vigil/soc';
import type { SecurityEvent } from '../events/security-event.js';

const namePattern = z
  .string()
  .min(1)
  .regex(/^[^*]*\*?$/, 'a name, or a prefix ending in one *');

const entrySchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    namespaces: z.array(namePattern).min(1).optional(),
    /** API resource types (`nodes`, `clusterrolebindings`), exact. */
    resources: z.array(z.string().min(1)).min(1).optional(),
    criticality: assetCriticalitySchema,
  })
  .refine((e) => e.namespaces !== undefined || e.resources !== undefined, {
    message: 'an asset entry names namespaces, resources or both',
  });

export type AssetEntry = z.infer<typeof entrySchema>;

/**
 * The control plane, critical unless the operator says otherwise: its namespaces, and the
 * cluster-scoped resources whose change rules the whole cluster (nodes, RBAC, admission
 * webhooks, certificates, CRDs).
 */
export const DEFAULT_ASSET_ENTRIES: readonly AssetEntry[] = Object.freeze([
  {
    name: 'control-plane namespaces',
    namespaces: ['kube-system', 'kube-public', 'kube-node-lease'],
    criticality: 'critical',
  },
  {
    name: 'cluster-wide control resources',
    resources: [
      'nodes',
      'clusterroles',
      'clusterrolebindings',
      'mutatingwebhookconfigurations',
      'validatingwebhookconfigurations',
      'validatingadmissionpolicies',
      'certificatesigningrequests',
      'customresourcedefinitions',
    ],
    criticality: 'critical',
  },
] satisfies AssetEntry[]);

export const assetsSettingsSchema = z
  .strictObject({
    default: assetCriticalitySchema.default('medium'),
    entries: z.array(entrySchema).optional(),
  })
  .default({ default: 'medium' });

export type AssetsSettings = z.infer<typeof assetsSettingsSchema>;

/** Resolves the criticality of the asset an event touches. Immutable. */
export class AssetCriticalityMap {
  private readonly entries: readonly CompiledEntry[];
  private readonly fallback: AssetCriticality;

  constructor(settings: AssetsSettings = { default: 'medium' }) {
    this.fallback = settings.default;
    this.entries = (settings.entries ?? DEFAULT_ASSET_ENTRIES).map(compile);
  }

  /** The first matching entry's criticality and name; the default (`default`) otherwise. */
  of(event: SecurityEvent): { criticality: AssetCriticality; asset: string } {
    const namespace = event.workload?.namespace ?? event.resource?.namespace;
    const resource = event.resource?.type;
    for (const e of this.entries)
      if (e.matches(namespace, resource)) return { criticality: e.criticality, asset: e.name };
    return { criticality: this.fallback, asset: 'default' };
  }
}

interface CompiledEntry {
  readonly name: string;
  readonly criticality: AssetCriticality;
  readonly matches: (namespace: string | undefined, resource: string | undefined) => boolean;
}

function compile(entry: AssetEntry, index: number): CompiledEntry {
  const exact = new Set(entry.namespaces?.filter((n) => !n.endsWith('*')));
  const prefixes = entry.namespaces?.filter((n) => n.endsWith('*')).map((n) => n.slice(0, -1));
  const resources = entry.resources === undefined ? undefined : new Set(entry.resources);
  const inNamespace = (ns: string | undefined): boolean =>
    ns !== undefined && (exact.has(ns) || (prefixes ?? []).some((p) => ns.startsWith(p)));
  return {
    name: entry.name ?? `assets.entries[${index}]`,
    criticality: entry.criticality,
    matches: (ns, resource) =>
      (entry.namespaces === undefined || inNamespace(ns)) &&
      (resources === undefined || (resource !== undefined && resources.has(resource))),
  };
}
