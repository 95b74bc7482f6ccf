import { canonicalJson } from '@vigil/core';
import { z } from 'zod';
import { RemediatorError, REMEDIATOR_ERROR_CODES } from '../../errors.js';
import type { Inventory } from '../../inventory/inventory.js';
import { dnsLabelSchema, type NetworkPolicyRecord } from '../../inventory/schema.js';
import { blastRadius, defineAction, type Action } from '../action.js';
import { PATCH_TYPES, type ApiRequest } from '../requests.js';
import {
  ACTION_LABEL,
  MANAGED_BY_LABELS,
  cidrContains,
  parseCidr,
  policiesSelecting,
  shortId,
  type Cidr,
} from './common.js';

const cidrSchema = z.string().transform((value, ctx) => {
  const parsed = parseCidr(value);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed.cidr;
});

const blockTargetSchema = z
  .object({
    namespace: dnsLabelSchema,
    /** `matchLabels` of the pods whose traffic is filtered; `{}` is every pod of the namespace. */
    selector: z.record(z.string(), z.string()).default({}),
  })
  .strict();
type BlockTarget = z.infer<typeof blockTargetSchema>;

const directionSchema = z.enum(['egress', 'ingress', 'both']).default('both');

export interface BlockMemo {
  readonly policyName: string;
  readonly created: boolean;
  /** The CIDRs blocked by this policy before this execution. */
  readonly previous: readonly string[];
}

/** The one block policy per (namespace, selector): blocks of the same pods merge into it. */
export function blockPolicyName(target: BlockTarget): string {
  return `vigil-block-${shortId(canonicalJson(target.selector) + target.namespace, 10)}`;
}

/** CIDRs a Vigil block policy excepts (they are recorded in its annotation). */
export function blockedCidrs(np: NetworkPolicyRecord | undefined): string[] {
  if (!np) return [];
  const found = new Set<string>();
  for (const rule of [...np.egress, ...np.ingress]) {
    for (const peer of [...(rule.to ?? []), ...(rule.from ?? [])]) {
      for (const c of peer.ipBlock?.except ?? []) found.add(c);
    }
  }
  return [...found].sort();
}

/**
 * The spec that allows everything except `cidrs`. NetworkPolicies only allow, so a block
 * is "allow 0.0.0.0/0 except X" (and all of the other address family). Pods in the
 * cluster stay reachable through a `namespaceSelector: {}` peer (CNIs differ on whether
 * ipBlock matches pod IPs) unless a blocked CIDR covers a known pod IP.
 */
function blockSpec(
  target: BlockTarget,
  cidrs: readonly string[],
  direction: 'egress' | 'ingress' | 'both',
  keepClusterPeers: boolean,
) {
  const v4 = cidrs.filter((c) => !c.includes(':'));
  const v6 = cidrs.filter((c) => c.includes(':'));
  const peers: Record<string, unknown>[] = [
    { ipBlock: v4.length > 0 ? { cidr: '0.0.0.0/0', except: v4 } : { cidr: '0.0.0.0/0' } },
    { ipBlock: v6.length > 0 ? { cidr: '::/0', except: v6 } : { cidr: '::/0' } },
  ];
  if (keepClusterPeers) peers.push({ namespaceSelector: {} });
  const policyTypes: string[] = [];
  const spec: Record<string, unknown> = { podSelector: { matchLabels: { ...target.selector } } };
  if (direction !== 'egress') {
    policyTypes.push('Ingress');
    spec['ingress'] = [{ from: peers }];
  }
  if (direction !== 'ingress') {
    policyTypes.push('Egress');
    spec['egress'] = [{ to: peers }];
  }
  spec['policyTypes'] = policyTypes;
  return spec;
}

function selectedPods(inventory: Inventory, target: BlockTarget) {
  return inventory.pods({
    namespace: target.namespace,
    selector: { matchLabels: target.selector },
  });
}

function directionTypes(direction: 'egress' | 'ingress' | 'both'): ('Ingress' | 'Egress')[] {
  return direction === 'both'
    ? ['Ingress', 'Egress']
    : direction === 'egress'
      ? ['Egress']
      : ['Ingress'];
}

function conflicts(
  inventory: Inventory,
  target: BlockTarget,
  direction: 'egress' | 'ingress' | 'both',
): string[] {
  const pods = selectedPods(inventory, target);
  const name = blockPolicyName(target);
  const found = new Set<string>();
  for (const type of directionTypes(direction)) {
    for (const np of policiesSelecting(inventory, target.namespace, pods, type, name)) {
      found.add(`${np.namespace}/${np.name} (${type})`);
    }
  }
  return [...found];
}

function planBlock(
  inventory: Inventory,
  target: BlockTarget,
  cidrs: string[],
  direction: 'egress' | 'ingress' | 'both',
  created: boolean,
  verb: string,
): ApiRequest {
  const name = blockPolicyName(target);
  const podIps = inventory.pods().flatMap((p) => p.ips);
  const parsed = cidrs.map((c) => parseCidr(c) as Cidr);
  const keepClusterPeers = !parsed.some((c) => podIps.some((ip) => cidrContains(c, ip)));
  const spec = blockSpec(target, cidrs, direction, keepClusterPeers);
  const annotations = { 'vigil.dev/blocked-cidrs': cidrs.join(',') };
  if (created) {
    return {
      kind: 'kubernetes',
      verb: 'create',
      resource: 'NetworkPolicy',
      namespace: target.namespace,
      name,
      body: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          name,
          namespace: target.namespace,
          labels: { ...MANAGED_BY_LABELS, [ACTION_LABEL]: 'block-ip' },
          annotations,
        },
        spec,
      },
      summary: `create NetworkPolicy ${target.namespace}/${name} ${verb} ${cidrs.join(', ')}`,
    };
  }
  return {
    kind: 'kubernetes',
    verb: 'patch',
    resource: 'NetworkPolicy',
    namespace: target.namespace,
    name,
    // JSON merge patch replaces lists whole: the full new rule lists are sent.
    patchType: PATCH_TYPES.merge,
    body: { metadata: { annotations }, spec },
    summary: `patch NetworkPolicy ${target.namespace}/${name}: ${verb} ${cidrs.join(', ')}`,
  };
}

function directionOf(np: NetworkPolicyRecord | undefined): 'egress' | 'ingress' | 'both' {
  if (!np) return 'both';
  const i = np.policyTypes.includes('Ingress');
  const e = np.policyTypes.includes('Egress');
  return i && e ? 'both' : i ? 'ingress' : 'egress';
}

/**
 * `block-ip`: stop traffic between the selected pods of a namespace and an IP or CIDR,
 * with a NetworkPolicy "allow all except the CIDR". Because NetworkPolicies only ever
 * add allowed traffic, the plan refuses (`VIGIL_REMEDIATOR_UNSAFE`) when another policy
 * already selects those pods in that direction: adding "allow all except X" would widen
 * what that policy allows (or release an isolated pod). Blocks of the same pods merge
 * into one policy (two "all except" policies would allow each other's CIDR).
 */
export const blockIp = defineAction({
  type: 'block-ip',
  description: 'Block traffic between selected pods and an IP/CIDR with a NetworkPolicy.',
  target: blockTargetSchema,
  parameters: z.object({ cidr: cidrSchema, direction: directionSchema }).strict(),
  reversible: true,
  ocsfClassUid: 7004,
  blastRadius(action, inventory) {
    if (!inventory.namespace(action.target.namespace)) {
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.targetNotFound,
        `namespace ${action.target.namespace} is not in the inventory`,
      );
    }
    const pods = selectedPods(inventory, action.target);
    const warnings: string[] = [];
    const hostNet = pods.filter((p) => p.hostNetwork).length;
    if (hostNet > 0) warnings.push(`${hostNet} selected pod(s) use the host network: not filtered`);
    const clash = conflicts(inventory, action.target, action.parameters.direction);
    if (clash.length > 0) warnings.push(`conflicts with ${clash.join(', ')}: the plan refuses`);
    if (Object.keys(action.target.selector).length === 0) {
      warnings.push('the selector is empty: every pod of the namespace is filtered');
    }
    return blastRadius({
      pods: pods.length,
      replicas: pods.length,
      users: 0,
      nodes: 0,
      namespaces: [action.target.namespace],
      assets: pods.map((p) => ({
        kind: 'Pod',
        namespace: p.namespace,
        name: p.name,
        effect: `${action.parameters.direction} to/from ${action.parameters.cidr} blocked`,
      })),
      warnings,
    });
  },
  plan(action, inventory) {
    const { target, parameters } = action;
    if (!inventory.namespace(target.namespace)) {
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.targetNotFound,
        `namespace ${target.namespace} is not in the inventory`,
      );
    }
    const clash = conflicts(inventory, target, parameters.direction);
    if (clash.length > 0) {
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.unsafe,
        `block-ip: NetworkPolicies only allow and add up; ${clash.join(', ')} already select these pods, so "allow all except ${parameters.cidr}" would widen what they allow. Block at the egress gateway or firewall, or isolate the pod instead`,
        { details: { conflicts: clash } },
      );
    }
    const name = blockPolicyName(target);
    const existing = inventory.networkPolicy(target.namespace, name);
    const previous = blockedCidrs(existing);
    const cidrs = [...new Set([...previous, parameters.cidr])].sort();
    const direction =
      existing && directionOf(existing) !== parameters.direction ? 'both' : parameters.direction;
    const memo: BlockMemo = { policyName: name, created: !existing, previous };
    return {
      requests: [planBlock(inventory, target, cidrs, direction, !existing, 'block')],
      memo,
    };
  },
  undo(action, _memo: BlockMemo): Action {
    return {
      type: 'unblock-ip',
      target: { ...action.target },
      parameters: { cidr: action.parameters.cidr },
    };
  },
  observe(action, memo: BlockMemo, inventory) {
    const np = inventory.networkPolicy(action.target.namespace, memo.policyName);
    return blockedCidrs(np).includes(action.parameters.cidr) ? 'applied' : 'not-applied';
  },
});

/** `unblock-ip`, the inverse of `block-ip`: remove the CIDR; delete the policy when none remain. */
export const unblockIp = defineAction({
  type: 'unblock-ip',
  description: 'Undo block-ip: remove the CIDR from the block policy (delete it when empty).',
  target: blockTargetSchema,
  parameters: z.object({ cidr: cidrSchema }).strict(),
  reversible: false,
  inverseOf: 'block-ip',
  ocsfClassUid: 7004,
  blastRadius(action, inventory) {
    const pods = selectedPods(inventory, action.target);
    return blastRadius({
      pods: pods.length,
      replicas: pods.length,
      users: 0,
      nodes: 0,
      namespaces: [action.target.namespace],
      assets: pods.map((p) => ({
        kind: 'Pod',
        namespace: p.namespace,
        name: p.name,
        effect: `traffic with ${action.parameters.cidr} allowed again`,
      })),
    });
  },
  plan(action, inventory) {
    const name = blockPolicyName(action.target);
    const existing = inventory.networkPolicy(action.target.namespace, name);
    const previous = blockedCidrs(existing);
    if (!existing || !previous.includes(action.parameters.cidr)) {
      return { requests: [], memo: {} };
    }
    const remaining = previous.filter((c) => c !== action.parameters.cidr);
    if (remaining.length === 0) {
      return {
        requests: [
          {
            kind: 'kubernetes',
            verb: 'delete',
            resource: 'NetworkPolicy',
            namespace: action.target.namespace,
            name,
            body: { apiVersion: 'v1', kind: 'DeleteOptions' },
            summary: `delete NetworkPolicy ${action.target.namespace}/${name}`,
          },
        ],
        memo: {},
      };
    }
    return {
      requests: [
        planBlock(
          inventory,
          action.target,
          remaining,
          directionOf(existing),
          false,
          'keep blocking',
        ),
      ],
      memo: {},
    };
  },
  observe(action, _memo, inventory) {
    const np = inventory.networkPolicy(action.target.namespace, blockPolicyName(action.target));
    return blockedCidrs(np).includes(action.parameters.cidr) ? 'not-applied' : 'applied';
  },
});
