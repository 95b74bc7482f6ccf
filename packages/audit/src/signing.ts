import { X509Certificate, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { canonicalJson, sha256Hex } from '@vigil/core';
import { AuditError } from './errors.js';

/**
 * The identity that signs a writer's checkpoints: its SPIFFE ID, its private key (ECDSA
 * P-256, PEM, as issued by `@vigil/pki`) and its certificate (PEM). The key never leaves
 * the writer process and never appears in errors or logs.
 */
export interface AuditSigner {
  readonly id: string;
  readonly privateKeyPem: string;
  readonly certPem: string;
}

/** A signer ready to use: parsed key, certificate fingerprint. */
export interface LoadedSigner {
  readonly id: string;
  readonly certPem: string;
  readonly certFingerprint: string;
  sign(payload: string): string;
}

/** Lower-case hex SHA-256 of a certificate's DER encoding. */
export function certificateFingerprint(certPem: string): string {
  return sha256Hex(new X509Certificate(certPem).raw);
}

/** The SPIFFE ID in a certificate's URI SAN, if any. */
export function spiffeIdOfCertificate(cert: X509Certificate): string | undefined {
  const san = cert.subjectAltName ?? '';
  for (const part of san.split(/,\s*/)) {
    if (part.startsWith('URI:spiffe://')) return part.slice(4);
  }
  return undefined;
}

/**
 * Parses a signer; throws `VIGIL_AUDIT_INVALID_SIGNER` when the key is not ECDSA P-256,
 * the certificate does not carry `id` as its SPIFFE ID, or key and certificate differ.
 */
export function loadSigner(signer: AuditSigner): LoadedSigner {
  let key: KeyObject;
  let cert: X509Certificate;
  try {
    key = createPrivateKey(signer.privateKeyPem);
  } catch (cause) {
    throw new AuditError(
      'VIGIL_AUDIT_INVALID_SIGNER',
      `signer ${signer.id}: private key is not a readable PEM key`,
      { cause },
    );
  }
  try {
    cert = new X509Certificate(signer.certPem);
  } catch (cause) {
    throw new AuditError(
      'VIGIL_AUDIT_INVALID_SIGNER',
      `signer ${signer.id}: certificate is not a readable PEM certificate`,
      { cause },
    );
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new AuditError(
      'VIGIL_AUDIT_INVALID_SIGNER',
      `signer ${signer.id}: key must be ECDSA P-256`,
    );
  }
  const certId = spiffeIdOfCertificate(cert);
  if (certId !== signer.id) {
    throw new AuditError(
      'VIGIL_AUDIT_INVALID_SIGNER',
      `signer ${signer.id}: certificate names ${certId ?? 'no SPIFFE ID'}`,
    );
  }
  if (!cert.checkPrivateKey(key)) {
    throw new AuditError(
      'VIGIL_AUDIT_INVALID_SIGNER',
      `signer ${signer.id}: private key does not match the certificate`,
    );
  }
  const certFingerprint = sha256Hex(cert.raw);
  return Object.freeze({
    id: signer.id,
    certPem: signer.certPem,
    certFingerprint,
    sign: (payload: string) => signPayload(key, payload),
  });
}

/** ECDSA P-256 / SHA-256 signature in IEEE P1363 form (as in JWS ES256), base64url. */
export function signPayload(key: KeyObject, payload: string): string {
  return sign('sha256', Buffer.from(payload), { key, dsaEncoding: 'ieee-p1363' }).toString(
    'base64url',
  );
}

/** Verifies a {@link signPayload} signature. Never throws on a bad signature. */
export function verifyPayload(key: KeyObject, payload: string, signature: string): boolean {
  try {
    return verify(
      'sha256',
      Buffer.from(payload),
      { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
  } catch {
    return false;
  }
}

/** A writer's signed statement of its chain head ("signed tree head", RFC 6962 §3.5). */
export interface ChainCheckpoint {
  /** Store-assigned id. */
  readonly id: number;
  readonly chain: string;
  /** Position of the head entry covered (0 = empty chain). */
  readonly chainSeq: number;
  readonly headHash: string;
  readonly time: string;
  /** True when the writer closed its chain: nothing may follow. */
  readonly final: boolean;
  /** SPIFFE ID of the signer (the chain's writer). */
  readonly signer: string;
  readonly certFingerprint: string;
  readonly signature: string;
}

/** The bytes a chain checkpoint signature covers. */
export function checkpointPayload(c: Omit<ChainCheckpoint, 'id' | 'signature'>): string {
  return canonicalJson({
    type: 'vigil.audit.checkpoint/v1',
    chain: c.chain,
    chainSeq: c.chainSeq,
    headHash: c.headHash,
    time: c.time,
    final: c.final,
    signer: c.signer,
    certFingerprint: c.certFingerprint,
  });
}

/** One chain head inside an anchor. */
export interface AnchorHead {
  readonly chain: string;
  readonly chainSeq: number;
  readonly headHash: string;
}

/** Why an anchor was written. */
export type AnchorReason = 'periodic' | 'prune' | 'manual';

/**
 * A signed commitment to the heads of all chains at one moment; anchors form their own
 * hash chain. A `prune` anchor also records where each pruned chain now starts.
 */
export interface AnchorCheckpoint {
  /** 1-based position in the anchor chain. */
  readonly anchorSeq: number;
  readonly time: string;
  readonly prevHash: string;
  readonly reason: AnchorReason;
  readonly heads: readonly AnchorHead[];
  /** For `prune`: chain → the checkpoint position the chain now starts after. */
  readonly prunedTo: readonly AnchorHead[];
  readonly signer: string;
  readonly certFingerprint: string;
  /** Hex SHA-256 of {@link anchorPayload}. */
  readonly hash: string;
  readonly signature: string;
}

/** The bytes an anchor's hash and signature cover. */
export function anchorPayload(a: Omit<AnchorCheckpoint, 'hash' | 'signature'>): string {
  return canonicalJson({
    type: 'vigil.audit.anchor/v1',
    anchorSeq: a.anchorSeq,
    time: a.time,
    prevHash: a.prevHash,
    reason: a.reason,
    heads: a.heads,
    prunedTo: a.prunedTo,
    signer: a.signer,
    certFingerprint: a.certFingerprint,
  });
}

/** A writer certificate as kept in the store's `writers` table. */
export interface WriterCertificate {
  readonly fingerprint: string;
  readonly identity: string;
  readonly certPem: string;
}

/** Result of checking a writer certificate against the CA bundle. */
export type CertificateCheck =
  | {
      readonly ok: true;
      readonly key: KeyObject;
      readonly spiffeId: string;
      readonly notBefore: Date;
      readonly notAfter: Date;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks that a stored writer certificate was issued by one of the CAs in `caPem` (a PEM
 * bundle) and names a SPIFFE ID. Validity at signing time is checked per checkpoint by
 * the caller (leaf certificates are short-lived; old logs must stay verifiable).
 * Only leaf certificates issued directly by a bundle CA are accepted (as `@vigil/pki` and
 * cert-manager's CA issuer issue them).
 */
export function checkWriterCertificate(
  certPem: string,
  cas: readonly X509Certificate[],
): CertificateCheck {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return { ok: false, reason: 'certificate is not readable PEM' };
  }
  const issuer = cas.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
  if (issuer === undefined)
    return {
      ok: false,
      reason: `certificate ${cert.subject.replace(/\n/g, ', ')} is not signed by a CA in the bundle`,
    };
  const spiffeId = spiffeIdOfCertificate(cert);
  if (spiffeId === undefined) return { ok: false, reason: 'certificate carries no SPIFFE ID' };
  return {
    ok: true,
    key: cert.publicKey,
    spiffeId,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
}

/** Splits a PEM bundle into certificates; throws `VIGIL_AUDIT_CONFIG` when none is readable. */
export function parseCaBundle(caPem: string): X509Certificate[] {
  const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const cas: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      cas.push(new X509Certificate(block));
    } catch (cause) {
      throw new AuditError('VIGIL_AUDIT_CONFIG', 'CA bundle holds an unreadable certificate', {
        cause,
      });
    }
  }
  if (cas.length === 0)
    throw new AuditError('VIGIL_AUDIT_CONFIG', 'CA bundle holds no PEM certificate');
  return cas;
}

/** Public key of a PEM certificate (for tests and tools). */
export function publicKeyOf(certPem: string): KeyObject {
  return createPublicKey(
    new X509Certificate(certPem).publicKey.export({ format: 'pem', type: 'spki' }),
  );
}
