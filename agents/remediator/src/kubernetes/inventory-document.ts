import type { KubernetesObject } from '@kubernetes/client-node';
import type { InventoryDocumentInput, UserRecord } from '../inventory/schema.js';

/** The cluster objects an inventory is built from, each as the API serves it (JSON). */
export interface ClusterObjects {
  readonly namespaces: readonly KubernetesObject[];
  readonly nodes: readonly KubernetesObject[];
  readonly deployments: readonly KubernetesObject[];
  readonly statefulsets: readonly KubernetesObject[];
  readonly daemonsets: readonly KubernetesObject[];
  /** Only to resolve a pod's owner through its ReplicaSet to the Deployment. */
  readonly replicasets: readonly KubernetesObject[];
  readonly pods: readonly KubernetesObject[];
  readonly serviceaccounts: readonly KubernetesObject[];
  /** Legacy service-account token Secrets only (`type=kubernetes.io/service-account-token`). */
  readonly tokenSecrets: readonly KubernetesObject[];
  readonly networkpolicies: readonly KubernetesObject[];
}

interface Meta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  deletionTimestamp?: unknown;
}

/** The parts of the objects' specs and statuses the inventory reads. */
interface Shape {
  metadata?: Meta;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { spec?: { serviceAccountName?: string } };
    unschedulable?: boolean;
    nodeName?: string;
    serviceAccountName?: string;
    hostNetwork?: boolean;
    podSelector?: object;
    policyTypes?: ('Ingress' | 'Egress')[];
    ingress?: unknown[];
    egress?: unknown[];
  };
  status?: {
    desiredNumberScheduled?: number;
    addresses?: { type: string; address: string }[];
    podIPs?: { ip: string }[];
    phase?: string;
  };
}

/**
 * The inventory document of a cluster's objects (plus the identity provider's users), as
 * listed or as a watch keeps them: one mapping for both, so a watched inventory and a fresh
 * list of the same cluster are the same document. Pods already being deleted are left out.
 */
export function inventoryDocumentOf(
  objects: ClusterObjects,
  users: readonly UserRecord[],
): InventoryDocumentInput {
  // In the API's list order (by storage key, namespace/name), whichever way they came.
  const key = (o: Shape) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  const shaped = (items: readonly KubernetesObject[]) =>
    items
      .map((item) => toWire(item) as Shape)
      .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const rsOwner = new Map<string, { kind: string; name: string }>();
  for (const rs of shaped(objects.replicasets)) {
    const m = rs.metadata ?? {};
    const owner = m.ownerReferences?.find((o) => o.controller);
    if (owner) rsOwner.set(`${m.namespace}/${m.name}`, { kind: owner.kind, name: owner.name });
  }
  const tokens = new Map<string, string[]>();
  for (const s of shaped(objects.tokenSecrets)) {
    const m = s.metadata ?? {};
    const sa = m.annotations?.['kubernetes.io/service-account.name'];
    if (!sa) continue;
    const key = `${m.namespace}/${sa}`;
    tokens.set(key, [...(tokens.get(key) ?? []), m.name ?? '']);
  }
  const workloads = (kind: string, items: readonly KubernetesObject[]) =>
    shaped(items).map(({ metadata: m = {}, spec = {}, status = {} }) => ({
      kind,
      namespace: m.namespace,
      name: m.name,
      uid: m.uid,
      labels: m.labels ?? {},
      replicas: kind === 'DaemonSet' ? (status.desiredNumberScheduled ?? 0) : (spec.replicas ?? 1),
      selector: spec.selector?.matchLabels ?? {},
      serviceAccount: spec.template?.spec?.serviceAccountName,
    }));
  return {
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'Inventory',
    metadata: { name: 'kubernetes' },
    namespaces: shaped(objects.namespaces).map(({ metadata: m = {} }) => ({
      name: m.name ?? '',
      labels: m.labels ?? {},
    })),
    nodes: shaped(objects.nodes).map(({ metadata: m = {}, spec = {}, status = {} }) => ({
      name: m.name ?? '',
      uid: m.uid,
      labels: m.labels ?? {},
      unschedulable: spec.unschedulable ?? false,
      addresses: (status.addresses ?? [])
        .filter((a) => a.type.endsWith('IP'))
        .map((a) => a.address),
    })),
    workloads: [
      ...workloads('Deployment', objects.deployments),
      ...workloads('StatefulSet', objects.statefulsets),
      ...workloads('DaemonSet', objects.daemonsets),
    ] as InventoryDocumentInput['workloads'],
    // A pod being deleted (deletionTimestamp set, waiting for its kubelet to finish the
    // grace period) is leaving: it is no longer part of what an action can touch.
    pods: shaped(objects.pods)
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map(({ metadata: m = {}, spec = {}, status = {} }) => {
        const ref = m.ownerReferences?.find((o) => o.controller);
        const owner =
          ref?.kind === 'ReplicaSet' ? (rsOwner.get(`${m.namespace}/${ref.name}`) ?? ref) : ref;
        return {
          namespace: m.namespace ?? '',
          name: m.name ?? '',
          uid: m.uid,
          labels: m.labels ?? {},
          ...(owner ? { owner: { kind: owner.kind, name: owner.name } } : {}),
          node: spec.nodeName,
          ips: (status.podIPs ?? []).map((i) => i.ip),
          serviceAccount: spec.serviceAccountName ?? 'default',
          hostNetwork: spec.hostNetwork ?? false,
          phase: status.phase ?? 'Unknown',
        };
      }),
    serviceAccounts: shaped(objects.serviceaccounts).map(({ metadata: m = {} }) => ({
      namespace: m.namespace ?? '',
      name: m.name ?? '',
      uid: m.uid,
      labels: m.labels ?? {},
      tokenSecrets: tokens.get(`${m.namespace}/${m.name}`) ?? [],
    })),
    users: users.map((u) => ({ ...u })),
    networkPolicies: shaped(objects.networkpolicies).map(({ metadata: m = {}, spec = {} }) => ({
      namespace: m.namespace ?? '',
      name: m.name ?? '',
      labels: m.labels ?? {},
      podSelector: spec.podSelector ?? {},
      policyTypes: spec.policyTypes ?? ['Ingress'],
      ingress: (spec.ingress ?? []) as [],
      egress: (spec.egress ?? []) as [],
    })),
  };
}

/**
 * A listed object comes deserialised into the client's model classes, which rename `from`
 * to `_from` and carry `undefined` members; a watched one is plain JSON. This turns both
 * into API JSON.
 */
function toWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toWire);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k === '_from' ? 'from' : k] = toWire(v);
  }
  return out;
}
