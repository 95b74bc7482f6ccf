/**
 * `@vigil/approval-signing`: how a person signs a decision on an escalated action — in
 * the console's page or anywhere WebCrypto runs. After password sign-in the page makes a
 * non-extractable P-256 key, sends a CSR for it (`POST /v1/session/certificate`), gets a
 * short-lived certificate bound to the user and role, and signs each decision over the
 * action's RFC 8785 digest. The server never holds the key, so it can verify a person's
 * decision but not make one.
 *
 * @example
 * ```ts
 * import { createPersonKey, createCertificateRequest, signDecision } from '@vigil/approval-signing';
 * const keys = await createPersonKey();
 * const csr = await createCertificateRequest(keys, 'ana');
 * const { certificate } = await api.post('/v1/session/certificate', { csr });
 * const approval = await signDecision(
 *   { action, decision: 'approve', comment: 'confirmed miner', ttlSeconds: 600 },
 *   { privateKey: keys.privateKey, certificatePem: certificate },
 * );
 * ```
 */
export {
  actionDigest,
  createCertificateRequest,
  createPersonKey,
  DECISION_JWS_TYPE,
  signDecision,
  type Decision,
  type PersonKeyPair,
} from './person-signing.js';
