/**
 * Synthetic `SecurityEvent`s for the model tests: a small cluster's normal API traffic
 * (controllers, CI, two humans) and Falco noise, seeded. Test support only; the realistic
 * labelled stream is the scenario generator's job.
 */
import type { SecurityEvent } from '../events/security-event.js';
import { Xoshiro128 } from './prng.js';

const ACTORS = [
  {
    user: 'system:serviceaccount:kube-system:deployment-controller',
    ua: 'kube-controller-manager/v1.30.2',
    ip: '10.0.0.10',
    verbs: ['get', 'update', 'watch'],
    resources: ['deployments', 'replicasets'],
    ns: 'shop',
  },
  {
    user: 'system:serviceaccount:ci:deployer',
    ua: 'argocd/v2.11',
    ip: '10.0.5.20',
    verbs: ['get', 'patch', 'list'],
    resources: ['deployments', 'configmaps', 'services'],
    ns: 'shop',
  },
  {
    user: 'system:kube-scheduler',
    ua: 'kube-scheduler/v1.30.2',
    ip: '10.0.0.11',
    verbs: ['create', 'watch'],
    resources: ['pods'],
    ns: 'shop',
  },
  {
    user: 'alice@example.com',
    ua: 'kubectl/v1.30.1 (linux/amd64)',
    ip: '192.168.1.5',
    verbs: ['get', 'list'],
    resources: ['pods', 'services', 'deployments'],
    ns: 'shop',
  },
  {
    user: 'bob@example.com',
    ua: 'kubectl/v1.29.0 (darwin/arm64)',
    ip: '192.168.1.7',
    verbs: ['get', 'list', 'logs'],
    resources: ['pods'],
    ns: 'payments',
  },
] as const;

/** `n` normal events, one every ~100 ms from `start`, seeded. */
export function normalEvents(n: number, seed = 1, start = Date.UTC(2026, 0, 1)): SecurityEvent[] {
  const rng = new Xoshiro128(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.nextInt(xs.length)]!;
  const events: SecurityEvent[] = [];
  for (let i = 0; i < n; i++) {
    const time = start + i * 100 + rng.nextInt(50);
    if (rng.nextFloat() < 0.15) {
      events.push({
        id: `falco-${seed}-${i}`,
        time,
        format: 'falco',
        classUid: 2004,
        activity: 'Read sensitive file untrusted',
        severityId: 3,
        actor: {},
        workload: {
          namespace: 'shop',
          pod: `web-${rng.nextInt(3)}`,
          image: 'ghcr.io/acme/web:1.4.2',
          container: 'web',
        },
        process: { name: pick(['cat', 'python3']), parentName: 'sh' },
        rule: 'Read sensitive file untrusted',
        tags: ['filesystem'],
        raw: {},
      });
      continue;
    }
    const a = pick(ACTORS);
    events.push({
      id: `audit-${seed}-${i}`,
      time,
      format: 'k8s-audit',
      classUid: 6003,
      activity: pick(a.verbs),
      severityId: 1,
      actor: { user: a.user, userAgent: a.ua, sourceIp: a.ip, groups: ['system:authenticated'] },
      resource: { type: pick(a.resources), namespace: a.ns, name: `obj-${rng.nextInt(20)}` },
      outcome: { code: 200, decision: 'allow' },
      tags: [],
      raw: {},
    });
  }
  return events;
}

/** An anonymous read of a secret from an unknown address: never in the baseline. */
export function anonymousSecretRead(time: number): SecurityEvent {
  return {
    id: 'attack-1',
    time,
    format: 'k8s-audit',
    classUid: 6003,
    activity: 'get',
    severityId: 1,
    actor: {
      user: 'system:anonymous',
      userAgent: 'curl/8.5.0',
      sourceIp: '203.0.113.9',
      groups: ['system:unauthenticated'],
    },
    resource: { type: 'secrets', namespace: 'kube-system', name: 'admin-token' },
    outcome: { code: 200, decision: 'allow' },
    tags: [],
    raw: {},
  };
}
