import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { inspectCertificate, verifyCertificateChain } from './certificate.js';
import { ensureCertificateAuthority, issueUserCredentials } from './identities.js';
import { issueUserCertificateForCsr, roleOfCertificate } from './user-certificate.js';

const TD = 'soc.test';
const dir = mkdtempSync(join(tmpdir(), 'vigil-user-cert-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ca = await ensureCertificateAuthority(dir, TD);
const x509Crypto = webcrypto as never;

async function csrFor(algorithm: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams) {
  const keys = (await webcrypto.subtle.generateKey(algorithm, false, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const signingAlgorithm =
    algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : algorithm;
  const csr = await Pkcs10CertificateRequestGenerator.create(
    { name: 'CN=user:mallory', keys, signingAlgorithm },
    x509Crypto,
  );
  return { csrPem: csr.toString('pem'), keys };
}

test("certifies the CSR's own key for the authenticated user and role, at most an hour", async () => {
  const { csrPem } = await csrFor({ name: 'ECDSA', namedCurve: 'P-256' });
  const now = new Date();
  const issued = await issueUserCertificateForCsr(dir, TD, {
    userId: 'ana',
    role: 'analyst',
    csrPem,
    validitySeconds: 86_400,
    now,
  });
  const info = inspectCertificate(issued.certPem);
  assert.equal(info.spiffeId, `spiffe://${TD}/user/ana`, 'the CSR asked for mallory');
  assert.equal(roleOfCertificate(issued.certPem), 'analyst');
  assert.ok(info.notAfter.getTime() <= now.getTime() + 3_600_000);
  assert.equal(verifyCertificateChain(issued.certPem, ca.certPem).ok, true);
});

test('refuses a CSR that is not P-256, not PEM, or not signed by its own key', async () => {
  const rsa = await csrFor({
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  });
  const request = (csrPem: string) =>
    issueUserCertificateForCsr(dir, TD, { userId: 'ana', role: 'analyst', csrPem });
  await assert.rejects(request(rsa.csrPem), { code: 'VIGIL_PKI_CSR_INVALID' });
  await assert.rejects(request('not a csr'), { code: 'VIGIL_PKI_CSR_INVALID' });
  const { csrPem } = await csrFor({ name: 'ECDSA', namedCurve: 'P-256' });
  const lines = csrPem.split('\n');
  lines[lines.length - 3] = lines[lines.length - 3]!.replace(/[A-Za-z]/, (c) =>
    c === 'A' ? 'B' : 'A',
  );
  await assert.rejects(request(lines.join('\n')), { code: 'VIGIL_PKI_CSR_INVALID' });
});

test('certificates minted without a CSR, and agents’, carry no role', async () => {
  const minted = await issueUserCredentials(dir, TD, 'ana');
  assert.equal(roleOfCertificate(minted.cert), undefined);
  assert.equal(roleOfCertificate(ca.certPem), undefined);
  assert.equal(roleOfCertificate('garbage'), undefined);
});

test('a process that holds no local CA refuses with VIGIL_PKI_CA_MISSING, naming the directory', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'vigil-user-cert-no-ca-'));
  after(() => rmSync(empty, { recursive: true, force: true }));
  const { csrPem } = await csrFor({ name: 'ECDSA', namedCurve: 'P-256' });
  await assert.rejects(
    issueUserCertificateForCsr(empty, TD, { userId: 'ana', role: 'analyst', csrPem }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'VIGIL_PKI_CA_MISSING');
      assert.ok(error.message.includes(join(empty, 'pki')), error.message);
      return true;
    },
  );
});
