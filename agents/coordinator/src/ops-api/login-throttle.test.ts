import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginThrottle } from './login-throttle.js';

const keys = { user: 'ana', address: '127.0.0.1' };

test('locks a user once it reaches the limit, doubling the lock on each further failure up to the cap', () => {
  let now = 0;
  const throttle = new LoginThrottle({
    limits: { user: 2, address: 100 },
    baseLockMs: 1_000,
    maxLockMs: 4_000,
    now: () => now,
  });
  throttle.fail(keys);
  assert.equal(throttle.retryAfterMs(keys), 0, 'below the limit');
  const locks: number[] = [];
  for (let i = 0; i < 4; i++) {
    throttle.fail(keys);
    locks.push(throttle.retryAfterMs(keys));
    now += throttle.retryAfterMs(keys);
  }
  assert.deepEqual(locks, [1_000, 2_000, 4_000, 4_000]);
});

test('a success clears the user but not the address; failures age out after the window', () => {
  let now = 0;
  const throttle = new LoginThrottle({
    limits: { user: 1, address: 1 },
    windowMs: 10_000,
    baseLockMs: 1_000,
    now: () => now,
  });
  throttle.fail(keys);
  throttle.fail(keys);
  now += 1_000;
  throttle.succeed(keys);
  throttle.fail({ user: 'other', address: keys.address });
  assert.ok(throttle.retryAfterMs({ user: 'third', address: keys.address }) > 0);
  now += 20_000;
  assert.equal(throttle.retryAfterMs({ user: 'third', address: keys.address }), 0);
});

test('keeps at most maxKeys entries, dropping the oldest', () => {
  const throttle = new LoginThrottle({ limits: { user: 0, address: 1_000 }, maxKeys: 4 });
  throttle.fail({ user: 'first', address: 'a' });
  for (let i = 0; i < 10; i++) throttle.fail({ user: `u${i}`, address: 'a' });
  assert.equal(throttle.retryAfterMs({ user: 'first', address: 'b' }), 0);
  assert.ok(throttle.retryAfterMs({ user: 'u9', address: 'b' }) > 0);
});
