/**
 * The whole render: from a declaration (and the files it points to, read by the caller)
 * to a sorted list of typed objects. Pure and deterministic: the same inputs give the
 * same objects in the same order, so renders diff cleanly and golden tests hold.
 */
import type { KubernetesObject, V1ConfigMap, V1Namespace } from '@kubernetes/client-node';
import type { AgentSystem } from '@vigil/registry';
import { SYSTEM_LABEL, systemLabels } from './labels.js';
import {
  policyMountItems,
  renderPolicyConfigMap,
  type PolicyBundleInput,
} from './policy-bundle.js';
import { renderNetworkPolicies } from './network.js';
import { renderOpaServer, renderStateStores } from './components.js';
import { renderCsiIdentityRbac, usesCsiDriverSpiffe } from './csi-identity.js';
import { renderAgentRbac } from './rbac.js';
import {
  CONFIG_MAP_NAME,
  renderCertificate,
  renderDeployment,
  renderPodDisruptionBudget,
  renderService,
  renderServiceAccount,
} from './workload.js';

/** What the render reads besides the declaration. */
export interface RenderInputs {
  /** The declaration's own text, mounted into every agent as vigil.yaml. */
  readonly declaration: string;
  /** The policy bundle, when the declaration's bundle directory exists. */
  readonly policy?: PolicyBundleInput;
  /** Kyverno ClusterPolicies as parsed from `kubernetes.kyvernoPolicies`. */
  readonly kyvernoPolicies?: readonly KubernetesObject[];
  /** Overrides `kubernetes.image`. */
  readonly image?: string;
}

/** Install order by kind (what must exist before what), then namespace and name. */
export const KIND_ORDER: readonly string[] = [
  'Namespace',
  'NetworkPolicy',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Service',
  'StatefulSet',
  'Deployment',
  'PodDisruptionBudget',
  'Issuer',
  'Certificate',
  'ClusterPolicy',
];

function sortKey(o: KubernetesObject): [number, string, string] {
  const rank = KIND_ORDER.indexOf(o.kind ?? '');
  return [
    rank === -1 ? KIND_ORDER.length : rank,
    o.metadata?.namespace ?? '',
    o.metadata?.name ?? '',
  ];
}

/** Sorts objects into install order (stable, locale-independent). */
export function sortObjects<T extends KubernetesObject>(objects: readonly T[]): T[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...objects].sort((a, b) => {
    const [ra, na, ma] = sortKey(a);
    const [rb, nb, mb] = sortKey(b);
    return ra - rb || cmp(na, nb) || cmp(ma, mb) || cmp(a.kind ?? '', b.kind ?? '');
  });
}

type Json = Record<string, unknown>;

function asRecord(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

/** Narrows one Kyverno resource filter to this system's namespace and pods' system label. */
function bindFilter(system: AgentSystem, filter: Json): void {
  const resources = asRecord(filter['resources']);
  if (resources === undefined) return;
  resources['namespaces'] = [system.metadata.namespace];
  const selector = asRecord(resources['selector']) ?? {};
  selector['matchLabels'] = {
    ...asRecord(selector['matchLabels']),
    [SYSTEM_LABEL]: system.metadata.name,
  };
  resources['selector'] = selector;
}

/**
 * A Kyverno ClusterPolicy bound to this system: every `match` filter (`any`, `all` or a
 * bare `resources`) is narrowed to the system's namespace and to objects carrying its
 * system label, the name gets the namespace as suffix (ClusterPolicies are cluster-scoped,
 * two systems must not overwrite each other's) and the system labels are added. `exclude`
 * filters are left as written.
 */
export function parametriseKyverno(
  system: AgentSystem,
  policy: KubernetesObject,
): KubernetesObject {
  const copy = JSON.parse(JSON.stringify(policy)) as KubernetesObject & Json;
  const rules = asRecord(copy['spec'])?.['rules'];
  for (const rule of Array.isArray(rules) ? rules : []) {
    const match = asRecord(asRecord(rule)?.['match']);
    if (match === undefined) continue;
    bindFilter(system, match);
    for (const key of ['any', 'all'] as const) {
      const list = match[key];
      if (!Array.isArray(list)) continue;
      for (const filter of list) {
        const f = asRecord(filter);
        if (f !== undefined) bindFilter(system, f);
      }
    }
  }
  const name = copy.metadata?.name ?? 'policy';
  copy.metadata = {
    ...copy.metadata,
    name: `${name}-${system.metadata.namespace}`,
    labels: { ...copy.metadata?.labels, ...systemLabels(system) },
  };
  return copy;
}

/**
 * Every object of the system, in install order.
 * @throws KubernetesError `VIGIL_CONFIG_K8S_RENDER` when a policy module name cannot be a key
 *   or `policy.bundle` leaves the declaration's directory.
 */
export function renderSystem(system: AgentSystem, inputs: RenderInputs): KubernetesObject[] {
  const ns = system.metadata.namespace;
  const image = inputs.image ?? system.kubernetes.image;
  const namespace: V1Namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns, labels: systemLabels(system) },
  };
  const config: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: CONFIG_MAP_NAME, namespace: ns, labels: systemLabels(system) },
    data: { 'vigil.yaml': inputs.declaration },
  };
  const objects: KubernetesObject[] = [namespace, config, ...renderNetworkPolicies(system)];
  const issuer = system.kubernetes.certificates.issuer;
  if ('caSecret' in issuer) {
    objects.push({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: 'vigil-ca', namespace: ns, labels: systemLabels(system) },
      spec: { ca: { secretName: issuer.caSecret } },
    } as KubernetesObject);
  }
  const csi = usesCsiDriverSpiffe(system);
  if (csi) objects.push(...renderCsiIdentityRbac(system));
  const policyItems = inputs.policy === undefined ? [] : policyMountItems(system, inputs.policy);
  for (const agent of system.agents) {
    objects.push(
      renderServiceAccount(system, agent),
      ...renderAgentRbac(system, agent),
      renderDeployment(system, agent, image, policyItems),
      renderService(system, agent),
    );
    if (!csi) objects.push(renderCertificate(system, agent) as KubernetesObject);
    const pdb = renderPodDisruptionBudget(system, agent);
    if (pdb !== undefined) objects.push(pdb);
  }
  if (inputs.policy !== undefined) {
    objects.push(renderPolicyConfigMap(system, inputs.policy));
    if (system.policy.engine === 'server') objects.push(...renderOpaServer(system));
  }
  objects.push(...renderStateStores(system));
  for (const p of inputs.kyvernoPolicies ?? []) objects.push(parametriseKyverno(system, p));
  return sortObjects(objects);
}
