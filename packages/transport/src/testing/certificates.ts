import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import {
  BasicConstraintsExtension,
  PemConverter,
  X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';

/**
 * A leaf signed by the CA in `caKeyPem`/`caCertPem` that carries no URI SAN at all,
 * for testing the callee's `VIGIL_TRANSPORT_NO_SPIFFE_ID` refusal (`@vigil/pki` never
 * issues such a certificate).
 */
export async function issueCertificateWithoutSpiffeId(ca: {
  certPem: string;
  keyPem: string;
}): Promise<{ cert: string; key: string }> {
  const subtle = webcrypto.subtle;
  const alg = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const caKey = await subtle.importKey('pkcs8', PemConverter.decodeFirst(ca.keyPem), alg, false, [
    'sign',
  ]);
  const keys = await subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await X509CertificateGenerator.create(
    {
      subject: 'CN=anonymous',
      issuer: new X509Certificate(ca.certPem).subjectName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      publicKey: keys.publicKey,
      signingKey: caKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new BasicConstraintsExtension(false, undefined, true)],
    },
    webcrypto as never,
  );
  const key = PemConverter.encode(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { cert: cert.toString('pem'), key };
}
