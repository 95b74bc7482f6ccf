import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import type { Extension } from '@peculiar/x509';
import {
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  PemConverter,
  SubjectAlternativeNameExtension,
  X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';

/** A fresh P-256 key and a one-hour leaf for it signed by `ca`, with `subject` and `extensions`. */
async function signLeaf(
  ca: { certPem: string; keyPem: string },
  subject: string,
  extensions: Extension[],
): Promise<{ cert: string; key: string }> {
  const subtle = webcrypto.subtle;
  const alg = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const caKey = await subtle.importKey('pkcs8', PemConverter.decodeFirst(ca.keyPem), alg, false, [
    'sign',
  ]);
  const keys = await subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await X509CertificateGenerator.create(
    {
      subject,
      issuer: new X509Certificate(ca.certPem).subjectName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      publicKey: keys.publicKey,
      signingKey: caKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new BasicConstraintsExtension(false, undefined, true), ...extensions],
    },
    webcrypto as never,
  );
  const key = PemConverter.encode(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { cert: cert.toString('pem'), key };
}

/**
 * A leaf signed by the CA in `caKeyPem`/`caCertPem` that carries no URI SAN at all,
 * for testing the callee's `VIGIL_TRANSPORT_NO_SPIFFE_ID` refusal (`@vigil/pki` never
 * issues such a certificate).
 */
export function issueCertificateWithoutSpiffeId(ca: {
  certPem: string;
  keyPem: string;
}): Promise<{ cert: string; key: string }> {
  return signLeaf(ca, 'CN=anonymous', []);
}

/**
 * A leaf shaped as csi-driver-spiffe requests it (cert-manager/csi-driver-spiffe v0.15.0,
 * internal/csi/driver/driver.go `generateRequest`, and its approver's evaluator): an
 * ECDSA P-256 key, an empty subject, exactly one URI SAN `spiffeId`, no DNS names, key
 * usages digital signature and key encipherment, extended usages server and client auth.
 */
export function issueDriverStyleCertificate(
  ca: { certPem: string; keyPem: string },
  spiffeId: string,
): Promise<{ cert: string; key: string }> {
  return signLeaf(ca, '', [
    new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment, true),
    new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth, ExtendedKeyUsage.clientAuth]),
    new SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }], true),
  ]);
}
