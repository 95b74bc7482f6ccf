import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEntry } from './entry.js';
import { complianceTrend, MAX_TREND_POINTS, trendBuckets } from './metrics-trend.js';

const window = (from: string, to: string) => ({ from: new Date(from), to: new Date(to) });

test('trend buckets cover the window exactly, aligned, at most MAX_TREND_POINTS of them', () => {
  for (const [from, to] of [
    ['2026-12-07T11:58:30Z', '2026-12-07T12:00:00Z'],
    ['2026-12-07T10:13:07Z', '2026-12-07T12:13:07Z'],
    ['2026-11-30T12:00:00Z', '2026-12-07T12:00:00Z'],
    ['2025-12-07T00:00:00Z', '2026-12-07T00:00:00Z'],
  ] as const) {
    const w = window(from, to);
    const buckets = trendBuckets(w);
    assert.ok(
      buckets.length >= 1 && buckets.length <= MAX_TREND_POINTS + 1,
      `${from}: ${buckets.length}`,
    );
    assert.equal(buckets[0]!.from.getTime(), w.from.getTime());
    assert.equal(buckets.at(-1)!.to.getTime(), w.to.getTime());
    for (let i = 1; i < buckets.length; i++)
      assert.equal(buckets[i]!.from.getTime(), buckets[i - 1]!.to.getTime());
  }
  // Two hours fall into 5-minute buckets on the 5-minute marks.
  const two = trendBuckets(window('2026-12-07T10:13:07Z', '2026-12-07T12:13:07Z'));
  assert.equal(two[1]!.from.toISOString(), '2026-12-07T10:15:00.000Z');
});

const REVIEWER = 'spiffe://trend.test/agent/reviewer';
let n = 0;
function verdict(time: string, decision: string): AuditEntry {
  n += 1;
  return {
    v: 2,
    sequence: n,
    chain: `${REVIEWER}#1`,
    chainSeq: n,
    time,
    traceId: null,
    spanId: null,
    correlationId: null,
    actor: REVIEWER,
    kind: 'verdict',
    what: { decision },
    why: { reasons: ['r'] },
    inputDigest: null,
    outputDigest: null,
    prevHash: '0'.repeat(64),
    hash: String(n).padStart(64, '0'),
  };
}

test('each trend point holds the metrics of its own interval; an empty interval is a gap, not a zero', () => {
  const w = window('2026-12-07T10:00:00Z', '2026-12-07T10:03:00Z'); // three 1-minute buckets
  const entries = [
    verdict('2026-12-07T10:00:10Z', 'mutate'),
    verdict('2026-12-07T10:00:50Z', 'deny'),
    // 10:01 has nothing
    verdict('2026-12-07T10:02:30Z', 'mutate'),
    verdict('2026-12-07T10:03:00Z', 'deny'), // the window's end is exclusive
  ];
  const trend = complianceTrend(
    entries,
    w,
    {
      agents: [
        {
          name: 'reviewer',
          role: 'reviewer',
          permissions: { rules: [], tools: ['review'] },
          autonomy: { autoExecute: [] },
        },
      ],
      spiffeIdOf: (name) => `spiffe://trend.test/agent/${name}`,
    },
    new Map([[`${REVIEWER}#1`, REVIEWER]]),
  );
  assert.deepEqual(
    trend.map((p) => [p.from, p.entries, p.mutationRate, p.fiveSignalCoverage === null]),
    [
      ['2026-12-07T10:00:00.000Z', 2, 0.5, false],
      ['2026-12-07T10:01:00.000Z', 0, null, true],
      ['2026-12-07T10:02:00.000Z', 1, 1, false],
    ],
  );
  assert.equal(trend[0]!.leastAgency, 0); // one tool granted, none autonomous
});
