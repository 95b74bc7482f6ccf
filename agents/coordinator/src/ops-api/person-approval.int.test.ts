import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { digestOf } from '@vigil/core';
import {
  createCertificateRequest,
  createPersonKey,
  signDecision,
  type PersonKeyPair,
} from '@vigil/approval-signing';
import {
  ensureCertificateAuthority,
  issueLeafCertificate,
  issueUserCredentials,
  roleOfCertificate,
} from '@vigil/pki';
import { signApproval } from '@vigil/policy';
import { createPolicyAuthoriser } from '@vigil/remediator';
import { hashPassword } from '../password-hash.js';
import { opsApiFixture, TEST_ORIGIN, TEST_TRUST_DOMAIN } from '../testing/ops-api-fixture.js';
import { addConsoleUser } from '../users.js';
import { CSRF_HEADER, SESSION_COOKIE } from './sessions.js';

const PASSWORD = 'correct horse battery';
const REVIEWER = `spiffe://${TEST_TRUST_DOMAIN}/agent/reviewer`;

/**
 * Everything the console's page does, in Node's WebCrypto: sign in, make a
 * non-extractable key, have it certified with a CSR, sign the decision, post it.
 */
async function browserSession(t: TestContext) {
  const fixture = await opsApiFixture(t);
  const ca = await ensureCertificateAuthority(fixture.dir, TEST_TRUST_DOMAIN);
  const hash = await hashPassword(PASSWORD);
  addConsoleUser(fixture.dir, 'ana', 'analyst', hash);
  addConsoleUser(fixture.dir, 'val', 'viewer', hash);
  const signIn = async (user: string) => {
    const login = await fixture.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { origin: TEST_ORIGIN },
      payload: { user, password: PASSWORD },
    });
    assert.equal(login.statusCode, 200, login.body);
    const cookie = login.cookies.find((c) => c.name === SESSION_COOKIE)!;
    return {
      cookie: `${SESSION_COOKIE}=${cookie.value}`,
      origin: TEST_ORIGIN,
      [CSRF_HEADER]: login.json<{ csrfToken: string }>().csrfToken,
    };
  };
  const certify = async (headers: Record<string, string>, keys: PersonKeyPair, name: string) => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/v1/session/certificate',
      headers,
      payload: { csr: await createCertificateRequest(keys, name) },
    });
    return response;
  };
  const authoriser = createPolicyAuthoriser({ caPem: ca.certPem, reviewer: REVIEWER });
  return { ...fixture, ca, signIn, certify, authoriser };
}

test('a person signs in, has their own key certified and approves; the remediator accepts it', async (t) => {
  const { signIn, certify, app, decided, action, authoriser } = await browserSession(t);
  const headers = await signIn('ana');
  const keys = await createPersonKey();
  const issued = await certify(headers, keys, 'someone-else');
  assert.equal(issued.statusCode, 200, issued.body);
  const cert = issued.json<{ certificate: string; spiffeId: string; role: string }>();
  // Named after the signed-in user and role, not after what the CSR asked for.
  assert.equal(cert.spiffeId, `spiffe://${TEST_TRUST_DOMAIN}/user/ana`);
  assert.equal(roleOfCertificate(cert.certificate), 'analyst');
  const approval = await signDecision(
    { action, decision: 'approve', comment: 'confirmed miner', ttlSeconds: 300 },
    { privateKey: keys.privateKey, certificatePem: cert.certificate },
  );
  const posted = await app.inject({
    method: 'POST',
    url: '/v1/approvals/inc-1%2Fp-1/approve',
    headers,
    payload: { reason: 'confirmed miner', approval },
  });
  assert.equal(posted.statusCode, 200, posted.body);
  assert.equal(decided[0]?.approval, approval);
  const record = await authoriser.authorise({ kind: 'approval', jws: approval }, action as never);
  assert.equal(record.by, `spiffe://${TEST_TRUST_DOMAIN}/user/ana`);
});

test('an approval the server makes with its own keys is refused by the remediator', async (t) => {
  const { dir, ca, action, authoriser } = await browserSession(t);
  const refused = async (jws: string) =>
    assert.rejects(
      authoriser.authorise({ kind: 'approval', jws }, action as never),
      (e: Error & { code?: string; details?: Record<string, unknown> }) =>
        e.code === 'VIGIL_REMEDIATOR_UNAUTHORISED' &&
        e.details?.['reason'] === 'VIGIL_APPROVAL_WRONG_SIGNER',
    );
  // 1. The coordinator's own SPIFFE identity: an agent never approves.
  const coordinator = await issueLeafCertificate(ca, {
    spiffeId: `spiffe://${TEST_TRUST_DOMAIN}/agent/coordinator`,
    commonName: 'coordinator',
    notAfter: new Date(Date.now() + 3_600_000),
  });
  await refused(
    forgeApproval(coordinator, `spiffe://${TEST_TRUST_DOMAIN}/agent/coordinator`, action),
  );
  // 2. A user certificate the server mints for ana itself (its key, no CSR from her session).
  const minted = await issueUserCredentials(dir, TEST_TRUST_DOMAIN, 'ana');
  await refused(
    await signApproval(
      { action, decision: 'approve', comment: 'server says so' },
      { spiffeId: minted.spiffeId, privateKeyPem: minted.key, certPem: minted.cert },
      { ttlSeconds: 300 },
    ),
  );
});

test("a viewer's certified key cannot approve, and a CSR not signed by its key is refused", async (t) => {
  const { signIn, certify, action, authoriser, app } = await browserSession(t);
  const headers = await signIn('val');
  const keys = await createPersonKey();
  const issued = await certify(headers, keys, 'val');
  assert.equal(issued.statusCode, 200);
  const viewerApproval = await signDecision(
    { action, decision: 'approve', comment: 'I am only a viewer', ttlSeconds: 300 },
    {
      privateKey: keys.privateKey,
      certificatePem: issued.json<{ certificate: string }>().certificate,
    },
  );
  await assert.rejects(
    authoriser.authorise({ kind: 'approval', jws: viewerApproval }, action as never),
    { code: 'VIGIL_REMEDIATOR_UNAUTHORISED' },
  );
  // Flip one character inside the CSR's signature: it no longer proves possession of its key.
  const csr = (await createCertificateRequest(keys, 'val')).split('\n');
  const line = csr.length - 3;
  csr[line] = csr[line]!.replace(/[A-Za-z]/, (c) => (c === 'A' ? 'B' : 'A'));
  const tampered = await app.inject({
    method: 'POST',
    url: '/v1/session/certificate',
    headers,
    payload: { csr: csr.join('\n') },
  });
  assert.equal(tampered.statusCode, 400);
  assert.equal(tampered.json<{ code: string }>().code, 'VIGIL_PKI_CSR_INVALID');
  const unauthenticated = await app.inject({
    method: 'POST',
    url: '/v1/session/certificate',
    payload: { csr: await createCertificateRequest(keys, 'val') },
  });
  assert.equal(unauthenticated.statusCode, 401, 'no session, no certificate');
});

/** A decision JWS signed with any PEM key, bypassing `signApproval`'s own refusals. */
function forgeApproval(
  material: { certPem: string; keyPem: string },
  iss: string,
  action: unknown,
): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const der = Buffer.from(
    material.certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''),
    'base64',
  ).toString('base64');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'ES256', typ: 'vigil-approval+jws', x5c: [der] })}.${b64({
    decision: 'approve',
    comment: 'forged',
    action_digest: digestOf(action),
    iss,
    iat: now,
    exp: now + 300,
    jti: 'forged-1',
  })}`;
  const signature = sign('sha256', Buffer.from(input), {
    key: createPrivateKey(material.keyPem),
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}
