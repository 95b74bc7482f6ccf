// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import {
  Pkcs10CertificateRequestGenerator,
  SubjectAlternativeNameExtension,
  X509Certificate,
} from '@peculiar/x509';
import canonicalize from 'canonicalize';

// Only WebCrypto (`globalThis.crypto` in browsers and Node ≥ 20): no Node built-ins, so
// the console's page and Node tests run this same code.
type WebCrypto = typeof globalThis.crypto;
type Key = Parameters<WebCrypto['subtle']['sign']>[1];
/** A WebCrypto ECDSA P-256 key pair whose private half cannot be exported. */
export interface PersonKeyPair {
  readonly privateKey: Key;
  readonly publicKey: Key;
}

/** JWS `typ` of a signed human decision (the same as `@vigil/policy`'s `APPROVAL_JWS_TYPE`). */
export const DECISION_JWS_TYPE = 'vigil-approval+jws';

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ES256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/**
 * Makes the person's signing key: ECDSA P-256, the private key non-extractable (script
 * can use it to sign but never read it out; the browser may keep it in IndexedDB).
 */
export async function createPersonKey(
  crypto: WebCrypto = globalThis.crypto,
): Promise<PersonKeyPair> {
  return (await crypto.subtle.generateKey(EC, false, ['sign', 'verify'])) as PersonKeyPair;
}

/**
 * A PKCS#10 CSR (PEM) for the person's key, signed by it (proof of possession). The
 * subject is informational: the server names the certificate after the signed-in user.
 */
export async function createCertificateRequest(
  keys: PersonKeyPair,
  userId: string,
  crypto: WebCrypto = globalThis.crypto,
): Promise<string> {
  const csr = await Pkcs10CertificateRequestGenerator.create(
    { name: `CN=user:${userId.replace(/([,+"\\<>;=])/g, '\\$1')}`, keys, signingAlgorithm: ES256 },
    crypto as never,
  );
  return csr.toString('pem');
}

const hex = (bytes: ArrayBuffer) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

/** `sha256:<hex>` of the RFC 8785 (JCS) form of `action`: what the decision is bound to. */
export async function actionDigest(
  action: unknown,
  crypto: WebCrypto = globalThis.crypto,
): Promise<string> {
  const canonical = canonicalize(action);
  if (canonical === undefined) throw new TypeError('the action has no JSON form');
  return `sha256:${hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical)))}`;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** A human decision on an escalated action, as the approvals API takes it. */
export interface Decision {
  /** The exact action shown to the person (the approval request's, or their edit of it). */
  readonly action: unknown;
  readonly decision: 'approve' | 'reject';
  /** The mandatory reason. */
  readonly comment: string;
  /** How long the signed decision stays valid (vigil.yaml `policy.approvals.ttlSeconds`). */
  readonly ttlSeconds: number;
  readonly now?: Date;
}

/**
 * Signs a decision as a compact JWS (ES256, `typ` {@link DECISION_JWS_TYPE}, the
 * person's certificate in `x5c`) over the action's RFC 8785 digest, with the claims
 * `@vigil/policy`'s `signApproval` writes (`decision`, `comment`, `action_digest`, `iss`
 * = the certificate's SPIFFE ID, `iat`, `exp`, `jti`), so `verifyApproval` treats it
 * exactly as a decision signed by the CLI.
 * @throws TypeError when the certificate is not a user identity's or the TTL is not positive.
 */
export async function signDecision(
  decision: Decision,
  credential: { readonly privateKey: Key; readonly certificatePem: string },
  crypto: WebCrypto = globalThis.crypto,
): Promise<string> {
  if (!Number.isInteger(decision.ttlSeconds) || decision.ttlSeconds <= 0)
    throw new TypeError(`ttlSeconds must be a positive integer, not ${decision.ttlSeconds}`);
  const cert = new X509Certificate(credential.certificatePem);
  const uris = (cert.getExtension(SubjectAlternativeNameExtension)?.names.items ?? [])
    .filter((name) => name.type === 'url' && name.value.startsWith('spiffe://'))
    .map((name) => name.value);
  const iss = uris.length === 1 ? uris[0]! : undefined;
  if (!iss || !/^spiffe:\/\/[^/]+\/user\/[^/]+$/.test(iss))
    throw new TypeError(`the certificate is not a person's (SPIFFE ID ${iss ?? 'missing'})`);
  const iat = Math.floor((decision.now ?? new Date()).getTime() / 1000);
  const encoder = new TextEncoder();
  const header = { alg: 'ES256', typ: DECISION_JWS_TYPE, x5c: [derBase64(cert)] };
  const payload = {
    decision: decision.decision,
    comment: decision.comment,
    action_digest: await actionDigest(decision.action, crypto),
    iss,
    iat,
    exp: iat + decision.ttlSeconds,
    jti: crypto.randomUUID(),
  };
  const input = `${base64url(encoder.encode(JSON.stringify(header)))}.${base64url(encoder.encode(JSON.stringify(payload)))}`;
  // WebCrypto's ECDSA signature is r‖s (IEEE P1363), which is JWS ES256's form (RFC 7518 §3.4).
  const signature = await crypto.subtle.sign(ES256, credential.privateKey, encoder.encode(input));
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

/** The certificate's DER as standard base64, as `x5c` carries it (RFC 7515 §4.1.6). */
function derBase64(cert: X509Certificate): string {
  let binary = '';
  for (const b of new Uint8Array(cert.rawData)) binary += String.fromCharCode(b);
  return btoa(binary);
}
