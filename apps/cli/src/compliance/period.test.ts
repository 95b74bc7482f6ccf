import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TREND_POINTS, parseInstant, parsePeriod, trendBuckets } from './period.js';

const NOW = new Date('2026-12-07T12:00:00.000Z');

test('--from and --to take ISO dates, now, and durations back from now', () => {
  assert.equal(parseInstant('2026-12-01', '--from', NOW).toISOString(), '2026-12-01T00:00:00.000Z');
  assert.equal(
    parseInstant('2026-12-01T08:30:00+01:00', '--from', NOW).toISOString(),
    '2026-12-01T07:30:00.000Z',
  );
  assert.equal(parseInstant('now', '--to', NOW), NOW);
  assert.equal(parseInstant('7d', '--from', NOW).toISOString(), '2026-11-30T12:00:00.000Z');
  assert.throws(() => parseInstant('last week', '--from', NOW), /--from: "last week" is not/);
  assert.throws(() => parseInstant('2026-13-45', '--from', NOW), /--from: "2026-13-45" is not/);
  assert.throws(() => parsePeriod('now', '1h', NOW), /--from .* must be before --to/);
});

test('trend buckets cover the period exactly, aligned, at most MAX_TREND_POINTS of them', () => {
  for (const [from, to] of [
    ['2026-12-07T11:58:30Z', '2026-12-07T12:00:00Z'],
    ['2026-12-07T10:13:07Z', '2026-12-07T12:13:07Z'],
    ['2026-11-30T12:00:00Z', '2026-12-07T12:00:00Z'],
    ['2025-12-07T00:00:00Z', '2026-12-07T00:00:00Z'],
  ] as const) {
    const period = parsePeriod(from, to, NOW);
    const buckets = trendBuckets(period);
    assert.ok(
      buckets.length >= 1 && buckets.length <= MAX_TREND_POINTS + 1,
      `${from}: ${buckets.length}`,
    );
    assert.equal(buckets[0]!.from.getTime(), period.from.getTime());
    assert.equal(buckets.at(-1)!.to.getTime(), period.to.getTime());
    for (let i = 1; i < buckets.length; i++)
      assert.equal(buckets[i]!.from.getTime(), buckets[i - 1]!.to.getTime());
  }
  // Two hours fall into 5-minute buckets on the 5-minute marks.
  const two = trendBuckets(parsePeriod('2026-12-07T10:13:07Z', '2026-12-07T12:13:07Z', NOW));
  assert.equal(two[1]!.from.toISOString(), '2026-12-07T10:15:00.000Z');
});
