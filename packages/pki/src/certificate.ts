// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { X509Certificate as NodeX509Certificate, createPublicKey } from 'node:crypto';
import {
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  SubjectAlternativeNameExtension,
  X509Certificate,
} from '@peculiar/x509';
import { PKI_ERROR_CODES, PkiError } from './errors.js';
import { parseSpiffeId } from './system.js';

/** What `vigil pki inspect` shows about a certificate. */
export interface CertificateInfo {
  /** Subject distinguished name, e.g. `CN=detector, O=vigil`. */
  readonly subject: string;
  /** Issuer distinguished name. */
  readonly issuer: string;
  /** The single SPIFFE URI SAN, or `undefined` when the certificate has none. */
  readonly spiffeId: string | undefined;
  /** Every URI SAN in the certificate, in order. */
  readonly uris: readonly string[];
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Colon-separated upper-case hex SHA-256 of the DER certificate (as `openssl x509 -fingerprint -sha256`). */
  readonly fingerprintSha256: string;
  /** True for a CA certificate (basicConstraints cA). */
  readonly isCa: boolean;
  /** Extended key usage OIDs. */
  readonly extendedKeyUsages: readonly string[];
}

/** Outcome of {@link verifyCertificateChain}; a failure is a value, not an exception. */
export type ChainVerification =
  | { readonly ok: true; readonly spiffeId: string; readonly notAfter: Date }
  | { readonly ok: false; readonly code: string; readonly reason: string };

function parse(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (cause) {
    throw new PkiError(
      PKI_ERROR_CODES.CERT_INVALID,
      `${what} is not a valid PEM X.509 certificate`,
      {
        cause,
      },
    );
  }
}

function uriSans(cert: X509Certificate): string[] {
  const san = cert.getExtension(SubjectAlternativeNameExtension);
  if (!san) return [];
  return san.names.items.filter((name) => name.type === 'url').map((name) => name.value);
}

/**
 * Returns the SPIFFE ID of `cert`: its one `spiffe://` URI SAN. A SPIFFE SVID carries
 * exactly one URI SAN (X509-SVID §2); several, or a malformed one, count as none.
 */
function spiffeIdOfCert(cert: X509Certificate): string | undefined {
  const uris = uriSans(cert);
  if (uris.length !== 1) return undefined;
  const [uri] = uris;
  return uri !== undefined && parseSpiffeId(uri) ? uri : undefined;
}

/**
 * Describes a PEM certificate (the first one, when `pem` is a bundle).
 * @throws PkiError `VIGIL_PKI_CERT_INVALID` when `pem` is not a certificate.
 */
export function inspectCertificate(pem: string): CertificateInfo {
  const cert = parse(pem, 'the certificate');
  const der = Buffer.from(cert.rawData);
  const fingerprint = new NodeX509Certificate(der).fingerprint256;
  const eku = cert.getExtension(ExtendedKeyUsageExtension);
  return Object.freeze({
    subject: cert.subject,
    issuer: cert.issuer,
    spiffeId: spiffeIdOfCert(cert),
    uris: Object.freeze(uriSans(cert)),
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    fingerprintSha256: fingerprint,
    isCa: cert.getExtension(BasicConstraintsExtension)?.ca === true,
    extendedKeyUsages: Object.freeze(Array.from(eku?.usages ?? [], String)),
  });
}

/** Extracts the SPIFFE ID from a certificate's URI SAN without verifying anything. */
export function spiffeIdFromCertificate(pem: string | Buffer): string | undefined {
  try {
    return spiffeIdOfCert(new X509Certificate(typeof pem === 'string' ? pem : new Uint8Array(pem)));
  } catch {
    return undefined;
  }
}

/**
 * Verifies that `pem` (a leaf) was issued and signed by the CA in `caPem`, is within
 * its validity period at `at` (default now), is not itself a CA, and carries exactly
 * one SPIFFE ID. `caPem` may be a bundle of several CA certificates (during a CA
 * rotation); the leaf must chain to one of them. Synchronous (node:crypto).
 *
 * Failure codes: `VIGIL_PKI_CERT_INVALID`, `VIGIL_PKI_CHAIN_UNTRUSTED`,
 * `VIGIL_PKI_CERT_EXPIRED`, `VIGIL_PKI_CERT_NOT_YET_VALID`, `VIGIL_PKI_CERT_IS_CA`,
 * `VIGIL_PKI_NO_SPIFFE_ID`.
 */
export function verifyCertificateChain(
  pem: string,
  caPem: string,
  at: Date = new Date(),
): ChainVerification {
  let leaf: X509Certificate;
  let nodeLeaf: NodeX509Certificate;
  try {
    leaf = new X509Certificate(pem);
    nodeLeaf = new NodeX509Certificate(Buffer.from(leaf.rawData));
  } catch {
    return {
      ok: false,
      code: PKI_ERROR_CODES.CERT_INVALID,
      reason: 'not a valid PEM X.509 certificate',
    };
  }
  const cas = splitPemBundle(caPem).flatMap((one) => {
    try {
      return [new NodeX509Certificate(one)];
    } catch {
      return [];
    }
  });
  if (cas.length === 0) {
    return {
      ok: false,
      code: PKI_ERROR_CODES.CA_INVALID,
      reason: 'the trust bundle holds no valid certificate',
    };
  }
  const issuer = cas.find(
    (ca) =>
      ca.ca && nodeLeaf.checkIssued(ca) && nodeLeaf.verify(ca.publicKey) && withinValidity(ca, at),
  );
  if (!issuer) {
    return {
      ok: false,
      code: PKI_ERROR_CODES.CHAIN_UNTRUSTED,
      reason: `issuer "${leaf.issuer}" is not a valid CA of the trust bundle or the signature does not verify`,
    };
  }
  if (at.getTime() < leaf.notBefore.getTime()) {
    return {
      ok: false,
      code: PKI_ERROR_CODES.CERT_NOT_YET_VALID,
      reason: `not valid before ${leaf.notBefore.toISOString()}`,
    };
  }
  if (at.getTime() > leaf.notAfter.getTime()) {
    return {
      ok: false,
      code: PKI_ERROR_CODES.CERT_EXPIRED,
      reason: `expired at ${leaf.notAfter.toISOString()}`,
    };
  }
  if (leaf.getExtension(BasicConstraintsExtension)?.ca === true) {
    return {
      ok: false,
      code: PKI_ERROR_CODES.CERT_IS_CA,
      reason: 'a CA certificate is not a workload identity',
    };
  }
  const spiffeId = spiffeIdOfCert(leaf);
  if (!spiffeId) {
    return {
      ok: false,
      code: PKI_ERROR_CODES.NO_SPIFFE_ID,
      reason: 'the certificate does not carry exactly one spiffe:// URI SAN',
    };
  }
  return { ok: true, spiffeId, notAfter: leaf.notAfter };
}

function withinValidity(cert: NodeX509Certificate, at: Date): boolean {
  return at.getTime() >= Date.parse(cert.validFrom) && at.getTime() <= Date.parse(cert.validTo);
}

/** Splits a PEM bundle into its certificates (PEM blocks, headers included). */
export function splitPemBundle(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** True when the PEM private key `keyPem` is the key of the certificate `certPem`. */
export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  try {
    const fromKey = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
    const fromCert = new NodeX509Certificate(certPem).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    return Buffer.compare(fromKey, fromCert) === 0;
  } catch {
    return false;
  }
}
