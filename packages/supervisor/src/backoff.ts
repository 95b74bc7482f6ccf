/**
 * Delay before restart number `attempt` (1-based): exponential from `initialMs`, capped
 * at `maxMs`, with "equal jitter" — half the delay is fixed, half is random — so
 * replicas that crashed together do not restart in lock-step, while the delay still
 * grows with every attempt.
 */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  // 2 ** 31 is far above any cap; clamp the exponent so the product stays finite.
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(exponent, 31));
  return Math.round(base / 2 + random() * (base / 2));
}

/**
 * Counts restarts in a sliding window: `record()` returns true when the replica has
 * restarted `restarts` times within `windowMs` — a crash loop; it is then marked
 * `failed` and no longer restarted.
 */
export class CrashLoopDetector {
  readonly #restarts: number;
  readonly #windowMs: number;
  #times: number[] = [];

  constructor(opts: { restarts: number; windowMs: number }) {
    this.#restarts = opts.restarts;
    this.#windowMs = opts.windowMs;
  }

  /** Records a restart at `now` (ms); true when that makes a crash loop. */
  record(now: number): boolean {
    this.#times = this.#times.filter((t) => now - t < this.#windowMs);
    this.#times.push(now);
    return this.#times.length > this.#restarts;
  }

  /** Restarts recorded within the window ending at `now`. */
  count(now: number): number {
    return this.#times.filter((t) => now - t < this.#windowMs).length;
  }
}
