import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csrfMatches, SessionStore } from './sessions.js';

test('a session ends after its idle time unless used, and at its absolute end regardless', () => {
  let now = 0;
  const sessions = new SessionStore({ idleMs: 100, absoluteMs: 250, now: () => now });
  const { token } = sessions.create('ana');
  now = 90;
  assert.equal(sessions.get(token)?.userId, 'ana');
  now = 180;
  assert.ok(sessions.get(token), 'used within the idle time: still live');
  now = 240;
  assert.ok(sessions.get(token));
  now = 250;
  assert.equal(sessions.get(token), undefined, 'absolute end');
  const idle = sessions.create('ana').token;
  now += 100;
  assert.equal(sessions.get(idle), undefined, 'idle end');
});

test('tokens and CSRF tokens are random per session; a destroyed token is gone', () => {
  const sessions = new SessionStore();
  const a = sessions.create('ana');
  const b = sessions.create('ana');
  assert.notEqual(a.token, b.token);
  assert.notEqual(a.session.csrfToken, b.session.csrfToken);
  assert.equal(csrfMatches(a.session, a.session.csrfToken), true);
  assert.equal(csrfMatches(a.session, b.session.csrfToken), false);
  assert.equal(csrfMatches(a.session, undefined), false);
  sessions.destroy(a.token);
  assert.equal(sessions.get(a.token), undefined);
  assert.ok(sessions.get(b.token));
});

test('keeps at most maxSessions, dropping the oldest', () => {
  const sessions = new SessionStore({ maxSessions: 2 });
  const first = sessions.create('a').token;
  sessions.create('b');
  sessions.create('c');
  assert.equal(sessions.get(first), undefined);
});
