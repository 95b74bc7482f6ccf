/**
 * Normal traffic of the demo estate. Singletons emit exactly one record (so the
 * generator can hit an exact event count); bursts (a deploy, a human session, a CI
 * build) emit several related records close together.
 */
import type { Rng } from './rng.js';
import type { Estate, PodSpec } from './estate.js';
import {
  auditEvent,
  falcoAlert,
  ocsfNetworkFlow,
  ocsfProcessLaunch,
  type Actor,
} from './records.js';
import {
  controller,
  controllerManager,
  human,
  kubelet,
  podServiceAccount,
  scheduler,
} from './actors.js';

export interface Ctx {
  readonly rng: Rng;
  readonly estate: Estate;
  emit(
    time: number,
    record: Record<string, unknown>,
    attack?: { id: string; technique: string },
  ): void;
}

type Singleton = (ctx: Ctx, time: number) => void;

function workerPods(e: Estate): readonly PodSpec[] {
  return e.pods.filter((p) => !p.workload.hostNetwork);
}

const leaseHolders = ['kube-controller-manager', 'kube-scheduler', 'cloud-controller-manager'];

export const SINGLETONS: Readonly<Record<string, Singleton>> = {
  leaderLease(ctx, time) {
    const { rng, estate } = ctx;
    const holder = rng.pick(leaseHolders);
    const actor = holder === 'kube-scheduler' ? scheduler(estate) : controllerManager(estate);
    ctx.emit(
      time,
      auditEvent(rng, {
        time,
        actor,
        verb: rng.chance(0.3) ? 'get' : 'update',
        resource: 'leases',
        apiGroup: 'coordination.k8s.io',
        namespace: 'kube-system',
        name: holder,
        code: rng.chance(0.02) ? 409 : 200,
      }),
    );
  },
  nodeLease(ctx, time) {
    const { rng, estate } = ctx;
    const node = rng.pick(estate.nodes);
    ctx.emit(
      time,
      auditEvent(rng, {
        time,
        actor: kubelet(node),
        verb: 'update',
        resource: 'leases',
        apiGroup: 'coordination.k8s.io',
        namespace: 'kube-node-lease',
        name: node.name,
      }),
    );
  },
  nodeStatus(ctx, time) {
    const { rng, estate } = ctx;
    const node = rng.pick(estate.nodes);
    ctx.emit(
      time,
      auditEvent(rng, {
        time,
        actor: kubelet(node),
        verb: 'patch',
        resource: 'nodes',
        name: node.name,
        subresource: 'status',
        level: 'Request',
      }),
    );
  },
  kubeletReads(ctx, time) {
    const { rng, estate } = ctx;
    const pod = rng.pick(estate.pods);
    const actor = kubelet(pod.node);
    const kind = rng.weighted(['pods', 'configmaps', 'secrets', 'token'], [5, 3, 1, 2]);
    if (kind === 'token') {
      // Projected service-account tokens are refreshed by the kubelet: normal.
      ctx.emit(
        time,
        auditEvent(rng, {
          time,
          actor,
          verb: 'create',
          resource: 'serviceaccounts',
          namespace: pod.namespace,
          name: pod.workload.serviceAccount,
          subresource: 'token',
          level: 'Request',
        }),
      );
    } else if (kind === 'pods') {
      ctx.emit(
        time,
        auditEvent(rng, {
          time,
          actor,
          verb: 'get',
          resource: 'pods',
          namespace: pod.namespace,
          name: pod.name,
        }),
      );
    } else {
      const name =
        kind === 'secrets'
          ? `${pod.workload.name}-tls`
          : rng.pick(['kube-root-ca.crt', `${pod.workload.name}-config`]);
      ctx.emit(
        time,
        auditEvent(rng, {
          time,
          actor,
          verb: rng.chance(0.6) ? 'watch' : 'list',
          resource: kind,
          namespace: pod.namespace,
          query: `fieldSelector=metadata.name%3D${name}&limit=500`,
        }),
      );
    }
  },
  podStatus(ctx, time) {
    const { rng, estate } = ctx;
    const pod = rng.pick(estate.pods);
    ctx.emit(
      time,
      auditEvent(rng, {
        time,
        actor: kubelet(pod.node),
        verb: 'patch',
        resource: 'pods',
        namespace: pod.namespace,
        name: pod.name,
        subresource: 'status',
        level: 'Request',
      }),
    );
  },
  endpoints(ctx, time) {
    const { rng, estate } = ctx;
    const svc = rng.pick(estate.services);
    const which = rng.pick(['endpointslice-controller', 'endpoint-controller']);
    const slices = which === 'endpointslice-controller';
    ctx.emit(
      time,
      auditEvent(rng, {
        time,
        actor: controller(estate, which),
        verb: 'update',
        resource: slices ? 'endpointslices' : 'endpoints',
        apiGroup: slices ? 'discovery.k8s.io' : '',
        namespace: svc.namespace,
        name: slices ? `${svc.name}-${rng.suffix(5)}` : svc.name,
        code: rng.chance(0.04) ? 409 : 200,
      }),
    );
  },
  controllerWatch(ctx, time) {
    const { rng, estate } = ctx;
    const [name, resource, group] = rng.pick([
      ['replicaset-controller', 'replicasets', 'apps'],
      ['deployment-controller', 'deployments', 'apps'],
      ['daemon-set-controller', 'daemonsets', 'apps'],
      ['namespace-controller', 'namespaces', ''],
      ['generic-garbage-collector', 'pods', ''],
      ['resourcequota-controller', 'resourcequotas', ''],
    ] as const);
    ctx.emit(
      time,
      auditEvent(rng, {
        time,
        actor: controller(estate, name),
        verb: rng.chance(0.7) ? 'watch' : 'list',
        resource,
        apiGroup: group,
      }),
    );
  },
  schedulerWatch(ctx, time) {
    const { rng, estate } = ctx;
    const resource = rng.pick([
      'pods',
      'nodes',
      'persistentvolumeclaims',
      'csinodes',
      'poddisruptionbudgets',
    ]);
    const group =
      resource === 'csinodes'
        ? 'storage.k8s.io'
        : resource === 'poddisruptionbudgets'
          ? 'policy'
          : '';
    ctx.emit(
      time,
      auditEvent(rng, { time, actor: scheduler(estate), verb: 'watch', resource, apiGroup: group }),
    );
  },
  prometheus(ctx, time) {
    const { rng, estate } = ctx;
    const prom = estate.podsOf('monitoring', 'prometheus')[0] as PodSpec;
    const actor = podServiceAccount(prom, 'Prometheus/2.54.1');
    if (rng.chance(0.4)) {
      const node = rng.pick(estate.nodes);
      ctx.emit(
        time,
        auditEvent(rng, {
          time,
          actor,
          verb: 'get',
          resource: 'nodes',
          name: node.name,
          subresource: rng.pick(['metrics', 'proxy']),
        }),
      );
    } else {
      const resource = rng.pick(['pods', 'endpoints', 'services', 'nodes']);
      const ns = resource === 'nodes' ? undefined : rng.pick(estate.namespaces).name;
      ctx.emit(
        time,
        auditEvent(rng, {
          time,
          actor,
          verb: rng.chance(0.8) ? 'watch' : 'list',
          resource,
          ...(ns === undefined ? {} : { namespace: ns }),
        }),
      );
    }
  },
  systemAddons(ctx, time) {
    const { rng, estate } = ctx;
    if (rng.chance(0.5)) {
      const dns = rng.pick(estate.podsOf('kube-system', 'coredns'));
      ctx.emit(
        time,
        auditEvent(rng, {
          time,
          actor: podServiceAccount(dns, 'coredns/v1.11.1'),
          verb: 'watch',
          resource: rng.pick(['endpointslices', 'services', 'namespaces']),
          apiGroup: '',
        }),
      );
    } else {
      const ms = estate.podsOf('kube-system', 'metrics-server')[0] as PodSpec;
      const node = rng.pick(estate.nodes);
      ctx.emit(
        time,
        auditEvent(rng, {
          time,
          actor: podServiceAccount(ms, 'metrics-server/v0.7.2'),
          verb: rng.chance(0.5) ? 'get' : 'list',
          resource: 'nodes',
          ...(rng.chance(0.5) ? { name: node.name } : {}),
        }),
      );
    }
  },
  grafana(ctx, time) {
    const { rng, estate } = ctx;
    const g = estate.podsOf('monitoring', 'grafana')[0] as PodSpec;
    // Grafana's sidecar watches its own dashboards configmaps.
    ctx.emit(
      time,
      auditEvent(rng, {
        time,
        actor: podServiceAccount(g, 'kiwigrid/k8s-sidecar'),
        verb: rng.chance(0.8) ? 'watch' : 'list',
        resource: 'configmaps',
        namespace: 'monitoring',
        query: 'labelSelector=grafana_dashboard%3D1',
      }),
    );
  },
  flow(ctx, time) {
    const { rng, estate } = ctx;
    const [from, to] = rng.weighted(FLOWS, FLOW_WEIGHTS);
    const src = rng.pick(estate.podsOf(from[0], from[1]));
    if (to[0] === 'external') {
      const ext =
        estate.externals.find((x) => x.name === to[1]) ??
        (estate.externals[0] as Estate['externals'][number]);
      ctx.emit(
        time,
        ocsfNetworkFlow(rng, {
          time,
          pod: src,
          dstIp: ext.ip,
          dstPort: ext.port,
          dstName: ext.name,
          protocol: 'tcp',
          bytesOut: rng.between(600, 9000),
          bytesIn: rng.between(2000, 60000),
        }),
      );
      return;
    }
    if (to[0] === 'apiserver') {
      ctx.emit(
        time,
        ocsfNetworkFlow(rng, {
          time,
          pod: src,
          dstIp: estate.apiServerIp,
          dstPort: 443,
          protocol: 'tcp',
          bytesOut: rng.between(400, 4000),
          bytesIn: rng.between(1000, 90000),
        }),
      );
      return;
    }
    if (to[0] === 'scrape') {
      const target = rng.pick(estate.pods);
      ctx.emit(
        time,
        ocsfNetworkFlow(rng, {
          time,
          pod: src,
          dstIp: target.ip,
          dstPort:
            target.workload.name === 'node-exporter'
              ? 9100
              : target.workload.port === 53
                ? 9153
                : 9090,
          protocol: 'tcp',
          bytesOut: rng.between(200, 600),
          bytesIn: rng.between(3000, 40000),
        }),
      );
      return;
    }
    const svc = estate.service(to[0], to[1]);
    ctx.emit(
      time,
      ocsfNetworkFlow(rng, {
        time,
        pod: src,
        dstIp: svc.clusterIp,
        dstPort: svc.port,
        protocol: svc.protocol,
        bytesOut: svc.protocol === 'udp' ? rng.between(60, 120) : rng.between(300, 12000),
        bytesIn: svc.protocol === 'udp' ? rng.between(90, 500) : rng.between(500, 30000),
      }),
    );
  },
  falcoNoise(ctx, time) {
    const { rng, estate } = ctx;
    const kind = rng.weighted(
      ['apiContact', 'setuid', 'sensitiveRead', 'shellConfig'],
      [5, 2, 2, 1],
    );
    if (kind === 'apiContact') {
      const pod = rng.pick([
        ...estate.podsOf('monitoring', 'prometheus'),
        ...estate.podsOf('monitoring', 'grafana'),
        ...estate.podsOf('kube-system', 'metrics-server'),
      ]);
      ctx.emit(
        time,
        falcoAlert(rng, {
          time,
          pod,
          rule: 'Contact K8S API Server From Container',
          priority: 'Notice',
          message: 'Unexpected connection to K8s API Server from container',
          proc: {
            name: pod.workload.process,
            cmdline: pod.workload.process,
            pname: 'containerd-shim',
            user: 'nobody',
          },
          tags: ['T1565', 'container', 'k8s', 'maturity_stable', 'mitre_discovery', 'network'],
          extra: {
            'fd.sip': estate.apiServerIp,
            'fd.sport': 443,
            'fd.cip': pod.ip,
            'fd.cport': rng.between(32768, 60999),
            'fd.l4proto': 'tcp',
          },
          sidekick: rng.chance(0.5),
        }),
      );
    } else if (kind === 'setuid') {
      const pod = rng.pick(estate.podsOf('monitoring', 'node-exporter'));
      ctx.emit(
        time,
        falcoAlert(rng, {
          time,
          pod,
          rule: 'Non sudo setuid',
          priority: 'Notice',
          message: 'Unexpected setuid call by non-sudo, non-root program',
          proc: {
            name: 'node_exporter',
            cmdline: 'node_exporter --path.rootfs=/host',
            pname: 'containerd-shim',
            user: 'nobody',
          },
          tags: ['T1548.001', 'host', 'maturity_stable', 'mitre_privilege_escalation', 'users'],
        }),
      );
    } else if (kind === 'sensitiveRead') {
      const pod = rng.pick(estate.podsOf('ci', 'runner'));
      ctx.emit(
        time,
        falcoAlert(rng, {
          time,
          pod,
          rule: 'Read sensitive file trusted after startup',
          priority: 'Warning',
          message: 'Sensitive file opened for reading by trusted program after startup',
          proc: { name: 'sshd', cmdline: 'sshd -D', pname: 'Runner.Worker' },
          tags: ['T1555', 'filesystem', 'host', 'maturity_stable', 'mitre_credential_access'],
          extra: { 'fd.name': '/etc/shadow' },
        }),
      );
    } else {
      const pod = rng.pick(estate.podsOf('ci', 'runner'));
      ctx.emit(
        time,
        falcoAlert(rng, {
          time,
          pod,
          rule: 'Modify Shell Configuration File',
          priority: 'Warning',
          message: 'A shell configuration file has been modified',
          proc: {
            name: 'bash',
            cmdline: 'bash -e /home/runner/work/_temp/setup.sh',
            pname: 'Runner.Worker',
            user: 'runner',
          },
          tags: ['T1546.004', 'filesystem', 'host', 'maturity_sandbox', 'mitre_persistence'],
          extra: { 'fd.name': '/home/runner/.bashrc' },
        }),
      );
    }
  },
  processNoise(ctx, time) {
    const { rng, estate } = ctx;
    const pod = rng.pick(workerPods(estate));
    const [name, cmd, parent] = PROCESS_NOISE[pod.workload.name] ?? [
      pod.workload.process,
      pod.workload.process,
      'containerd-shim',
    ];
    ctx.emit(
      time,
      ocsfProcessLaunch(rng, {
        time,
        pod,
        name,
        cmdline: cmd,
        path: `/usr/bin/${name}`,
        parent,
        user: pod.workload.namespace === 'ci' ? 'runner' : 'app',
      }),
    );
  },
};

const PROCESS_NOISE: Record<string, [string, string, string]> = {
  storefront: ['node', 'node --max-old-space-size=512 dist/server.js', 'tini'],
  cart: ['java', 'java -XX:MaxRAMPercentage=75 -jar /app/cart.jar', 'tini'],
  checkout: ['java', 'java -XX:MaxRAMPercentage=75 -jar /app/checkout.jar', 'tini'],
  'payments-api': ['payments-api', '/app/payments-api --config /etc/payments/config.yaml', 'tini'],
  'ledger-db': ['postgres', 'postgres: autovacuum worker', 'postgres'],
  runner: ['git', 'git fetch --no-tags --prune --depth=1 origin', 'Runner.Worker'],
  prometheus: [
    'prometheus',
    'prometheus --config.file=/etc/prometheus/prometheus.yml',
    'containerd-shim',
  ],
  grafana: ['grafana', 'grafana server --homepath=/usr/share/grafana', 'containerd-shim'],
  coredns: ['coredns', 'coredns -conf /etc/coredns/Corefile', 'containerd-shim'],
  'metrics-server': [
    'metrics-server',
    'metrics-server --kubelet-preferred-address-types=InternalIP',
    'containerd-shim',
  ],
};

type Endpoint = readonly [string, string];
const FLOWS: readonly (readonly [Endpoint, Endpoint])[] = [
  [
    ['shop', 'storefront'],
    ['shop', 'cart'],
  ],
  [
    ['shop', 'storefront'],
    ['shop', 'checkout'],
  ],
  [
    ['shop', 'cart'],
    ['shop', 'checkout'],
  ],
  [
    ['shop', 'checkout'],
    ['payments', 'payments-api'],
  ],
  [
    ['payments', 'payments-api'],
    ['payments', 'ledger-db'],
  ],
  [
    ['payments', 'payments-api'],
    ['external', 'api.stripe.com'],
  ],
  [
    ['shop', 'storefront'],
    ['kube-system', 'kube-dns'],
  ],
  [
    ['shop', 'cart'],
    ['kube-system', 'kube-dns'],
  ],
  [
    ['payments', 'payments-api'],
    ['kube-system', 'kube-dns'],
  ],
  [
    ['ci', 'runner'],
    ['external', 'ghcr.io'],
  ],
  [
    ['ci', 'runner'],
    ['external', 'registry.npmjs.org'],
  ],
  [
    ['ci', 'runner'],
    ['apiserver', ''],
  ],
  [
    ['monitoring', 'prometheus'],
    ['scrape', ''],
  ],
  [
    ['monitoring', 'grafana'],
    ['monitoring', 'prometheus'],
  ],
  [
    ['monitoring', 'grafana'],
    ['external', 'hooks.slack.com'],
  ],
  [
    ['kube-system', 'metrics-server'],
    ['apiserver', ''],
  ],
];
const FLOW_WEIGHTS = [10, 6, 5, 5, 6, 2, 4, 3, 3, 1, 1, 1, 8, 2, 0.3, 1];

/** Relative weight of each singleton at hour `h` (UTC); customer traffic follows the day. */
export function singletonWeights(h: number): Record<string, number> {
  const day = diurnal(h);
  return {
    leaderLease: 8,
    nodeLease: 12,
    nodeStatus: 4,
    kubeletReads: 7,
    podStatus: 3,
    endpoints: 3 + 3 * day,
    controllerWatch: 5,
    schedulerWatch: 3,
    prometheus: 8,
    systemAddons: 4,
    grafana: 1.5,
    flow: 6 + 34 * day,
    falcoNoise: 1.5 + 1.5 * day,
    processNoise: 1.5 + 1.5 * day,
  };
}

/** 0 at 03:00, 1 at 15:00 UTC: the shop's customers. */
export function diurnal(h: number): number {
  return 0.5 - 0.5 * Math.cos(((h - 3) / 24) * 2 * Math.PI);
}

/** True during office hours of the SRE and developer teams (08–19 UTC). */
export function officeHours(h: number): boolean {
  return h >= 8 && h < 19;
}

/** A CI deploy: the pipeline patches a deployment; controllers roll it out. */
export function deployBurst(ctx: Ctx, t0: number): void {
  const { rng, estate } = ctx;
  const target = rng.pick(
    estate.workloads.filter(
      (w) =>
        w.kind === 'Deployment' &&
        (w.namespace === 'shop' || w.namespace === 'payments') &&
        !estate.podsOf(w.namespace, w.name).some((p) => estate.pinned.has(p)),
    ),
  );
  const runner = rng.pick(estate.podsOf('ci', 'runner'));
  const deployer: Actor = podServiceAccount(
    runner,
    'kubectl/v1.30.2 (linux/amd64) kubernetes/3968350',
    'deployer',
  );
  let t = t0;
  const step = (lo: number, hi: number): number => (t += rng.between(lo, hi));
  ctx.emit(
    step(0, 0),
    ocsfProcessLaunch(rng, {
      time: t,
      pod: runner,
      name: 'kubectl',
      cmdline: `kubectl -n ${target.namespace} apply -f k8s/${target.name}.yaml`,
      path: '/usr/local/bin/kubectl',
      parent: 'bash',
      user: 'runner',
    }),
  );
  ctx.emit(
    step(50, 300),
    auditEvent(rng, {
      time: t,
      actor: deployer,
      verb: 'get',
      resource: 'deployments',
      apiGroup: 'apps',
      namespace: target.namespace,
      name: target.name,
    }),
  );
  if (rng.chance(0.6))
    ctx.emit(
      step(20, 200),
      auditEvent(rng, {
        time: t,
        actor: deployer,
        verb: rng.chance(0.5) ? 'create' : 'patch',
        resource: 'configmaps',
        namespace: target.namespace,
        name: `${target.name}-config-${rng.suffix(6)}`,
        level: 'Request',
      }),
    );
  ctx.emit(
    step(20, 200),
    auditEvent(rng, {
      time: t,
      actor: deployer,
      verb: 'patch',
      resource: 'deployments',
      apiGroup: 'apps',
      namespace: target.namespace,
      name: target.name,
      level: 'Request',
      query: 'fieldManager=kubectl-client-side-apply&fieldValidation=Strict',
    }),
  );
  const rsHash = rng.suffix(9);
  ctx.emit(
    step(5, 40),
    auditEvent(rng, {
      time: t,
      actor: controller(estate, 'deployment-controller'),
      verb: 'create',
      resource: 'replicasets',
      apiGroup: 'apps',
      namespace: target.namespace,
      name: `${target.name}-${rsHash}`,
    }),
  );
  // Roll every replica: a new pod replaces each old one (the estate, and so the
  // inventory written at the end, follows).
  for (const old of [...estate.podsOf(target.namespace, target.name)]) {
    const fresh: PodSpec = {
      ...old,
      name: `${target.name}-${rsHash}-${rng.suffix(5)}`,
      uid: rng.uuid(),
      containerId: rng.hex(12),
    };
    ctx.emit(
      step(5, 60),
      auditEvent(rng, {
        time: t,
        actor: controller(estate, 'replicaset-controller'),
        verb: 'create',
        resource: 'pods',
        namespace: target.namespace,
        name: fresh.name,
      }),
    );
    ctx.emit(
      step(5, 40),
      auditEvent(rng, {
        time: t,
        actor: scheduler(estate),
        verb: 'create',
        resource: 'pods',
        namespace: target.namespace,
        name: fresh.name,
        subresource: 'binding',
      }),
    );
    ctx.emit(
      step(800, 4000),
      ocsfProcessLaunch(rng, {
        time: t,
        pod: fresh,
        name: fresh.workload.process,
        cmdline: (PROCESS_NOISE[target.name] ?? [
          fresh.workload.process,
          fresh.workload.process,
        ])[1],
        path: `/usr/bin/${fresh.workload.process}`,
        parent: 'tini',
        user: 'app',
      }),
    );
    ctx.emit(
      step(100, 2000),
      auditEvent(rng, {
        time: t,
        actor: kubelet(fresh.node),
        verb: 'patch',
        resource: 'pods',
        namespace: target.namespace,
        name: fresh.name,
        subresource: 'status',
        level: 'Request',
      }),
    );
    ctx.emit(
      step(1000, 8000),
      auditEvent(rng, {
        time: t,
        actor: controller(estate, 'replicaset-controller'),
        verb: 'delete',
        resource: 'pods',
        namespace: target.namespace,
        name: old.name,
      }),
    );
    estate.replacePod(old, fresh);
  }
  ctx.emit(
    step(100, 900),
    auditEvent(rng, {
      time: t,
      actor: controller(estate, 'deployment-controller'),
      verb: 'update',
      resource: 'deployments',
      apiGroup: 'apps',
      namespace: target.namespace,
      name: target.name,
      subresource: 'status',
    }),
  );
}

/** A CI build: package installs (which Falco flags), pulls, tests. */
export function ciBuild(ctx: Ctx, t0: number): void {
  const { rng, estate } = ctx;
  const pod = rng.pick(estate.podsOf('ci', 'runner'));
  let t = t0;
  const step = (lo: number, hi: number): number => (t += rng.between(lo, hi));
  ctx.emit(
    step(0, 0),
    ocsfProcessLaunch(rng, {
      time: t,
      pod,
      name: 'git',
      cmdline: 'git clone --depth=1 https://github.com/acme/shop.git',
      path: '/usr/bin/git',
      parent: 'Runner.Worker',
      user: 'runner',
    }),
  );
  ctx.emit(
    step(2000, 9000),
    falcoAlert(rng, {
      time: t,
      pod,
      rule: 'Launch Package Management Process in Container',
      priority: 'Error',
      message: 'Package management process launched in container',
      proc: {
        name: 'apt-get',
        cmdline: 'apt-get install -y --no-install-recommends jq',
        pname: 'bash',
        user: 'root',
      },
      tags: [
        'T1505',
        'container',
        'maturity_incubating',
        'mitre_persistence',
        'process',
        'software_mgmt',
      ],
      sidekick: rng.chance(0.5),
    }),
  );
  ctx.emit(
    step(1000, 5000),
    ocsfNetworkFlow(rng, {
      time: t,
      pod,
      dstIp: '151.101.2.132',
      dstPort: 443,
      dstName: 'deb.debian.org',
      protocol: 'tcp',
      bytesOut: rng.between(2000, 8000),
      bytesIn: rng.between(200_000, 4_000_000),
    }),
  );
  ctx.emit(
    step(5000, 20000),
    ocsfProcessLaunch(rng, {
      time: t,
      pod,
      name: 'npm',
      cmdline: 'npm ci --no-audit --no-fund',
      path: '/usr/local/bin/npm',
      parent: 'bash',
      user: 'runner',
    }),
  );
  ctx.emit(
    step(1000, 5000),
    ocsfNetworkFlow(rng, {
      time: t,
      pod,
      dstIp: '104.16.24.34',
      dstPort: 443,
      dstName: 'registry.npmjs.org',
      protocol: 'tcp',
      bytesOut: rng.between(20_000, 90_000),
      bytesIn: rng.between(2_000_000, 40_000_000),
    }),
  );
  ctx.emit(
    step(20000, 90000),
    ocsfProcessLaunch(rng, {
      time: t,
      pod,
      name: 'node',
      cmdline: 'node --test --test-reporter=junit',
      path: '/usr/local/bin/node',
      parent: 'npm',
      user: 'runner',
    }),
  );
  if (rng.chance(0.5))
    ctx.emit(
      step(5000, 20000),
      ocsfNetworkFlow(rng, {
        time: t,
        pod,
        dstIp: '140.82.121.34',
        dstPort: 443,
        dstName: 'ghcr.io',
        protocol: 'tcp',
        bytesOut: rng.between(5_000_000, 60_000_000),
        bytesIn: rng.between(20_000, 200_000),
      }),
    );
}

/** A human at work: looks at pods and logs; now and then a rare but legitimate action. */
export function humanSession(ctx: Ctx, t0: number): void {
  const { rng, estate } = ctx;
  const user = rng.weighted(
    estate.users.filter((u) => u.name !== 'dev-contractor@example.com'),
    [1, 1.4],
  );
  const ip = user.name.startsWith('alice') ? '10.20.4.31' : rng.pick(['10.20.7.58', '10.20.7.61']);
  const actor = human(user.name, user.groups, ip);
  const ns = user.name.startsWith('alice')
    ? rng.pick(['shop', 'payments', 'monitoring', 'kube-system'])
    : rng.pick(['shop', 'ci', 'shop', 'payments']);
  const candidates = estate.pods.filter((p) => p.namespace === ns);
  const pod = rng.pick(candidates);
  let t = t0;
  const step = (lo: number, hi: number): number => (t += rng.between(lo, hi));
  ctx.emit(
    step(0, 0),
    auditEvent(rng, { time: t, actor, verb: 'list', resource: 'pods', namespace: ns }),
  );
  const steps = rng.between(2, 6);
  for (let i = 0; i < steps; i++) {
    const what = rng.weighted(
      ['describe', 'logs', 'deployments', 'events', 'top'],
      [3, 4, 2, 2, 1],
    );
    if (what === 'describe') {
      ctx.emit(
        step(3000, 40000),
        auditEvent(rng, {
          time: t,
          actor,
          verb: 'get',
          resource: 'pods',
          namespace: ns,
          name: pod.name,
        }),
      );
      ctx.emit(
        step(20, 200),
        auditEvent(rng, {
          time: t,
          actor,
          verb: 'list',
          resource: 'events',
          namespace: ns,
          query: `fieldSelector=involvedObject.name%3D${pod.name}`,
        }),
      );
    } else if (what === 'logs') {
      ctx.emit(
        step(3000, 60000),
        auditEvent(rng, {
          time: t,
          actor,
          verb: 'get',
          resource: 'pods',
          namespace: ns,
          name: pod.name,
          subresource: 'log',
          query: rng.chance(0.5) ? 'follow=true&tailLines=200' : 'tailLines=100',
        }),
      );
    } else if (what === 'deployments') {
      ctx.emit(
        step(3000, 30000),
        auditEvent(rng, {
          time: t,
          actor,
          verb: rng.chance(0.5) ? 'list' : 'get',
          resource: 'deployments',
          apiGroup: 'apps',
          namespace: ns,
          ...(rng.chance(0.5) ? { name: pod.workload.name } : {}),
        }),
      );
    } else if (what === 'events') {
      ctx.emit(
        step(3000, 30000),
        auditEvent(rng, { time: t, actor, verb: 'list', resource: 'events', namespace: ns }),
      );
    } else {
      ctx.emit(
        step(3000, 30000),
        auditEvent(rng, {
          time: t,
          actor,
          verb: 'list',
          resource: 'pods',
          apiGroup: 'metrics.k8s.io',
          apiVersion: 'v1beta1',
          namespace: ns,
        }),
      );
    }
  }
}

/**
 * Rare but benign: things that look like the attacks but are legitimate — an SRE reading
 * a payments secret during an incident, a developer exec-ing into a CI runner (Falco
 * flags the shell), an SRE deleting a stuck pod, scaling the storefront for a sale.
 */
export function rareBenign(ctx: Ctx, t0: number, which: number): void {
  const { rng, estate } = ctx;
  const alice = human('alice@example.com', ['oidc:sre', 'system:authenticated'], '10.20.4.31');
  const bob = human('bob@example.com', ['oidc:developers', 'system:authenticated'], '10.20.7.58');
  let t = t0;
  const step = (lo: number, hi: number): number => (t += rng.between(lo, hi));
  switch (which % 4) {
    case 0: {
      ctx.emit(
        step(0, 0),
        auditEvent(rng, {
          time: t,
          actor: alice,
          verb: 'get',
          resource: 'secrets',
          namespace: 'payments',
          name: 'payments-api-tls',
          reason:
            'RBAC: allowed by RoleBinding "sre-breakglass/payments" of ClusterRole "admin" to Group "oidc:sre"',
        }),
      );
      break;
    }
    case 1: {
      const pod = rng.pick(estate.podsOf('ci', 'runner'));
      ctx.emit(
        step(0, 0),
        auditEvent(rng, {
          time: t,
          actor: bob,
          verb: 'create',
          resource: 'pods',
          namespace: 'ci',
          name: pod.name,
          subresource: 'exec',
          code: 101,
          query: `command=bash&container=runner&stdin=true&stdout=true&tty=true`,
        }),
      );
      ctx.emit(
        step(100, 900),
        falcoAlert(rng, {
          time: t,
          pod,
          rule: 'Terminal shell in container',
          priority: 'Notice',
          message: 'A shell was spawned in a container with an attached terminal',
          proc: { name: 'bash', cmdline: 'bash', pname: 'runc', user: 'runner' },
          tags: ['T1059', 'container', 'maturity_stable', 'mitre_execution', 'shell'],
        }),
      );
      break;
    }
    case 2: {
      const pod = rng.pick(estate.podsOf('shop', 'cart'));
      ctx.emit(
        step(0, 0),
        auditEvent(rng, {
          time: t,
          actor: alice,
          verb: 'delete',
          resource: 'pods',
          namespace: 'shop',
          name: pod.name,
        }),
      );
      break;
    }
    default: {
      ctx.emit(
        step(0, 0),
        auditEvent(rng, {
          time: t,
          actor: alice,
          verb: 'patch',
          resource: 'deployments',
          apiGroup: 'apps',
          namespace: 'shop',
          name: 'storefront',
          subresource: 'scale',
          level: 'Request',
        }),
      );
    }
  }
}
