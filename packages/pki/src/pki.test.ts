import 'reflect-metadata';
import assert from 'node:assert/strict';
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { webcrypto } from 'node:crypto';
import { BasicConstraintsExtension, X509CertificateGenerator } from '@peculiar/x509';
import {
  CLOCK_SKEW_MS,
  DEFAULT_LEAF_VALIDITY_HOURS,
  PKI_ERROR_CODES,
  agentCredentialPaths,
  createCertificateAuthority,
  ensureIdentities,
  inspectCertificate,
  issueAgentCertificate,
  issueLeafCertificate,
  loadAgentCredentials,
  loadAgentCredentialsSync,
  pkiPaths,
  verifyCertificateChain,
} from './index.js';

const system = {
  trustDomain: 'test.vigil.local',
  agents: [{ name: 'detector' }, { name: 'analyst' }],
};
const HOUR = 3_600_000;

function stateDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const mode = (path: string): number => statSync(path).mode & 0o777;

test('writes the CA key and agent keys 0600, certificates 0644, directories 0700, and no temp files', async (t) => {
  const dir = stateDir(t);
  await ensureIdentities(dir, system);
  const paths = pkiPaths(dir);
  assert.equal(mode(paths.caKey), 0o600);
  assert.equal(mode(paths.caCert), 0o644);
  assert.equal(mode(paths.dir), 0o700);
  assert.equal(mode(paths.agentsDir), 0o700);
  for (const agent of system.agents) {
    const files = agentCredentialPaths(dir, agent.name);
    assert.equal(mode(files.key), 0o600, `${agent.name}.key`);
    assert.equal(mode(files.cert), 0o644, `${agent.name}.crt`);
  }
  assert.deepEqual(readdirSync(paths.dir).sort(), ['agents', 'ca.crt', 'ca.key']);
  assert.deepEqual(readdirSync(paths.agentsDir).sort(), [
    'analyst.crt',
    'analyst.key',
    'detector.crt',
    'detector.key',
  ]);
});

test('issues a leaf whose only URI SAN is the agent SPIFFE ID, with serverAuth and clientAuth', async (t) => {
  const dir = stateDir(t);
  await ensureIdentities(dir, system);
  const creds = await loadAgentCredentials(dir, 'detector');
  const info = inspectCertificate(creds.cert);
  assert.equal(creds.spiffeId, 'spiffe://test.vigil.local/agent/detector');
  assert.equal(info.spiffeId, 'spiffe://test.vigil.local/agent/detector');
  assert.deepEqual(info.uris, ['spiffe://test.vigil.local/agent/detector']);
  assert.deepEqual([...info.extendedKeyUsages].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  assert.equal(info.isCa, false);
  assert.match(info.subject, /CN=detector/);
  const ca = inspectCertificate(creds.ca);
  assert.equal(ca.isCa, true);
  assert.equal(info.issuer, ca.subject);
  // The fingerprint is the SHA-256 of the DER certificate, as openssl prints it.
  assert.equal(info.fingerprintSha256, new NodeX509Certificate(creds.cert).fingerprint256);
  assert.deepEqual(loadAgentCredentialsSync(dir, 'detector'), creds);
});

test('gives leaves a default validity of 24 hours from issuance (back-dated by the clock-skew allowance)', async (t) => {
  const dir = stateDir(t);
  const now = new Date('2026-03-01T12:00:00Z');
  const [issued] = await ensureIdentities(dir, system, { now, agents: ['detector'] });
  assert.equal(DEFAULT_LEAF_VALIDITY_HOURS, 24);
  assert.equal(issued!.notAfter.getTime(), now.getTime() + 24 * HOUR);
  assert.equal(issued!.notBefore.getTime(), now.getTime() - CLOCK_SKEW_MS);
  const custom = await issueAgentCertificate(dir, system, 'analyst', { now, validityHours: 2 });
  assert.equal(custom.notAfter.getTime(), now.getTime() + 2 * HOUR);
});

test('renews a leaf only once 2/3 of its lifetime has passed', async (t) => {
  const dir = stateDir(t);
  const t0 = new Date('2026-03-01T00:00:00Z');
  const first = await ensureIdentities(dir, system, { now: t0, agents: ['detector'] });
  assert.equal(first[0]!.issued, true);
  const lifetime = first[0]!.notAfter.getTime() - first[0]!.notBefore.getTime();
  const threshold = first[0]!.notBefore.getTime() + (lifetime * 2) / 3;

  const before = await ensureIdentities(dir, system, {
    now: new Date(threshold - 1000),
    agents: ['detector'],
  });
  assert.equal(before[0]!.issued, false);
  assert.equal(before[0]!.fingerprintSha256, first[0]!.fingerprintSha256);

  const after = await ensureIdentities(dir, system, {
    now: new Date(threshold + 1000),
    agents: ['detector'],
  });
  assert.equal(after[0]!.issued, true);
  assert.equal(after[0]!.reason, 'renewal-due');
  assert.notEqual(after[0]!.fingerprintSha256, first[0]!.fingerprintSha256);
});

test('re-issues a leaf whose key does not match, and loading such a pair fails with VIGIL_PKI_KEY_MISMATCH', async (t) => {
  const dir = stateDir(t);
  await ensureIdentities(dir, system);
  const detector = agentCredentialPaths(dir, 'detector');
  const analyst = agentCredentialPaths(dir, 'analyst');
  writeFileSync(detector.key, readFileSync(analyst.key), { mode: 0o600 });
  await assert.rejects(loadAgentCredentials(dir, 'detector'), {
    code: PKI_ERROR_CODES.KEY_MISMATCH,
  });
  const [renewed] = await ensureIdentities(dir, system, { agents: ['detector'] });
  assert.equal(renewed!.reason, 'key-mismatch');
  await loadAgentCredentials(dir, 'detector');
});

test('re-issues leaves that no longer chain to the CA', async (t) => {
  const dir = stateDir(t);
  await ensureIdentities(dir, system);
  const otherCa = await createCertificateAuthority({ trustDomain: system.trustDomain });
  const foreign = await issueLeafCertificate(otherCa, {
    spiffeId: 'spiffe://test.vigil.local/agent/detector',
    commonName: 'detector',
    notAfter: new Date(Date.now() + HOUR),
  });
  const paths = agentCredentialPaths(dir, 'detector');
  writeFileSync(paths.cert, foreign.certPem);
  writeFileSync(paths.key, foreign.keyPem, { mode: 0o600 });
  const [renewed] = await ensureIdentities(dir, system, { agents: ['detector'] });
  assert.equal(renewed!.reason, 'untrusted');
  const creds = await loadAgentCredentials(dir, 'detector');
  assert.equal(verifyCertificateChain(creds.cert, creds.ca).ok, true);
});

test('refuses to issue for an undeclared agent or without a CA', async (t) => {
  const dir = stateDir(t);
  await assert.rejects(issueAgentCertificate(dir, system, 'detector'), {
    code: PKI_ERROR_CODES.CA_MISSING,
  });
  await ensureIdentities(dir, system);
  await assert.rejects(issueAgentCertificate(dir, system, 'notifer'), {
    code: PKI_ERROR_CODES.UNKNOWN_AGENT,
    message: /"notifer" is not declared/,
  });
  await assert.rejects(loadAgentCredentials(dir, 'ghost'), {
    code: PKI_ERROR_CODES.IDENTITY_MISSING,
  });
});

test('verifyCertificateChain accepts a valid leaf and names each failure with its own code', async () => {
  const ca = await createCertificateAuthority({ trustDomain: 'td.example' });
  const otherCa = await createCertificateAuthority({ trustDomain: 'td.example' });
  const now = new Date();
  const leaf = await issueLeafCertificate(ca, {
    spiffeId: 'spiffe://td.example/agent/a',
    commonName: 'a',
    notAfter: new Date(now.getTime() + HOUR),
  });
  const ok = verifyCertificateChain(leaf.certPem, ca.certPem, now);
  assert.deepEqual(ok.ok && ok.spiffeId, 'spiffe://td.example/agent/a');

  const untrusted = verifyCertificateChain(leaf.certPem, otherCa.certPem, now);
  assert.equal(!untrusted.ok && untrusted.code, PKI_ERROR_CODES.CHAIN_UNTRUSTED);

  const expired = verifyCertificateChain(
    leaf.certPem,
    ca.certPem,
    new Date(now.getTime() + 2 * HOUR),
  );
  assert.equal(!expired.ok && expired.code, PKI_ERROR_CODES.CERT_EXPIRED);

  const early = await issueLeafCertificate(ca, {
    spiffeId: 'spiffe://td.example/agent/a',
    commonName: 'a',
    notBefore: new Date(now.getTime() + HOUR),
    notAfter: new Date(now.getTime() + 2 * HOUR),
  });
  const notYet = verifyCertificateChain(early.certPem, ca.certPem, now);
  assert.equal(!notYet.ok && notYet.code, PKI_ERROR_CODES.CERT_NOT_YET_VALID);

  const isCa = verifyCertificateChain(ca.certPem, ca.certPem, now);
  assert.equal(!isCa.ok && isCa.code, PKI_ERROR_CODES.CERT_IS_CA);

  const garbage = verifyCertificateChain('not a certificate', ca.certPem, now);
  assert.equal(!garbage.ok && garbage.code, PKI_ERROR_CODES.CERT_INVALID);

  // A trust bundle with both CAs (a CA rotation) accepts leaves of either.
  const bundle = `${otherCa.certPem}\n${ca.certPem}`;
  assert.equal(verifyCertificateChain(leaf.certPem, bundle, now).ok, true);
});

test('verifyCertificateChain answers for the exact bytes: a verified leaf vouches neither for another identity nor under another bundle', async () => {
  const ca = await createCertificateAuthority({ trustDomain: 'td.example' });
  const otherCa = await createCertificateAuthority({ trustDomain: 'td.example' });
  const notAfter = new Date(Date.now() + HOUR);
  const issue = (authority: typeof ca, name: string) =>
    issueLeafCertificate(authority, {
      spiffeId: `spiffe://td.example/agent/${name}`,
      commonName: name,
      notAfter,
    });
  const [a, b, impostor] = await Promise.all([issue(ca, 'a'), issue(ca, 'b'), issue(otherCa, 'a')]);
  const spiffeIdOf = (pem: string, bundle: string) => {
    const result = verifyCertificateChain(pem, bundle);
    return result.ok ? result.spiffeId : result.code;
  };

  assert.equal(spiffeIdOf(a.certPem, ca.certPem), 'spiffe://td.example/agent/a');
  assert.equal(spiffeIdOf(b.certPem, ca.certPem), 'spiffe://td.example/agent/b');
  assert.equal(spiffeIdOf(impostor.certPem, ca.certPem), PKI_ERROR_CODES.CHAIN_UNTRUSTED);
  assert.equal(spiffeIdOf(a.certPem, otherCa.certPem), PKI_ERROR_CODES.CHAIN_UNTRUSTED);
  assert.equal(spiffeIdOf(a.certPem, ca.certPem), 'spiffe://td.example/agent/a');
});

test('verifyCertificateChain checks the issuing CA is still valid on every call', async () => {
  const now = new Date();
  const ca = await createCertificateAuthority({ trustDomain: 'td.example', validityDays: 1, now });
  const leaf = await issueLeafCertificate(ca, {
    spiffeId: 'spiffe://td.example/agent/a',
    commonName: 'a',
    notAfter: new Date(now.getTime() + 72 * HOUR),
    now,
  });
  assert.equal(verifyCertificateChain(leaf.certPem, ca.certPem, now).ok, true);
  const later = verifyCertificateChain(
    leaf.certPem,
    ca.certPem,
    new Date(now.getTime() + 48 * HOUR),
  );
  assert.equal(!later.ok && later.code, PKI_ERROR_CODES.CHAIN_UNTRUSTED);
});

test('verifyCertificateChain rejects a CA-signed leaf without a SPIFFE ID', async () => {
  const ca = await createCertificateAuthority({ trustDomain: 'td.example' });
  const subtle = webcrypto.subtle;
  const alg = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const caKey = await subtle.importKey(
    'pkcs8',
    Buffer.from(ca.keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
    alg,
    false,
    ['sign'],
  );
  const keys = await subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await X509CertificateGenerator.create(
    {
      subject: 'CN=no-san',
      issuer: new NodeX509Certificate(ca.certPem).subject.replace(/\n/g, ', '),
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + HOUR),
      publicKey: keys.publicKey,
      signingKey: caKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new BasicConstraintsExtension(false, undefined, true)],
    },
    webcrypto as never,
  );
  const result = verifyCertificateChain(cert.toString('pem'), ca.certPem);
  assert.equal(!result.ok && result.code, PKI_ERROR_CODES.NO_SPIFFE_ID);
});
