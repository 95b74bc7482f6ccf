/**
 * Console sign-in with OpenID Connect against a real provider (oidc-provider on
 * loopback, started here): the authorization code flow with PKCE, state and nonce through
 * openid-client, the claim → role mapping, and the session it opens — the same cookie,
 * CSRF token and role as a password session, then the same certificate route, so the
 * person's approval is signed by the person and accepted by the remediator.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createCertificateRequest, createPersonKey, signDecision } from '@vigil/approval-signing';
import { ensureCertificateAuthority, roleOfCertificate } from '@vigil/pki';
import { createPolicyAuthoriser } from '@vigil/remediator';
import { createApprovalVerifier } from '../approval-verifier.js';
import { opsApiFixture, TEST_ORIGIN, TEST_TRUST_DOMAIN } from '../testing/ops-api-fixture.js';
import { startIdentityProvider, type TestIdentityProvider } from '../testing/oidc-provider.js';
import { OidcLogin, decodePending, encodePending } from './oidc-login.js';
import { oidcSettingsSchema } from './oidc-settings.js';
import { OIDC_CALLBACK_PATH, OIDC_COOKIE } from './routes-oidc.js';
import { CSRF_HEADER, SESSION_COOKIE, SessionStore } from './sessions.js';

const CALLBACK = `${TEST_ORIGIN}${OIDC_CALLBACK_PATH}`;
const ACCOUNTS = [
  // A subject with characters a SPIFFE path cannot hold.
  {
    sub: 'corp|ana',
    claims: { email: 'ana@corp.test', email_verified: true, groups: ['soc-analysts'] },
  },
  { sub: 'bob', claims: { groups: ['soc-analysts', 'vigil-admins'] } },
  { sub: 'carl', claims: { groups: ['marketing'] } },
];

async function oidcFixture(t: TestContext) {
  const idp = await startIdentityProvider(t, ACCOUNTS);
  idp.allowRedirect(CALLBACK);
  const settings = oidcSettingsSchema.parse({
    name: 'Corp SSO',
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecretEnv: 'VIGIL_TEST_OIDC_SECRET',
    redirectUrl: CALLBACK,
    scopes: ['openid', 'email', 'groups'],
    roleClaim: 'groups',
    roles: { analyst: ['soc-analysts'], admin: ['vigil-admins'] },
  });
  const sessions = new SessionStore();
  const oidc = new OidcLogin(settings, { VIGIL_TEST_OIDC_SECRET: idp.clientSecret });
  const fixture = await opsApiFixture(t, { oidc, sessions });
  return { ...fixture, idp, sessions };
}

/** A browser's cookies at the provider (loopback only, so paths and domains are not told apart). */
function cookieJar() {
  const cookies = new Map<string, string>();
  return {
    header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    take(setCookies: string[]) {
      for (const line of setCookies) {
        const [pair = ''] = line.split(';');
        const at = pair.indexOf('=');
        cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
      }
    },
  };
}

/**
 * What the browser does: asks the console to start, follows the provider's redirects
 * (the person signs in as `sub` and consents) and stops where the provider sends it
 * back. Returns the callback URL and the pending-login cookie the console set.
 */
async function throughProvider(
  app: FastifyInstance,
  idp: TestIdentityProvider,
  sub: string,
): Promise<{ callback: URL; pending: string }> {
  const start = await app.inject({ url: '/v1/session/oidc' });
  assert.equal(start.statusCode, 303, start.body);
  const pending = start.cookies.find((c) => c.name === OIDC_COOKIE)?.value;
  assert.ok(pending, 'the pending sign-in cookie is set');
  const setCookie = String(start.headers['set-cookie']);
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Lax/);
  const authorize = new URL(String(start.headers.location));
  assert.equal(authorize.origin, idp.issuer);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(authorize.searchParams.get('state') && authorize.searchParams.get('nonce'));
  idp.signInAs(sub);
  const jar = cookieJar();
  let next = authorize;
  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(response.headers.getSetCookie());
    const location = response.headers.get('location');
    if (!location)
      assert.fail(`the provider answered ${response.status}: ${await response.text()}`);
    next = new URL(location, next);
    if (next.href.startsWith(CALLBACK)) return { callback: next, pending };
  }
  assert.fail('the provider never sent the browser back');
}

const complete = (
  app: FastifyInstance,
  callback: URL,
  pending: string | undefined,
  accept?: string,
) =>
  app.inject({
    url: callback.pathname + callback.search,
    headers: {
      ...(pending ? { cookie: `${OIDC_COOKIE}=${pending}` } : {}),
      ...(accept ? { accept } : {}),
    },
  });

test('an OIDC sign-in opens a session with the mapped role, the same as a password session: cookie, CSRF, certificate, a signed approval the remediator accepts', async (t) => {
  const { app, idp, dir, action, decided, sessions } = await oidcFixture(t);
  const ca = await ensureCertificateAuthority(dir, TEST_TRUST_DOMAIN);
  const methods = await app.inject({ url: '/v1/session/methods' });
  assert.deepEqual(methods.json(), {
    password: true,
    oidc: { name: 'Corp SSO', url: '/v1/session/oidc' },
  });

  const { callback, pending } = await throughProvider(app, idp, 'corp|ana');
  const back = await complete(app, callback, pending, 'text/html');
  assert.equal(back.statusCode, 303, back.body);
  assert.equal(back.headers.location, '/');
  const cookie = back.cookies.find((c) => c.name === SESSION_COOKIE);
  assert.ok(cookie, 'the session cookie is set');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.secure, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(
    back.cookies.find((c) => c.name === OIDC_COOKIE)?.value,
    '',
    'the pending sign-in is spent',
  );

  const me = await app.inject({
    url: '/v1/session',
    headers: { cookie: `${SESSION_COOKIE}=${cookie.value}` },
  });
  assert.equal(me.statusCode, 200, me.body);
  const session = me.json<{ user: { id: string; role: string }; csrfToken: string }>();
  assert.deepEqual(session.user, { id: 'oidc.corp_7Cana', role: 'analyst' });
  const headers = {
    cookie: `${SESSION_COOKIE}=${cookie.value}`,
    origin: TEST_ORIGIN,
    [CSRF_HEADER]: session.csrfToken,
  };

  // The same certificate flow: the person's own key, named after the sanitised subject.
  const keys = await createPersonKey();
  const issued = await app.inject({
    method: 'POST',
    url: '/v1/session/certificate',
    headers,
    payload: { csr: await createCertificateRequest(keys, 'whoever') },
  });
  assert.equal(issued.statusCode, 200, issued.body);
  const cert = issued.json<{ certificate: string; spiffeId: string }>();
  assert.equal(cert.spiffeId, `spiffe://${TEST_TRUST_DOMAIN}/user/oidc.corp_7Cana`);
  assert.equal(roleOfCertificate(cert.certificate), 'analyst');
  const approval = await signDecision(
    { action, decision: 'approve', comment: 'confirmed with the owner', ttlSeconds: 300 },
    { privateKey: keys.privateKey, certificatePem: cert.certificate },
  );
  const posted = await app.inject({
    method: 'POST',
    url: '/v1/approvals/inc-1%2Fp-1/approve',
    headers,
    payload: { reason: 'confirmed with the owner', approval },
  });
  assert.equal(posted.statusCode, 200, posted.body);
  assert.equal(decided[0]?.by, 'user:oidc.corp_7Cana');
  // The coordinator's verifier finds the OIDC user's role in their live session…
  const verify = createApprovalVerifier({
    trustDomain: TEST_TRUST_DOMAIN,
    caPem: () => ca.certPem,
    roleOf: (by) => sessions.oidcRole(by.replace(/^user:/, '')),
  });
  await verify(approval, { action, by: 'user:oidc.corp_7Cana', decision: 'approve' });
  // …and the remediator accepts the person's signature.
  const authoriser = createPolicyAuthoriser({
    caPem: ca.certPem,
    reviewer: `spiffe://${TEST_TRUST_DOMAIN}/agent/reviewer`,
  });
  const record = await authoriser.authorise({ kind: 'approval', jws: approval }, action as never);
  assert.equal(record.by, `spiffe://${TEST_TRUST_DOMAIN}/user/oidc.corp_7Cana`);

  // Sign-out needs the CSRF token, as for a password session, and ends the session.
  assert.equal(
    (
      await app.inject({
        method: 'DELETE',
        url: '/v1/session',
        headers: { cookie: headers.cookie },
      })
    ).statusCode,
    403,
  );
  assert.equal(
    (await app.inject({ method: 'DELETE', url: '/v1/session', headers })).statusCode,
    204,
  );
  assert.equal((await app.inject({ url: '/v1/session', headers })).statusCode, 401);
});

test('the highest role any claim value maps to wins', async (t) => {
  const { app, idp } = await oidcFixture(t);
  const { callback, pending } = await throughProvider(app, idp, 'bob');
  const back = await complete(app, callback, pending);
  const cookie = back.cookies.find((c) => c.name === SESSION_COOKIE)!;
  const me = await app.inject({
    url: '/v1/session',
    headers: { cookie: `${SESSION_COOKIE}=${cookie.value}` },
  });
  assert.deepEqual(me.json<{ user: unknown }>().user, { id: 'oidc.bob', role: 'admin' });
});

test('a callback whose state is not this browser’s, or with no sign-in in progress, is refused', async (t) => {
  const { app, idp } = await oidcFixture(t);
  const { callback, pending } = await throughProvider(app, idp, 'corp|ana');
  const forged = new URL(callback);
  forged.searchParams.set('state', 'attacker-chosen');
  const refused = await complete(app, forged, pending);
  assert.equal(refused.statusCode, 400, refused.body);
  assert.equal(refused.json<{ code: string }>().code, 'VIGIL_API_OIDC_STATE');
  assert.match(refused.json<{ message: string }>().message, /state .* is not the one this browser/);

  // A second sign-in started in the same browser: the first one's callback is crossed.
  const second = await throughProvider(app, idp, 'corp|ana');
  const crossed = await complete(app, second.callback, pending);
  assert.equal(crossed.json<{ code: string }>().code, 'VIGIL_API_OIDC_STATE');

  const none = await complete(app, second.callback, undefined);
  assert.equal(none.statusCode, 400);
  assert.match(none.json<{ message: string }>().message, /no sign-in with Corp SSO is in progress/);
  assert.equal(
    none.cookies.find((c) => c.name === SESSION_COOKIE),
    undefined,
  );
});

test('an ID token whose nonce is not the one this sign-in sent is refused', async (t) => {
  const { app, idp } = await oidcFixture(t);
  const { callback, pending } = await throughProvider(app, idp, 'corp|ana');
  const decoded = decodePending(pending, Date.now())!;
  const tampered = encodePending({ ...decoded, nonce: 'not-the-nonce-the-provider-signed' });
  const refused = await complete(app, callback, tampered);
  assert.equal(refused.statusCode, 400, refused.body);
  assert.equal(refused.json<{ code: string }>().code, 'VIGIL_API_OIDC_STATE');
  assert.match(refused.json<{ message: string }>().message, /nonce/);
  assert.equal(
    refused.cookies.find((c) => c.name === SESSION_COOKIE),
    undefined,
  );
});

test('a person whose claims map to no role is refused, never given a default role', async (t) => {
  const { app, idp } = await oidcFixture(t);
  const { callback, pending } = await throughProvider(app, idp, 'carl');
  const refused = await complete(app, callback, pending);
  assert.equal(refused.statusCode, 403, refused.body);
  assert.equal(refused.json<{ code: string }>().code, 'VIGIL_API_OIDC_NOT_ALLOWED');
  assert.match(
    refused.json<{ message: string }>().message,
    /carl has no role in this console: claim groups is \[marketing\]/,
  );
  assert.equal(
    refused.cookies.find((c) => c.name === SESSION_COOKIE),
    undefined,
  );
  // A browser is sent back to the login page with the code only.
  const again = await throughProvider(app, idp, 'carl');
  const page = await complete(app, again.callback, again.pending, 'text/html,*/*');
  assert.equal(page.statusCode, 303);
  assert.equal(page.headers.location, '/?signin-error=VIGIL_API_OIDC_NOT_ALLOWED');
});

test('an expired authorization code is refused by the provider, and the sign-in with it', async (t) => {
  const { app, idp } = await oidcFixture(t);
  const { callback, pending } = await throughProvider(app, idp, 'corp|ana');
  // The code lives 60 s at the provider: two minutes later (the clock moved, nothing slept).
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 120_000 });
  const refused = await complete(app, callback, pending);
  assert.equal(refused.statusCode, 401, refused.body);
  assert.equal(refused.json<{ code: string }>().code, 'VIGIL_API_OIDC_REFUSED');
  assert.match(
    refused.json<{ message: string }>().message,
    /Corp SSO refused the code: invalid_grant/,
  );
  assert.equal(
    refused.cookies.find((c) => c.name === SESSION_COOKIE),
    undefined,
  );
});

test('the client secret never appears in an answer', async (t) => {
  const { app, idp } = await oidcFixture(t);
  const { callback, pending } = await throughProvider(app, idp, 'carl');
  for (const response of [
    await complete(app, callback, pending),
    await app.inject({ url: '/v1/openapi.json' }),
    await app.inject({ url: '/v1/session/methods' }),
  ])
    assert.equal(response.body.includes(idp.clientSecret), false);
});
