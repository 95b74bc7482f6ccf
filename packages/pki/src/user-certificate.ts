// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequest, X509Certificate } from '@peculiar/x509';
import {
  issueLeafForKey,
  ROLE_UNIT_PREFIX,
  type CertificateAuthorityMaterial,
} from './authority.js';
import { PKI_ERROR_CODES, PkiError } from './errors.js';
import { readCertificateAuthority } from './identities.js';
import { pkiPaths } from './paths.js';
import { isValidPathSegment, userSpiffeId } from './system.js';

const crypto = webcrypto as unknown as NonNullable<
  Parameters<Pkcs10CertificateRequest['verify']>[0]
>;

/** A person's certificate for the key of their CSR. */
export interface UserCertificate {
  readonly certPem: string;
  /** The trust bundle that verifies it. */
  readonly caPem: string;
  readonly spiffeId: string;
  readonly role: string;
  readonly notAfter: Date;
}

/** The longest a person's certificate lives (1 h): their browser asks again after sign-in. */
export const MAX_USER_CERTIFICATE_SECONDS = 3_600;

/**
 * The CA that issues person certificates, which only a process holding the local CA may
 * read (under `--runtime podman` the agents' containers do not see its key): a CA that is
 * absent or unreadable here is `VIGIL_PKI_CA_MISSING`, naming why.
 */
async function readIssuingAuthority(stateDir: string): Promise<CertificateAuthorityMaterial> {
  const { dir } = pkiPaths(stateDir);
  let ca: Awaited<ReturnType<typeof readCertificateAuthority>>;
  try {
    ca = await readCertificateAuthority(stateDir);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw cause;
    throw new PkiError(
      PKI_ERROR_CODES.CA_MISSING,
      `the CA in ${dir} cannot be read by this process (${code}): it does not hold the local CA`,
      { cause },
    );
  }
  if (!ca) throw new PkiError(PKI_ERROR_CODES.CA_MISSING, `no CA in ${dir}`);
  return ca;
}

/**
 * Issues a short-lived user certificate (`spiffe://<td>/user/<id>`, the role in the
 * subject `OU=role:<role>`) for the public key of a PKCS#10 CSR, after checking the
 * CSR is signed by that key (proof of possession) and the key is ECDSA P-256. The private
 * key never reaches the issuer: it stays where the CSR was made (a browser's
 * non-extractable WebCrypto key). The caller has authenticated the person and read
 * their role; the CSR's own subject is ignored.
 * @throws PkiError `VIGIL_PKI_CSR_INVALID`, `VIGIL_PKI_CA_MISSING`, `VIGIL_PKI_INVALID_NAME`.
 */
export async function issueUserCertificateForCsr(
  stateDir: string,
  trustDomain: string,
  request: {
    readonly userId: string;
    readonly role: string;
    readonly csrPem: string;
    readonly validitySeconds?: number;
    readonly now?: Date;
  },
): Promise<UserCertificate> {
  if (!isValidPathSegment(request.userId))
    throw new PkiError(
      PKI_ERROR_CODES.INVALID_NAME,
      `user id "${request.userId}" cannot be a SPIFFE path segment`,
    );
  let csr: Pkcs10CertificateRequest;
  try {
    csr = new Pkcs10CertificateRequest(request.csrPem);
  } catch (cause) {
    throw new PkiError(PKI_ERROR_CODES.CSR_INVALID, 'the CSR is not a PEM PKCS#10 request', {
      cause,
    });
  }
  const algorithm = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256')
    throw new PkiError(
      PKI_ERROR_CODES.CSR_INVALID,
      `the CSR's key is ${algorithm.name ?? 'unknown'} ${algorithm.namedCurve ?? ''}, expected ECDSA P-256`.trim(),
    );
  let signed: boolean;
  try {
    signed = await csr.verify(crypto);
  } catch (cause) {
    // A mangled signature can fail to decode rather than to verify: the same answer.
    throw new PkiError(PKI_ERROR_CODES.CSR_INVALID, 'the CSR is not signed by its own key', {
      cause,
    });
  }
  if (!signed)
    throw new PkiError(PKI_ERROR_CODES.CSR_INVALID, 'the CSR is not signed by its own key');
  const ca = await readIssuingAuthority(stateDir);
  const now = request.now ?? new Date();
  const seconds = Math.min(
    request.validitySeconds ?? MAX_USER_CERTIFICATE_SECONDS,
    MAX_USER_CERTIFICATE_SECONDS,
  );
  const spiffeId = userSpiffeId(trustDomain, request.userId);
  const certPem = await issueLeafForKey(
    ca,
    {
      spiffeId,
      commonName: `user:${request.userId}`,
      role: request.role,
      now,
      notAfter: new Date(now.getTime() + seconds * 1000),
    },
    await csr.publicKey.export({ name: 'ECDSA', namedCurve: 'P-256' }, ['verify'], crypto),
  );
  return Object.freeze({
    certPem,
    caPem: ca.certPem,
    spiffeId,
    role: request.role,
    notAfter: new X509Certificate(certPem).notAfter,
  });
}

/**
 * The role a user certificate carries (its subject's `OU=role:<role>`), or `undefined` when it
 * carries none (agents' certificates, and user certificates minted without a CSR). Reads
 * only: the caller has verified the certificate's chain.
 */
export function roleOfCertificate(cert: string | Uint8Array): string | undefined {
  let parsed: X509Certificate;
  try {
    parsed = new X509Certificate(typeof cert === 'string' ? cert : new Uint8Array(cert));
  } catch {
    return undefined;
  }
  const units = parsed.subjectName
    .getField('OU')
    .filter((unit) => unit.startsWith(ROLE_UNIT_PREFIX));
  // Exactly one: a certificate naming two roles names none.
  return units.length === 1 ? units[0]!.slice(ROLE_UNIT_PREFIX.length) : undefined;
}
