import type { Logger } from '@vigil/core';
import { filterNotification } from './untrusted-text.js';
import type { DeliveryResult, Notification, NotificationChannel } from './notification.js';

export interface DeliveryPolicy {
  /** Attempts per delivery, including the first. */
  readonly maxAttempts: number;
  /** First retry delay; doubles each attempt, with full jitter, capped at `maxBackoffMs`. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Deadline of one attempt. A hung channel costs at most this per attempt. */
  readonly attemptTimeoutMs: number;
  /** Token bucket per channel: at most `ratePerMinute` deliveries a minute, bursts up to `burst`. */
  readonly ratePerMinute: number;
  readonly burst: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = Object.freeze({
  maxAttempts: 4,
  initialBackoffMs: 250,
  maxBackoffMs: 5_000,
  attemptTimeoutMs: 10_000,
  ratePerMinute: 30,
  burst: 10,
});

/** Injectable time, so tests drive back-off and rate limits without sleeping. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const REAL_CLOCK: Clock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** How many dedup keys each channel remembers (bounded memory; oldest forgotten first). */
const DEDUP_CAPACITY = 10_000;

/**
 * Fans a notification out to every channel concurrently. Per channel: de-duplication by
 * `dedupKey`, a token-bucket rate limit, bounded retries with exponential back-off and
 * full jitter, and a deadline per attempt — so a failing or hung channel never blocks
 * the incident or the other channels. Returns one {@link DeliveryResult} per channel.
 */
export class Notifier {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();
  private readonly delivered = new Map<string, Set<string>>();

  constructor(
    private readonly channels: readonly NotificationChannel[],
    private readonly policy: DeliveryPolicy = DEFAULT_DELIVERY_POLICY,
    private readonly options: { clock?: Clock; logger?: Logger; random?: () => number } = {},
  ) {}

  /**
   * Delivers `notification` with its untrusted text filtered first (links only to the
   * `DEFAULT_LINK_HOSTS` of `@vigil/soc`, as in the analysis), whatever the channel.
   */
  async notify(notification: Notification): Promise<DeliveryResult[]> {
    const safe = filterNotification(notification);
    return Promise.all(this.channels.map((channel) => this.deliverTo(channel, safe)));
  }

  async close(): Promise<void> {
    await Promise.all(this.channels.map((c) => c.close?.()));
  }

  private async deliverTo(channel: NotificationChannel, n: Notification): Promise<DeliveryResult> {
    const seen = this.seenKeys(channel.name);
    if (seen.has(n.dedupKey)) return { status: 'duplicate', channel: channel.name, attempts: 0 };
    if (!this.takeToken(channel)) {
      this.options.logger?.warn(
        { channel: channel.name, incidentId: n.incidentId },
        'notification rate-limited',
      );
      return { status: 'rate-limited', channel: channel.name, attempts: 0 };
    }
    // Reserve the key before the first attempt so a concurrent duplicate is not sent twice.
    this.remember(seen, n.dedupKey);
    const clock = this.options.clock ?? REAL_CLOCK;
    const random = this.options.random ?? Math.random;
    let lastError = '';
    for (let attempt = 1; attempt <= this.policy.maxAttempts; attempt++) {
      try {
        await channel.deliver(
          n,
          AbortSignal.timeout(channel.attemptTimeoutMs ?? this.policy.attemptTimeoutMs),
        );
        return { status: 'delivered', channel: channel.name, attempts: attempt };
      } catch (error) {
        lastError =
          error instanceof Error
            ? error.name === 'TimeoutError'
              ? 'attempt timed out'
              : error.message
            : String(error);
        this.options.logger?.warn(
          { channel: channel.name, attempt, error: lastError },
          'notification attempt failed',
        );
        if (attempt < this.policy.maxAttempts) {
          const ceiling = Math.min(
            this.policy.maxBackoffMs,
            this.policy.initialBackoffMs * 2 ** (attempt - 1),
          );
          await clock.sleep(Math.floor(random() * ceiling));
        }
      }
    }
    seen.delete(n.dedupKey); // a later notify may try again
    return {
      status: 'failed',
      channel: channel.name,
      attempts: this.policy.maxAttempts,
      error: lastError,
    };
  }

  private seenKeys(channel: string): Set<string> {
    let keys = this.delivered.get(channel);
    if (!keys) this.delivered.set(channel, (keys = new Set()));
    return keys;
  }

  private remember(keys: Set<string>, key: string): void {
    keys.add(key);
    if (keys.size > DEDUP_CAPACITY) keys.delete(keys.values().next().value as string);
  }

  private takeToken(channel: NotificationChannel): boolean {
    const now = (this.options.clock ?? REAL_CLOCK).now();
    const burst = channel.rateLimit?.burst ?? this.policy.burst;
    const perMinute = channel.rateLimit?.perMinute ?? this.policy.ratePerMinute;
    const bucket = this.buckets.get(channel.name) ?? { tokens: burst, updatedAt: now };
    bucket.tokens = Math.min(
      burst,
      bucket.tokens + ((now - bucket.updatedAt) / 60_000) * perMinute,
    );
    bucket.updatedAt = now;
    this.buckets.set(channel.name, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
