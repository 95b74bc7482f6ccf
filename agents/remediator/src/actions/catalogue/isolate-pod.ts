import { blastRadius, defineAction, type Action } from '../action.js';
import { PATCH_TYPES, type ApiRequest } from '../requests.js';
import {
  ACTION_LABEL,
  MANAGED_BY_LABELS,
  QUARANTINE_LABEL,
  noParametersSchema,
  podTargetSchema,
  policiesSelecting,
  quarantineIdOf,
  quarantinePolicyName,
  requirePod,
} from './common.js';
import { z } from 'zod';

export interface IsolationMemo {
  readonly quarantineId: string;
  readonly policyName: string;
  /** This execution created the policy (false: it already existed). */
  readonly createdPolicy: boolean;
  /** This execution added the quarantine label (false: it was already there). */
  readonly labelled: boolean;
}

/**
 * `isolate-pod`: cut one pod off the network with a deny-all NetworkPolicy (both
 * `Ingress` and `Egress` policy types, no rules) that selects EXACTLY that pod — through
 * a quarantine label the action adds to the pod (`vigil.dev/quarantine: <id>`), never the
 * owner's labels, which would isolate every replica (Falco Talon's blast-radius trap).
 * Adding a label does not release the pod from its ReplicaSet (the selector still
 * matches). NetworkPolicies are allow-lists that add up: another policy that allows
 * traffic to this pod keeps allowing it; the blast radius warns when that is the case.
 */
export const isolatePod = defineAction({
  type: 'isolate-pod',
  description: 'Isolate one pod with a deny-all ingress+egress NetworkPolicy selecting only it.',
  target: podTargetSchema,
  parameters: noParametersSchema,
  reversible: true,
  ocsfClassUid: 7004,
  blastRadius(action, inventory) {
    const pod = requirePod(inventory, action.target);
    const warnings: string[] = [];
    if (pod.hostNetwork) {
      warnings.push('the pod uses the host network: NetworkPolicies do not apply to it');
    }
    const name = quarantinePolicyName(quarantineIdOf(pod));
    for (const type of ['Ingress', 'Egress'] as const) {
      const rules = (np: { ingress: unknown[]; egress: unknown[] }) =>
        type === 'Ingress' ? np.ingress : np.egress;
      for (const np of policiesSelecting(inventory, pod.namespace, [pod], type, name)) {
        if (rules(np).length > 0) {
          warnings.push(
            `NetworkPolicy ${np.namespace}/${np.name} allows ${type.toLowerCase()} to this pod; policies add up, so isolation is partial while it exists`,
          );
        }
      }
    }
    if (!pod.owner) warnings.push('a bare pod (no controller)');
    return blastRadius({
      pods: 1,
      replicas: 1,
      users: 0,
      nodes: 0,
      assets: [{ kind: 'Pod', namespace: pod.namespace, name: pod.name, effect: 'isolated' }],
      warnings,
    });
  },
  plan(action, inventory) {
    const pod = requirePod(inventory, action.target);
    const quarantineId = quarantineIdOf(pod);
    const policyName = quarantinePolicyName(quarantineId);
    const requests: ApiRequest[] = [];
    const createdPolicy = inventory.networkPolicy(pod.namespace, policyName) === undefined;
    if (createdPolicy) {
      requests.push({
        kind: 'kubernetes',
        verb: 'create',
        resource: 'NetworkPolicy',
        namespace: pod.namespace,
        name: policyName,
        body: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: {
            name: policyName,
            namespace: pod.namespace,
            labels: {
              ...MANAGED_BY_LABELS,
              [ACTION_LABEL]: 'isolate-pod',
              [QUARANTINE_LABEL]: quarantineId,
            },
            annotations: { 'vigil.dev/target': `pod/${pod.namespace}/${pod.name}` },
          },
          spec: {
            podSelector: { matchLabels: { [QUARANTINE_LABEL]: quarantineId } },
            policyTypes: ['Ingress', 'Egress'],
          },
        },
        summary: `create NetworkPolicy ${pod.namespace}/${policyName} (deny all ingress and egress)`,
      });
    }
    // Policy first, label second: the label is what makes the policy select the pod, so
    // isolation starts atomically with the second request.
    const labelled = pod.labels[QUARANTINE_LABEL] !== quarantineId;
    if (labelled) {
      requests.push({
        kind: 'kubernetes',
        verb: 'patch',
        resource: 'Pod',
        namespace: pod.namespace,
        name: pod.name,
        patchType: PATCH_TYPES.strategicMerge,
        body: { metadata: { labels: { [QUARANTINE_LABEL]: quarantineId } } },
        summary: `label pod ${pod.namespace}/${pod.name} ${QUARANTINE_LABEL}=${quarantineId}`,
      });
    }
    const memo: IsolationMemo = { quarantineId, policyName, createdPolicy, labelled };
    return { requests, memo };
  },
  undo(action, memo: IsolationMemo): Action {
    return {
      type: 'release-pod',
      target: { ...action.target },
      parameters: {
        quarantineId: memo.quarantineId,
        removePolicy: memo.createdPolicy,
        removeLabel: memo.labelled,
      },
    };
  },
  observe(action, memo: IsolationMemo, inventory) {
    const pod = inventory.pod(action.target.namespace, action.target.pod);
    if (!pod) return 'unknown';
    const np = inventory.networkPolicy(pod.namespace, memo.policyName);
    const isolated =
      pod.labels[QUARANTINE_LABEL] === memo.quarantineId &&
      np !== undefined &&
      np.podSelector.matchLabels?.[QUARANTINE_LABEL] === memo.quarantineId &&
      np.policyTypes.includes('Ingress') &&
      np.policyTypes.includes('Egress') &&
      np.ingress.length === 0 &&
      np.egress.length === 0;
    return isolated ? 'applied' : 'not-applied';
  },
});

const releaseParameters = z
  .object({
    quarantineId: z.string().regex(/^[0-9a-f]{12}$/, 'the 12-hex quarantine id'),
    removePolicy: z.boolean().default(true),
    removeLabel: z.boolean().default(true),
  })
  .strict();

/** `release-pod`, the inverse of `isolate-pod`: delete the quarantine policy and label. */
export const releasePod = defineAction({
  type: 'release-pod',
  description: 'Undo isolate-pod: delete the quarantine NetworkPolicy and remove the label.',
  target: podTargetSchema,
  parameters: releaseParameters,
  reversible: false,
  inverseOf: 'isolate-pod',
  ocsfClassUid: 7004,
  blastRadius(action, inventory) {
    const pod = inventory.pod(action.target.namespace, action.target.pod);
    return blastRadius({
      pods: pod ? 1 : 0,
      replicas: pod ? 1 : 0,
      users: 0,
      nodes: 0,
      namespaces: [action.target.namespace],
      assets: pod
        ? [{ kind: 'Pod', namespace: pod.namespace, name: pod.name, effect: 'released' }]
        : [],
      warnings: pod ? [] : ['the pod no longer exists; only the policy is removed'],
    });
  },
  plan(action, inventory) {
    const { namespace, pod: podName } = action.target;
    const policyName = quarantinePolicyName(action.parameters.quarantineId);
    const requests: ApiRequest[] = [];
    if (action.parameters.removeLabel && inventory.pod(namespace, podName)) {
      requests.push({
        kind: 'kubernetes',
        verb: 'patch',
        resource: 'Pod',
        namespace,
        name: podName,
        patchType: PATCH_TYPES.strategicMerge,
        // null deletes the key (strategic merge and JSON merge patch alike).
        body: { metadata: { labels: { [QUARANTINE_LABEL]: null } } },
        summary: `remove label ${QUARANTINE_LABEL} from pod ${namespace}/${podName}`,
      });
    }
    if (action.parameters.removePolicy && inventory.networkPolicy(namespace, policyName)) {
      requests.push({
        kind: 'kubernetes',
        verb: 'delete',
        resource: 'NetworkPolicy',
        namespace,
        name: policyName,
        body: { apiVersion: 'v1', kind: 'DeleteOptions' },
        summary: `delete NetworkPolicy ${namespace}/${policyName}`,
      });
    }
    return { requests, memo: {} };
  },
  observe(action, _memo, inventory) {
    const policyName = quarantinePolicyName(action.parameters.quarantineId);
    const np = inventory.networkPolicy(action.target.namespace, policyName);
    const pod = inventory.pod(action.target.namespace, action.target.pod);
    const labelGone = !pod || pod.labels[QUARANTINE_LABEL] === undefined;
    const policyGone = !action.parameters.removePolicy || np === undefined;
    return labelGone && policyGone ? 'applied' : 'not-applied';
  },
});
