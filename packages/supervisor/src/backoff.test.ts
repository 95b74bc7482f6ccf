import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, recordRestart } from './backoff.js';

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

function replay(
  at: readonly number[],
  crashLoop: { restarts: number; windowSeconds: number },
): boolean[] {
  let times: readonly number[] = [];
  return at.map((now) => {
    const next = recordRestart(times, now, crashLoop);
    times = next.times;
    return next.crashLoop;
  });
}

test('crash loop is detected on the restart after the allowed count within the window', () => {
  assert.deepEqual(replay([0, 1_000, 2_000, 3_000], { restarts: 3, windowSeconds: 10 }), [
    false,
    false,
    false,
    true,
  ]);
});

test('restarts older than the window do not count towards a crash loop', () => {
  assert.deepEqual(replay([0, 500, 1_600, 1_700, 1_800], { restarts: 2, windowSeconds: 1 }), [
    false,
    false,
    false,
    false,
    true,
  ]);
  assert.deepEqual(recordRestart([0, 500], 1_600, { restarts: 2, windowSeconds: 1 }).times, [
    1_600,
  ]);
});
