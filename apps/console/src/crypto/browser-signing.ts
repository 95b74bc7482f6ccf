/**
 * Where the console takes the browser-safe signing code from (the same code as the
 * CLI's signApproval, provided by the coordinator's API workspace): CSR creation for a
 * WebCrypto key and the approval JWS over the action digest.
 */
import type { ProposedAction } from '../api/types.js';

export async function createCsr(_keys: CryptoKeyPair, _user: string): Promise<string> {
  throw new Error('browser signing is not available in this build');
}

export async function signApprovalJws(
  _decision: {
    action: ProposedAction;
    decision: 'approve' | 'reject';
    comment: string;
    ttlSeconds: number;
  },
  _signer: { privateKey: CryptoKey; certificate: string; spiffeId: string },
): Promise<string> {
  throw new Error('browser signing is not available in this build');
}
