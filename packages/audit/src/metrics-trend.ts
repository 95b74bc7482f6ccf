import type { AuditEntry } from './entry.js';
import {
  complianceFromEntries,
  type ComplianceMetrics,
  type ComplianceOptions,
} from './metrics.js';

/** A time window: `from` inclusive, `to` exclusive. */
export interface TimeWindow {
  readonly from: Date;
  readonly to: Date;
}

/** One bucket of the metric trends. */
export interface TrendPoint {
  readonly from: string;
  readonly to: string;
  readonly entries: number;
  /** Σ autonomous ÷ Σ granted over every agent class (the declaration's, so flat unless it changed). */
  readonly leastAgency: number | null;
  /** Σ used ÷ Σ granted over every agent class in the bucket. */
  readonly usedShare: number | null;
  readonly fiveSignalCoverage: number | null;
  readonly mutationRate: number | null;
  readonly verdicts: { readonly mutate: number; readonly deny: number; readonly escalate: number };
}

/** Bucket widths a trend may use, smallest first. */
const BUCKETS_MS = [
  60_000,
  5 * 60_000,
  15 * 60_000,
  3_600_000,
  6 * 3_600_000,
  86_400_000,
  7 * 86_400_000,
] as const;

/** The most points a trend chart shows. */
export const MAX_TREND_POINTS = 60;

/**
 * Consecutive buckets covering `window`, each of the smallest width in {@link BUCKETS_MS}
 * that keeps their number at or below {@link MAX_TREND_POINTS}, aligned to that width
 * (UTC), the first and last clipped to the window.
 */
export function trendBuckets(window: TimeWindow): TimeWindow[] {
  const span = window.to.getTime() - window.from.getTime();
  const width = BUCKETS_MS.find((w) => span / w <= MAX_TREND_POINTS) ?? BUCKETS_MS.at(-1)!;
  const out: TimeWindow[] = [];
  let start = window.from.getTime();
  while (start < window.to.getTime()) {
    const end = Math.min((Math.floor(start / width) + 1) * width, window.to.getTime());
    out.push({ from: new Date(start), to: new Date(end) });
    start = end;
  }
  return out;
}

const share = (n: number, d: number): number | null => (d === 0 ? null : n / d);

/**
 * One interval's values. Coverage, used share and mutation rate are observations: an
 * interval without entries has none (null, a gap in the chart), not a zero.
 */
function trendPoint(bucket: TimeWindow, m: ComplianceMetrics): TrendPoint {
  const granted = m.leastAgency.reduce((s, l) => s + l.granted, 0);
  const observed = m.entries > 0;
  return {
    from: bucket.from.toISOString(),
    to: bucket.to.toISOString(),
    entries: m.entries,
    leastAgency: share(
      m.leastAgency.reduce((s, l) => s + l.autonomous, 0),
      granted,
    ),
    usedShare: observed
      ? share(
          m.leastAgency.reduce((s, l) => s + l.used, 0),
          granted,
        )
      : null,
    fiveSignalCoverage: observed ? m.fiveSignal.coverage : null,
    mutationRate: m.mutation.rate,
    verdicts: { mutate: m.mutation.mutate, deny: m.mutation.deny, escalate: m.mutation.escalate },
  };
}

/**
 * The three compliance metrics over time: {@link complianceFromEntries} of the entries of
 * each of the {@link trendBuckets} of `window` (what `vigil compliance report` charts and
 * the console shows). `entries` are those of the window, in any order.
 */
export function complianceTrend(
  entries: readonly AuditEntry[],
  window: TimeWindow,
  options: Omit<ComplianceOptions, 'since' | 'until'>,
  chainIdentity: ReadonlyMap<string, string>,
): TrendPoint[] {
  const buckets = trendBuckets(window);
  const inside: AuditEntry[][] = buckets.map(() => []);
  const firstFrom = window.from.getTime();
  for (const e of entries) {
    const t = Date.parse(e.time);
    if (t < firstFrom || t >= window.to.getTime()) continue;
    // Buckets are few (≤ MAX_TREND_POINTS + 1): a scan per entry is cheap and exact.
    const i = buckets.findIndex((b) => t < b.to.getTime());
    if (i >= 0) inside[i]!.push(e);
  }
  return buckets.map((bucket, i) =>
    trendPoint(
      bucket,
      complianceFromEntries(
        inside[i]!,
        { ...options, since: bucket.from, until: bucket.to },
        chainIdentity,
      ),
    ),
  );
}
