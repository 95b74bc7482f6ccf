import { AppsV1Api, CoreV1Api, KubeConfig, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeApiServer } from '@vigil/testkit';
import type { InventoryDocument, PodRecord, WorkloadRecord } from '../inventory/schema.js';

type Obj = Record<string, unknown>;
const MERGE = setHeaderOptions('Content-Type', 'application/merge-patch+json');
const IMAGE = 'registry.invalid/vigil-test:1';

/**
 * Makes a real API server hold what an inventory document describes, as a cluster
 * would: Namespaces, Nodes (addresses in their status), ServiceAccounts with their legacy
 * token Secrets, Deployments (pods owned through a ReplicaSet, as the Deployment
 * controller does), StatefulSets, DaemonSets, Pods (bound to their node; phase and IPs
 * in the status, which only a kubelet would write) and NetworkPolicies. Applied as
 * admin; uids are the server's own. No controller runs, so nothing is reconciled.
 */
export async function seedCluster(api: KubeApiServer, doc: InventoryDocument): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const meta = (name: string, namespace?: string, labels: Record<string, string> = {}) => ({
    name,
    ...(namespace === undefined ? {} : { namespace }),
    ...(Object.keys(labels).length ? { labels } : {}),
  });

  await api.applyManifests(
    doc.namespaces.map((n) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: meta(n.name, undefined, n.labels),
    })),
  );
  for (const n of doc.nodes) {
    await api.applyManifests([
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: meta(n.name, undefined, n.labels),
        spec: n.unschedulable ? { unschedulable: true } : {},
      },
    ]);
    await core.patchNodeStatus(
      {
        name: n.name,
        body: {
          status: { addresses: n.addresses.map((address) => ({ type: 'InternalIP', address })) },
        },
      },
      MERGE,
    );
  }
  // Pod admission needs each pod's ServiceAccount to exist (the `default` ones are made
  // by the controller-manager in a cluster).
  const accounts = new Map(doc.serviceAccounts.map((s) => [`${s.namespace}/${s.name}`, s]));
  for (const p of doc.pods) {
    const key = `${p.namespace}/${p.serviceAccount}`;
    if (!accounts.has(key)) {
      accounts.set(key, {
        namespace: p.namespace,
        name: p.serviceAccount,
        labels: {},
        tokenSecrets: [],
      });
    }
  }
  for (const s of accounts.values()) {
    await api.applyManifests([
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: meta(s.name, s.namespace, s.labels),
      },
      ...s.tokenSecrets.map((secret) => ({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/service-account-token',
        metadata: {
          ...meta(secret, s.namespace),
          annotations: { 'kubernetes.io/service-account.name': s.name },
        },
      })),
    ]);
  }

  const owners = new Map<string, { apiVersion: string; kind: string; name: string; uid: string }>();
  for (const w of doc.workloads) {
    await api.applyManifests([workloadObject(w)]);
    const read =
      w.kind === 'Deployment'
        ? await apps.readNamespacedDeployment({ name: w.name, namespace: w.namespace })
        : w.kind === 'StatefulSet'
          ? await apps.readNamespacedStatefulSet({ name: w.name, namespace: w.namespace })
          : await apps.readNamespacedDaemonSet({ name: w.name, namespace: w.namespace });
    owners.set(`${w.namespace}/${w.kind}/${w.name}`, {
      apiVersion: 'apps/v1',
      kind: w.kind,
      name: w.name,
      uid: read.metadata?.uid ?? '',
    });
  }

  for (const p of doc.pods) {
    const owner = p.owner && owners.get(`${p.namespace}/${p.owner.kind}/${p.owner.name}`);
    let controller = owner;
    if (owner?.kind === 'Deployment') {
      // Pods of a Deployment belong to one of its ReplicaSets, named by the template hash.
      const hash = p.labels['pod-template-hash'] ?? 'seed';
      const rsName = `${owner.name}-${hash}`;
      const w = doc.workloads.find((x) => x.kind === 'Deployment' && x.name === owner.name);
      await api.applyManifests([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            ...meta(rsName, p.namespace),
            ownerReferences: [{ ...owner, controller: true }],
          },
          spec: {
            replicas: w?.replicas ?? 1,
            selector: { matchLabels: { ...w?.selector, 'pod-template-hash': hash } },
            template: podTemplate({ ...w?.selector, 'pod-template-hash': hash }, w?.serviceAccount),
          },
        },
      ]);
      const rs = await apps.readNamespacedReplicaSet({ name: rsName, namespace: p.namespace });
      controller = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: rsName,
        uid: rs.metadata?.uid ?? '',
      };
    }
    await api.applyManifests([podObject(p, controller)]);
    await core.patchNamespacedPodStatus(
      {
        name: p.name,
        namespace: p.namespace,
        body: {
          status: {
            phase: p.phase,
            ...(p.ips[0] ? { podIP: p.ips[0], podIPs: p.ips.map((ip) => ({ ip })) } : {}),
          },
        },
      },
      MERGE,
    );
  }

  await api.applyManifests(
    doc.networkPolicies.map((n) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(n.name, n.namespace, n.labels),
      spec: {
        podSelector: n.podSelector,
        policyTypes: n.policyTypes,
        ...(n.ingress.length ? { ingress: n.ingress } : {}),
        ...(n.egress.length ? { egress: n.egress } : {}),
      },
    })),
  );
}

function podTemplate(labels: Record<string, string>, serviceAccount: string | undefined): Obj {
  return {
    metadata: { labels },
    spec: {
      ...(serviceAccount ? { serviceAccountName: serviceAccount } : {}),
      containers: [{ name: 'main', image: IMAGE }],
    },
  };
}

function workloadObject(w: WorkloadRecord): Obj {
  const spec: Obj = {
    selector: { matchLabels: w.selector },
    template: podTemplate(w.selector, w.serviceAccount),
  };
  if (w.kind !== 'DaemonSet') spec['replicas'] = w.replicas;
  if (w.kind === 'StatefulSet') spec['serviceName'] = w.name;
  return {
    apiVersion: 'apps/v1',
    kind: w.kind,
    metadata: {
      name: w.name,
      namespace: w.namespace,
      ...(Object.keys(w.labels).length ? { labels: w.labels } : {}),
    },
    spec,
  };
}

function podObject(
  p: PodRecord,
  controller: { apiVersion: string; kind: string; name: string; uid: string } | undefined,
): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      ...(Object.keys(p.labels).length ? { labels: p.labels } : {}),
      ...(controller ? { ownerReferences: [{ ...controller, controller: true }] } : {}),
    },
    spec: {
      ...(p.node ? { nodeName: p.node } : {}),
      serviceAccountName: p.serviceAccount,
      ...(p.hostNetwork ? { hostNetwork: true } : {}),
      containers: [{ name: 'main', image: IMAGE }],
    },
  };
}
