import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { hashPassword } from '../password-hash.js';
import { opsApiFixture, TEST_ORIGIN } from '../testing/ops-api-fixture.js';
import { addConsoleUser, addUser } from '../users.js';
import { LoginThrottle } from './login-throttle.js';
import { CSRF_HEADER, SESSION_COOKIE } from './sessions.js';

const PASSWORD = 'correct horse battery';

async function consoleFixture(t: TestContext, throttle?: LoginThrottle) {
  const fixture = await opsApiFixture(t, throttle ? { throttle } : {});
  const hash = await hashPassword(PASSWORD);
  addConsoleUser(fixture.dir, 'ana', 'analyst', hash);
  addConsoleUser(fixture.dir, 'val', 'viewer', hash);
  addUser(fixture.dir, 'root', 'admin', { passwordHash: hash });
  const login = (user: string, password = PASSWORD, headers: Record<string, string> = {}) =>
    fixture.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { origin: TEST_ORIGIN, ...headers },
      payload: { user, password },
    });
  /** Signs in and returns the headers a browser page would send on unsafe requests. */
  const signIn = async (user: string) => {
    const response = await login(user);
    assert.equal(response.statusCode, 200, response.body);
    const cookie = cookieOf(response);
    return {
      cookie: `${SESSION_COOKIE}=${cookie.value}`,
      origin: TEST_ORIGIN,
      [CSRF_HEADER]: response.json<{ csrfToken: string }>().csrfToken,
    };
  };
  return { ...fixture, login, signIn };
}

function cookieOf(response: LightMyRequestResponse) {
  const cookie = response.cookies.find((c) => c.name === SESSION_COOKIE);
  assert.ok(cookie, 'the session cookie is set');
  return cookie as typeof cookie & { value: string };
}

const decision = { reason: 'contain it', approval: 'a.b.c' };

test('sign-in sets an HttpOnly, Secure, SameSite=Strict session cookie and returns the CSRF token', async (t) => {
  const { login, app } = await consoleFixture(t);
  const response = await login('ana');
  assert.equal(response.statusCode, 200);
  const header = String(response.headers['set-cookie']);
  assert.match(header, /HttpOnly/);
  assert.match(header, /Secure/);
  assert.match(header, /SameSite=Strict/);
  assert.match(header, /Path=\//);
  const body = response.json<{ user: { id: string; role: string }; csrfToken: string }>();
  assert.deepEqual(body.user, { id: 'ana', role: 'analyst' });
  assert.ok(body.csrfToken.length >= 40);
  const me = await app.inject({
    url: '/v1/session',
    headers: { cookie: `${SESSION_COOKIE}=${cookieOf(response).value}` },
  });
  assert.equal(me.statusCode, 200);
  assert.equal(me.json<{ csrfToken: string }>().csrfToken, body.csrfToken);
});

test('a wrong password, an unknown user and a token-only user are refused alike (401)', async (t) => {
  const { login } = await consoleFixture(t);
  for (const [user, password] of [
    ['ana', 'wrong password'],
    ['nobody', PASSWORD],
    ['alice', PASSWORD],
  ] as const) {
    const response = await login(user, password);
    assert.equal(response.statusCode, 401);
    assert.equal(response.json<{ code: string }>().code, 'VIGIL_API_BAD_CREDENTIALS');
    assert.equal(response.headers['set-cookie'], undefined);
  }
});

test('a sign-in posted from another origin is refused (login CSRF)', async (t) => {
  const { login } = await consoleFixture(t);
  const response = await login('ana', PASSWORD, { origin: 'http://evil.example' });
  assert.equal(response.statusCode, 403);
  assert.equal(response.json<{ code: string }>().code, 'VIGIL_API_CSRF');
});

test('an unsafe request with the session cookie needs the CSRF token and the console origin', async (t) => {
  const { app, signIn, decided } = await consoleFixture(t);
  const headers = await signIn('ana');
  const post = (h: Record<string, string | undefined>) =>
    app.inject({
      method: 'POST',
      url: '/v1/approvals/inc-1%2Fp-1/reject',
      headers: Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >,
      payload: decision,
    });
  for (const bad of [
    { ...headers, [CSRF_HEADER]: undefined },
    { ...headers, [CSRF_HEADER]: 'forged' },
    { ...headers, origin: 'http://evil.example' },
    { ...headers, origin: undefined },
  ]) {
    const response = await post(bad);
    assert.equal(response.statusCode, 403);
    assert.equal(response.json<{ code: string }>().code, 'VIGIL_API_CSRF');
  }
  assert.equal(decided.length, 0);
  const ok = await post(headers);
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(decided[0]?.by, 'user:ana');
});

test("one session's CSRF token does not pass for another session", async (t) => {
  const { app, signIn } = await consoleFixture(t);
  const first = await signIn('ana');
  const second = await signIn('ana');
  const response = await app.inject({
    method: 'DELETE',
    url: '/v1/session',
    headers: { ...first, [CSRF_HEADER]: second[CSRF_HEADER] },
  });
  assert.equal(response.json<{ code: string }>().code, 'VIGIL_API_CSRF');
});

test('a viewer signed in to the console cannot approve (403 VIGIL_APPROVAL_FORBIDDEN)', async (t) => {
  const { app, signIn, decided } = await consoleFixture(t);
  const response = await app.inject({
    method: 'POST',
    url: '/v1/approvals/inc-1%2Fp-1/approve',
    headers: await signIn('val'),
    payload: decision,
  });
  assert.equal(response.statusCode, 403);
  assert.equal(response.json<{ code: string }>().code, 'VIGIL_APPROVAL_FORBIDDEN');
  assert.equal(decided.length, 0);
});

test('an analyst cannot administer users; an admin adds one who can then sign in', async (t) => {
  const { app, signIn, login } = await consoleFixture(t);
  const analyst = await signIn('ana');
  const newUser = { id: 'nia', role: 'analyst', password: 'another long password' };
  for (const request of [
    { method: 'GET' as const, url: '/v1/users' },
    { method: 'POST' as const, url: '/v1/users', payload: newUser },
  ]) {
    const response = await app.inject({ ...request, headers: analyst });
    assert.equal(response.statusCode, 403);
    assert.equal(response.json<{ code: string }>().code, 'VIGIL_API_FORBIDDEN');
  }
  assert.equal((await login('nia', newUser.password)).statusCode, 401);
  const admin = await signIn('root');
  const created = await app.inject({
    method: 'POST',
    url: '/v1/users',
    headers: admin,
    payload: newUser,
  });
  assert.equal(created.statusCode, 200, created.body);
  assert.equal((await login('nia', newUser.password)).statusCode, 200);
  const list = await app.inject({ url: '/v1/users', headers: admin });
  assert.ok(list.json<{ users: { id: string }[] }>().users.some((u) => u.id === 'nia'));
});

test('a demoted user loses the right at the next request of the same session', async (t) => {
  const { app, signIn, dir } = await consoleFixture(t);
  const headers = await signIn('ana');
  addConsoleUser(dir, 'ana', 'viewer', await hashPassword(PASSWORD));
  const response = await app.inject({
    method: 'POST',
    url: '/v1/approvals/inc-1%2Fp-1/approve',
    headers,
    payload: decision,
  });
  assert.equal(response.statusCode, 403);
});

test('sign-out ends the session: its cookie no longer authenticates', async (t) => {
  const { app, signIn } = await consoleFixture(t);
  const headers = await signIn('ana');
  const out = await app.inject({ method: 'DELETE', url: '/v1/session', headers });
  assert.equal(out.statusCode, 204);
  assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
  const after = await app.inject({ url: '/v1/incidents', headers: { cookie: headers.cookie } });
  assert.equal(after.statusCode, 401);
});

test('repeated wrong passwords for one user get 429 with Retry-After, even with the right one', async (t) => {
  let now = 1_000_000;
  const throttle = new LoginThrottle({ now: () => now });
  const { login } = await consoleFixture(t, throttle);
  for (let i = 0; i < 5; i++) assert.equal((await login('ana', 'wrong password')).statusCode, 401);
  const locked = await login('ana');
  assert.equal(locked.statusCode, 429);
  assert.equal(locked.json<{ code: string }>().code, 'VIGIL_API_THROTTLED');
  assert.equal(locked.headers['retry-after'], '30');
  // Another user from the same address is not locked out by ana's failures.
  assert.equal((await login('val')).statusCode, 200);
  now += 30_000;
  assert.equal((await login('ana')).statusCode, 200);
});

test('many users tried from one address lock that address out (429)', async (t) => {
  const throttle = new LoginThrottle({ limits: { user: 5, address: 3 } });
  const { login } = await consoleFixture(t, throttle);
  for (const user of ['u1', 'u2', 'u3']) assert.equal((await login(user, 'guess')).statusCode, 401);
  const response = await login('ana');
  assert.equal(response.statusCode, 429);
  assert.ok(Number(response.headers['retry-after']) > 0);
});
