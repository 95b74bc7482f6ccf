import { z } from 'zod';
import { blastRadius, defineAction, type Action } from '../action.js';

/** The webhook endpoint name identity-provider requests go to (configured per deployment). */
export const IDENTITY_PROVIDER_ENDPOINT = 'identity-provider';

const userTargetSchema = z
  .object({
    user: z
      .string()
      .min(1)
      .max(256)
      .refine((u) => !u.startsWith('system:'), {
        message:
          'Kubernetes system identities are not identity-provider users (service accounts: use revoke-sa-token)',
      }),
  })
  .strict();

function userRequest(user: string, enable: boolean, reason?: string) {
  return {
    kind: 'webhook' as const,
    endpoint: IDENTITY_PROVIDER_ENDPOINT,
    event: enable ? 'user.enable' : 'user.disable',
    body: { user, action: enable ? 'enable' : 'disable', ...(reason ? { reason } : {}) },
    summary: `${enable ? 'enable' : 'disable'} user ${user} at the identity provider`,
  };
}

export interface DisableUserMemo {
  readonly wasDisabled: boolean;
}

/**
 * `disable-user`: ask the identity provider, through a signed webhook, to disable a
 * user (sessions and new logins). Kubernetes has no user objects; existing client
 * certificates are not revoked by this — say so to the reviewer.
 */
export const disableUser = defineAction({
  type: 'disable-user',
  description: 'Disable a user at the identity provider (signed webhook).',
  target: userTargetSchema,
  parameters: z.object({ reason: z.string().max(500).optional() }).strict(),
  reversible: true,
  ocsfClassUid: 7001,
  blastRadius(action, inventory) {
    const known = inventory.user(action.target.user);
    return blastRadius({
      pods: 0,
      replicas: 0,
      users: 1,
      nodes: 0,
      assets: [{ kind: 'User', name: action.target.user, effect: 'disabled' }],
      warnings: [
        ...(known ? [] : ['the user is not in the inventory']),
        'client certificates already issued to the user stay valid until they expire',
      ],
    });
  },
  plan(action, inventory) {
    const memo: DisableUserMemo = {
      wasDisabled: inventory.user(action.target.user)?.disabled ?? false,
    };
    return {
      requests: [userRequest(action.target.user, false, action.parameters.reason)],
      memo,
    };
  },
  undo(action, memo: DisableUserMemo): Action | undefined {
    if (memo.wasDisabled) return undefined;
    return { type: 'enable-user', target: { ...action.target }, parameters: {} };
  },
  observe(action, _memo, inventory) {
    const user = inventory.user(action.target.user);
    if (!user) return 'unknown';
    return user.disabled ? 'applied' : 'not-applied';
  },
});

/** `enable-user`, the inverse of `disable-user`. */
export const enableUser = defineAction({
  type: 'enable-user',
  description: 'Enable a user at the identity provider (undo of disable-user).',
  target: userTargetSchema,
  parameters: z.object({}).strict(),
  reversible: false,
  inverseOf: 'disable-user',
  ocsfClassUid: 7001,
  blastRadius: (action) =>
    blastRadius({
      pods: 0,
      replicas: 0,
      users: 1,
      nodes: 0,
      assets: [{ kind: 'User', name: action.target.user, effect: 'enabled' }],
    }),
  plan: (action) => ({ requests: [userRequest(action.target.user, true)], memo: {} }),
  observe(action, _memo, inventory) {
    const user = inventory.user(action.target.user);
    if (!user) return 'unknown';
    return user.disabled ? 'not-applied' : 'applied';
  },
});
