import { VigilError } from '@vigil/core';
import { verifyApproval } from '@vigil/policy';
import type { ApprovalVerifier } from './coordinator.js';

/** Roles that may decide an escalation (viewers may only look). */
export const DECIDING_ROLES: ReadonlySet<string> = new Set(['analyst', 'admin']);

/**
 * The production {@link ApprovalVerifier}: `verifyApproval` from `@vigil/policy` against
 * the trust bundle, accepting only the authenticated user's own SPIFFE identity, and only
 * when that user's role may decide.
 */
export function createApprovalVerifier(options: {
  readonly trustDomain: string;
  readonly caPem: () => string;
  /** Role of `user:<id>`: the users file's, or an OIDC user's live session's. */
  readonly roleOf: (by: string) => string | undefined | Promise<string | undefined>;
  readonly now?: () => Date;
}): ApprovalVerifier {
  return async (approval, expected) => {
    const role = await options.roleOf(expected.by);
    if (role === undefined || !DECIDING_ROLES.has(role)) {
      throw new VigilError(
        'VIGIL_APPROVAL_FORBIDDEN',
        `${expected.by} (role ${role ?? 'none'}) may not decide escalations; analysts and admins may`,
      );
    }
    const userId = expected.by.replace(/^user:/, '');
    const verified = await verifyApproval(approval, {
      action: expected.action,
      caPem: options.caPem(),
      approvers: [`spiffe://${options.trustDomain}/user/${userId}`],
      requireApproved: false,
      ...(options.now ? { now: options.now() } : {}),
    });
    if (verified.decision !== expected.decision) {
      throw new VigilError(
        'VIGIL_APPROVAL_DECISION_MISMATCH',
        `the signed decision is "${verified.decision}", the request says "${expected.decision}"`,
      );
    }
  };
}
