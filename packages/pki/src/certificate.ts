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
 * rotation); the leaf must chain to one of them. Synchronous (node:crypto). Parsing and
 * the signature check are done once per pair of exact `pem` and `caPem` texts (a bounded
 * cache); the validity periods are checked at `at` on every call.
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
  const facts = chainFactsOf(pem, caPem);
  if (facts === 'leaf-invalid') {
    return {
      ok: false,
      code: PKI_ERROR_CODES.CERT_INVALID,
      reason: 'not a valid PEM X.509 certificate',
    };
  }
  if (facts === 'bundle-invalid') {
    return {
      ok: false,
      code: PKI_ERROR_CODES.CA_INVALID,
      reason: 'the trust bundle holds no valid certificate',
    };
  }
  if (!facts.issuers.some((ca) => withinValidity(ca, at))) {
    return {
      ok: false,
      code: PKI_ERROR_CODES.CHAIN_UNTRUSTED,
      reason: `issuer "${facts.issuer}" is not a valid CA of the trust bundle or the signature does not verify`,
    };
  }
  if (at.getTime() < facts.notBefore.getTime()) {
    return {
      ok: false,
      code: PKI_ERROR_CODES.CERT_NOT_YET_VALID,
      reason: `not valid before ${facts.notBefore.toISOString()}`,
    };
  }
  if (at.getTime() > facts.notAfter.getTime()) {
    return {
      ok: false,
      code: PKI_ERROR_CODES.CERT_EXPIRED,
      reason: `expired at ${facts.notAfter.toISOString()}`,
    };
  }
  if (facts.isCa) {
    return {
      ok: false,
      code: PKI_ERROR_CODES.CERT_IS_CA,
      reason: 'a CA certificate is not a workload identity',
    };
  }
  if (!facts.spiffeId) {
    return {
      ok: false,
      code: PKI_ERROR_CODES.NO_SPIFFE_ID,
      reason: 'the certificate does not carry exactly one spiffe:// URI SAN',
    };
  }
  return { ok: true, spiffeId: facts.spiffeId, notAfter: new Date(facts.notAfter) };
}

/** What chain verification learns from the bytes of a leaf and a trust bundle alone. */
interface ChainFacts {
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  readonly spiffeId: string | undefined;
  /** Validity periods of the bundle's CA certificates that issued and signed the leaf. */
  readonly issuers: readonly { readonly validFrom: string; readonly validTo: string }[];
}

/** Chain facts by leaf and bundle bytes; bounded, oldest dropped first. */
const chainFacts = new Map<string, ChainFacts | 'leaf-invalid' | 'bundle-invalid'>();
const CHAIN_FACTS_KEPT = 256;

/**
 * The facts of `pem` under `caPem`, parsed and signature-checked once per pair of exact
 * bytes (agents verify the same few certificates on every signed message; parsing one
 * costs about a millisecond). What depends on the time is checked by the caller.
 */
function chainFactsOf(pem: string, caPem: string): ChainFacts | 'leaf-invalid' | 'bundle-invalid' {
  const key = `${caPem}\u0000${pem}`;
  let facts = chainFacts.get(key);
  if (facts === undefined) {
    facts = parseChain(pem, caPem);
    if (chainFacts.size >= CHAIN_FACTS_KEPT) chainFacts.delete(chainFacts.keys().next().value!);
    chainFacts.set(key, facts);
  }
  return facts;
}

function parseChain(pem: string, caPem: string): ChainFacts | 'leaf-invalid' | 'bundle-invalid' {
  let leaf: X509Certificate;
  let nodeLeaf: NodeX509Certificate;
  try {
    leaf = new X509Certificate(pem);
    nodeLeaf = new NodeX509Certificate(Buffer.from(leaf.rawData));
  } catch {
    return 'leaf-invalid';
  }
  const cas = splitPemBundle(caPem).flatMap((one) => {
    try {
      return [new NodeX509Certificate(one)];
    } catch {
      return [];
    }
  });
  if (cas.length === 0) return 'bundle-invalid';
  return {
    issuer: leaf.issuer,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    isCa: leaf.getExtension(BasicConstraintsExtension)?.ca === true,
    spiffeId: spiffeIdOfCert(leaf),
    issuers: cas
      .filter((ca) => ca.ca && nodeLeaf.checkIssued(ca) && nodeLeaf.verify(ca.publicKey))
      .map((ca) => ({ validFrom: ca.validFrom, validTo: ca.validTo })),
  };
}

function withinValidity(cert: { validFrom: string; validTo: string }, at: Date): boolean {
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
