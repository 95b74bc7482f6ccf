import { AppsV1Api, CoreV1Api, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import { RemediatorError, REMEDIATOR_ERROR_CODES } from '../errors.js';
import { InventorySnapshot, type Inventory, type InventorySource } from '../inventory/inventory.js';
import type { InventoryDocumentInput, UserRecord } from '../inventory/schema.js';

interface Meta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; controller?: boolean }[];
}

/**
 * Reads the inventory from the Kubernetes API: namespaces, nodes, Deployments,
 * StatefulSets, DaemonSets (ReplicaSets to resolve pod owners), pods, service accounts
 * with their legacy token Secrets, NetworkPolicies. Users are not Kubernetes objects:
 * pass the identity provider's list as `users`. Needs list on those resources
 * cluster-wide (the remediator's RBAC in `vigil k8s render`). Pods already being
 * deleted are left out.
 */
export class KubernetesInventorySource implements InventorySource {
  readonly #core: CoreV1Api;
  readonly #apps: AppsV1Api;
  readonly #net: NetworkingV1Api;
  readonly #users: readonly UserRecord[];

  constructor(kubeConfig: KubeConfig, options: { users?: readonly UserRecord[] } = {}) {
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#apps = kubeConfig.makeApiClient(AppsV1Api);
    this.#net = kubeConfig.makeApiClient(NetworkingV1Api);
    this.#users = options.users ?? [];
  }

  async inventory(): Promise<Inventory> {
    try {
      const [
        namespaces,
        nodes,
        deployments,
        statefulsets,
        daemonsets,
        replicasets,
        pods,
        sas,
        secrets,
        nps,
      ] = await Promise.all([
        this.#core.listNamespace(),
        this.#core.listNode(),
        this.#apps.listDeploymentForAllNamespaces(),
        this.#apps.listStatefulSetForAllNamespaces(),
        this.#apps.listDaemonSetForAllNamespaces(),
        this.#apps.listReplicaSetForAllNamespaces(),
        this.#core.listPodForAllNamespaces(),
        this.#core.listServiceAccountForAllNamespaces(),
        this.#core.listSecretForAllNamespaces({
          fieldSelector: 'type=kubernetes.io/service-account-token',
        }),
        this.#net.listNetworkPolicyForAllNamespaces(),
      ]);
      const rsOwner = new Map<string, { kind: string; name: string }>();
      for (const rs of replicasets.items) {
        const m = rs.metadata as Meta;
        const owner = m.ownerReferences?.find((o) => o.controller);
        if (owner) rsOwner.set(`${m.namespace}/${m.name}`, { kind: owner.kind, name: owner.name });
      }
      const tokens = new Map<string, string[]>();
      for (const s of secrets.items) {
        const m = s.metadata as Meta;
        const sa = m.annotations?.['kubernetes.io/service-account.name'];
        if (!sa) continue;
        const key = `${m.namespace}/${sa}`;
        tokens.set(key, [...(tokens.get(key) ?? []), m.name ?? '']);
      }
      const workload = (
        kind: string,
        items: { metadata?: unknown; spec?: unknown; status?: unknown }[],
      ) =>
        items.map((w) => {
          const m = w.metadata as Meta;
          const spec = (w.spec ?? {}) as {
            replicas?: number;
            selector?: { matchLabels?: Record<string, string> };
            template?: { spec?: { serviceAccountName?: string } };
          };
          const status = (w.status ?? {}) as { desiredNumberScheduled?: number };
          return {
            kind,
            namespace: m.namespace,
            name: m.name,
            uid: m.uid,
            labels: m.labels ?? {},
            replicas:
              kind === 'DaemonSet' ? (status.desiredNumberScheduled ?? 0) : (spec.replicas ?? 1),
            selector: spec.selector?.matchLabels ?? {},
            serviceAccount: spec.template?.spec?.serviceAccountName,
          };
        });
      const doc: InventoryDocumentInput = {
        apiVersion: 'vigil.dev/v1alpha1',
        kind: 'Inventory',
        metadata: { name: 'kubernetes' },
        namespaces: namespaces.items.map((n) => ({
          name: n.metadata?.name ?? '',
          labels: n.metadata?.labels ?? {},
        })),
        nodes: nodes.items.map((n) => ({
          name: n.metadata?.name ?? '',
          uid: n.metadata?.uid,
          labels: n.metadata?.labels ?? {},
          unschedulable: n.spec?.unschedulable ?? false,
          addresses: (n.status?.addresses ?? [])
            .filter((a) => a.type.endsWith('IP'))
            .map((a) => a.address),
        })),
        workloads: [
          ...workload('Deployment', deployments.items),
          ...workload('StatefulSet', statefulsets.items),
          ...workload('DaemonSet', daemonsets.items),
        ] as InventoryDocumentInput['workloads'],
        // A pod being deleted (deletionTimestamp set, waiting for its kubelet to finish the
        // grace period) is leaving: it is no longer part of what an action can touch.
        pods: pods.items
          .filter((p) => !p.metadata?.deletionTimestamp)
          .map((p) => {
            const m = p.metadata as Meta;
            const ref = m.ownerReferences?.find((o) => o.controller);
            const owner =
              ref?.kind === 'ReplicaSet' ? (rsOwner.get(`${m.namespace}/${ref.name}`) ?? ref) : ref;
            return {
              namespace: m.namespace ?? '',
              name: m.name ?? '',
              uid: m.uid,
              labels: m.labels ?? {},
              ...(owner ? { owner: { kind: owner.kind, name: owner.name } } : {}),
              node: p.spec?.nodeName,
              ips: (p.status?.podIPs ?? []).map((i) => i.ip),
              serviceAccount: p.spec?.serviceAccountName ?? 'default',
              hostNetwork: p.spec?.hostNetwork ?? false,
              phase: p.status?.phase ?? 'Unknown',
            };
          }),
        serviceAccounts: sas.items.map((s) => {
          const m = s.metadata as Meta;
          return {
            namespace: m.namespace ?? '',
            name: m.name ?? '',
            uid: m.uid,
            labels: m.labels ?? {},
            tokenSecrets: tokens.get(`${m.namespace}/${m.name}`) ?? [],
          };
        }),
        users: this.#users.map((u) => ({ ...u })),
        networkPolicies: nps.items.map((n) => ({
          namespace: n.metadata?.namespace ?? '',
          name: n.metadata?.name ?? '',
          labels: n.metadata?.labels ?? {},
          podSelector: (n.spec?.podSelector ?? {}) as object,
          policyTypes: (n.spec?.policyTypes ?? ['Ingress']) as ('Ingress' | 'Egress')[],
          ingress: toWire(n.spec?.ingress ?? []) as [],
          egress: toWire(n.spec?.egress ?? []) as [],
        })),
      };
      return InventorySnapshot.parse(doc, 'kubernetes API');
    } catch (cause) {
      if (cause instanceof RemediatorError) throw cause;
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.inventory,
        `cannot read the inventory from the Kubernetes API: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
}

/**
 * The client deserialises into model classes that rename `from` to `_from` and carry
 * `undefined` members; this turns them back into API JSON.
 */
function toWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toWire);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k === '_from' ? 'from' : k] = toWire(v);
  }
  return out;
}
