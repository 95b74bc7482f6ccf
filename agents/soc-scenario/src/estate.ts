/**
 * The demo estate: a small Kubernetes cluster with a customer-facing shop, payments, CI,
 * monitoring, the control plane and Vigil itself (namespace `vigil`, where the SOC's
 * agents run when deployed with `vigil k8s render`). Generated from the seed (pod name suffixes, uids,
 * IPs) so events and inventory agree.
 */
import { Rng } from './rng.js';

export interface NamespaceSpec {
  readonly name: string;
  readonly labels: Record<string, string>;
}

export interface NodeSpec {
  readonly name: string;
  readonly ip: string;
  readonly podCidrPrefix: string; // e.g. '10.42.1.'
  readonly labels: Record<string, string>;
  readonly uid: string;
  readonly controlPlane: boolean;
}

export interface WorkloadSpec {
  readonly kind: 'Deployment' | 'DaemonSet';
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
  readonly image: string;
  readonly labels: Record<string, string>;
  readonly serviceAccount: string;
  readonly uid: string;
  /** Main process name, for process events. */
  readonly process: string;
  /** Container port other workloads talk to. */
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  readonly hostNetwork: boolean;
}

export interface PodSpec {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly workload: WorkloadSpec;
  readonly node: NodeSpec;
  readonly ip: string;
  readonly containerId: string;
  /** A pod created directly (no controller): its `workload` only carries image and process. */
  readonly bare?: boolean;
}

export interface ServiceSpec {
  readonly namespace: string;
  readonly name: string;
  readonly clusterIp: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  readonly workload: WorkloadSpec;
}

export interface UserSpec {
  readonly name: string;
  readonly groups: readonly string[];
}

export interface Estate {
  readonly clusterName: string;
  readonly apiServerIp: string;
  readonly namespaces: readonly NamespaceSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly workloads: readonly WorkloadSpec[];
  /** The pods now: deploys replace pods, an attacker adds one. */
  readonly pods: readonly PodSpec[];
  readonly services: readonly ServiceSpec[];
  readonly users: readonly UserSpec[];
  /** Legacy token secrets per service account, `ns/sa` → secret name. */
  readonly tokenSecrets: ReadonlyMap<string, string>;
  /** External endpoints normal traffic goes to. */
  readonly externals: readonly {
    readonly name: string;
    readonly ip: string;
    readonly port: number;
  }[];
  podsOf(namespace: string, workload: string): readonly PodSpec[];
  service(namespace: string, name: string): ServiceSpec;
  replacePod(old: PodSpec, fresh: PodSpec): void;
  addPod(pod: PodSpec): void;
  /**
   * Pods an attack touched: later deploys leave their workloads alone, so the
   * inventory written at the end still holds the pods the findings name.
   */
  readonly pinned: Set<PodSpec>;
}

interface WorkloadTemplate {
  kind: 'Deployment' | 'DaemonSet';
  namespace: string;
  name: string;
  replicas: number;
  image: string;
  process: string;
  port: number;
  protocol?: 'tcp' | 'udp';
  serviceAccount?: string;
  hostNetwork?: boolean;
  extraLabels?: Record<string, string>;
}

const WORKLOADS: readonly WorkloadTemplate[] = [
  {
    kind: 'Deployment',
    namespace: 'shop',
    name: 'storefront',
    replicas: 3,
    image: 'ghcr.io/acme/storefront:2.14.1',
    process: 'node',
    port: 8080,
  },
  {
    kind: 'Deployment',
    namespace: 'shop',
    name: 'cart',
    replicas: 2,
    image: 'ghcr.io/acme/cart:1.9.0',
    process: 'java',
    port: 8080,
  },
  {
    kind: 'Deployment',
    namespace: 'shop',
    name: 'checkout',
    replicas: 2,
    image: 'ghcr.io/acme/checkout:3.2.4',
    process: 'java',
    port: 8080,
  },
  {
    kind: 'Deployment',
    namespace: 'payments',
    name: 'payments-api',
    replicas: 2,
    image: 'ghcr.io/acme/payments-api:5.0.2',
    process: 'payments-api',
    port: 8443,
  },
  {
    kind: 'Deployment',
    namespace: 'payments',
    name: 'ledger-db',
    replicas: 1,
    image: 'docker.io/library/postgres:16.4',
    process: 'postgres',
    port: 5432,
  },
  {
    kind: 'Deployment',
    namespace: 'ci',
    name: 'runner',
    replicas: 2,
    image: 'ghcr.io/actions/actions-runner:2.321.0',
    process: 'Runner.Listener',
    port: 8080,
  },
  {
    kind: 'Deployment',
    namespace: 'monitoring',
    name: 'prometheus',
    replicas: 1,
    image: 'quay.io/prometheus/prometheus:v2.54.1',
    process: 'prometheus',
    port: 9090,
  },
  {
    kind: 'Deployment',
    namespace: 'monitoring',
    name: 'grafana',
    replicas: 1,
    image: 'docker.io/grafana/grafana:11.2.0',
    process: 'grafana',
    port: 3000,
  },
  {
    kind: 'DaemonSet',
    namespace: 'monitoring',
    name: 'node-exporter',
    replicas: 0,
    image: 'quay.io/prometheus/node-exporter:v1.8.2',
    process: 'node_exporter',
    port: 9100,
    hostNetwork: true,
  },
  {
    kind: 'Deployment',
    namespace: 'kube-system',
    name: 'coredns',
    replicas: 2,
    image: 'registry.k8s.io/coredns/coredns:v1.11.1',
    process: 'coredns',
    port: 53,
    protocol: 'udp',
  },
  {
    kind: 'Deployment',
    namespace: 'kube-system',
    name: 'metrics-server',
    replicas: 1,
    image: 'registry.k8s.io/metrics-server/metrics-server:v0.7.2',
    process: 'metrics-server',
    port: 10250,
  },
  {
    kind: 'DaemonSet',
    namespace: 'kube-system',
    name: 'kube-proxy',
    replicas: 0,
    image: 'registry.k8s.io/kube-proxy:v1.30.2',
    process: 'kube-proxy',
    port: 10256,
    hostNetwork: true,
  },
  // Last, so the seeded names and addresses of every workload above stay as they were.
  {
    kind: 'Deployment',
    namespace: 'vigil',
    name: 'detector',
    replicas: 1,
    image: 'ghcr.io/vigil-soc/vigil:0.1.0',
    process: 'node',
    port: 8443,
    extraLabels: { 'app.kubernetes.io/part-of': 'vigil' },
  },
];

export function buildEstate(seed: number): Estate {
  const rng = new Rng(seed ^ 0x5eed);
  const namespaces: NamespaceSpec[] = [
    {
      name: 'shop',
      labels: {
        'kubernetes.io/metadata.name': 'shop',
        tier: 'customer-facing',
        team: 'storefront',
      },
    },
    {
      name: 'payments',
      labels: {
        'kubernetes.io/metadata.name': 'payments',
        tier: 'restricted',
        team: 'payments',
        'pci-scope': 'true',
      },
    },
    { name: 'ci', labels: { 'kubernetes.io/metadata.name': 'ci', team: 'platform' } },
    {
      name: 'monitoring',
      labels: { 'kubernetes.io/metadata.name': 'monitoring', team: 'platform' },
    },
    { name: 'kube-system', labels: { 'kubernetes.io/metadata.name': 'kube-system' } },
    { name: 'vigil', labels: { 'kubernetes.io/metadata.name': 'vigil', team: 'security' } },
  ];
  const nodes: NodeSpec[] = [
    { name: 'cp-1', ip: '10.0.1.10', podCidrPrefix: '10.42.0.', controlPlane: true },
    { name: 'node-a', ip: '10.0.1.11', podCidrPrefix: '10.42.1.', controlPlane: false },
    { name: 'node-b', ip: '10.0.1.12', podCidrPrefix: '10.42.2.', controlPlane: false },
    { name: 'node-c', ip: '10.0.1.13', podCidrPrefix: '10.42.3.', controlPlane: false },
  ].map((n) => ({
    ...n,
    uid: rng.uuid(),
    labels: {
      'kubernetes.io/hostname': n.name,
      'kubernetes.io/os': 'linux',
      'topology.kubernetes.io/zone': n.controlPlane
        ? 'eu-west-1a'
        : `eu-west-1${'abc'[rng.int(3)]}`,
      ...(n.controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
    },
  }));
  const workers = nodes.filter((n) => !n.controlPlane);
  const workloads: WorkloadSpec[] = [];
  const pods: PodSpec[] = [];
  const services: ServiceSpec[] = [];
  const nextPodIp = new Map<string, number>();
  let serviceOctet = 10;
  let rr = 0;
  for (const t of WORKLOADS) {
    const labels: Record<string, string> = {
      'app.kubernetes.io/name': t.name,
      app: t.name,
      ...(t.namespace === 'shop' ? { tier: 'customer-facing' } : {}),
      ...(t.extraLabels ?? {}),
    };
    const daemon = t.kind === 'DaemonSet';
    const placed = daemon
      ? nodes
      : Array.from({ length: t.replicas }, () => workers[rr++ % workers.length] as NodeSpec);
    const w: WorkloadSpec = {
      kind: t.kind,
      namespace: t.namespace,
      name: t.name,
      replicas: daemon ? nodes.length : t.replicas,
      image: t.image,
      labels,
      serviceAccount: t.serviceAccount ?? t.name,
      uid: rng.uuid(),
      process: t.process,
      port: t.port,
      protocol: t.protocol ?? 'tcp',
      hostNetwork: t.hostNetwork ?? false,
    };
    workloads.push(w);
    const rsHash = rng.suffix(9).replace(/^./, (c) => (/\d/.test(c) ? 'b' : c));
    for (const node of placed) {
      const name = daemon ? `${t.name}-${rng.suffix(5)}` : `${t.name}-${rsHash}-${rng.suffix(5)}`;
      const octet = (nextPodIp.get(node.name) ?? 10) + 1;
      nextPodIp.set(node.name, octet);
      pods.push({
        namespace: t.namespace,
        name,
        uid: rng.uuid(),
        workload: w,
        node,
        ip: w.hostNetwork ? node.ip : `${node.podCidrPrefix}${octet}`,
        containerId: rng.hex(12),
      });
    }
    if (!daemon || t.name === 'node-exporter') {
      services.push({
        namespace: t.namespace,
        name: t.name === 'coredns' ? 'kube-dns' : t.name,
        clusterIp:
          t.name === 'coredns' ? '10.43.0.10' : `10.43.${serviceOctet++}.${rng.between(2, 250)}`,
        port: t.port,
        protocol: w.protocol,
        workload: w,
      });
    }
  }
  const users: UserSpec[] = [
    { name: 'alice@example.com', groups: ['oidc:sre', 'system:authenticated'] },
    { name: 'bob@example.com', groups: ['oidc:developers', 'system:authenticated'] },
    { name: 'dev-contractor@example.com', groups: ['oidc:contractors', 'system:authenticated'] },
  ];
  const tokenSecrets = new Map<string, string>([
    ['payments/payments-api', 'payments-api-token'],
    ['ci/deployer', 'deployer-token'],
  ]);
  const externals = [
    { name: 'ghcr.io', ip: '140.82.121.34', port: 443 },
    { name: 'pkg-containers.githubusercontent.com', ip: '185.199.108.154', port: 443 },
    { name: 'api.stripe.com', ip: '54.187.174.169', port: 443 },
    { name: 'hooks.slack.com', ip: '34.226.36.50', port: 443 },
    { name: 'registry.npmjs.org', ip: '104.16.24.34', port: 443 },
  ];
  return {
    clusterName: 'prod-eu',
    apiServerIp: '10.43.0.1',
    namespaces,
    nodes,
    workloads,
    pods,
    services,
    users,
    tokenSecrets,
    externals,
    podsOf: (ns, name) =>
      pods.filter((p) => p.namespace === ns && p.workload.name === name && p.bare !== true),
    replacePod(old, fresh) {
      const i = pods.indexOf(old);
      if (i < 0) throw new Error(`no pod ${old.namespace}/${old.name}`);
      pods[i] = fresh;
    },
    addPod(pod) {
      pods.push(pod);
    },
    pinned: new Set<PodSpec>(),
    service(ns, name) {
      const s = services.find((x) => x.namespace === ns && x.name === name);
      if (s === undefined) throw new Error(`no service ${ns}/${name}`);
      return s;
    },
  };
}
