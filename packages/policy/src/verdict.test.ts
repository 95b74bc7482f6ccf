import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createCertificateAuthority, issueLeafCertificate } from '@vigil/pki';
import { POLICY_ERROR_CODES } from './errors.js';
import type { Verdict } from './review.js';
import { VERDICT_CODES, signDocument } from './signing.js';
import { createTestPki, REMEDIATOR, REVIEWER, TRUST_DOMAIN } from './testing/fixtures.js';
import type { ProposedAction } from './types.js';
import {
  APPROVAL_JWS_TYPE,
  VERDICT_JWS_TYPE,
  signApproval,
  signVerdict,
  verifyApproval,
  verifyVerdict,
} from './verdict.js';

const pki = createTestPki();
after(() => pki.cleanup());
const reviewer = pki.issue(REVIEWER);
const analyst = pki.issue(`spiffe://${TRUST_DOMAIN}/agent/analyst`);
const alice = pki.issue(`spiffe://${TRUST_DOMAIN}/user/alice`);
// Issued with the others, before NOW: openssl's notBefore is the second of issue, not back-dated.
const bob = pki.issue(`spiffe://${TRUST_DOMAIN}/user/bob`);
const foreign = pki.other().issue(REVIEWER);

const ACTION: ProposedAction = {
  type: 'isolate-pod',
  target: { kind: 'Pod', namespace: 'shop', name: 'web-1' },
  parameters: {},
};
// Certificates are valid from their issue time (now) for a day; verdicts are dated now.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);

function verdictOf(decision: Verdict['decision'], extra: Partial<Verdict> = {}): Verdict {
  return {
    decision,
    reasons: ['no deny, escalate or mutate rule applies'],
    rules: ['allow.no-objection'],
    confidence: 0.86,
    revision: 'sha256:' + 'a'.repeat(64),
    action: ACTION,
    reviewedAction: ACTION,
    rounds: [],
    ...extra,
  };
}

const verifyOptions = (action: unknown = ACTION) => ({
  action,
  caPem: pki.caPem,
  expectedSigner: REVIEWER,
  now: new Date(NOW.getTime() + 1000),
});

function rejectsWith(code: string) {
  return (error: unknown): boolean => {
    assert.equal((error as { code?: string }).code, code, String(error));
    return true;
  };
}

describe('signed verdicts', () => {
  test('verifies an allow verdict for the exact action it was given for', async () => {
    const jws = await signVerdict(verdictOf('allow'), reviewer, { ttlSeconds: 300, now: NOW });
    const verified = await verifyVerdict(jws, verifyOptions());
    assert.equal(verified.decision, 'allow');
    assert.equal(verified.executable, true);
    assert.equal(verified.signer, REVIEWER);
    assert.equal(verified.confidence, 0.86);
    assert.equal(verified.expiresAt.getTime(), NOW.getTime() + 300_000);
    assert.match(verified.actionDigest, /^sha256:[0-9a-f]{64}$/);
  });

  test('binds to the canonical action: key order does not matter', async () => {
    const jws = await signVerdict(verdictOf('allow'), reviewer, { ttlSeconds: 300, now: NOW });
    const reordered = {
      parameters: {},
      target: { name: 'web-1', namespace: 'shop', kind: 'Pod' },
      type: 'isolate-pod',
    };
    assert.equal((await verifyVerdict(jws, verifyOptions(reordered))).decision, 'allow');
  });

  test('refuses an unsigned verdict', async () => {
    const jws = await signVerdict(verdictOf('allow'), reviewer, { ttlSeconds: 300, now: NOW });
    const [header, payload] = jws.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: VERDICT_JWS_TYPE })).toString('base64url')}.${payload}.`;
    for (const unsigned of [
      { decision: 'allow' },
      '',
      'allow',
      `${header}.${payload}.`,
      none,
      undefined,
    ]) {
      await assert.rejects(
        verifyVerdict(unsigned, verifyOptions()),
        rejectsWith(POLICY_ERROR_CODES.VERDICT_UNSIGNED),
      );
    }
  });

  test('refuses a verdict signed by another agent of the same CA', async () => {
    const jws = await signVerdict(verdictOf('allow'), analyst, { ttlSeconds: 300, now: NOW });
    await assert.rejects(
      verifyVerdict(jws, verifyOptions()),
      rejectsWith(POLICY_ERROR_CODES.VERDICT_WRONG_SIGNER),
    );
  });

  test('refuses a verdict signed with a reviewer identity from another CA', async () => {
    const jws = await signVerdict(verdictOf('allow'), foreign, { ttlSeconds: 300, now: NOW });
    await assert.rejects(
      verifyVerdict(jws, verifyOptions()),
      rejectsWith(POLICY_ERROR_CODES.VERDICT_UNTRUSTED_SIGNER),
    );
  });

  test('a verified signer certificate vouches only for its own bytes, under its own CA, while valid', async () => {
    const genuine = await signVerdict(verdictOf('allow'), reviewer, { ttlSeconds: 300, now: NOW });
    const impostor = await signVerdict(verdictOf('allow'), foreign, { ttlSeconds: 300, now: NOW });
    assert.equal((await verifyVerdict(genuine, verifyOptions())).signer, REVIEWER);

    await assert.rejects(
      verifyVerdict(impostor, verifyOptions()),
      rejectsWith(POLICY_ERROR_CODES.VERDICT_UNTRUSTED_SIGNER),
    );
    await assert.rejects(
      verifyVerdict(genuine, { ...verifyOptions(), caPem: pki.other().caPem }),
      rejectsWith(POLICY_ERROR_CODES.VERDICT_UNTRUSTED_SIGNER),
    );
    await assert.rejects(
      verifyVerdict(genuine, { ...verifyOptions(), now: new Date(NOW.getTime() + 2 * 86_400_000) }),
      rejectsWith(POLICY_ERROR_CODES.VERDICT_UNTRUSTED_SIGNER),
    );
  });

  test('a signer that signed once lends its key to no other certificate, nor its certificate to another key', async () => {
    await signVerdict(verdictOf('allow'), reviewer, { ttlSeconds: 300, now: NOW });
    await assert.rejects(
      signVerdict(
        verdictOf('allow'),
        { ...reviewer, certPem: analyst.certPem },
        { ttlSeconds: 300 },
      ),
      rejectsWith(POLICY_ERROR_CODES.CONFIG),
    );
    await assert.rejects(
      signVerdict(
        verdictOf('allow'),
        { ...analyst, privateKeyPem: reviewer.privateKeyPem },
        { ttlSeconds: 300 },
      ),
      rejectsWith(POLICY_ERROR_CODES.CONFIG),
    );
  });

  test('refuses a verdict for a different action', async () => {
    const jws = await signVerdict(verdictOf('allow'), reviewer, { ttlSeconds: 300, now: NOW });
    const other = { ...ACTION, target: { ...ACTION.target, name: 'web-2' } };
    await assert.rejects(
      verifyVerdict(jws, verifyOptions(other)),
      rejectsWith(POLICY_ERROR_CODES.VERDICT_ACTION_MISMATCH),
    );
  });

  test('refuses an expired verdict', async () => {
    const jws = await signVerdict(verdictOf('allow'), reviewer, { ttlSeconds: 60, now: NOW });
    await assert.rejects(
      verifyVerdict(jws, { ...verifyOptions(), now: new Date(NOW.getTime() + 60_000) }),
      rejectsWith(POLICY_ERROR_CODES.VERDICT_EXPIRED),
    );
  });

  test('refuses a verdict whose payload was altered after signing', async () => {
    const jws = await signVerdict(
      verdictOf('escalate', { rules: ['escalate.blast-radius'] }),
      reviewer,
      {
        ttlSeconds: 300,
        now: NOW,
      },
    );
    const [header, payload, signature] = jws.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const forged = Buffer.from(JSON.stringify({ ...claims, decision: 'allow' })).toString(
      'base64url',
    );
    await assert.rejects(
      verifyVerdict(`${header}.${forged}.${signature}`, verifyOptions()),
      rejectsWith(POLICY_ERROR_CODES.VERDICT_BAD_SIGNATURE),
    );
  });

  test('executes a mutate verdict only with its mutated action', async () => {
    const mutated: ProposedAction = {
      type: 'isolate-pod',
      target: ACTION.target,
      parameters: { pods: ['web-1'] },
    };
    const proposed: ProposedAction = { type: 'delete-pod', target: ACTION.target, parameters: {} };
    const jws = await signVerdict(
      verdictOf('mutate', {
        action: proposed,
        reviewedAction: mutated,
        mutatedAction: mutated,
        rules: ['mutate.delete-pod-to-isolate'],
      }),
      reviewer,
      { ttlSeconds: 300, now: NOW },
    );
    const verified = await verifyVerdict(jws, verifyOptions(mutated));
    assert.equal(verified.decision, 'mutate');
    assert.deepEqual(verified.mutatedAction, mutated);
    await assert.rejects(verifyVerdict(jws, verifyOptions(proposed)), (error: unknown) => {
      rejectsWith(POLICY_ERROR_CODES.VERDICT_ACTION_MISMATCH)(error);
      assert.match(String(error), /only its mutated action may run/);
      return true;
    });
  });

  test('a deny or escalate verdict never permits execution, but verifies for audit', async () => {
    for (const decision of ['deny', 'escalate'] as const) {
      const jws = await signVerdict(verdictOf(decision), reviewer, { ttlSeconds: 300, now: NOW });
      await assert.rejects(
        verifyVerdict(jws, verifyOptions()),
        rejectsWith(POLICY_ERROR_CODES.VERDICT_NOT_EXECUTABLE),
      );
      const audited = await verifyVerdict(jws, { ...verifyOptions(), requireExecutable: false });
      assert.equal(audited.decision, decision);
      assert.equal(audited.executable, false);
    }
  });

  test('refuses a signer key that does not match its certificate, without echoing the key', async () => {
    await assert.rejects(
      signVerdict(
        verdictOf('allow'),
        { ...reviewer, privateKeyPem: analyst.privateKeyPem },
        { ttlSeconds: 300 },
      ),
      (error: unknown) => {
        rejectsWith(POLICY_ERROR_CODES.CONFIG)(error);
        assert.doesNotMatch(String(error), /PRIVATE KEY/);
        return true;
      },
    );
    await assert.rejects(
      signVerdict(verdictOf('allow'), { ...reviewer, privateKeyPem: 'nope' }, { ttlSeconds: 300 }),
      (error: unknown) => rejectsWith(POLICY_ERROR_CODES.CONFIG)(error),
    );
  });

  test('refuses a signed document of another type as a verdict', async () => {
    const approval = await signApproval(
      { action: ACTION, decision: 'approve', comment: 'ok' },
      alice,
      { ttlSeconds: 300, now: NOW },
    );
    await assert.rejects(
      verifyVerdict(approval, { ...verifyOptions(), expectedSigner: alice.spiffeId }),
      rejectsWith(POLICY_ERROR_CODES.VERDICT_MALFORMED),
    );
  });
});

describe('signed approvals', () => {
  const approvalOptions = (action: unknown = ACTION) => ({
    action,
    caPem: pki.caPem,
    approvers: [alice.spiffeId],
    now: new Date(NOW.getTime() + 1000),
  });

  test('verifies a human approval bound to the exact action', async () => {
    const jws = await signApproval(
      { action: ACTION, decision: 'approve', comment: 'contained, go', verdictId: 'v-1' },
      alice,
      {
        ttlSeconds: 3600,
        now: NOW,
      },
    );
    const verified = await verifyApproval(jws, approvalOptions());
    assert.equal(verified.approver, alice.spiffeId);
    assert.equal(verified.comment, 'contained, go');
    assert.equal(verified.verdictId, 'v-1');
  });

  test('refuses an approval for a different action', async () => {
    const jws = await signApproval({ action: ACTION, decision: 'approve', comment: '' }, alice, {
      ttlSeconds: 3600,
      now: NOW,
    });
    await assert.rejects(
      verifyApproval(jws, approvalOptions({ ...ACTION, type: 'delete-pod' })),
      rejectsWith(POLICY_ERROR_CODES.APPROVAL_ACTION_MISMATCH),
    );
  });

  test('refuses an expired approval', async () => {
    const jws = await signApproval({ action: ACTION, decision: 'approve', comment: '' }, alice, {
      ttlSeconds: 10,
      now: NOW,
    });
    await assert.rejects(
      verifyApproval(jws, { ...approvalOptions(), now: new Date(NOW.getTime() + 10_001) }),
      rejectsWith(POLICY_ERROR_CODES.APPROVAL_EXPIRED),
    );
  });

  test('a rejection does not permit execution', async () => {
    const jws = await signApproval({ action: ACTION, decision: 'reject', comment: 'no' }, alice, {
      ttlSeconds: 3600,
      now: NOW,
    });
    await assert.rejects(
      verifyApproval(jws, approvalOptions()),
      rejectsWith(POLICY_ERROR_CODES.APPROVAL_REJECTED),
    );
    assert.equal(
      (await verifyApproval(jws, { ...approvalOptions(), requireApproved: false })).decision,
      'reject',
    );
  });

  test('agents cannot approve: refused when signing and when verifying', async () => {
    await assert.rejects(
      signApproval({ action: ACTION, decision: 'approve', comment: '' }, reviewer, {
        ttlSeconds: 60,
      }),
      rejectsWith(POLICY_ERROR_CODES.CONFIG),
    );
    // Forge one with the low-level signer to check the verifier refuses it on its own.
    const { jws } = await signDocument(
      APPROVAL_JWS_TYPE,
      { decision: 'approve', comment: '', action_digest: 'sha256:' + '0'.repeat(64) },
      reviewer,
      { ttlSeconds: 60, now: NOW },
    );
    await assert.rejects(
      verifyApproval(jws, { ...approvalOptions(), approvers: undefined }),
      rejectsWith(POLICY_ERROR_CODES.APPROVAL_WRONG_SIGNER),
    );
  });

  test('refuses an approver outside the allowed list and an unsigned approval', async () => {
    const jws = await signApproval({ action: ACTION, decision: 'approve', comment: '' }, bob, {
      ttlSeconds: 60,
      now: NOW,
    });
    await assert.rejects(
      verifyApproval(jws, approvalOptions()),
      rejectsWith(POLICY_ERROR_CODES.APPROVAL_WRONG_SIGNER),
    );
    await assert.rejects(
      verifyApproval({ approved: true }, approvalOptions()),
      rejectsWith(POLICY_ERROR_CODES.APPROVAL_UNSIGNED),
    );
  });
});

test('every verification failure has its own code', () => {
  assert.equal(new Set(Object.values(VERDICT_CODES)).size, Object.values(VERDICT_CODES).length);
  assert.ok(REMEDIATOR.startsWith('spiffe://'));
});

describe('with identities issued by @vigil/pki', () => {
  test('a verdict signed with a pki-issued reviewer key verifies against the pki CA; an approval by a pki user too', async () => {
    const ca = await createCertificateAuthority({ trustDomain: TRUST_DOMAIN });
    const notAfter = new Date(Date.now() + 3_600_000);
    const leaf = await issueLeafCertificate(ca, {
      spiffeId: REVIEWER,
      commonName: 'reviewer',
      notAfter,
    });
    const signer = { spiffeId: REVIEWER, privateKeyPem: leaf.keyPem, certPem: leaf.certPem };
    const jws = await signVerdict(verdictOf('allow'), signer, { ttlSeconds: 300 });
    const verified = await verifyVerdict(jws, {
      action: ACTION,
      caPem: ca.certPem,
      expectedSigner: REVIEWER,
    });
    assert.equal(verified.signer, REVIEWER);
    // The same verdict against the openssl test CA: another CA, refused.
    await assert.rejects(
      verifyVerdict(jws, { action: ACTION, caPem: pki.caPem, expectedSigner: REVIEWER }),
      rejectsWith(POLICY_ERROR_CODES.VERDICT_UNTRUSTED_SIGNER),
    );
    const carol = `spiffe://${TRUST_DOMAIN}/user/carol`;
    const user = await issueLeafCertificate(ca, { spiffeId: carol, commonName: 'carol', notAfter });
    const approval = await signApproval(
      { action: ACTION, decision: 'approve', comment: 'ok' },
      { spiffeId: carol, privateKeyPem: user.keyPem, certPem: user.certPem },
      { ttlSeconds: 300 },
    );
    assert.equal(
      (await verifyApproval(approval, { action: ACTION, caPem: ca.certPem })).approver,
      carol,
    );
  });
});
