/**
 * Alert threshold calibration: the detector flags an event when its score is above the
 * threshold, and the threshold is the (1 − rate) quantile of the baseline's own scores —
 * so on traffic like the baseline about `rate` of events become findings. A target alert
 * rate and a contamination estimate (the share of the baseline believed anomalous) give
 * the same computation; the model file records which one was asked for.
 */
export interface Calibration {
  readonly method: 'alert-rate' | 'contamination';
  /** The target share of events above the threshold, in [0, 1). */
  readonly rate: number;
  /** Baseline events the quantiles were computed on. */
  readonly baselineEvents: number;
  /** Share of baseline events actually above the threshold (ties can make it lower). */
  readonly baselineAlertRate: number;
  /**
   * The novelty gate: an event with at least `minUnseen` values the baseline never had
   * is an anomaly whatever its forest score (0: gate off). `baselineShare` is the share of
   * baseline rows (counted leave-one-out, so a baseline singleton counts as unseen — the
   * Good–Turing estimate of how often normal traffic brings something new) at or above it.
   */
  readonly novelty: {
    readonly minUnseen: number;
    readonly baselineShare: number;
    /**
     * How much of the estate's own history the baseline is: its span in seconds and its
     * event count when it was the estate's (`vigil detector train`), 0 for a generated
     * baseline. The online gate's warm-up (`novelty-gate.ts`) counts it.
     */
    readonly estateHistorySeconds?: number;
    readonly estateHistoryEvents?: number;
  };
  /** Baseline score quantiles, for drift monitoring and the docs. */
  readonly quantiles: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly p999: number;
    readonly max: number;
  };
}

/**
 * The threshold above which a `rate` share of `scores` lies, and the calibration record.
 * @throws RangeError when `rate` is outside [0, 1) or there are no scores.
 */
export function calibrateThreshold(
  scores: Float64Array,
  rate: number,
  method: Calibration['method'] = 'alert-rate',
  novelty: Calibration['novelty'] = { minUnseen: 0, baselineShare: 0 },
): { threshold: number; calibration: Calibration } {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`${method} must be in [0, 1), got ${rate}`);
  const n = scores.length;
  if (n === 0) throw new RangeError('no baseline scores to calibrate on');
  const sorted = Float64Array.from(scores).sort();
  const at = (q: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  // Order statistic: at most floor(rate · n) scores are strictly above it.
  const threshold = rate === 0 ? sorted[n - 1]! : at(1 - rate);
  let above = 0;
  for (let i = 0; i < n; i++) if (scores[i]! > threshold) above++;
  return {
    threshold,
    calibration: {
      method,
      rate,
      baselineEvents: n,
      baselineAlertRate: above / n,
      novelty,
      quantiles: {
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        p999: at(0.999),
        max: sorted[n - 1]!,
      },
    },
  };
}

/**
 * The lowest gate: one new thing (a new destination address, a new pod) is everyday
 * traffic, and it usually shows in two columns — the value and a pair that contains it —
 * so it takes at least three never-seen values to call an event novel.
 */
export const MIN_NOVELTY_GATE = 3;

/**
 * The novelty gate for a baseline whose leave-one-out unseen counts are `unseen`: the
 * smallest k ≥ {@link MIN_NOVELTY_GATE} such that at most `budget` of the baseline has k
 * or more unseen values (0 — off — when no k up to the number of columns qualifies or the
 * budget is 0).
 */
export function calibrateNovelty(
  unseen: Float64Array,
  budget: number,
  columns: number,
): Calibration['novelty'] {
  const n = unseen.length;
  if (n === 0 || !(budget > 0)) return { minUnseen: 0, baselineShare: 0 };
  const atLeast = new Float64Array(columns + 2);
  for (let i = 0; i < n; i++)
    atLeast[Math.min(columns + 1, Math.max(0, Math.floor(unseen[i]!)))]! += 1;
  for (let k = columns; k >= 0; k--) atLeast[k] = atLeast[k]! + atLeast[k + 1]!;
  for (let k = MIN_NOVELTY_GATE; k <= columns; k++) {
    const share = atLeast[k]! / n;
    if (share <= budget) return { minUnseen: k, baselineShare: share };
  }
  return { minUnseen: 0, baselineShare: 0 };
}
