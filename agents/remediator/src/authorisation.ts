import { verifyApproval, verifyVerdict } from '@vigil/policy';
import type { Authorisation } from '@vigil/soc';
import { RemediatorError, REMEDIATOR_ERROR_CODES } from './errors.js';
import type { Action } from './actions/action.js';
import type { AuthorisationRecord } from './store/execution-store.js';

/** What the caller presents to execute an action: a reviewer verdict or a human approval (compact JWS). */
export type { Authorisation };

/**
 * Proves an {@link Authorisation} permits exactly `action`. Resolves with who granted it;
 * throws `VIGIL_REMEDIATOR_UNAUTHORISED` (the verifier's coded error as `cause`,
 * its code in `details.reason`) otherwise. Nothing runs without it (fail closed).
 */
export interface Authoriser {
  authorise(authorisation: Authorisation, action: Action): Promise<AuthorisationRecord>;
}

/** `@vigil/policy`'s `verifyVerdict`, as this module needs it. */
export type VerifyVerdict = (
  jws: unknown,
  options: { action: unknown; caPem: string; expectedSigner: string; now?: Date },
) => Promise<{ decision: string; executable: boolean; signer: string; jti: string }>;

/** `@vigil/policy`'s `verifyApproval`, as this module needs it. */
export type VerifyApproval = (
  jws: unknown,
  options: {
    action: unknown;
    caPem: string;
    approvers?: readonly string[] | ((spiffeId: string) => boolean);
    approverRoles?: readonly string[];
    now?: Date;
  },
) => Promise<{ decision: string; approver: string; jti: string }>;

export interface PolicyAuthoriserOptions {
  /** Defaults to `@vigil/policy`'s `verifyVerdict`. */
  readonly verifyVerdict?: VerifyVerdict;
  /** Defaults to `@vigil/policy`'s `verifyApproval`. */
  readonly verifyApproval?: VerifyApproval;
  /** The CA that issued the reviewer's and the approvers' certificates. */
  readonly caPem: string;
  /** The reviewer's SPIFFE ID. */
  readonly reviewer: string;
  /** Who may approve (SPIFFE IDs or a predicate); default: any user identity of the CA. */
  readonly approvers?: readonly string[] | ((spiffeId: string) => boolean);
  /**
   * Roles an approver's certificate must carry (default {@link APPROVER_ROLES}): only a
   * certificate issued for a person's own key (CSR) after sign-in carries one, so neither
   * an agent's identity nor a user certificate minted without the person can approve.
   */
  readonly approverRoles?: readonly string[];
  readonly now?: () => Date;
}

/** The roles whose signed approval executes an escalated action. */
export const APPROVER_ROLES: readonly string[] = Object.freeze(['analyst', 'admin']);

/**
 * The authoriser of a running SOC: verifies verdicts with `@vigil/policy`'s
 * `verifyVerdict` (signed by the reviewer, unexpired, executable, bound to the exact
 * action's RFC 8785 digest) and approvals with `verifyApproval` (signed by a human
 * approver whose certificate carries a deciding role, unexpired, approve, bound to the exact action).
 */
export function createPolicyAuthoriser(options: PolicyAuthoriserOptions): Authoriser {
  const checkVerdict: VerifyVerdict = options.verifyVerdict ?? verifyVerdict;
  const checkApproval: VerifyApproval = options.verifyApproval ?? verifyApproval;
  return {
    async authorise(authorisation, action) {
      const now = options.now?.();
      try {
        if (authorisation.kind === 'verdict') {
          const v = await checkVerdict(authorisation.jws, {
            action,
            caPem: options.caPem,
            expectedSigner: options.reviewer,
            ...(now ? { now } : {}),
          });
          if (!v.executable) throw new Error(`a ${v.decision} verdict does not permit execution`);
          return { kind: 'verdict', id: v.jti, by: v.signer, decision: v.decision };
        }
        if (authorisation.kind === 'approval') {
          const a = await checkApproval(authorisation.jws, {
            action,
            caPem: options.caPem,
            ...(options.approvers ? { approvers: options.approvers } : {}),
            approverRoles: options.approverRoles ?? APPROVER_ROLES,
            ...(now ? { now } : {}),
          });
          return { kind: 'approval', id: a.jti, by: a.approver, decision: a.decision };
        }
      } catch (cause) {
        throw unauthorised(action, cause);
      }
      throw unauthorised(action, new Error('unknown authorisation kind'));
    },
  };
}

export function unauthorised(action: Action, cause: unknown): RemediatorError {
  const reason =
    typeof cause === 'object' && cause !== null && 'code' in cause
      ? String((cause as { code: unknown }).code)
      : 'INVALID';
  const message = cause instanceof Error ? cause.message : String(cause);
  return new RemediatorError(
    REMEDIATOR_ERROR_CODES.unauthorised,
    `${action.type}: not executed: ${message}`,
    { cause, details: { reason, type: action.type } },
  );
}
