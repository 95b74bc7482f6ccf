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
 * Records a restart at `now` (ms) in a sliding window of `windowSeconds`: the restarts
 * still inside the window, and whether there are now more than `restarts` of them — a
 * crash loop (the replica is then marked `failed` and no longer restarted). Pure: the
 * caller keeps the returned times.
 */
export function recordRestart(
  times: readonly number[],
  now: number,
  crashLoop: { readonly restarts: number; readonly windowSeconds: number },
): { times: readonly number[]; crashLoop: boolean } {
  const windowMs = crashLoop.windowSeconds * 1000;
  const kept = [...times.filter((t) => now - t < windowMs), now];
  return { times: kept, crashLoop: kept.length > crashLoop.restarts };
}
