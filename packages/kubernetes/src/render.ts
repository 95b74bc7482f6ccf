/**
 * The whole render: from a declaration (and the files it points to, read by the caller)
 * to a sorted list of typed objects. Pure and deterministic: the same inputs give the
 * same objects in the same order, so renders diff cleanly and golden tests hold.
 */
import type { KubernetesObject, V1ConfigMap, V1Namespace } from '@kubernetes/client-node';
import type { AgentSystem } from '@vigil/registry';
import { KubernetesError, KUBERNETES_ERROR_CODES } from './errors.js';
import { SYSTEM_LABEL, componentLabels, systemLabels } from './labels.js';
import { renderNetworkPolicies } from './network.js';
import { renderOpaServer, renderStateStores } from './components.js';
import { renderAgentRbac } from './rbac.js';
import {
  CONFIG_MAP_NAME,
  renderCertificate,
  renderDeployment,
  renderPodDisruptionBudget,
  renderService,
  renderServiceAccount,
} from './workload.js';

/** The policy bundle to ship: its modules and the revision the reviewer reports. */
export interface PolicyBundleInput {
  /** Module path (relative to the bundle) → Rego text. */
  readonly modules: Readonly<Record<string, string>>;
  readonly revision: string;
  /** The policy data document (`data.json` of the OPA server). */
  readonly data: unknown;
}

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

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** The policy bundle as a ConfigMap: one key per module (`/` becomes `__`) plus data.json. */
export function renderPolicyConfigMap(system: AgentSystem, policy: PolicyBundleInput): V1ConfigMap {
  const data: Record<string, string> = {};
  for (const path of Object.keys(policy.modules).sort()) {
    const key = path.split('/').join('__');
    if (!CONFIG_KEY.test(key) || key in data) {
      throw new KubernetesError(
        KUBERNETES_ERROR_CODES.renderInvalid,
        `policy module "${path}" cannot be a ConfigMap key (letters, digits, "-", "_", "." only)`,
      );
    }
    data[key] = policy.modules[path] ?? '';
  }
  data['data.json'] = `${JSON.stringify(policy.data, null, 2)}\n`;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'vigil-policy',
      namespace: system.metadata.namespace,
      labels: componentLabels(system, 'policy'),
      annotations: { 'vigil.dev/policy-revision': policy.revision },
    },
    data,
  };
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
 * @throws KubernetesError `VIGIL_CONFIG_K8S_RENDER` when a policy module name cannot be a key.
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
  for (const agent of system.agents) {
    objects.push(
      renderServiceAccount(system, agent),
      ...renderAgentRbac(system, agent),
      renderDeployment(system, agent, image),
      renderService(system, agent),
      renderCertificate(system, agent) as KubernetesObject,
    );
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
