import { z } from 'zod';
import { decodeProtectedHeader } from 'jose';
import { digestOf } from '@vigil/core';
import { roleOfCertificate } from '@vigil/pki';
import { POLICY_ERROR_CODES, PolicyError } from './errors.js';
import { describeIssues } from './guarded-engine.js';
import type { Verdict } from './review.js';
import {
  APPROVAL_CODES,
  VERDICT_CODES,
  signDocument,
  verifyDocument,
  type Signer,
} from './signing.js';
import { DECISIONS, proposedActionSchema, type Decision, type ProposedAction } from './types.js';

/** JWS `typ` of a signed verdict. */
export const VERDICT_JWS_TYPE = 'vigil-verdict+jws';
/** JWS `typ` of a signed human approval. */
export const APPROVAL_JWS_TYPE = 'vigil-approval+jws';

/** A signed verdict: a compact JWS (ES256) string. */
export type SignedVerdict = string;
/** A signed approval: a compact JWS (ES256) string. */
export type SignedApproval = string;

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/);

const verdictClaimsSchema = z.object({
  decision: z.enum(DECISIONS),
  reasons: z.array(z.string()),
  rules: z.array(z.string()),
  revision: z.string().min(1),
  confidence: z.number().min(0).max(1),
  action_digest: digest,
  reviewed_action_digest: digest,
  mutated_action: proposedActionSchema.optional(),
  mutated_action_digest: digest.optional(),
  fail_closed: z.string().optional(),
});

/** What {@link verifyVerdict} returns: a verdict proven to come from the reviewer. */
export interface VerifiedVerdict {
  readonly decision: Decision;
  readonly reasons: readonly string[];
  readonly rules: readonly string[];
  readonly revision: string;
  readonly confidence: number;
  /** Digest of the proposed action. */
  readonly actionDigest: string;
  /** Digest of the action the last review round assessed (what an approval binds to). */
  readonly reviewedActionDigest: string;
  readonly mutatedAction?: ProposedAction;
  /** True for allow, and for mutate when the caller presented the mutated action. */
  readonly executable: boolean;
  readonly signer: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly jti: string;
}

/**
 * Signs `verdict` as the reviewer: a compact JWS (ES256, `typ` {@link VERDICT_JWS_TYPE},
 * the signer certificate in `x5c`) whose payload binds the decision to the RFC 8785
 * SHA-256 digest of the exact proposed action (`action_digest`) and, for `mutate`, of
 * the action to execute instead (`mutated_action_digest`), with `iat`, `exp` = now +
 * `ttlSeconds` (vigil.yaml `policy.verdictTtlSeconds`) and a unique `jti`.
 * Throws `VIGIL_POLICY_CONFIG` for an unusable key or certificate.
 */
export async function signVerdict(
  verdict: Verdict,
  signer: Signer,
  options: { ttlSeconds: number; now?: Date },
): Promise<SignedVerdict> {
  if ((verdict.decision === 'mutate') !== (verdict.mutatedAction !== undefined)) {
    throw new PolicyError(
      POLICY_ERROR_CODES.CONFIG,
      'a verdict carries a mutated action exactly when it is mutate',
    );
  }
  const claims: Record<string, unknown> = {
    decision: verdict.decision,
    reasons: verdict.reasons,
    rules: verdict.rules,
    revision: verdict.revision,
    confidence: verdict.confidence,
    action_digest: digestOf(verdict.action),
    reviewed_action_digest: digestOf(verdict.reviewedAction),
  };
  if (verdict.mutatedAction !== undefined) {
    claims['mutated_action'] = verdict.mutatedAction;
    claims['mutated_action_digest'] = digestOf(verdict.mutatedAction);
  }
  if (verdict.failClosed !== undefined) claims['fail_closed'] = verdict.failClosed.code;
  return (await signDocument(VERDICT_JWS_TYPE, claims, signer, options)).jws;
}

/**
 * Verifies a signed verdict before executing `action`. Checks, each with its own code:
 * a signed JWS (`VIGIL_VERDICT_UNSIGNED`), a certificate issued by the CA in `caPem`
 * (`VIGIL_VERDICT_UNTRUSTED_SIGNER`), the signature (`VIGIL_VERDICT_BAD_SIGNATURE`), the
 * signer is `expectedSigner` — the reviewer's SPIFFE ID (`VIGIL_VERDICT_WRONG_SIGNER`),
 * not expired (`VIGIL_VERDICT_EXPIRED`), the decision lets `action` run
 * (`VIGIL_VERDICT_NOT_EXECUTABLE` for deny and escalate), and `action` is exactly the
 * approved one (`VIGIL_VERDICT_ACTION_MISMATCH`): the proposed action for `allow`, the
 * mutated action for `mutate`. With `requireExecutable: false` (audit, display) deny
 * and escalate verdicts verify too, bound to the proposed or the reviewed action.
 */
export async function verifyVerdict(
  jws: unknown,
  options: {
    action: unknown;
    caPem: string;
    expectedSigner: string;
    now?: Date;
    requireExecutable?: boolean;
  },
): Promise<VerifiedVerdict> {
  const doc = await verifyDocument(jws, VERDICT_JWS_TYPE, VERDICT_CODES, {
    caPem: options.caPem,
    now: options.now,
    isExpectedSigner: (id) => id === options.expectedSigner,
    expectedLabel: options.expectedSigner,
  });
  const parsed = verdictClaimsSchema.safeParse(doc.payload);
  if (!parsed.success) {
    throw new PolicyError(
      POLICY_ERROR_CODES.VERDICT_MALFORMED,
      `not a verdict: ${describeIssues(parsed.error).join('; ')}`,
    );
  }
  const claims = parsed.data;
  if (
    (claims.decision === 'mutate') !== (claims.mutated_action !== undefined) ||
    (claims.mutated_action !== undefined &&
      digestOf(claims.mutated_action) !== claims.mutated_action_digest)
  ) {
    throw new PolicyError(
      POLICY_ERROR_CODES.VERDICT_MALFORMED,
      'the mutated action and its digest disagree',
    );
  }
  const presented = digestOf(options.action);
  const requireExecutable = options.requireExecutable ?? true;
  let executable = false;
  if (claims.decision === 'allow' || claims.decision === 'mutate') {
    const approved =
      claims.decision === 'allow' ? claims.action_digest : (claims.mutated_action_digest as string);
    if (presented !== approved) {
      throw new PolicyError(
        POLICY_ERROR_CODES.VERDICT_ACTION_MISMATCH,
        claims.decision === 'mutate' && presented === claims.action_digest
          ? 'the verdict rewrote this action: only its mutated action may run'
          : 'the verdict was given for a different action',
        { details: { presented, approved } },
      );
    }
    executable = true;
  } else if (requireExecutable) {
    throw new PolicyError(
      POLICY_ERROR_CODES.VERDICT_NOT_EXECUTABLE,
      `a ${claims.decision} verdict does not permit execution`,
      {
        details: { rules: claims.rules },
      },
    );
  } else if (presented !== claims.action_digest && presented !== claims.reviewed_action_digest) {
    throw new PolicyError(
      POLICY_ERROR_CODES.VERDICT_ACTION_MISMATCH,
      'the verdict was given for a different action',
    );
  }
  return Object.freeze({
    decision: claims.decision,
    reasons: claims.reasons,
    rules: claims.rules,
    revision: claims.revision,
    confidence: claims.confidence,
    actionDigest: claims.action_digest,
    reviewedActionDigest: claims.reviewed_action_digest,
    ...(claims.mutated_action === undefined ? {} : { mutatedAction: claims.mutated_action }),
    executable,
    signer: doc.signer,
    issuedAt: doc.issuedAt,
    expiresAt: doc.expiresAt,
    jti: doc.payload['jti'] as string,
  });
}

/** A human decision on an escalated action. */
export interface Approval {
  /** The exact action approved or rejected (the escalation's reviewed action). */
  readonly action: ProposedAction;
  readonly decision: 'approve' | 'reject';
  readonly comment: string;
  /** The `jti` of the escalation verdict this answers, when known. */
  readonly verdictId?: string;
}

const approvalClaimsSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  comment: z.string(),
  action_digest: digest,
  verdict_jti: z.string().optional(),
});

export interface VerifiedApproval {
  readonly decision: 'approve' | 'reject';
  readonly comment: string;
  /** The approver's SPIFFE ID (`spiffe://<td>/user/<id>`). */
  readonly approver: string;
  /** The role the approver's certificate carries (subject `OU=role:<role>`), when it carries one. */
  readonly approverRole?: string;
  readonly actionDigest: string;
  readonly verdictId?: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly jti: string;
}

/** True for a human identity, `spiffe://<td>/user/<id>`: agents never approve. */
export function isUserSpiffeId(spiffeId: string): boolean {
  return /^spiffe:\/\/[^/]+\/user\/[^/]+$/.test(spiffeId);
}

/**
 * Signs a human approval (or rejection) bound, like a verdict, to the RFC 8785 digest of
 * the exact action, with an expiry (vigil.yaml `policy.approvals.ttlSeconds`). The
 * signer must be a user identity (`spiffe://<td>/user/<id>`): a model or agent can never
 * grant approval. Throws `VIGIL_POLICY_CONFIG` otherwise.
 */
export async function signApproval(
  approval: Approval,
  signer: Signer,
  options: { ttlSeconds: number; now?: Date },
): Promise<SignedApproval> {
  if (!isUserSpiffeId(signer.spiffeId)) {
    throw new PolicyError(
      POLICY_ERROR_CODES.CONFIG,
      `approvals are signed by users, not ${signer.spiffeId}`,
    );
  }
  const action = proposedActionSchema.safeParse(approval.action);
  if (!action.success) {
    throw new PolicyError(
      POLICY_ERROR_CODES.CONFIG,
      `approval.action: ${describeIssues(action.error).join('; ')}`,
    );
  }
  const claims: Record<string, unknown> = {
    decision: approval.decision,
    comment: approval.comment,
    action_digest: digestOf(approval.action),
  };
  if (approval.verdictId !== undefined) claims['verdict_jti'] = approval.verdictId;
  return (await signDocument(APPROVAL_JWS_TYPE, claims, signer, options)).jws;
}

/**
 * Verifies a signed approval before executing `action`, with the verdict's checks and
 * codes under `VIGIL_APPROVAL_*`: signed, CA-issued, valid signature, the approver is a
 * user identity accepted by `approvers` (`VIGIL_APPROVAL_WRONG_SIGNER`), not expired,
 * bound to exactly `action` (`VIGIL_APPROVAL_ACTION_MISMATCH`); a rejection throws
 * `VIGIL_APPROVAL_REJECTED` unless `requireApproved` is false. With `approverRoles`, the
 * approver's certificate must carry one of those roles (subject `OU=role:<role>`, written only on
 * certificates issued for a person's CSR after sign-in), else `VIGIL_APPROVAL_WRONG_SIGNER`:
 * a certificate minted for a user without their key (no CSR) or an agent's never decides.
 */
export async function verifyApproval(
  jws: unknown,
  options: {
    action: unknown;
    caPem: string;
    approvers?: readonly string[] | ((spiffeId: string) => boolean);
    now?: Date;
    requireApproved?: boolean;
    approverRoles?: readonly string[];
  },
): Promise<VerifiedApproval> {
  const approvers = options.approvers;
  const accepts =
    approvers === undefined
      ? () => true
      : typeof approvers === 'function'
        ? approvers
        : (id: string) => approvers.includes(id);
  const doc = await verifyDocument(jws, APPROVAL_JWS_TYPE, APPROVAL_CODES, {
    caPem: options.caPem,
    now: options.now,
    isExpectedSigner: (id) => isUserSpiffeId(id) && accepts(id),
    expectedLabel: 'an authorised human approver (spiffe://<td>/user/<id>)',
  });
  // verifyDocument has checked this x5c certificate chains to the CA and signed the JWS.
  const x5c = (decodeProtectedHeader(jws as string).x5c ?? [])[0];
  const approverRole =
    x5c === undefined ? undefined : roleOfCertificate(Buffer.from(x5c, 'base64'));
  if (options.approverRoles && !(approverRole && options.approverRoles.includes(approverRole))) {
    throw new PolicyError(
      POLICY_ERROR_CODES.APPROVAL_WRONG_SIGNER,
      `${doc.signer}'s certificate carries ${approverRole ? `role ${approverRole}` : 'no role'}; a decision needs a person's certificate (issued for their own key after sign-in) with role ${options.approverRoles.join(' or ')}`,
      { details: { signer: doc.signer, role: approverRole ?? null } },
    );
  }
  const parsed = approvalClaimsSchema.safeParse(doc.payload);
  if (!parsed.success) {
    throw new PolicyError(
      POLICY_ERROR_CODES.APPROVAL_MALFORMED,
      `not an approval: ${describeIssues(parsed.error).join('; ')}`,
    );
  }
  const claims = parsed.data;
  if (digestOf(options.action) !== claims.action_digest) {
    throw new PolicyError(
      POLICY_ERROR_CODES.APPROVAL_ACTION_MISMATCH,
      'the approval was given for a different action',
    );
  }
  if (claims.decision === 'reject' && (options.requireApproved ?? true)) {
    throw new PolicyError(POLICY_ERROR_CODES.APPROVAL_REJECTED, `rejected by ${doc.signer}`, {
      details: { approver: doc.signer },
    });
  }
  return Object.freeze({
    decision: claims.decision,
    comment: claims.comment,
    approver: doc.signer,
    ...(approverRole === undefined ? {} : { approverRole }),
    actionDigest: claims.action_digest,
    ...(claims.verdict_jti === undefined ? {} : { verdictId: claims.verdict_jti }),
    issuedAt: doc.issuedAt,
    expiresAt: doc.expiresAt,
    jti: doc.payload['jti'] as string,
  });
}
