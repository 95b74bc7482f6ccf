/**
 * The person's signing identity in this browser: at sign-in a non-extractable P-256 key
 * is made, a certificate signing request for it is sent, and the local CA answers with a
 * short-lived user certificate. Decisions are then signed here, over the digest of the
 * exact action, with the same code the CLI signs with — the server never holds this key,
 * so it can verify a person's approval but never make one.
 */
import { endpoints } from '../api/endpoints.js';
import type { ProposedAction } from '../api/types.js';
import { createCsr, signApprovalJws } from './browser-signing.js';
import { createPersonKey } from '@vigil/approval-signing';
import { clearIdentity, loadIdentity, saveIdentity } from './key-store.js';

/** A signing identity with its certificate. */
export interface UserIdentity {
  readonly user: string;
  readonly spiffeId: string;
  readonly certificate: string;
  readonly expiresAt: number;
  readonly keys: CryptoKeyPair;
}

/** Renew a certificate this long before it expires, so a decision never races its expiry. */
const RENEW_BEFORE_MS = 60_000;

/**
 * The identity for `user`: the one kept for this session while its certificate is
 * current, else a new key and certificate.
 */
export async function establishIdentity(user: string, now = Date.now()): Promise<UserIdentity> {
  const kept = await loadIdentity(user);
  if (kept?.certificate && kept.spiffeId && (kept.expiresAt ?? 0) - RENEW_BEFORE_MS > now)
    return {
      ...kept,
      certificate: kept.certificate,
      spiffeId: kept.spiffeId,
      expiresAt: kept.expiresAt ?? 0,
    };
  await clearIdentity();
  // ECDSA P-256, the private half non-extractable.
  const keys = (await createPersonKey()) as CryptoKeyPair;
  const csr = await createCsr(keys, user);
  const issued = await endpoints.certificate(csr);
  const identity: UserIdentity = {
    user,
    keys,
    certificate: issued.certificate,
    spiffeId: issued.spiffeId,
    expiresAt: issued.notAfter,
  };
  await saveIdentity(identity);
  return identity;
}

/** Signs a decision on `action` (compact JWS); renews the certificate first when it is about to expire. */
export async function signDecision(
  identity: UserIdentity,
  decision: { action: ProposedAction; decision: 'approve' | 'reject'; comment: string },
  /** How long the signed decision stays valid: until the escalation itself expires. */
  ttlSeconds: number,
): Promise<{ jws: string; identity: UserIdentity }> {
  const current =
    identity.expiresAt - RENEW_BEFORE_MS > Date.now()
      ? identity
      : await establishIdentity(identity.user);
  const jws = await signApprovalJws(
    { ...decision, ttlSeconds },
    {
      privateKey: current.keys.privateKey,
      certificate: current.certificate,
    },
  );
  return { jws, identity: current };
}

/** Forgets the key at sign-out. */
export { clearIdentity };
