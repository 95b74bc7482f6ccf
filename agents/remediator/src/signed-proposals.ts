import { digestOf, type DeepReadonly } from '@vigil/core';
import {
  signProposal,
  type SignedProposal as SocSignedProposal,
  type TargetAsset as SocTargetAsset,
} from '@vigil/soc';
import type { Action, BlastRadius } from './actions/action.js';
import type { Inventory } from './inventory/inventory.js';

/** The target asset as the inventory knows it — what the policy matches namespaces, kinds and labels on. */
export type TargetAsset = DeepReadonly<SocTargetAsset>;

/** A proposal as the coordinator forwards it to the reviewer: signed by this remediator. */
export type SignedProposal = DeepReadonly<SocSignedProposal>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Looks the action's target up in the inventory (never trusting the proposal's own
 * description of it): pods carry their owner's labels and replicas too, so a policy on
 * `tier: customer-facing` workloads applies to their pods.
 */
export function targetAsset(action: Action, inventory: Inventory): TargetAsset {
  const t = action.target;
  const namespace = str(t['namespace']);
  const podName = str(t['pod']);
  if (namespace && podName) {
    const pod = inventory.pod(namespace, podName);
    const owner = pod?.owner;
    const workload =
      owner &&
      (owner.kind === 'Deployment' || owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet')
        ? inventory.workload(namespace, owner.kind, owner.name)
        : undefined;
    return {
      kind: 'Pod',
      name: podName,
      namespace,
      labels: { ...(workload?.labels ?? {}), ...(pod?.labels ?? {}) },
      ...(owner ? { owner: { kind: owner.kind, name: owner.name } } : {}),
      ...(workload ? { replicas: workload.replicas } : {}),
    };
  }
  const workloadName = str(t['deployment']) ?? str(t['workload']) ?? str(t['name']);
  const kind = (str(t['kind']) ?? 'Deployment') as 'Deployment' | 'StatefulSet' | 'DaemonSet';
  if (namespace && workloadName && action.type === 'scale-to-zero') {
    const workload = inventory.workload(namespace, kind, workloadName);
    return {
      kind,
      name: workloadName,
      namespace,
      labels: { ...(workload?.labels ?? {}) },
      ...(workload ? { replicas: workload.replicas } : {}),
    };
  }
  const node = str(t['node']);
  if (node)
    return { kind: 'Node', name: node, labels: { ...(inventory.node(node)?.labels ?? {}) } };
  const serviceAccount = str(t['serviceAccount']);
  if (namespace && serviceAccount)
    return {
      kind: 'ServiceAccount',
      name: serviceAccount,
      namespace,
      labels: { ...(inventory.serviceAccount(namespace, serviceAccount)?.labels ?? {}) },
    };
  const user = str(t['user']);
  if (user) return { kind: 'User', name: user, labels: {} };
  if (namespace)
    return {
      kind: 'Namespace',
      name: namespace,
      namespace,
      labels: { ...(inventory.namespace(namespace)?.labels ?? {}) },
    };
  return { kind: 'Cluster', name: 'cluster', labels: {} };
}

/** Signs each proposal with the remediator's identity over its action, asset and blast radius. */
export async function signProposals(
  incidentId: string,
  proposals: readonly {
    action: Action;
    blastRadius: BlastRadius;
    reversible: boolean;
    basis: string;
    id?: string;
  }[],
  inventory: Inventory,
  identity: { key: string; cert: string },
): Promise<SignedProposal[]> {
  return Promise.all(
    proposals.map(async (p, i) => {
      const id = p.id ?? `p${i + 1}-${p.action.type}`;
      const asset = targetAsset(p.action, inventory);
      const signature = await signProposal(
        {
          incidentId,
          proposalId: id,
          actionDigest: digestOf(p.action),
          factsDigest: digestOf({ asset, blastRadius: p.blastRadius }),
        },
        identity,
      );
      return {
        id,
        action: p.action,
        asset,
        blastRadius: p.blastRadius,
        reversible: p.reversible,
        basis: p.basis,
        signature,
      };
    }),
  );
}
