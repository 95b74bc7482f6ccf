/**
 * The console signs with `@vigil/approval-signing`, the browser-safe twin of the CLI's
 * signApproval (same claims, same RFC 8785 digest, verified by the same verifyApproval):
 * nothing about signing is implemented in the console.
 */
import { createCertificateRequest, signDecision } from '@vigil/approval-signing';
import type { ProposedAction } from '../api/types.js';

/** A PKCS#10 request (PEM) for the person's key, signed by it. */
export function createCsr(keys: CryptoKeyPair, user: string): Promise<string> {
  return createCertificateRequest(keys, user);
}

/** The decision as a compact JWS over the action's digest, with the person's certificate in `x5c`. */
export function signApprovalJws(
  decision: {
    action: ProposedAction;
    decision: 'approve' | 'reject';
    comment: string;
    ttlSeconds: number;
  },
  signer: { privateKey: CryptoKey; certificate: string },
): Promise<string> {
  return signDecision(decision, {
    privateKey: signer.privateKey,
    certificatePem: signer.certificate,
  });
}
