/**
 * A realistic mix of proposed SOC actions for the policy benchmark: mostly routine
 * containment that is allowed, a share rewritten in flight, escalations on protected
 * targets and low confidence, and a few denials — with varied names, addresses and
 * scores so no two consecutive inputs are identical.
 */
import type { PolicyInput } from '@vigil/policy';

export interface MixEntry {
  readonly kind: string;
  readonly weight: number;
  make(i: number, trustDomain: string): PolicyInput;
}

const analysis = (i: number, extra: Record<string, unknown> = {}) => ({
  severity: (['medium', 'high', 'critical'] as const)[i % 3] as 'medium' | 'high' | 'critical',
  confidence: 0.75 + (i % 20) / 100,
  techniques: ['T1059.004', 'T1609'],
  source: (i % 4 === 0 ? 'rule-based' : 'model') as 'model' | 'rule-based',
  ...extra,
});

const pod = (name: string, namespace: string, labels: Record<string, string> = {}) => ({
  kind: 'Pod',
  name,
  namespace,
  labels: { app: name.split('-')[0] ?? name, ...labels },
  owner: { kind: 'Deployment', name: name.split('-')[0] ?? name },
});

const common = (i: number, td: string) => ({
  blastRadius: { pods: 1, replicas: 1, users: 0 },
  analysis: analysis(i),
  detectorScore: 0.7 + (i % 30) / 100,
  requester: { spiffeId: `spiffe://${td}/agent/remediator` },
  time: new Date(Date.UTC(2026, 10, 25, 18, 0, i % 60)).toISOString(),
});

export const MIX: readonly MixEntry[] = [
  {
    kind: 'allow: isolate-pod',
    weight: 40,
    make: (i, td) => {
      const name = `web-${i % 97}`;
      return {
        ...common(i, td),
        action: {
          type: 'isolate-pod',
          target: { kind: 'Pod', namespace: 'shop', name },
          parameters: {},
        },
        asset: pod(name, 'shop'),
      };
    },
  },
  {
    kind: 'allow: block-ip /32',
    weight: 15,
    make: (i, td) => ({
      ...common(i, td),
      action: { type: 'block-ip', target: {}, parameters: { cidr: `198.51.100.${i % 250}/32` } },
      asset: { kind: 'Network', name: 'cluster-egress', labels: {} },
    }),
  },
  {
    kind: 'mutate: block-ip /16',
    weight: 10,
    make: (i, td) => ({
      ...common(i, td),
      action: { type: 'block-ip', target: {}, parameters: { cidr: '203.0.0.0/16' } },
      asset: { kind: 'Network', name: 'cluster-egress', labels: {} },
      analysis: analysis(i, {
        observedAddresses: [`203.0.113.${i % 250}`, `203.0.7.${(i * 7) % 250}`, '192.0.2.1'],
      }),
    }),
  },
  {
    kind: 'mutate: delete-pod in production',
    weight: 10,
    make: (i, td) => {
      const name = `checkout-${i % 89}`;
      return {
        ...common(i, td),
        action: {
          type: 'delete-pod',
          target: { kind: 'Pod', namespace: 'production', name },
          parameters: {},
        },
        asset: pod(name, 'production'),
      };
    },
  },
  {
    kind: 'mutate: scale-to-zero of 4 replicas',
    weight: 5,
    make: (i, td) => ({
      ...common(i, td),
      action: {
        type: 'scale-to-zero',
        target: { kind: 'Deployment', namespace: 'shop', name: 'cart' },
        parameters: {},
      },
      asset: {
        kind: 'Deployment',
        name: 'cart',
        namespace: 'shop',
        labels: { app: 'cart' },
        replicas: 4,
      },
      blastRadius: { pods: 4, replicas: 4, users: 0 },
      analysis: analysis(i, { affectedPods: [`cart-${i % 13}`] }),
    }),
  },
  {
    kind: 'escalate: kube-system / customer-facing',
    weight: 8,
    make: (i, td) =>
      i % 2 === 0
        ? {
            ...common(i, td),
            action: {
              type: 'isolate-pod',
              target: { kind: 'Pod', namespace: 'kube-system', name: `coredns-${i % 5}` },
              parameters: {},
            },
            asset: pod(`coredns-${i % 5}`, 'kube-system'),
          }
        : {
            ...common(i, td),
            action: {
              type: 'isolate-pod',
              target: { kind: 'Pod', namespace: 'shop', name: `front-${i % 7}` },
              parameters: {},
            },
            asset: pod(`front-${i % 7}`, 'shop', { tier: 'customer-facing' }),
          },
  },
  {
    kind: 'escalate: low confidence',
    weight: 5,
    make: (i, td) => ({
      ...common(i, td),
      action: {
        type: 'isolate-pod',
        target: { kind: 'Pod', namespace: 'shop', name: `api-${i % 11}` },
        parameters: {},
      },
      asset: pod(`api-${i % 11}`, 'shop'),
      analysis: analysis(i, { confidence: 0.2 }),
      detectorScore: 0.3,
    }),
  },
  {
    kind: 'escalate: cordon-node (not autonomous, protected kind)',
    weight: 4,
    make: (i, td) => ({
      ...common(i, td),
      action: {
        type: 'cordon-node',
        target: { kind: 'Node', name: `node-${i % 6}` },
        parameters: {},
      },
      asset: { kind: 'Node', name: `node-${i % 6}`, labels: {} },
      blastRadius: { pods: 9, replicas: 0, users: 0 },
    }),
  },
  {
    kind: 'deny: wrong requester / unknown action',
    weight: 3,
    make: (i, td) =>
      i % 2 === 0
        ? {
            ...common(i, td),
            requester: { spiffeId: `spiffe://${td}/agent/analyst` },
            action: {
              type: 'isolate-pod',
              target: { kind: 'Pod', namespace: 'shop', name: 'web-1' },
              parameters: {},
            },
            asset: pod('web-1', 'shop'),
          }
        : {
            ...common(i, td),
            action: { type: 'wipe-node', target: { kind: 'Node', name: 'node-1' }, parameters: {} },
            asset: { kind: 'Node', name: 'node-1', labels: {} },
          },
  },
];

/** `count` inputs drawn deterministically from {@link MIX} by weight. */
export function buildMix(
  count: number,
  trustDomain: string,
): { kind: string; input: PolicyInput }[] {
  const total = MIX.reduce((sum, e) => sum + e.weight, 0);
  const out: { kind: string; input: PolicyInput }[] = [];
  // A fixed LCG: the same mix in every run.
  let seed = 42;
  for (let i = 0; i < count; i += 1) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    let pick = (seed >>> 8) % total;
    const entry = MIX.find((e) => (pick -= e.weight) < 0) ?? (MIX[0] as MixEntry);
    out.push({ kind: entry.kind, input: entry.make(i, trustDomain) });
  }
  return out;
}
