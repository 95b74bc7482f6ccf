import { isIP } from 'node:net';
import type { Analysis, Finding, SkippedResponse } from '@vigil/soc';
import type { Action, BlastRadius } from './actions/action.js';
import type { ActionRegistry } from './actions/registry.js';
import { createDefaultRegistry } from './actions/catalogue/index.js';
import type { Inventory } from './inventory/inventory.js';
import type { PodRecord } from './inventory/schema.js';

/** One concrete action proposed for review. */
export interface Proposal {
  readonly action: Action;
  /** What a verdict or approval must be bound to. */
  readonly digest: string;
  readonly blastRadius: BlastRadius;
  readonly reversible: boolean;
  /** Why this target: which finding field it came from. */
  readonly basis: string;
}

export interface ProposalSet {
  readonly proposals: readonly Proposal[];
  readonly skipped: readonly SkippedResponse[];
}

const SA_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;
const MAX_BLOCKS = 3;

/**
 * Maps the analysis' recommended responses and the finding's workload, actor and
 * addresses to concrete typed actions with targets from `inventory`, each assessed
 * (planned, sized). Recommendations that cannot apply (no pod for `isolate-pod`, a
 * DaemonSet for `scale-to-zero`, a block that would widen a policy) are returned in
 * `skipped` with the reason — never guessed. Only catalogue types are considered: the
 * analysis cannot smuggle in anything else.
 */
export function proposeActions(
  finding: Finding,
  analysis: Analysis,
  inventory: Inventory,
  registry: ActionRegistry = createDefaultRegistry(),
): ProposalSet {
  const proposals: Proposal[] = [];
  const skipped: SkippedResponse[] = [];
  const pod = podOf(finding, inventory);
  const user =
    typeof finding.event.actor['user'] === 'string'
      ? finding.event.actor['user']
      : finding.entities.actor;
  const seen = new Set<string>();

  const add = (action: Action, basis: string): void => {
    try {
      const a = registry.assess(action, inventory);
      if (seen.has(a.digest)) return;
      seen.add(a.digest);
      proposals.push({
        action: a.action,
        digest: a.digest,
        blastRadius: a.blastRadius,
        reversible: a.reversible,
        basis,
      });
    } catch (error) {
      skipped.push({ type: action.type, reason: (error as Error).message });
    }
  };
  const skip = (type: string, reason: string) => skipped.push({ type, reason });

  for (const type of new Set(analysis.recommendedResponses)) {
    switch (type) {
      case 'isolate-pod':
      case 'delete-pod':
        if (!pod) skip(type, 'the finding names no pod in the inventory');
        else
          add(
            {
              type,
              target: { namespace: pod.namespace, pod: pod.name },
              parameters: type === 'delete-pod' ? { gracePeriodSeconds: 30 } : {},
            },
            `pod ${pod.namespace}/${pod.name} from the finding's workload`,
          );
        break;
      case 'scale-to-zero':
        if (!pod) skip(type, 'the finding names no pod in the inventory');
        else if (!pod.owner || !['Deployment', 'StatefulSet'].includes(pod.owner.kind))
          skip(
            type,
            `pod ${pod.namespace}/${pod.name} is not owned by a Deployment or StatefulSet`,
          );
        else
          add(
            {
              type,
              target: { namespace: pod.namespace, kind: pod.owner.kind, name: pod.owner.name },
              parameters: {},
            },
            `owner of pod ${pod.namespace}/${pod.name}`,
          );
        break;
      case 'block-ip': {
        if (!pod) {
          skip(type, 'no workload to scope the block to');
          break;
        }
        const inCluster = new Set([
          ...inventory.pods().flatMap((p) => p.ips),
          ...inventory.nodes().flatMap((n) => n.addresses),
        ]);
        const external = [...new Set(addressesOf(finding))].filter((ip) => !inCluster.has(ip));
        if (external.length === 0)
          skip(
            type,
            claimedOf(finding).length > 0
              ? 'no observed address outside the cluster in the finding (addresses the client only claimed are never blocked)'
              : 'no address outside the cluster in the finding',
          );
        const selector = selectorFor(pod, inventory);
        for (const ip of external.slice(0, MAX_BLOCKS)) {
          add(
            {
              type,
              target: { namespace: pod.namespace, selector },
              parameters: { cidr: hostCidr(ip), direction: directionOf(ip, finding) },
            },
            `address ${ip} seen with ${pod.namespace}/${pod.name}`,
          );
        }
        break;
      }
      case 'revoke-sa-token': {
        const m = user ? SA_USER.exec(user) : null;
        const ns = m?.[1] ?? pod?.namespace;
        const name = m?.[2] ?? pod?.serviceAccount;
        if (!ns || !name) {
          skip(type, 'no service account in the finding');
          break;
        }
        const sa = inventory.serviceAccount(ns, name);
        add(
          {
            type,
            target: { namespace: ns, serviceAccount: name },
            parameters: { mode: sa && sa.tokenSecrets.length > 0 ? 'legacy-secrets' : 'recreate' },
          },
          m ? `actor ${user}` : `service account of pod ${pod?.namespace}/${pod?.name}`,
        );
        break;
      }
      case 'cordon-node': {
        const node =
          pod?.node ?? (finding.event as { workload?: { node?: string } }).workload?.node;
        if (!node) skip(type, 'the finding names no node');
        else add({ type, target: { node }, parameters: {} }, `node of the finding's workload`);
        break;
      }
      case 'disable-user':
        if (!user || user.startsWith('system:'))
          skip(type, 'the actor is not an identity-provider user');
        else
          add(
            { type, target: { user }, parameters: { reason: `finding ${finding.id}` } },
            `actor ${user}`,
          );
        break;
      default:
        skip(type, 'not in the catalogue');
    }
  }
  return { proposals, skipped };
}

function podOf(finding: Finding, inventory: Inventory): PodRecord | undefined {
  const event = finding.event as {
    workload?: { namespace?: string; pod?: string };
    resource?: { type?: string; namespace?: string; name?: string };
  };
  if (event.workload?.namespace && event.workload.pod) {
    const pod = inventory.pod(event.workload.namespace, event.workload.pod);
    if (pod) return pod;
  }
  if (event.resource?.type === 'pods' && event.resource.namespace && event.resource.name) {
    const pod = inventory.pod(event.resource.namespace, event.resource.name);
    if (pod) return pod;
  }
  const w = finding.entities.workload?.split('/');
  if (w && w.length >= 2) {
    const pod = inventory.pod(w[0] as string, w[w.length - 1] as string);
    if (pod) return pod;
  }
  return undefined;
}

/**
 * The addresses a block may name: the finding's and the event's, less those the client
 * only claimed (`X-Forwarded-For` entries of an audit event's `sourceIPs`, which anyone
 * can set — blocking them would let an attacker block a bastion of its choosing). An
 * address counts as observed when the event saw it itself (the API server's own
 * `sourceIp`, a flow's endpoints).
 */
function addressesOf(finding: Finding): string[] {
  const event = finding.event as {
    network?: { srcIp?: string; dstIp?: string };
    actor: { sourceIp?: unknown };
  };
  const observed = [event.network?.dstIp, event.network?.srcIp, event.actor.sourceIp].filter(
    (a): a is string => typeof a === 'string',
  );
  const claimed = new Set(claimedOf(finding));
  return [...finding.entities.addresses, ...observed].filter(
    (a) => isIP(a) !== 0 && (!claimed.has(a) || observed.includes(a)),
  );
}

function claimedOf(finding: Finding): string[] {
  const claimed = (finding.event.actor as { claimedSourceIps?: unknown }).claimedSourceIps;
  return Array.isArray(claimed) ? claimed.filter((a): a is string => typeof a === 'string') : [];
}

/**
 * Which way to block an address: only the direction it was seen in (an outbound flow's
 * destination → egress, a request's source → ingress), so the block does not touch the
 * other direction's policies; an address seen both ways, or only in the finding's
 * entities, is blocked both ways.
 */
function directionOf(ip: string, finding: Finding): 'egress' | 'ingress' | 'both' {
  const event = finding.event as {
    network?: { srcIp?: string; dstIp?: string };
    actor: { sourceIp?: unknown };
  };
  const outbound = event.network?.dstIp === ip;
  const inbound = event.network?.srcIp === ip || event.actor.sourceIp === ip;
  if (outbound && !inbound) return 'egress';
  if (inbound && !outbound) return 'ingress';
  return 'both';
}

function hostCidr(ip: string): string {
  return isIP(ip) === 6 ? `${ip}/128` : `${ip}/32`;
}

/** The pods a block is scoped to: every replica of the pod's workload, or the pod's own labels. */
function selectorFor(pod: PodRecord, inventory: Inventory): Record<string, string> {
  if (pod.owner && ['Deployment', 'StatefulSet', 'DaemonSet'].includes(pod.owner.kind)) {
    const w = inventory.workload(pod.namespace, pod.owner.kind as 'Deployment', pod.owner.name);
    if (w && Object.keys(w.selector).length > 0) return { ...w.selector };
  }
  return { ...pod.labels };
}
