/**
 * The contract every {@link SessionTable} meets, run by each backend's test file through
 * {@link SessionStore}: idle and absolute ends, random tokens with derived CSRF tokens,
 * revocation, the per-user cap, OIDC roles, and — where the backend persists — a session
 * that outlives the table it was opened on.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { csrfMatches, SessionStore } from './sessions.js';
import type { SessionTable } from './session-table.js';

export interface SessionBackend {
  /** A fresh, empty table. */
  open(t: TestContext): Promise<SessionTable>;
  /** Another table on the same storage (a restarted process, another replica), if the backend persists. */
  reopen?(t: TestContext): Promise<SessionTable>;
}

export function sessionTableContract(name: string, backend: SessionBackend): void {
  test(`${name}: a session ends after its idle time unless used, and at its absolute end regardless`, async (t) => {
    let now = 1_000;
    const sessions = new SessionStore(await backend.open(t), {
      idleMs: 100,
      absoluteMs: 250,
      now: () => now,
    });
    const { token } = await sessions.create('ana');
    now += 90;
    assert.equal((await sessions.get(token))?.userId, 'ana');
    now += 90;
    assert.ok(await sessions.get(token), 'used within the idle time: still live');
    now += 60;
    assert.ok(await sessions.get(token));
    now += 10;
    assert.equal(await sessions.get(token), undefined, 'absolute end');
    const idle = (await sessions.create('ana')).token;
    now += 100;
    assert.equal(await sessions.get(idle), undefined, 'idle end');
  });

  test(`${name}: tokens and CSRF tokens are random per session; a signed-out token is refused`, async (t) => {
    const sessions = new SessionStore(await backend.open(t));
    const a = await sessions.create('ana');
    const b = await sessions.create('ana');
    assert.notEqual(a.token, b.token);
    assert.notEqual(a.session.csrfToken, b.session.csrfToken);
    assert.equal(csrfMatches(a.session, a.session.csrfToken), true);
    assert.equal(csrfMatches(a.session, b.session.csrfToken), false);
    assert.equal(csrfMatches(a.session, undefined), false);
    assert.equal((await sessions.get(a.token))?.csrfToken, a.session.csrfToken, 'derived again');
    await sessions.destroy(a.token);
    assert.equal(await sessions.get(a.token), undefined);
    assert.ok(await sessions.get(b.token));
  });

  test(`${name}: keeps at most maxPerUser live sessions per user, revoking the oldest`, async (t) => {
    let now = 1_000;
    const sessions = new SessionStore(await backend.open(t), { maxPerUser: 2, now: () => now++ });
    const first = (await sessions.create('ana')).token;
    const other = (await sessions.create('bob')).token;
    await sessions.create('ana');
    await sessions.create('ana');
    assert.equal(await sessions.get(first), undefined);
    assert.ok(await sessions.get(other), "another user's session is not counted");
  });

  test(`${name}: an OIDC session keeps the role mapped at sign-in; a password session has none`, async (t) => {
    const sessions = new SessionStore(await backend.open(t));
    const oidc = await sessions.create('oidc.ana', { via: 'oidc', role: 'analyst' });
    const local = await sessions.create('bob');
    assert.deepEqual(
      [(await sessions.get(oidc.token))?.via, (await sessions.get(oidc.token))?.role],
      ['oidc', 'analyst'],
    );
    assert.equal((await sessions.get(local.token))?.role, undefined);
    assert.equal(await sessions.oidcRole('oidc.ana'), 'analyst');
    assert.equal(await sessions.oidcRole('bob'), undefined);
    await sessions.destroy(oidc.token);
    assert.equal(await sessions.oidcRole('oidc.ana'), undefined, 'no live session, no role');
  });

  const reopen = backend.reopen;
  if (reopen)
    test(`${name}: a session opened on one table is accepted on another over the same storage, and a sign-out on either ends it`, async (t) => {
      const before = new SessionStore(await backend.open(t));
      const { token, session } = await before.create('ana');
      const after = new SessionStore(await reopen(t));
      const found = await after.get(token);
      assert.equal(found?.userId, 'ana');
      assert.equal(found?.csrfToken, session.csrfToken);
      await after.destroy(token);
      assert.equal(await before.get(token), undefined);
    });
}
