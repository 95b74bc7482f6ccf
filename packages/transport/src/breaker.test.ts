import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitBreaker, type CircuitState } from './breaker.js';
import { fullJitterDelay } from './retry.js';

test('opens after the failure threshold and refuses until the reset timeout passes', () => {
  let now = 0;
  const changes: [CircuitState, CircuitState][] = [];
  const breaker = new CircuitBreaker({
    failureThreshold: 2,
    resetTimeoutMs: 100,
    now: () => now,
    onStateChange: (from, to) => changes.push([from, to]),
  });
  assert.equal(breaker.tryAcquire(), true);
  breaker.onFailure();
  assert.equal(breaker.state, 'closed');
  assert.equal(breaker.tryAcquire(), true);
  breaker.onFailure();
  assert.equal(breaker.state, 'open');
  assert.equal(breaker.tryAcquire(), false);
  now = 60;
  assert.equal(breaker.retryAfterMs(), 40);
  assert.equal(breaker.tryAcquire(), false);
  now = 100;
  assert.equal(breaker.state, 'half-open');
  assert.deepEqual(changes, [
    ['closed', 'open'],
    ['open', 'half-open'],
  ]);
});

test('half-open admits exactly one probe; success closes, failure re-opens', () => {
  let now = 0;
  const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 10, now: () => now });
  breaker.tryAcquire();
  breaker.onFailure();
  now = 10;
  assert.equal(breaker.tryAcquire(), true);
  assert.equal(breaker.tryAcquire(), false, 'a second concurrent probe is refused');
  breaker.onFailure();
  assert.equal(breaker.state, 'open');
  now = 20;
  assert.equal(breaker.tryAcquire(), true);
  breaker.onSuccess();
  assert.equal(breaker.state, 'closed');
  assert.equal(breaker.tryAcquire(), true);
});

test('a success in the closed state resets the consecutive-failure count', () => {
  const breaker = new CircuitBreaker({ failureThreshold: 2, now: () => 0 });
  breaker.onFailure();
  breaker.onSuccess();
  breaker.onFailure();
  assert.equal(breaker.state, 'closed');
});

test('a neutral outcome of a half-open probe (the peer answered) closes the circuit', () => {
  let now = 0;
  const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 5, now: () => now });
  breaker.onFailure();
  now = 5;
  assert.equal(breaker.tryAcquire(), true);
  breaker.onNeutral();
  assert.equal(breaker.state, 'closed');
});

test('full-jitter back-off stays within [0, min(cap, base * 2^retry))', () => {
  const policy = { baseDelayMs: 50, maxDelayMs: 1_000 };
  assert.equal(
    fullJitterDelay(0, policy, () => 0),
    0,
  );
  assert.equal(
    fullJitterDelay(0, policy, () => 0.999),
    49,
  );
  assert.equal(
    fullJitterDelay(3, policy, () => 0.5),
    200,
  );
  assert.equal(
    fullJitterDelay(10, policy, () => 0.999),
    999,
  );
});
