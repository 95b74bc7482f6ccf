import { z } from 'zod';
import { blastRadius, defineAction, type Action } from '../action.js';
import { PATCH_TYPES } from '../requests.js';
import { dnsLabelSchema, dnsSubdomainSchema } from '../../inventory/schema.js';
import type { Inventory } from '../../inventory/inventory.js';
import { noParametersSchema, notFound } from './common.js';

const scalableTargetSchema = z
  .object({
    namespace: dnsLabelSchema,
    kind: z.enum(['Deployment', 'StatefulSet'], {
      message: 'Deployment or StatefulSet (a DaemonSet cannot be scaled; cordon or isolate)',
    }),
    name: dnsSubdomainSchema,
  })
  .strict();
type ScalableTarget = z.infer<typeof scalableTargetSchema>;

export interface ScaleMemo {
  readonly previousReplicas: number;
}

function requireWorkload(inventory: Inventory, t: ScalableTarget) {
  const w = inventory.workload(t.namespace, t.kind, t.name);
  if (!w) throw notFound(`${t.kind} ${t.namespace}/${t.name}`);
  return w;
}

function scaleRequest(t: ScalableTarget, replicas: number) {
  return {
    kind: 'kubernetes' as const,
    verb: 'patch' as const,
    resource: t.kind,
    namespace: t.namespace,
    name: t.name,
    subresource: 'scale' as const,
    patchType: PATCH_TYPES.merge,
    body: { spec: { replicas } },
    summary: `scale ${t.kind} ${t.namespace}/${t.name} to ${replicas}`,
  };
}

function scaleRadius(inventory: Inventory, t: ScalableTarget, to: number) {
  const w = requireWorkload(inventory, t);
  const pods = inventory.pods({ namespace: t.namespace, owner: { kind: t.kind, name: t.name } });
  const removed = Math.max(0, w.replicas - to);
  const warnings: string[] = [
    'a HorizontalPodAutoscaler targeting this workload would scale it back up; check for one',
  ];
  if (w.replicas === to) warnings.push(`already at ${to} replicas`);
  return blastRadius({
    pods: to === 0 ? pods.length : Math.min(pods.length, removed),
    replicas: removed,
    users: 0,
    nodes: 0,
    assets: [
      {
        kind: t.kind,
        namespace: t.namespace,
        name: t.name,
        effect: `scaled from ${w.replicas} to ${to}`,
      },
      ...(to === 0
        ? pods.map((p) => ({
            kind: 'Pod',
            namespace: p.namespace,
            name: p.name,
            effect: 'terminated by its controller',
          }))
        : []),
    ],
    warnings,
  });
}

/** `scale-to-zero`: stop every replica of a Deployment or StatefulSet, remembering the count. */
export const scaleToZero = defineAction({
  type: 'scale-to-zero',
  description: 'Scale a Deployment or StatefulSet to zero replicas (undo restores the count).',
  target: scalableTargetSchema,
  parameters: noParametersSchema,
  reversible: true,
  ocsfClassUid: 7001,
  blastRadius: (action, inventory) => scaleRadius(inventory, action.target, 0),
  plan(action, inventory) {
    const w = requireWorkload(inventory, action.target);
    const memo: ScaleMemo = { previousReplicas: w.replicas };
    return { requests: [scaleRequest(action.target, 0)], memo };
  },
  undo(action, memo: ScaleMemo): Action {
    return {
      type: 'scale-workload',
      target: { ...action.target },
      parameters: { replicas: memo.previousReplicas },
    };
  },
  observe(action, _memo, inventory) {
    const w = inventory.workload(action.target.namespace, action.target.kind, action.target.name);
    if (!w) return 'unknown';
    return w.replicas === 0 ? 'applied' : 'not-applied';
  },
});

/** `scale-workload`: set replicas (the inverse of `scale-to-zero`). */
export const scaleWorkload = defineAction({
  type: 'scale-workload',
  description: 'Set the replicas of a Deployment or StatefulSet (undo of scale-to-zero).',
  target: scalableTargetSchema,
  parameters: z.object({ replicas: z.number().int().min(0).max(1000) }).strict(),
  reversible: true,
  inverseOf: 'scale-to-zero',
  ocsfClassUid: 7001,
  blastRadius: (action, inventory) =>
    scaleRadius(inventory, action.target, action.parameters.replicas),
  plan(action, inventory) {
    const w = requireWorkload(inventory, action.target);
    const memo: ScaleMemo = { previousReplicas: w.replicas };
    return { requests: [scaleRequest(action.target, action.parameters.replicas)], memo };
  },
  undo(action, memo: ScaleMemo): Action {
    return {
      type: 'scale-workload',
      target: { ...action.target },
      parameters: { replicas: memo.previousReplicas },
    };
  },
  observe(action, _memo, inventory) {
    const w = inventory.workload(action.target.namespace, action.target.kind, action.target.name);
    if (!w) return 'unknown';
    return w.replicas === action.parameters.replicas ? 'applied' : 'not-applied';
  },
});
