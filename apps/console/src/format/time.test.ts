import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countdown, formatAge, formatDuration, formatTime } from './time.js';

test('durations show their two largest units', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(42_999), '42s');
  assert.equal(formatDuration(187_000), '3m 07s');
  assert.equal(formatDuration(3_900_000), '1h 05m');
  assert.equal(formatDuration(90_061_000), '1d 01h');
  assert.equal(formatDuration(-5_000), '0s');
});

test('an age is measured from the given now', () => {
  assert.equal(formatAge(1_000, 61_000), '1m 00s');
});

test('a countdown says expired once its time is up, never a negative time', () => {
  assert.deepEqual(countdown(10_000, 4_000), { expired: false, text: 'expires in 6s' });
  assert.deepEqual(countdown(10_000, 10_000), { expired: true, text: 'expired' });
  assert.deepEqual(countdown(10_000, 99_000), { expired: true, text: 'expired' });
});

test('absolute times are UTC to the second', () => {
  assert.equal(formatTime(Date.UTC(2026, 11, 7, 12, 30, 5, 900)), '2026-12-07T12:30:05Z');
});
