import { InventorySnapshot } from '../inventory/inventory.js';
import type { InventoryDocumentInput } from '../inventory/schema.js';

/**
 * A small inventory for tests: namespace `shop` with a 3-replica Deployment `web`, a
 * StatefulSet `db` (with a NetworkPolicy of its own), a DaemonSet `log-agent`, a bare pod
 * `debug`; two nodes; service account `web` with a legacy token Secret; user alice.
 */
export const SMALL_INVENTORY: InventoryDocumentInput = {
  apiVersion: 'vigil.dev/v1alpha1',
  kind: 'Inventory',
  metadata: { name: 'small' },
  namespaces: [{ name: 'shop' }, { name: 'kube-system', labels: { tier: 'control-plane' } }],
  nodes: [
    { name: 'node-a', addresses: ['192.0.2.10'], uid: 'uid-node-a' },
    { name: 'node-b', addresses: ['192.0.2.11'], uid: 'uid-node-b' },
  ],
  workloads: [
    {
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
      replicas: 3,
      labels: { app: 'web' },
      selector: { app: 'web' },
      serviceAccount: 'web',
    },
    {
      kind: 'StatefulSet',
      namespace: 'shop',
      name: 'db',
      replicas: 1,
      labels: { app: 'db' },
      selector: { app: 'db' },
    },
    {
      kind: 'DaemonSet',
      namespace: 'kube-system',
      name: 'log-agent',
      replicas: 2,
      labels: { app: 'log-agent' },
      selector: { app: 'log-agent' },
    },
  ],
  pods: [
    ...[1, 2, 3].map((i) => ({
      namespace: 'shop',
      name: `web-7d9f8-${i}`,
      uid: `uid-web-${i}`,
      owner: { kind: 'Deployment', name: 'web' },
      node: i === 3 ? 'node-b' : 'node-a',
      labels: { app: 'web', 'pod-template-hash': '7d9f8' },
      ips: [`10.244.1.${i}`],
      serviceAccount: 'web',
    })),
    {
      namespace: 'shop',
      name: 'db-0',
      uid: 'uid-db-0',
      owner: { kind: 'StatefulSet', name: 'db' },
      node: 'node-b',
      labels: { app: 'db' },
      ips: ['10.244.2.1'],
    },
    {
      namespace: 'shop',
      name: 'debug',
      uid: 'uid-debug',
      node: 'node-b',
      labels: { run: 'debug' },
      ips: ['10.244.2.9'],
    },
    ...[1, 2].map((i) => ({
      namespace: 'kube-system',
      name: `log-agent-${i}`,
      uid: `uid-log-${i}`,
      owner: { kind: 'DaemonSet', name: 'log-agent' },
      node: i === 1 ? 'node-a' : 'node-b',
      labels: { app: 'log-agent' },
      ips: [`192.0.2.1${i - 1}`],
      hostNetwork: true,
    })),
  ],
  serviceAccounts: [
    { namespace: 'shop', name: 'web', uid: 'uid-sa-web', tokenSecrets: ['web-token-x7k2p'] },
    { namespace: 'shop', name: 'default', uid: 'uid-sa-default' },
  ],
  users: [{ name: 'alice@example.com', groups: ['developers'] }],
  networkPolicies: [
    {
      namespace: 'shop',
      name: 'db-allow-web',
      podSelector: { matchLabels: { app: 'db' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }],
    },
  ],
};

export function smallInventory(): InventorySnapshot {
  return InventorySnapshot.parse(structuredClone(SMALL_INVENTORY), 'fixtures:small');
}

/** One action of each built-in forward type that succeeds on {@link SMALL_INVENTORY}. */
export const SAMPLE_ACTIONS = [
  { type: 'isolate-pod', target: { namespace: 'shop', pod: 'web-7d9f8-2' }, parameters: {} },
  {
    type: 'scale-to-zero',
    target: { namespace: 'shop', kind: 'Deployment', name: 'web' },
    parameters: {},
  },
  {
    type: 'delete-pod',
    target: { namespace: 'shop', pod: 'debug' },
    parameters: { gracePeriodSeconds: 10 },
  },
  {
    type: 'block-ip',
    target: { namespace: 'shop', selector: { app: 'web' } },
    parameters: { cidr: '203.0.113.7', direction: 'both' },
  },
  {
    type: 'revoke-sa-token',
    target: { namespace: 'shop', serviceAccount: 'web' },
    parameters: { mode: 'legacy-secrets' },
  },
  { type: 'cordon-node', target: { node: 'node-b' }, parameters: {} },
  {
    type: 'disable-user',
    target: { user: 'alice@example.com' },
    parameters: { reason: 'credential stuffing' },
  },
] as const;
