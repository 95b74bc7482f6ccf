// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { X509Certificate } from '@peculiar/x509';
import {
  createCertificateAuthority,
  issueLeafCertificate,
  type CertificateAuthorityMaterial,
} from './authority.js';
import {
  inspectCertificate,
  keyMatchesCertificate,
  verifyCertificateChain,
} from './certificate.js';
import { PKI_ERROR_CODES, PkiError } from './errors.js';
import { ensurePrivateDir, writeFileAtomic } from './files.js';
import { agentCredentialPaths, pkiPaths } from './paths.js';
import {
  agentSpiffeIdIn,
  isValidPathSegment,
  isValidTrustDomain,
  reportSpiffeId,
  userSpiffeId,
  type IdentitySystem,
} from './system.js';

/** Default leaf validity (hours). Short-lived by design; the supervisor rotates. */
export const DEFAULT_LEAF_VALIDITY_HOURS = 24;
/** A leaf is renewed once this fraction of its lifetime has passed. */
export const DEFAULT_RENEW_AFTER_FRACTION = 2 / 3;

/** What an agent process needs for mutual TLS: PEM strings and its SPIFFE ID. */
export interface AgentCredentials {
  /** Leaf certificate (PEM). */
  readonly cert: string;
  /** PKCS#8 private key (PEM). Never log it. */
  readonly key: string;
  /** Trust bundle: the CA certificate(s) (PEM). */
  readonly ca: string;
  readonly spiffeId: string;
  readonly notAfter: Date;
}

/** One agent's identity on disk after {@link ensureIdentities} / {@link issueAgentCertificate}. */
export interface IssuedIdentity {
  readonly agentName: string;
  readonly spiffeId: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly fingerprintSha256: string;
  /** True when this call wrote a new certificate; false when the existing one was kept. */
  readonly issued: boolean;
  /** Why it was (re)issued: `missing`, `renewal-due`, `untrusted`, `key-mismatch`, `forced`, ... */
  readonly reason?: string;
}

export interface EnsureIdentitiesOptions {
  validityHours?: number;
  /** Renew leaves older than this fraction of their lifetime (default 2/3). */
  renewAfterFraction?: number;
  /** Only these agents (default: every agent of the system). */
  agents?: readonly string[];
  /** Re-issue even when the current certificate is still fresh (`vigil pki rotate`). */
  force?: boolean;
  /** CA validity when one has to be created (days, default 3650). */
  caValidityDays?: number;
  now?: Date;
}

/** Result of {@link ensureCertificateAuthority}. */
export interface EnsuredAuthority extends CertificateAuthorityMaterial {
  readonly created: boolean;
}

/**
 * Loads the CA of `stateDir`, creating it (cert 0644, key 0600, dir 0700) when absent.
 * An expired CA is replaced: nothing it signed verifies any more anyway.
 * @throws PkiError `VIGIL_PKI_CA_INVALID` when the files exist but are unusable.
 */
export async function ensureCertificateAuthority(
  stateDir: string,
  trustDomain: string,
  options: { validityDays?: number; now?: Date } = {},
): Promise<EnsuredAuthority> {
  const now = options.now ?? new Date();
  const existing = await readCertificateAuthority(stateDir);
  if (existing && new X509Certificate(existing.certPem).notAfter.getTime() > now.getTime()) {
    return { ...existing, created: false };
  }
  const paths = pkiPaths(stateDir);
  await ensurePrivateDir(paths.dir);
  const ca = await createCertificateAuthority({
    trustDomain,
    ...(options.validityDays === undefined ? {} : { validityDays: options.validityDays }),
    now,
  });
  // Key first: a reader that sees the new cert always finds its key.
  await writeFileAtomic(paths.caKey, ca.keyPem, 0o600);
  await writeFileAtomic(paths.caCert, ca.certPem, 0o644);
  return { ...ca, created: true };
}

/** Reads the CA of `stateDir`, or `undefined` when there is none. */
export async function readCertificateAuthority(
  stateDir: string,
): Promise<CertificateAuthorityMaterial | undefined> {
  const paths = pkiPaths(stateDir);
  const [certPem, keyPem] = await Promise.all([
    readOptional(paths.caCert),
    readOptional(paths.caKey),
  ]);
  if (certPem === undefined && keyPem === undefined) return undefined;
  if (certPem === undefined || keyPem === undefined) {
    throw new PkiError(
      PKI_ERROR_CODES.CA_INVALID,
      `incomplete CA in ${paths.dir}: ${certPem === undefined ? 'ca.crt' : 'ca.key'} is missing`,
    );
  }
  try {
    new X509Certificate(certPem);
  } catch (cause) {
    throw new PkiError(PKI_ERROR_CODES.CA_INVALID, `${paths.caCert} is not a valid certificate`, {
      cause,
    });
  }
  if (!keyMatchesCertificate(keyPem, certPem)) {
    throw new PkiError(
      PKI_ERROR_CODES.CA_INVALID,
      `${paths.caKey} is not the key of ${paths.caCert}`,
    );
  }
  return { certPem, keyPem };
}

function assertAgent(system: IdentitySystem, agentName: string): void {
  if (!system.agents.some((agent) => agent.name === agentName)) {
    throw new PkiError(
      PKI_ERROR_CODES.UNKNOWN_AGENT,
      `agent "${agentName}" is not declared in the agent system (agents: ${system.agents.map((a) => a.name).join(', ')})`,
    );
  }
  if (!isValidPathSegment(agentName)) {
    throw new PkiError(
      PKI_ERROR_CODES.INVALID_NAME,
      `agent name "${agentName}" cannot be a SPIFFE path segment`,
    );
  }
}

/**
 * Issues (or re-issues) the leaf certificate of `agentName` under the existing CA and
 * writes `<stateDir>/pki/agents/<name>.key` (0600) then `.crt` (0644), each atomically.
 * @throws PkiError `VIGIL_PKI_CA_MISSING`, `VIGIL_PKI_UNKNOWN_AGENT`.
 */
export async function issueAgentCertificate(
  stateDir: string,
  system: IdentitySystem,
  agentName: string,
  options: { validityHours?: number; now?: Date; reason?: string } = {},
): Promise<IssuedIdentity> {
  assertAgent(system, agentName);
  const ca = await readCertificateAuthority(stateDir);
  if (!ca) {
    throw new PkiError(
      PKI_ERROR_CODES.CA_MISSING,
      `no CA in ${pkiPaths(stateDir).dir}; run "vigil pki init" first`,
    );
  }
  return writeLeaf(stateDir, ca, system, agentName, options);
}

async function writeLeaf(
  stateDir: string,
  ca: CertificateAuthorityMaterial,
  system: IdentitySystem,
  agentName: string,
  options: { validityHours?: number; now?: Date; reason?: string },
): Promise<IssuedIdentity> {
  const now = options.now ?? new Date();
  const validityHours = options.validityHours ?? DEFAULT_LEAF_VALIDITY_HOURS;
  if (!(validityHours > 0)) {
    throw new PkiError(
      PKI_ERROR_CODES.INVALID_OPTION,
      `validityHours must be positive, got ${validityHours}`,
    );
  }
  const spiffeId = agentSpiffeIdIn(system, agentName);
  const leaf = await issueLeafCertificate(ca, {
    spiffeId,
    commonName: agentName,
    now,
    notAfter: new Date(now.getTime() + validityHours * 3_600_000),
  });
  const paths = agentCredentialPaths(stateDir, agentName);
  await ensurePrivateDir(pkiPaths(stateDir).agentsDir);
  await writeFileAtomic(paths.key, leaf.keyPem, 0o600);
  await writeFileAtomic(paths.cert, leaf.certPem, 0o644);
  const info = inspectCertificate(leaf.certPem);
  return Object.freeze({
    agentName,
    spiffeId,
    certPath: paths.cert,
    keyPath: paths.key,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    fingerprintSha256: info.fingerprintSha256,
    issued: true,
    reason: options.reason ?? 'requested',
  });
}

/**
 * Why the leaf of `agentName` must be (re)issued, or `undefined` when it is fine:
 * missing files, a key that is not the certificate's, a certificate that does not
 * chain to the current CA or names another SPIFFE ID, or past `renewAfterFraction`
 * of its lifetime.
 */
export async function renewalReason(
  stateDir: string,
  ca: CertificateAuthorityMaterial,
  spiffeId: string,
  agentName: string,
  options: { renewAfterFraction?: number; now?: Date } = {},
): Promise<string | undefined> {
  const paths = agentCredentialPaths(stateDir, agentName);
  const [cert, key] = await Promise.all([readOptional(paths.cert), readOptional(paths.key)]);
  if (cert === undefined || key === undefined) return 'missing';
  if (!keyMatchesCertificate(key, cert)) return 'key-mismatch';
  const now = options.now ?? new Date();
  const verified = verifyCertificateChain(cert, ca.certPem, now);
  if (!verified.ok) return verified.code === PKI_ERROR_CODES.CERT_EXPIRED ? 'expired' : 'untrusted';
  if (verified.spiffeId !== spiffeId) return 'spiffe-id-changed';
  const { notBefore, notAfter } = inspectCertificate(cert);
  const lifetime = notAfter.getTime() - notBefore.getTime();
  const fraction = options.renewAfterFraction ?? DEFAULT_RENEW_AFTER_FRACTION;
  if (now.getTime() >= notBefore.getTime() + lifetime * fraction) return 'renewal-due';
  return undefined;
}

/**
 * Makes every agent of `system` (or `options.agents`) hold a usable identity: creates
 * the CA when missing, then (re)issues each leaf that is missing, broken, untrusted or
 * past 2/3 of its lifetime (or all of them with `force`). Idempotent; safe to call
 * on every `vigil up` and periodically from the supervisor.
 */
export async function ensureIdentities(
  stateDir: string,
  system: IdentitySystem,
  options: EnsureIdentitiesOptions = {},
): Promise<IssuedIdentity[]> {
  if (!isValidTrustDomain(system.trustDomain)) {
    throw new PkiError(
      PKI_ERROR_CODES.INVALID_NAME,
      `invalid SPIFFE trust domain "${system.trustDomain}"`,
    );
  }
  const now = options.now ?? new Date();
  const ca = await ensureCertificateAuthority(stateDir, system.trustDomain, {
    now,
    ...(options.caValidityDays === undefined ? {} : { validityDays: options.caValidityDays }),
  });
  const names = options.agents ?? system.agents.map((agent) => agent.name);
  const results: IssuedIdentity[] = [];
  for (const name of names) {
    assertAgent(system, name);
    const spiffeId = agentSpiffeIdIn(system, name);
    const reason = options.force
      ? 'forced'
      : await renewalReason(stateDir, ca, spiffeId, name, {
          now,
          ...(options.renewAfterFraction === undefined
            ? {}
            : { renewAfterFraction: options.renewAfterFraction }),
        });
    if (reason !== undefined) {
      results.push(
        await writeLeaf(stateDir, ca, system, name, {
          now,
          reason,
          ...(options.validityHours === undefined ? {} : { validityHours: options.validityHours }),
        }),
      );
      continue;
    }
    const paths = agentCredentialPaths(stateDir, name);
    const info = inspectCertificate(await readFile(paths.cert, 'utf8'));
    results.push(
      Object.freeze({
        agentName: name,
        spiffeId,
        certPath: paths.cert,
        keyPath: paths.key,
        notBefore: info.notBefore,
        notAfter: info.notAfter,
        fingerprintSha256: info.fingerprintSha256,
        issued: false,
      }),
    );
  }
  return results;
}

/**
 * Issues a short-lived identity for a human or the CLI (`spiffe://<td>/user/<id>`),
 * returned in memory (not written to disk).
 */
export async function issueUserCredentials(
  stateDir: string,
  trustDomain: string,
  userId: string,
  options: { validityHours?: number; now?: Date } = {},
): Promise<AgentCredentials> {
  if (!isValidPathSegment(userId)) {
    throw new PkiError(
      PKI_ERROR_CODES.INVALID_NAME,
      `user id "${userId}" cannot be a SPIFFE path segment`,
    );
  }
  return issueInMemory(stateDir, userSpiffeId(trustDomain, userId), `user:${userId}`, options);
}

/**
 * Issues a short-lived identity that signs a document Vigil produces
 * (`spiffe://<td>/report/<name>`, e.g. the compliance report), returned in memory.
 * @throws PkiError `VIGIL_PKI_INVALID_NAME`, `VIGIL_PKI_CA_MISSING`.
 */
export async function issueReportCredentials(
  stateDir: string,
  trustDomain: string,
  name: string,
  options: { validityHours?: number; now?: Date } = {},
): Promise<AgentCredentials> {
  if (!isValidPathSegment(name)) {
    throw new PkiError(
      PKI_ERROR_CODES.INVALID_NAME,
      `report identity "${name}" cannot be a SPIFFE path segment`,
    );
  }
  return issueInMemory(stateDir, reportSpiffeId(trustDomain, name), `report:${name}`, options);
}

async function issueInMemory(
  stateDir: string,
  spiffeId: string,
  commonName: string,
  options: { validityHours?: number; now?: Date },
): Promise<AgentCredentials> {
  const ca = await readCertificateAuthority(stateDir);
  if (!ca) throw new PkiError(PKI_ERROR_CODES.CA_MISSING, `no CA in ${pkiPaths(stateDir).dir}`);
  const now = options.now ?? new Date();
  const leaf = await issueLeafCertificate(ca, {
    spiffeId,
    commonName,
    now,
    notAfter: new Date(now.getTime() + (options.validityHours ?? 1) * 3_600_000),
  });
  return Object.freeze({
    cert: leaf.certPem,
    key: leaf.keyPem,
    ca: ca.certPem,
    spiffeId,
    notAfter: inspectCertificate(leaf.certPem).notAfter,
  });
}

function credentialsFrom(
  paths: { readonly cert: string; readonly key: string },
  cert: string,
  key: string,
  ca: string,
): AgentCredentials {
  if (!keyMatchesCertificate(key, cert)) {
    throw new PkiError(
      PKI_ERROR_CODES.KEY_MISMATCH,
      `${paths.key} is not the key of ${paths.cert}`,
    );
  }
  const info = inspectCertificate(cert);
  if (!info.spiffeId) {
    throw new PkiError(PKI_ERROR_CODES.NO_SPIFFE_ID, `${paths.cert} carries no SPIFFE ID`);
  }
  return Object.freeze({ cert, key, ca, spiffeId: info.spiffeId, notAfter: info.notAfter });
}

/** File names of a credential directory: the keys of a cert-manager (kubernetes.io/tls) Secret. */
export const CREDENTIAL_DIRECTORY_FILES = {
  cert: 'tls.crt',
  key: 'tls.key',
  ca: 'ca.crt',
} as const;

/**
 * Reads credentials from a directory laid out as a cert-manager Secret mounted as a
 * volume: `tls.crt` (leaf), `tls.key` (PKCS#8 key), `ca.crt` (trust bundle).
 * @throws PkiError `VIGIL_PKI_IDENTITY_MISSING` (leaf or key), `VIGIL_PKI_CA_MISSING`,
 *   `VIGIL_PKI_KEY_MISMATCH`, `VIGIL_PKI_NO_SPIFFE_ID`.
 */
export async function loadCredentialDirectory(dir: string): Promise<AgentCredentials> {
  const paths = {
    cert: join(dir, CREDENTIAL_DIRECTORY_FILES.cert),
    key: join(dir, CREDENTIAL_DIRECTORY_FILES.key),
    ca: join(dir, CREDENTIAL_DIRECTORY_FILES.ca),
  };
  const [cert, key, ca] = await Promise.all([
    readOptional(paths.cert),
    readOptional(paths.key),
    readOptional(paths.ca),
  ]);
  if (ca === undefined) {
    throw new PkiError(PKI_ERROR_CODES.CA_MISSING, `no CA certificate at ${paths.ca}`);
  }
  if (cert === undefined || key === undefined) {
    throw new PkiError(
      PKI_ERROR_CODES.IDENTITY_MISSING,
      `no identity in ${dir} (${cert === undefined ? paths.cert : paths.key} is missing)`,
    );
  }
  return credentialsFrom(paths, cert, key, ca);
}

/**
 * Reads the credentials of `agentName` from `stateDir` (leaf, key, CA bundle).
 * @throws PkiError `VIGIL_PKI_IDENTITY_MISSING`, `VIGIL_PKI_CA_MISSING`, `VIGIL_PKI_KEY_MISMATCH`.
 */
export async function loadAgentCredentials(
  stateDir: string,
  agentName: string,
): Promise<AgentCredentials> {
  const paths = agentCredentialPaths(stateDir, agentName);
  const caPath = pkiPaths(stateDir).caCert;
  const [cert, key, ca] = await Promise.all([
    readOptional(paths.cert),
    readOptional(paths.key),
    readOptional(caPath),
  ]);
  if (ca === undefined)
    throw new PkiError(PKI_ERROR_CODES.CA_MISSING, `no CA certificate at ${caPath}`);
  if (cert === undefined || key === undefined) {
    throw new PkiError(
      PKI_ERROR_CODES.IDENTITY_MISSING,
      `no identity for agent "${agentName}" (${cert === undefined ? paths.cert : paths.key} is missing); run "vigil pki init"`,
    );
  }
  return credentialsFrom(paths, cert, key, ca);
}

/** Synchronous {@link loadAgentCredentials}, for `credentials()` callbacks. */
export function loadAgentCredentialsSync(stateDir: string, agentName: string): AgentCredentials {
  const paths = agentCredentialPaths(stateDir, agentName);
  const caPath = pkiPaths(stateDir).caCert;
  const read = (
    path: string,
    code: typeof PKI_ERROR_CODES.CA_MISSING | typeof PKI_ERROR_CODES.IDENTITY_MISSING,
  ) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (cause) {
      throw new PkiError(code, `cannot read ${path}`, { cause });
    }
  };
  const ca = read(caPath, PKI_ERROR_CODES.CA_MISSING);
  return credentialsFrom(
    paths,
    read(paths.cert, PKI_ERROR_CODES.IDENTITY_MISSING),
    read(paths.key, PKI_ERROR_CODES.IDENTITY_MISSING),
    ca,
  );
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
