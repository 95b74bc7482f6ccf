import assert from 'node:assert/strict';
import type { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { digestOf } from '@vigil/core';
import { ensureCertificateAuthority, issueUserCertificateForCsr } from '@vigil/pki';
import { APPROVAL_JWS_TYPE, verifyApproval } from '@vigil/policy';
import {
  actionDigest,
  createCertificateRequest,
  createPersonKey,
  DECISION_JWS_TYPE,
  signDecision,
} from './person-signing.js';

const TD = 'soc.test';
const dir = mkdtempSync(join(tmpdir(), 'vigil-approval-signing-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ca = await ensureCertificateAuthority(dir, TD);

const action = {
  type: 'isolate-pod',
  target: { namespace: 'shop', pod: 'web-1', ü: 'ß' },
  parameters: { mode: 'deny-all', ttl: 1.5e3, nested: { b: [2, 1], a: null } },
};

test('the digest is the RFC 8785 digest @vigil/core binds decisions to', async () => {
  assert.equal(await actionDigest(action), digestOf(action));
  assert.equal(DECISION_JWS_TYPE, APPROVAL_JWS_TYPE);
});

test("the person's private key cannot be exported", async () => {
  const keys = await createPersonKey();
  const privateKey = keys.privateKey as webcrypto.CryptoKey;
  assert.equal(privateKey.extractable, false);
  await assert.rejects(crypto.subtle.exportKey('pkcs8', privateKey));
});

test('a decision signed with WebCrypto verifies as the CLI-signed ones do, bound to the action', async () => {
  const keys = await createPersonKey();
  const issued = await issueUserCertificateForCsr(dir, TD, {
    userId: 'ana',
    role: 'analyst',
    csrPem: await createCertificateRequest(keys, 'ana'),
  });
  const jws = await signDecision(
    { action, decision: 'approve', comment: 'confirmed miner', ttlSeconds: 300 },
    { privateKey: keys.privateKey, certificatePem: issued.certPem },
  );
  const verified = await verifyApproval(jws, {
    action,
    caPem: ca.certPem,
    approverRoles: ['analyst', 'admin'],
  });
  assert.equal(verified.approver, `spiffe://${TD}/user/ana`);
  assert.equal(verified.approverRole, 'analyst');
  assert.equal(verified.comment, 'confirmed miner');
  await assert.rejects(
    verifyApproval(jws, {
      action: { ...action, parameters: { mode: 'allow-all' } },
      caPem: ca.certPem,
    }),
    { code: 'VIGIL_APPROVAL_ACTION_MISMATCH' },
  );
  await assert.rejects(
    verifyApproval(jws, { action, caPem: ca.certPem, now: new Date(Date.now() + 301_000) }),
    { code: 'VIGIL_APPROVAL_EXPIRED' },
  );
});

test('refuses to sign with a certificate that is not a person’s, or without a positive TTL', async () => {
  const keys = await createPersonKey();
  const issued = await issueUserCertificateForCsr(dir, TD, {
    userId: 'ana',
    role: 'analyst',
    csrPem: await createCertificateRequest(keys, 'ana'),
  });
  await assert.rejects(
    signDecision(
      { action, decision: 'approve', comment: 'x', ttlSeconds: 0 },
      { privateKey: keys.privateKey, certificatePem: issued.certPem },
    ),
    TypeError,
  );
  await assert.rejects(
    signDecision(
      { action, decision: 'approve', comment: 'x', ttlSeconds: 60 },
      { privateKey: keys.privateKey, certificatePem: ca.certPem },
    ),
    /not a person/,
  );
});
