import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, CrashLoopDetector } from './backoff.js';

test('back-off doubles per attempt and is capped at the maximum', () => {
  const upper = (attempt: number): number => backoffDelay(attempt, 100, 1_000, () => 1);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(upper), [100, 200, 400, 800, 1_000, 1_000]);
});

test('back-off jitter keeps at least half of the delay', () => {
  assert.equal(
    backoffDelay(3, 100, 10_000, () => 0),
    200,
  );
  assert.equal(
    backoffDelay(3, 100, 10_000, () => 0.5),
    300,
  );
});

test('back-off stays finite for very large attempt counts', () => {
  assert.equal(
    backoffDelay(10_000, 100, 5_000, () => 1),
    5_000,
  );
});

test('crash loop is detected on the restart after the allowed count within the window', () => {
  const d = new CrashLoopDetector({ restarts: 3, windowMs: 10_000 });
  assert.equal(d.record(0), false);
  assert.equal(d.record(1_000), false);
  assert.equal(d.record(2_000), false);
  assert.equal(d.record(3_000), true);
});

test('restarts older than the window do not count towards a crash loop', () => {
  const d = new CrashLoopDetector({ restarts: 2, windowMs: 1_000 });
  assert.equal(d.record(0), false);
  assert.equal(d.record(500), false);
  assert.equal(d.record(1_600), false);
  assert.equal(d.count(1_600), 1);
  assert.equal(d.record(1_700), false);
  assert.equal(d.record(1_800), true);
});
