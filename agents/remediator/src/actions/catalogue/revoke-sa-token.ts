import { z } from 'zod';
import { RemediatorError, REMEDIATOR_ERROR_CODES } from '../../errors.js';
import { dnsLabelSchema, dnsSubdomainSchema } from '../../inventory/schema.js';
import { blastRadius, defineAction } from '../action.js';
import type { ApiRequest } from '../requests.js';
import { notFound } from './common.js';

export interface RevokeMemo {
  readonly secrets: readonly string[];
  readonly previousUid?: string;
}

/**
 * `revoke-sa-token`. What Kubernetes allows:
 * - long-lived legacy tokens (Secrets of type `kubernetes.io/service-account-token`) are
 *   revoked by deleting the Secret — mode `legacy-secrets`;
 * - bound tokens (TokenRequest, projected volumes) cannot be revoked one by one: they
 *   stay valid until they expire or their bound object (pod, secret) or the service
 *   account itself is deleted, since the authenticator checks the bound UIDs — mode
 *   `recreate` deletes the ServiceAccount and creates it again under a new UID, which
 *   invalidates every token issued for the old one. Running pods of that account then
 *   fail API calls until the kubelet refreshes their projected tokens for the new UID,
 *   so a compromised pod should also be isolated or deleted.
 * - rotating the service-account signing key revokes every token of the cluster: out of
 *   scope for an automated response.
 * Irreversible: a revoked token cannot be restored.
 */
export const revokeSaToken = defineAction({
  type: 'revoke-sa-token',
  description:
    "Revoke a service account's tokens: delete its legacy token Secrets, or recreate the account.",
  target: z.object({ namespace: dnsLabelSchema, serviceAccount: dnsSubdomainSchema }).strict(),
  parameters: z
    .object({ mode: z.enum(['legacy-secrets', 'recreate']).default('legacy-secrets') })
    .strict(),
  reversible: false,
  ocsfClassUid: 7001,
  blastRadius(action, inventory) {
    const { namespace, serviceAccount } = action.target;
    const sa = inventory.serviceAccount(namespace, serviceAccount);
    if (!sa) throw notFound(`ServiceAccount ${namespace}/${serviceAccount}`);
    const pods = inventory.pods({ namespace, serviceAccount });
    const recreate = action.parameters.mode === 'recreate';
    const warnings: string[] = [];
    if (!recreate && sa.tokenSecrets.length === 0) {
      warnings.push('no legacy token Secrets: bound tokens need mode "recreate"');
    }
    if (recreate) {
      warnings.push(
        `${pods.length} pod(s) of this account lose API access until their tokens refresh`,
      );
    } else {
      warnings.push('bound (projected) tokens stay valid until they expire');
    }
    return blastRadius({
      pods: recreate ? pods.length : 0,
      replicas: 0,
      users: 1,
      nodes: 0,
      assets: [
        {
          kind: 'ServiceAccount',
          namespace,
          name: serviceAccount,
          effect: recreate ? 'recreated (all tokens invalid)' : 'legacy tokens revoked',
        },
        ...sa.tokenSecrets.map((s) => ({
          kind: 'Secret',
          namespace,
          name: s,
          effect: 'deleted',
        })),
        ...(recreate
          ? pods.map((p) => ({
              kind: 'Pod',
              namespace,
              name: p.name,
              effect: 'token invalidated',
            }))
          : []),
      ],
      warnings,
    });
  },
  plan(action, inventory) {
    const { namespace, serviceAccount } = action.target;
    const sa = inventory.serviceAccount(namespace, serviceAccount);
    if (!sa) throw notFound(`ServiceAccount ${namespace}/${serviceAccount}`);
    const requests: ApiRequest[] = sa.tokenSecrets.map((secret) => ({
      kind: 'kubernetes',
      verb: 'delete',
      resource: 'Secret',
      namespace,
      name: secret,
      body: { apiVersion: 'v1', kind: 'DeleteOptions' },
      summary: `delete token Secret ${namespace}/${secret}`,
    }));
    if (action.parameters.mode === 'recreate') {
      requests.push(
        {
          kind: 'kubernetes',
          verb: 'delete',
          resource: 'ServiceAccount',
          namespace,
          name: serviceAccount,
          body: {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            ...(sa.uid === undefined ? {} : { preconditions: { uid: sa.uid } }),
          },
          summary: `delete ServiceAccount ${namespace}/${serviceAccount}`,
        },
        {
          kind: 'kubernetes',
          verb: 'create',
          resource: 'ServiceAccount',
          namespace,
          name: serviceAccount,
          body: {
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            metadata: {
              name: serviceAccount,
              namespace,
              labels: { ...sa.labels },
              annotations: { 'vigil.dev/recreated-by': 'revoke-sa-token' },
            },
          },
          summary: `recreate ServiceAccount ${namespace}/${serviceAccount} (new UID)`,
        },
      );
    } else if (requests.length === 0) {
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.unsafe,
        `ServiceAccount ${namespace}/${serviceAccount} has no legacy token Secrets; bound tokens cannot be revoked one by one: use mode "recreate", or delete the pod holding the token`,
      );
    }
    const memo: RevokeMemo = {
      secrets: [...sa.tokenSecrets],
      ...(sa.uid === undefined ? {} : { previousUid: sa.uid }),
    };
    return { requests, memo };
  },
  observe(action, memo: RevokeMemo, inventory) {
    const { namespace, serviceAccount } = action.target;
    const sa = inventory.serviceAccount(namespace, serviceAccount);
    const secretsGone = !sa || memo.secrets.every((s) => !sa.tokenSecrets.includes(s));
    if (action.parameters.mode === 'legacy-secrets') return secretsGone ? 'applied' : 'not-applied';
    if (!sa) return 'not-applied';
    if (memo.previousUid === undefined || sa.uid === undefined) return 'unknown';
    return secretsGone && sa.uid !== memo.previousUid ? 'applied' : 'not-applied';
  },
});
