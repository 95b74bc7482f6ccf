/**
 * Login throttling per key (`user:<id>`, `address:<ip>`): once a key has failed `limit`
 * times within `windowMs` it is locked, and every further failure locks it for twice as
 * long as the one before (`baseLockMs`, `2 × baseLockMs`, … up to `maxLockMs`). A success clears
 * the user's key; an address's failures only age out, so one account's password cannot be
 * guessed from many addresses nor many accounts' from one. The table is bounded
 * (`maxKeys`, oldest dropped), so a flood of names cannot exhaust memory.
 */
export interface LoginThrottleOptions {
  readonly limits: { readonly user: number; readonly address: number };
  readonly windowMs: number;
  readonly baseLockMs: number;
  readonly maxLockMs: number;
  readonly maxKeys: number;
  readonly now: () => number;
}

export const DEFAULT_LOGIN_THROTTLE: Omit<LoginThrottleOptions, 'now'> = Object.freeze({
  limits: Object.freeze({ user: 5, address: 20 }),
  windowMs: 15 * 60_000,
  baseLockMs: 30_000,
  maxLockMs: 15 * 60_000,
  maxKeys: 10_000,
});

interface Failures {
  count: number;
  lastAt: number;
  lockedUntil: number;
}

/** The keys one login attempt is counted under. */
export interface LoginKeys {
  readonly user: string;
  readonly address: string;
}

export class LoginThrottle {
  private readonly options: LoginThrottleOptions;
  private readonly failures = new Map<string, Failures>();

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    this.options = { ...DEFAULT_LOGIN_THROTTLE, now: Date.now, ...options };
  }

  /** Milliseconds until an attempt under these keys may be made, or 0 when it may now. */
  retryAfterMs(keys: LoginKeys): number {
    const now = this.options.now();
    return Math.max(0, ...this.entries(keys).map((f) => (f ? f.lockedUntil - now : 0)));
  }

  /** Counts a failed attempt under both keys. */
  fail(keys: LoginKeys): void {
    const now = this.options.now();
    for (const [key, limit] of [
      [`user:${keys.user}`, this.options.limits.user],
      [`address:${keys.address}`, this.options.limits.address],
    ] as const) {
      const previous = this.live(key, now);
      const count = (previous?.count ?? 0) + 1;
      const over = count - limit + 1;
      const lockedUntil =
        over > 0
          ? now + Math.min(this.options.maxLockMs, this.options.baseLockMs * 2 ** (over - 1))
          : 0;
      this.failures.delete(key); // re-inserted last: the Map's order is the age order
      this.failures.set(key, { count, lastAt: now, lockedUntil });
    }
    while (this.failures.size > this.options.maxKeys)
      this.failures.delete(this.failures.keys().next().value!);
  }

  /** A successful sign-in clears the user's failures (not the address's). */
  succeed(keys: LoginKeys): void {
    this.failures.delete(`user:${keys.user}`);
  }

  private entries(keys: LoginKeys): (Failures | undefined)[] {
    const now = this.options.now();
    return [this.live(`user:${keys.user}`, now), this.live(`address:${keys.address}`, now)];
  }

  /** The key's failures, unless they have aged out (no failure for a window, no lock left). */
  private live(key: string, now: number): Failures | undefined {
    const f = this.failures.get(key);
    if (f && now - f.lastAt > this.options.windowMs && now >= f.lockedUntil) {
      this.failures.delete(key);
      return undefined;
    }
    return f;
  }
}
