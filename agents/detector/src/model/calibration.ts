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
