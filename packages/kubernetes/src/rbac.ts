/**
 * RBAC derived exactly from an agent's `permissions.rules`: every declared rule is split by
 * the scope of its resources — namespaced resources become a Role (in the system's
 * namespace, or in the namespaces the rule names), cluster-scoped resources a ClusterRole —
 * and nothing else is granted. A rule on `namespaces: ["*"]` grants its namespaced
 * resources in every namespace, which needs a ClusterRole bound cluster-wide.
 */
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1PolicyRule,
  V1Role,
  V1RoleBinding,
} from '@kubernetes/client-node';
import type { AgentSpec, AgentSystem, PermissionRule } from '@vigil/registry';
import { agentLabels } from './labels.js';

/**
 * Cluster-scoped resources of the built-in API groups (Kubernetes 1.34), by API group
 * (`""` is the core group). Anything not listed is namespaced; custom resources that are
 * cluster-scoped must be listed here to be granted through a ClusterRole.
 */
export const CLUSTER_SCOPED_RESOURCES: Readonly<Record<string, readonly string[]>> = {
  '': ['componentstatuses', 'namespaces', 'nodes', 'persistentvolumes'],
  'admissionregistration.k8s.io': [
    'mutatingwebhookconfigurations',
    'validatingadmissionpolicies',
    'validatingadmissionpolicybindings',
    'validatingwebhookconfigurations',
    'mutatingadmissionpolicies',
    'mutatingadmissionpolicybindings',
  ],
  'apiextensions.k8s.io': ['customresourcedefinitions'],
  'apiregistration.k8s.io': ['apiservices'],
  'authentication.k8s.io': ['selfsubjectreviews', 'tokenreviews'],
  'authorization.k8s.io': [
    'selfsubjectaccessreviews',
    'selfsubjectrulesreviews',
    'subjectaccessreviews',
  ],
  'certificates.k8s.io': ['certificatesigningrequests', 'clustertrustbundles'],
  'flowcontrol.apiserver.k8s.io': ['flowschemas', 'prioritylevelconfigurations'],
  'networking.k8s.io': ['ingressclasses', 'ipaddresses', 'servicecidrs'],
  'node.k8s.io': ['runtimeclasses'],
  'rbac.authorization.k8s.io': ['clusterrolebindings', 'clusterroles'],
  'resource.k8s.io': ['deviceclasses', 'resourceslices'],
  'scheduling.k8s.io': ['priorityclasses'],
  'storage.k8s.io': ['csidrivers', 'csinodes', 'storageclasses', 'volumeattachments'],
  'cert-manager.io': ['clusterissuers'],
  'kyverno.io': ['clusterpolicies', 'clustercleanuppolicies'],
};

/** True when `resource` (a subresource counts as its parent) of `group` is cluster-scoped. */
export function isClusterScoped(group: string, resource: string): boolean {
  const base = resource.split('/')[0] ?? resource;
  if (group === '*') {
    return Object.values(CLUSTER_SCOPED_RESOURCES).some((list) => list.includes(base));
  }
  return CLUSTER_SCOPED_RESOURCES[group]?.includes(base) ?? false;
}

/** Where a set of rules is granted. */
export type RbacScope = { kind: 'namespace'; namespace: string } | { kind: 'cluster' };

/** The RBAC rules of one agent grouped by where they are granted. */
export interface AgentRbacRules {
  /** Namespaced rules, by namespace (sorted). */
  readonly namespaced: ReadonlyMap<string, readonly V1PolicyRule[]>;
  /** Rules granted cluster-wide: cluster-scoped resources and namespaced ones on `namespaces: ["*"]`. */
  readonly cluster: readonly V1PolicyRule[];
}

function policyRule(rule: PermissionRule, apiGroups: string[], resources: string[]): V1PolicyRule {
  return {
    apiGroups,
    resources,
    verbs: [...rule.verbs],
    ...(rule.resourceNames === undefined ? {} : { resourceNames: [...rule.resourceNames] }),
  };
}

/**
 * Splits one declared rule into the rules for namespaced and cluster-scoped resources. A
 * rule's API groups and resources form a cross product, so each resource is partitioned by
 * the groups in which it is cluster-scoped; resources with the same partition stay together.
 */
export function splitRule(rule: PermissionRule): {
  namespaced: V1PolicyRule[];
  cluster: V1PolicyRule[];
} {
  const byPartition = new Map<string, { cluster: string[]; ns: string[]; resources: string[] }>();
  for (const resource of rule.resources) {
    const cluster = rule.apiGroups.filter((g) => resource !== '*' && isClusterScoped(g, resource));
    const ns = rule.apiGroups.filter((g) => !cluster.includes(g));
    const key = JSON.stringify([cluster, ns]);
    const entry = byPartition.get(key) ?? { cluster, ns, resources: [] };
    entry.resources.push(resource);
    byPartition.set(key, entry);
  }
  const namespaced: V1PolicyRule[] = [];
  const cluster: V1PolicyRule[] = [];
  for (const p of byPartition.values()) {
    if (p.ns.length > 0) namespaced.push(policyRule(rule, p.ns, p.resources));
    if (p.cluster.length > 0) cluster.push(policyRule(rule, p.cluster, p.resources));
  }
  return { namespaced, cluster };
}

/**
 * The rules of `agent` grouped by scope. Namespaced rules go to the namespaces the rule
 * names (default: the system's namespace); `namespaces: ["*"]` makes them cluster-wide.
 */
export function agentRbacRules(system: AgentSystem, agent: AgentSpec): AgentRbacRules {
  const namespaced = new Map<string, V1PolicyRule[]>();
  const cluster: V1PolicyRule[] = [];
  for (const rule of agent.permissions.rules) {
    const split = splitRule(rule);
    cluster.push(...split.cluster);
    const targets = rule.namespaces ?? [system.metadata.namespace];
    if (targets.includes('*')) {
      cluster.push(...split.namespaced);
      continue;
    }
    for (const namespace of targets) {
      if (split.namespaced.length === 0) continue;
      const list = namespaced.get(namespace) ?? [];
      list.push(...split.namespaced);
      namespaced.set(namespace, list);
    }
  }
  const sorted = new Map([...namespaced.entries()].sort(([a], [b]) => a.localeCompare(b)));
  return { namespaced: sorted, cluster };
}

/** The name of an agent's Role(s) and ClusterRole: unique in the cluster, naming system namespace and agent. */
export function rbacNameOf(system: AgentSystem, agent: AgentSpec): string {
  return `vigil:${system.metadata.namespace}:${agent.name}`;
}

/** An agent's RBAC objects. */
export type RbacObject = V1Role | V1RoleBinding | V1ClusterRole | V1ClusterRoleBinding;

/**
 * The Roles, RoleBindings, ClusterRole and ClusterRoleBinding that grant `agent`'s service
 * account exactly its declared rules; none for an agent without rules.
 */
export function renderAgentRbac(system: AgentSystem, agent: AgentSpec): RbacObject[] {
  const { namespaced, cluster } = agentRbacRules(system, agent);
  const name = rbacNameOf(system, agent);
  const labels = agentLabels(system, agent.name);
  const subject = {
    kind: 'ServiceAccount',
    name: agent.name,
    namespace: system.metadata.namespace,
  };
  const objects: RbacObject[] = [];
  if (cluster.length > 0) {
    objects.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name, labels },
        rules: [...cluster],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [subject],
      },
    );
  }
  for (const [namespace, rules] of namespaced) {
    objects.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name, namespace, labels },
        rules: [...rules],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name, namespace, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [subject],
      },
    );
  }
  return objects;
}

/** True when the agent uses the Kubernetes API (its ServiceAccount token is mounted). */
export function usesKubernetesApi(agent: AgentSpec): boolean {
  return agent.permissions.rules.length > 0;
}
