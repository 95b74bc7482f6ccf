// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  PemConverter,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { PKI_ERROR_CODES, PkiError } from './errors.js';
import { isValidTrustDomain, parseSpiffeId } from './system.js';

// Node's WebCrypto; passed explicitly so no global provider has to be registered.
const crypto = webcrypto as unknown as NonNullable<
  Parameters<typeof X509CertificateGenerator.create>[1]
>;
const subtle = webcrypto.subtle;
const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
/** Leaves are back-dated this much to tolerate clock skew between processes/hosts. */
export const CLOCK_SKEW_MS = 60_000;

/** A CA certificate and its private key, both PEM (PKCS#8 for the key). */
export interface CertificateAuthorityMaterial {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A leaf certificate and its private key, both PEM. */
export interface LeafMaterial {
  readonly certPem: string;
  readonly keyPem: string;
}

async function generateKeyPair(): Promise<CryptoKeyPair> {
  return subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return PemConverter.encode(der, 'PRIVATE KEY');
}

async function importSigningKey(keyPem: string): Promise<CryptoKey> {
  try {
    return await subtle.importKey('pkcs8', PemConverter.decodeFirst(keyPem), EC_KEY, false, [
      'sign',
    ]);
  } catch (cause) {
    throw new PkiError(
      PKI_ERROR_CODES.CA_INVALID,
      'the CA key is not a PKCS#8 ECDSA P-256 private key',
      {
        cause,
      },
    );
  }
}

function escapeDnValue(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1');
}

/**
 * Creates a self-signed ECDSA P-256 CA certificate for `trustDomain`:
 * basicConstraints cA (critical, path length 0: it issues leaves only),
 * keyUsage keyCertSign|cRLSign (critical), a subject key identifier.
 */
export async function createCertificateAuthority(options: {
  trustDomain: string;
  validityDays?: number;
  now?: Date;
  commonName?: string;
}): Promise<CertificateAuthorityMaterial> {
  if (!isValidTrustDomain(options.trustDomain)) {
    throw new PkiError(
      PKI_ERROR_CODES.INVALID_NAME,
      `invalid SPIFFE trust domain "${options.trustDomain}"`,
    );
  }
  const now = options.now ?? new Date();
  const keys = await generateKeyPair();
  const cert = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: `CN=${escapeDnValue(options.commonName ?? `Vigil local CA (${options.trustDomain})`)}, O=vigil`,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter: new Date(now.getTime() + (options.validityDays ?? 3650) * 86_400_000),
      keys,
      signingAlgorithm: SIGNING,
      extensions: [
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        await SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

/**
 * Issues an ECDSA P-256 leaf certificate signed by `ca` for `spiffeId` (the only URI
 * SAN), EKU serverAuth+clientAuth, keyUsage digitalSignature, basicConstraints
 * cA=false. Validity runs from `notBefore` (default now minus {@link CLOCK_SKEW_MS})
 * to `notAfter`, never past the CA's own expiry.
 */
export async function issueLeafCertificate(
  ca: CertificateAuthorityMaterial,
  options: LeafOptions,
): Promise<LeafMaterial> {
  const keys = await generateKeyPair();
  return {
    certPem: await signLeaf(ca, options, keys.publicKey),
    keyPem: await exportKeyPem(keys.privateKey),
  };
}

/** What a leaf certificate says: its identity, its validity and, for a person, their role. */
export interface LeafOptions {
  spiffeId: string;
  commonName: string;
  notAfter: Date;
  notBefore?: Date;
  now?: Date;
  /**
   * A person's role (`viewer`, `analyst`, `admin`), carried as the subject's
   * `OU=role:<role>` ({@link ROLE_UNIT_PREFIX}); only certificates issued for a CSR after
   * sign-in carry it.
   */
  role?: string;
  /**
   * DNS names besides the SPIFFE ID (subjectAltName dNSName), as a cert-manager
   * Certificate's `dnsNames` put them: the names of the agent's Service.
   */
  dnsNames?: readonly string[];
}

/**
 * How a user certificate names the person's role: an organizationalUnitName of the
 * subject, `role:<role>` (signed by the CA like the rest of the certificate). Agents'
 * certificates and user certificates minted without a CSR carry none.
 */
export const ROLE_UNIT_PREFIX = 'role:';

/**
 * Issues a leaf like {@link issueLeafCertificate} for a public key the caller already
 * holds the private half of (a CSR's): no private key is made or returned here.
 */
export async function issueLeafForKey(
  ca: CertificateAuthorityMaterial,
  options: LeafOptions,
  publicKey: CryptoKey,
): Promise<string> {
  return signLeaf(ca, options, publicKey);
}

async function signLeaf(
  ca: CertificateAuthorityMaterial,
  options: LeafOptions,
  publicKey: CryptoKey,
): Promise<string> {
  if (!parseSpiffeId(options.spiffeId)) {
    throw new PkiError(PKI_ERROR_CODES.INVALID_NAME, `invalid SPIFFE ID "${options.spiffeId}"`);
  }
  let caCert: X509Certificate;
  try {
    caCert = new X509Certificate(ca.certPem);
  } catch (cause) {
    throw new PkiError(PKI_ERROR_CODES.CA_INVALID, 'the CA certificate cannot be parsed', {
      cause,
    });
  }
  const signingKey = await importSigningKey(ca.keyPem);
  const now = options.now ?? new Date();
  const notAfter = new Date(Math.min(options.notAfter.getTime(), caCert.notAfter.getTime()));
  const trustDomain = parseSpiffeId(options.spiffeId)!.trustDomain;
  const cert = await X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: `CN=${escapeDnValue(options.commonName)}, ${
        options.role === undefined
          ? ''
          : `OU=${escapeDnValue(`${ROLE_UNIT_PREFIX}${options.role}`)}, `
      }O=${escapeDnValue(trustDomain)}`,
      issuer: caCert.subjectName,
      notBefore: options.notBefore ?? new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter,
      publicKey,
      signingKey,
      signingAlgorithm: SIGNING,
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new ExtendedKeyUsageExtension(
          [ExtendedKeyUsage.serverAuth, ExtendedKeyUsage.clientAuth],
          false,
        ),
        // SPIFFE X509-SVID §4: the URI SAN is the identity; the subject is informational.
        new SubjectAlternativeNameExtension(
          [
            { type: 'url', value: options.spiffeId },
            ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
          ],
          false,
        ),
        await SubjectKeyIdentifierExtension.create(publicKey, false, crypto),
        await AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return cert.toString('pem');
}

/** 16 random bytes, top bit cleared so the DER INTEGER stays positive (RFC 5280 §4.1.2.2). */
function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}
