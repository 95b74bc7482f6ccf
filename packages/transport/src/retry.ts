/** Retry policy for idempotent calls: exponential back-off with full jitter. */
export interface RetryPolicy {
  /** Attempts in total, the first included (default 3). 1 disables retries. */
  maxAttempts?: number;
  /** Back-off cap of the first retry (default 50 ms); doubles each retry. */
  baseDelayMs?: number;
  /** Upper bound of any back-off (default 1 s). */
  maxDelayMs?: number;
}

/**
 * "Full jitter" back-off (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 * a uniformly random delay in [0, min(maxDelay, base * 2^retry)). `retry` counts from 0.
 */
export function fullJitterDelay(
  retry: number,
  policy: Required<Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>>,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * cap);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
