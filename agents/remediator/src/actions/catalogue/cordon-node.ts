import { z } from 'zod';
import { dnsSubdomainSchema } from '../../inventory/schema.js';
import type { Inventory } from '../../inventory/inventory.js';
import { blastRadius, defineAction, type Action } from '../action.js';
import { PATCH_TYPES } from '../requests.js';
import { noParametersSchema, notFound } from './common.js';

const nodeTargetSchema = z.object({ node: dnsSubdomainSchema }).strict();

export interface CordonMemo {
  readonly wasUnschedulable: boolean;
}

function requireNode(inventory: Inventory, name: string) {
  const node = inventory.node(name);
  if (!node) throw notFound(`node ${name}`);
  return node;
}

function cordonRequest(node: string, unschedulable: boolean) {
  return {
    kind: 'kubernetes' as const,
    verb: 'patch' as const,
    resource: 'Node' as const,
    name: node,
    // What `kubectl cordon` sends.
    patchType: PATCH_TYPES.strategicMerge,
    body: { spec: { unschedulable } },
    summary: `${unschedulable ? 'cordon' : 'uncordon'} node ${node}`,
  };
}

function nodeRadius(inventory: Inventory, name: string, effect: string) {
  requireNode(inventory, name);
  const pods = inventory.pods({ node: name });
  return blastRadius({
    pods: 0,
    replicas: 0,
    users: 0,
    nodes: 1,
    assets: [{ kind: 'Node', name, effect }],
    warnings: [
      `${pods.length} pod(s) keep running on the node (cordon does not evict; drain would)`,
    ],
  });
}

/** `cordon-node`: mark a node unschedulable (`spec.unschedulable: true`); undo uncordons. */
export const cordonNode = defineAction({
  type: 'cordon-node',
  description: 'Cordon a node: no new pods are scheduled on it.',
  target: nodeTargetSchema,
  parameters: noParametersSchema,
  reversible: true,
  ocsfClassUid: 7001,
  blastRadius: (action, inventory) => nodeRadius(inventory, action.target.node, 'cordoned'),
  plan(action, inventory) {
    const node = requireNode(inventory, action.target.node);
    const memo: CordonMemo = { wasUnschedulable: node.unschedulable };
    return { requests: [cordonRequest(node.name, true)], memo };
  },
  undo(action, memo: CordonMemo): Action | undefined {
    // A node that was already cordoned stays cordoned: undo never widens beyond the start.
    if (memo.wasUnschedulable) return undefined;
    return { type: 'uncordon-node', target: { ...action.target }, parameters: {} };
  },
  observe(action, _memo, inventory) {
    const node = inventory.node(action.target.node);
    if (!node) return 'unknown';
    return node.unschedulable ? 'applied' : 'not-applied';
  },
});

/** `uncordon-node`, the inverse of `cordon-node`. */
export const uncordonNode = defineAction({
  type: 'uncordon-node',
  description: 'Uncordon a node (undo of cordon-node).',
  target: nodeTargetSchema,
  parameters: noParametersSchema,
  reversible: false,
  inverseOf: 'cordon-node',
  ocsfClassUid: 7001,
  blastRadius: (action, inventory) => nodeRadius(inventory, action.target.node, 'uncordoned'),
  plan(action, inventory) {
    const node = requireNode(inventory, action.target.node);
    return { requests: [cordonRequest(node.name, false)], memo: {} };
  },
  observe(action, _memo, inventory) {
    const node = inventory.node(action.target.node);
    if (!node) return 'unknown';
    return node.unschedulable ? 'not-applied' : 'applied';
  },
});
