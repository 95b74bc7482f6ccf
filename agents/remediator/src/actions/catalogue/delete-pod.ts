import { z } from 'zod';
import { blastRadius, defineAction } from '../action.js';
import { podTargetSchema, requirePod } from './common.js';

export interface DeletePodMemo {
  readonly uid?: string;
}

/**
 * `delete-pod`: terminate one pod with a grace period. The delete carries a uid
 * precondition when the uid is known, so a same-named replacement (StatefulSet pods keep
 * their names) is never deleted by a retry. Irreversible: a controller recreates a fresh
 * pod from the same template; a bare pod is gone.
 */
export const deletePod = defineAction({
  type: 'delete-pod',
  description: 'Delete one pod with a grace period (its controller, if any, replaces it).',
  target: podTargetSchema,
  parameters: z
    .object({ gracePeriodSeconds: z.number().int().min(0).max(3600).default(30) })
    .strict(),
  reversible: false,
  ocsfClassUid: 7003,
  blastRadius(action, inventory) {
    const pod = requirePod(inventory, action.target);
    const warnings = [
      pod.owner
        ? `its ${pod.owner.kind} ${pod.owner.name} will start a replacement from the same template (evidence in the pod is lost)`
        : 'a bare pod: nothing recreates it',
    ];
    return blastRadius({
      pods: 1,
      replicas: 1,
      users: 0,
      nodes: 0,
      assets: [{ kind: 'Pod', namespace: pod.namespace, name: pod.name, effect: 'deleted' }],
      warnings,
    });
  },
  plan(action, inventory) {
    const pod = requirePod(inventory, action.target);
    const memo: DeletePodMemo = pod.uid === undefined ? {} : { uid: pod.uid };
    return {
      requests: [
        {
          kind: 'kubernetes',
          verb: 'delete',
          resource: 'Pod',
          namespace: pod.namespace,
          name: pod.name,
          body: {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            gracePeriodSeconds: action.parameters.gracePeriodSeconds,
            ...(pod.uid === undefined ? {} : { preconditions: { uid: pod.uid } }),
          },
          summary: `delete pod ${pod.namespace}/${pod.name} (grace ${action.parameters.gracePeriodSeconds}s)`,
        },
      ],
      memo,
    };
  },
  observe(action, memo: DeletePodMemo, inventory) {
    const pod = inventory.pod(action.target.namespace, action.target.pod);
    if (!pod) return 'applied';
    if (memo.uid !== undefined && pod.uid !== undefined && pod.uid !== memo.uid) return 'applied';
    return 'not-applied';
  },
});
