import { X509Certificate, createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { POLICY_ERROR_CODES, PolicyError, type PolicyErrorCode } from './errors.js';

/** The identity that signs: its SPIFFE ID, P-256 private key and certificate (PEM). */
export interface Signer {
  readonly spiffeId: string;
  /** PKCS#8 or SEC1 PEM (as issued by `@vigil/pki`). Never logged. */
  readonly privateKeyPem: string;
  /** The signer's leaf certificate; it travels in the JWS header (`x5c`). */
  readonly certPem: string;
}

/** Error codes of one kind of signed document (verdict or approval). */
export interface SignedDocCodes {
  readonly unsigned: PolicyErrorCode;
  readonly badSignature: PolicyErrorCode;
  readonly untrusted: PolicyErrorCode;
  readonly wrongSigner: PolicyErrorCode;
  readonly expired: PolicyErrorCode;
  readonly malformed: PolicyErrorCode;
}

export const VERDICT_CODES: SignedDocCodes = Object.freeze({
  unsigned: POLICY_ERROR_CODES.VERDICT_UNSIGNED,
  badSignature: POLICY_ERROR_CODES.VERDICT_BAD_SIGNATURE,
  untrusted: POLICY_ERROR_CODES.VERDICT_UNTRUSTED_SIGNER,
  wrongSigner: POLICY_ERROR_CODES.VERDICT_WRONG_SIGNER,
  expired: POLICY_ERROR_CODES.VERDICT_EXPIRED,
  malformed: POLICY_ERROR_CODES.VERDICT_MALFORMED,
});

export const APPROVAL_CODES: SignedDocCodes = Object.freeze({
  unsigned: POLICY_ERROR_CODES.APPROVAL_UNSIGNED,
  badSignature: POLICY_ERROR_CODES.APPROVAL_BAD_SIGNATURE,
  untrusted: POLICY_ERROR_CODES.APPROVAL_UNTRUSTED_SIGNER,
  wrongSigner: POLICY_ERROR_CODES.APPROVAL_WRONG_SIGNER,
  expired: POLICY_ERROR_CODES.APPROVAL_EXPIRED,
  malformed: POLICY_ERROR_CODES.APPROVAL_MALFORMED,
});

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function privateKey(pem: string): KeyObject {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`expected an EC P-256 key, got ${key.asymmetricKeyType ?? 'unknown'}`);
    }
    return key;
  } catch (cause) {
    // The message never includes the key material.
    throw new PolicyError(
      POLICY_ERROR_CODES.CONFIG,
      'the signing key is not a P-256 private key in PEM',
      { cause },
    );
  }
}

/** The one URI SAN of a certificate that is a SPIFFE ID, or undefined. */
export function spiffeIdOf(cert: X509Certificate): string | undefined {
  const uris = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice(4).replace(/^"|"$/g, ''))
    .filter((uri) => uri.startsWith('spiffe://'));
  return uris.length === 1 ? uris[0] : undefined;
}

function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Adds `value` to a cache bounded to `max` entries, dropping the oldest first. */
function remember<V>(cache: Map<string, V>, key: string, value: V, max: number): V {
  if (cache.size >= max) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

/** Signers and signer certificates kept parsed: a SOC has a few dozen identities at most. */
const MATERIALS_KEPT = 64;

/** A signer's key as signing uses it, and its certificate as the `x5c` header carries it. */
interface SigningMaterial {
  readonly key: KeyObject;
  readonly x5c: string;
}
const signingMaterials = new Map<string, SigningMaterial>();

/**
 * The signer's checked key and certificate, imported once per exact signer (spiffeId,
 * certificate and key texts): importing a key and parsing a certificate cost more than
 * the signature. A rotated key or certificate is another signer, checked afresh.
 */
function signingMaterialOf(signer: Signer): SigningMaterial {
  const cacheKey = `${signer.spiffeId}\u0000${signer.certPem}\u0000${signer.privateKeyPem}`;
  const cached = signingMaterials.get(cacheKey);
  if (cached !== undefined) return cached;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(signer.certPem);
  } catch (cause) {
    throw new PolicyError(
      POLICY_ERROR_CODES.CONFIG,
      'the signer certificate is not a PEM X.509 certificate',
      { cause },
    );
  }
  if (spiffeIdOf(cert) !== signer.spiffeId) {
    throw new PolicyError(
      POLICY_ERROR_CODES.CONFIG,
      `the signer certificate's SPIFFE ID is ${spiffeIdOf(cert) ?? 'missing'}, not ${signer.spiffeId}`,
    );
  }
  const key = privateKey(signer.privateKeyPem);
  if (!cert.checkPrivateKey(key)) {
    throw new PolicyError(
      POLICY_ERROR_CODES.CONFIG,
      'the signing key does not match the signer certificate',
    );
  }
  return remember(
    signingMaterials,
    cacheKey,
    { key, x5c: cert.raw.toString('base64') },
    MATERIALS_KEPT,
  );
}

/**
 * Signs `claims` as a compact JWS (ES256) with `typ` and the signer's certificate in
 * `x5c`; adds `iss`, `iat`, `exp` (now + ttl) and a fresh `jti`.
 */
export async function signDocument(
  typ: string,
  claims: Record<string, unknown>,
  signer: Signer,
  options: { ttlSeconds: number; now?: Date },
): Promise<{ jws: string; jti: string; iat: number; exp: number }> {
  if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds <= 0) {
    throw new PolicyError(
      POLICY_ERROR_CODES.CONFIG,
      `ttlSeconds must be a positive integer, not ${options.ttlSeconds}`,
    );
  }
  const { key, x5c } = signingMaterialOf(signer);
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const exp = iat + options.ttlSeconds;
  const jti = randomUUID();
  const payload = { ...claims, iss: signer.spiffeId, iat, exp, jti };
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', typ, x5c: [x5c] })
    .sign(key);
  return { jws, jti, iat, exp };
}

/** What {@link verifyDocument} established. */
export interface VerifiedDocument {
  readonly payload: Record<string, unknown>;
  /** The signer's SPIFFE ID, from its CA-verified certificate. */
  readonly signer: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

/** What verification learns from an `x5c` certificate and a trust bundle alone. */
interface SignerCertificate {
  readonly publicKey: KeyObject;
  /** Issued and signed by a certificate of the bundle. */
  readonly issued: boolean;
  readonly isCa: boolean;
  readonly validFrom: number;
  readonly validTo: number;
  readonly spiffeId: string | undefined;
}
const signerCertificates = new Map<string, SignerCertificate>();

/**
 * The facts of the `x5c` certificate under `caPem`, parsed and signature-checked once
 * per exact pair of texts; what depends on the time is checked by the caller. The same
 * public key object each time also lets jose reuse its imported key.
 */
function signerCertificateOf(x5c: string, caPem: string, codes: SignedDocCodes): SignerCertificate {
  const cacheKey = `${caPem}\u0000${x5c}`;
  const cached = signerCertificates.get(cacheKey);
  if (cached !== undefined) return cached;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(x5c, 'base64'));
  } catch (cause) {
    throw new PolicyError(codes.untrusted, 'the x5c certificate does not parse', { cause });
  }
  const cas = splitPem(caPem).map((pem) => new X509Certificate(pem));
  if (cas.length === 0) {
    throw new PolicyError(POLICY_ERROR_CODES.CONFIG, 'caPem holds no CA certificate');
  }
  return remember(
    signerCertificates,
    cacheKey,
    {
      publicKey: cert.publicKey,
      issued: cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey)),
      isCa: cert.ca,
      validFrom: Date.parse(cert.validFrom),
      validTo: Date.parse(cert.validTo),
      spiffeId: spiffeIdOf(cert),
    },
    MATERIALS_KEPT,
  );
}

/**
 * Verifies a compact JWS made by {@link signDocument}, in this order, each failure with
 * its own code: it is a signed JWS of type `typ` (else `unsigned`/`malformed`); its
 * `x5c` certificate chains to a CA in `caPem` and is valid at `now` (else `untrusted`);
 * the signature verifies with that certificate's key (else `badSignature`); the
 * certificate's SPIFFE ID equals `iss` and satisfies `isExpectedSigner` (else
 * `wrongSigner`); `now` is before `exp` (else `expired`).
 */
export async function verifyDocument(
  jws: unknown,
  typ: string,
  codes: SignedDocCodes,
  options: {
    caPem: string;
    now?: Date;
    isExpectedSigner: (spiffeId: string) => boolean;
    expectedLabel: string;
  },
): Promise<VerifiedDocument> {
  const now = options.now ?? new Date();
  if (typeof jws !== 'string' || !COMPACT_JWS.test(jws)) {
    throw new PolicyError(codes.unsigned, 'not a signed compact JWS');
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch (cause) {
    throw new PolicyError(
      codes.unsigned,
      'not a signed compact JWS: the protected header does not decode',
      { cause },
    );
  }
  if (header.alg === 'none' || jws.endsWith('.')) {
    throw new PolicyError(
      codes.unsigned,
      'the JWS carries no signature (alg none or empty signature)',
    );
  }
  if (header.alg !== 'ES256') {
    throw new PolicyError(
      codes.badSignature,
      `algorithm ${String(header.alg)} is not accepted (ES256 only)`,
    );
  }
  if (header.typ !== typ) {
    throw new PolicyError(codes.malformed, `JWS type is ${String(header.typ)}, expected ${typ}`);
  }
  const x5c = header.x5c;
  if (!Array.isArray(x5c) || typeof x5c[0] !== 'string') {
    throw new PolicyError(codes.untrusted, 'the JWS carries no signer certificate (x5c)');
  }
  const cert = signerCertificateOf(x5c[0], options.caPem, codes);
  if (!cert.issued) {
    throw new PolicyError(
      codes.untrusted,
      'the signer certificate was not issued by the trusted CA',
    );
  }
  if (cert.isCa) {
    throw new PolicyError(
      codes.untrusted,
      'the signer certificate is a CA certificate, not an identity',
    );
  }
  if (now.getTime() < cert.validFrom || now.getTime() > cert.validTo) {
    throw new PolicyError(
      codes.untrusted,
      `the signer certificate is not valid at ${now.toISOString()}`,
    );
  }
  let payload: Record<string, unknown>;
  try {
    const result = await compactVerify(jws, cert.publicKey, { algorithms: ['ES256'] });
    payload = JSON.parse(new TextDecoder().decode(result.payload)) as Record<string, unknown>;
  } catch (cause) {
    throw new PolicyError(
      codes.badSignature,
      'the signature does not verify with the signer certificate',
      { cause },
    );
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new PolicyError(codes.malformed, 'the signed payload is not an object');
  }
  const signer = cert.spiffeId;
  if (signer === undefined) {
    throw new PolicyError(codes.wrongSigner, 'the signer certificate carries no single SPIFFE ID');
  }
  if (payload['iss'] !== signer) {
    throw new PolicyError(
      codes.wrongSigner,
      `iss ${String(payload['iss'])} is not the certificate's identity ${signer}`,
    );
  }
  if (!options.isExpectedSigner(signer)) {
    throw new PolicyError(
      codes.wrongSigner,
      `signed by ${signer}, expected ${options.expectedLabel}`,
      {
        details: { signer },
      },
    );
  }
  const iat = payload['iat'];
  const exp = payload['exp'];
  if (typeof iat !== 'number' || typeof exp !== 'number' || typeof payload['jti'] !== 'string') {
    throw new PolicyError(codes.malformed, 'the payload lacks iat, exp or jti');
  }
  const nowSeconds = now.getTime() / 1000;
  if (nowSeconds >= exp) {
    throw new PolicyError(codes.expired, `expired at ${new Date(exp * 1000).toISOString()}`, {
      details: { expiredAt: new Date(exp * 1000).toISOString() },
    });
  }
  return { payload, signer, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000) };
}
