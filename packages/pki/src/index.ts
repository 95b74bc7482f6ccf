/**
 * `@vigil/pki`: the local certificate authority and the SPIFFE identities of agents.
 * Each agent holds a short-lived ECDSA P-256 leaf whose only URI SAN is
 * `spiffe://<trustDomain>/agent/<name>`, signed by a CA kept under
 * `<stateDir>/pki/` (keys 0600, written atomically). On Kubernetes cert-manager plays
 * this role; the file layout and the SPIFFE IDs are the same.
 *
 * @example
 * ```ts
 * import { ensureIdentities, loadAgentCredentials, inspectCertificate } from '@vigil/pki';
 * await ensureIdentities('.vigil', system);                 // CA if missing, renew leaves past 2/3
 * const creds = await loadAgentCredentials('.vigil', 'detector');
 * inspectCertificate(creds.cert).spiffeId;                   // 'spiffe://vigil.local/agent/detector'
 * ```
 */
export { PkiError, PKI_ERROR_CODES, type PkiErrorCode } from './errors.js';
export {
  agentSpiffeId,
  agentSpiffeIdIn,
  userSpiffeId,
  reportSpiffeId,
  parseSpiffeId,
  isValidTrustDomain,
  isValidPathSegment,
  type IdentitySystem,
} from './system.js';
export { pkiPaths, agentCredentialPaths, type PkiPaths } from './paths.js';
export {
  createCertificateAuthority,
  issueLeafCertificate,
  issueLeafForKey,
  ROLE_UNIT_PREFIX,
  CLOCK_SKEW_MS,
  type CertificateAuthorityMaterial,
  type LeafMaterial,
  type LeafOptions,
} from './authority.js';
export {
  issueUserCertificateForCsr,
  roleOfCertificate,
  MAX_USER_CERTIFICATE_SECONDS,
  type UserCertificate,
} from './user-certificate.js';
export {
  inspectCertificate,
  verifyCertificateChain,
  spiffeIdFromCertificate,
  splitPemBundle,
  keyMatchesCertificate,
  type CertificateInfo,
  type ChainVerification,
} from './certificate.js';
export {
  ensureIdentities,
  ensureCertificateAuthority,
  readCertificateAuthority,
  issueAgentCertificate,
  issueUserCredentials,
  issueReportCredentials,
  loadAgentCredentials,
  loadAgentCredentialsSync,
  loadCredentialDirectory,
  CREDENTIAL_DIRECTORY_FILES,
  renewalReason,
  DEFAULT_LEAF_VALIDITY_HOURS,
  DEFAULT_RENEW_AFTER_FRACTION,
  type AgentCredentials,
  type IssuedIdentity,
  type EnsureIdentitiesOptions,
  type EnsuredAuthority,
} from './identities.js';
