import type { Logger } from '@vigil/core';
import { maxSeverity } from '@vigil/soc';
import { filterNotification } from './untrusted-text.js';
import {
  HELD_INCIDENTS,
  type DeliveryResult,
  type HeldBack,
  type HoldReason,
  type Notification,
  type NotificationChannel,
} from './notification.js';

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
  /**
   * After a notification of one kind and group goes out on a channel, others alike within
   * this window are held back and summarised once it ends, so one flood costs a channel
   * one delivery and one summary per window, and news unlike it still gets through.
   * 0: only the rate limit holds back.
   */
  readonly similarWindowMs: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = Object.freeze({
  maxAttempts: 4,
  initialBackoffMs: 250,
  maxBackoffMs: 5_000,
  attemptTimeoutMs: 10_000,
  ratePerMinute: 30,
  burst: 10,
  similarWindowMs: 5 * 60_000,
});

/** One summary the notifier sent (or tried to) for what a channel held back. */
export interface SummaryDelivery {
  readonly channel: string;
  readonly summary: Notification;
  readonly heldBack: HeldBack;
  readonly result: DeliveryResult;
}

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

/** Share of a channel's burst that a severity leaves to those above it. */
const SEVERITY_RESERVE: Readonly<Record<Notification['severity'], number>> = Object.freeze({
  low: 0.6,
  medium: 0.4,
  high: 0.2,
  critical: 0,
});

/** Per channel: when each group last went out, and what is held back per group. */
interface ChannelState {
  readonly lastSent: Map<string, number>;
  readonly held: Map<string, HeldBack>;
}

/**
 * Fans a notification out to every channel concurrently. Per channel: de-duplication by
 * `dedupKey`; flood control that never drops: a notification alike (same kind and group)
 * to one sent within `similarWindowMs`, or beyond the channel's token bucket, is held back
 * into that group's summary, which {@link Notifier.flush} sends once the window has passed
 * and the bucket has a token (lower severities leave part of the burst to higher ones) ("N more findings like X since …"); bounded retries with
 * exponential back-off and full jitter, and a deadline per attempt — so a failing or hung
 * channel never blocks the incident or the other channels. Returns one
 * {@link DeliveryResult} per channel.
 */
export class Notifier {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();
  private readonly delivered = new Map<string, Set<string>>();
  private readonly states = new Map<string, ChannelState>();
  private flushing: Promise<SummaryDelivery[]> | undefined;

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

  /** Everything held back now, per channel (for the audit trail and shutdown). */
  heldBack(): { channel: string; heldBack: HeldBack }[] {
    return [...this.states].flatMap(([channel, state]) =>
      [...state.held.values()].map((heldBack) => ({ channel, heldBack })),
    );
  }

  /**
   * Sends the summary of every group whose window has passed, while the channel's bucket
   * has tokens; a summary that fails stays held back (merged with anything held since) for
   * the next flush. Call it periodically; concurrent calls share one pass.
   */
  flush(): Promise<SummaryDelivery[]> {
    this.flushing ??= this.flushAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  async close(): Promise<void> {
    await Promise.all(this.channels.map((c) => c.close?.()));
  }

  private async flushAll(): Promise<SummaryDelivery[]> {
    const clock = this.options.clock ?? REAL_CLOCK;
    const sent: SummaryDelivery[] = [];
    for (const channel of this.channels) {
      const state = this.states.get(channel.name);
      if (state === undefined) continue;
      for (const held of [...state.held.values()]) {
        const last = state.lastSent.get(held.group);
        if (last !== undefined && clock.now() - last < this.policy.similarWindowMs) continue;
        if (!this.takeToken(channel, held.severity)) break;
        // Taken out before sending: what is held back meanwhile starts the next summary.
        state.held.delete(held.group);
        state.lastSent.set(held.group, clock.now());
        // Built from filtered notifications; filtered again as every delivery is.
        const summary = filterNotification(summaryOf(held));
        const result = await this.attempt(channel, summary);
        if (result.status === 'failed') {
          state.lastSent.delete(held.group);
          const since = state.held.get(held.group);
          state.held.set(held.group, since ? merge(held, since) : held);
        }
        sent.push({ channel: channel.name, summary, heldBack: held, result });
      }
    }
    return sent;
  }

  private async deliverTo(channel: NotificationChannel, n: Notification): Promise<DeliveryResult> {
    const seen = this.seenKeys(channel.name);
    if (seen.has(n.dedupKey)) return { status: 'duplicate', channel: channel.name, attempts: 0 };
    const state = this.stateOf(channel.name);
    const group = `${n.kind}|${n.group ?? n.title}`;
    const last = state.lastSent.get(group);
    const now = (this.options.clock ?? REAL_CLOCK).now();
    if (last !== undefined && now - last < this.policy.similarWindowMs)
      return this.holdBack(channel, state, group, n, 'similar');
    if (!this.takeToken(channel, n.severity))
      return this.holdBack(channel, state, group, n, 'rate-limit');
    // Reserve the key before the first attempt so a concurrent duplicate is not sent twice.
    this.remember(seen, n.dedupKey);
    this.rememberIn(state.lastSent, group, now);
    const result = await this.attempt(channel, n);
    if (result.status === 'failed') {
      seen.delete(n.dedupKey); // a later notify may try again
      if (state.lastSent.get(group) === now) state.lastSent.delete(group);
    }
    return result;
  }

  /** Counts `n` into its group's summary on `channel`; it is sent by {@link flush}. */
  private holdBack(
    channel: NotificationChannel,
    state: ChannelState,
    group: string,
    n: Notification,
    reason: HoldReason,
  ): DeliveryResult {
    // A redelivery of a held-back notification is the same news: counted once.
    this.remember(this.seenKeys(channel.name), n.dedupKey);
    const one: HeldBack = {
      group,
      like: n.title,
      since: (this.options.clock ?? REAL_CLOCK).now(),
      notifications: 1,
      findings: n.findings ?? 1,
      incidents: [n.incidentId],
      severity: n.severity,
      reason,
    };
    const before = state.held.get(group);
    const held = before ? merge(before, one) : one;
    state.held.set(group, held);
    this.options.logger?.info(
      {
        channel: channel.name,
        incidentId: n.incidentId,
        group,
        reason,
        pending: held.notifications,
      },
      'notification held back for a summary',
    );
    return {
      status: 'held-back',
      channel: channel.name,
      attempts: 0,
      group,
      reason,
      pending: held.notifications,
    };
  }

  /** Delivers with retries, back-off and a deadline per attempt; a failure is a result. */
  private async attempt(channel: NotificationChannel, n: Notification): Promise<DeliveryResult> {
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
    return {
      status: 'failed',
      channel: channel.name,
      attempts: this.policy.maxAttempts,
      error: lastError,
    };
  }

  private stateOf(channel: string): ChannelState {
    let state = this.states.get(channel);
    if (!state) this.states.set(channel, (state = { lastSent: new Map(), held: new Map() }));
    return state;
  }

  private rememberIn(map: Map<string, number>, key: string, value: number): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > DEDUP_CAPACITY) map.delete(map.keys().next().value as string);
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

  /**
   * Takes a token for a notification of `severity`: lower severities leave a share of the
   * burst (see {@link SEVERITY_RESERVE}) to higher ones, so a flood of high findings cannot
   * hold back the critical one that arrives after it.
   */
  private takeToken(channel: NotificationChannel, severity: Notification['severity']): boolean {
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
    if (bucket.tokens - 1 < Math.floor(burst * SEVERITY_RESERVE[severity])) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** Two digests of one group as one: counts add, the earlier start and first title stay. */
function merge(a: HeldBack, b: HeldBack): HeldBack {
  const [first, second] = a.since <= b.since ? [a, b] : [b, a];
  return {
    group: a.group,
    like: first.like,
    since: first.since,
    notifications: a.notifications + b.notifications,
    findings: a.findings + b.findings,
    incidents: [...new Set([...first.incidents, ...second.incidents])].slice(-HELD_INCIDENTS),
    severity: maxSeverity(a.severity, b.severity),
    reason: second.reason,
  };
}

/** The summary notification of what was held back ("N more findings like X since …"). */
export function summaryOf(held: HeldBack): Notification {
  const since = new Date(held.since).toISOString();
  const latest = held.incidents.at(-1) ?? 'unknown';
  const named = held.incidents.length;
  return {
    incidentId: latest,
    kind: 'summary',
    title:
      `${held.findings} more finding${held.findings === 1 ? '' : 's'} like "${held.like.slice(0, 160)}" since ${since}`.slice(
        0,
        300,
      ),
    severity: held.severity,
    summary: `${held.notifications} notification${held.notifications === 1 ? ' was' : 's were'} held back on this channel (${held.reason === 'similar' ? 'alike to one sent within the window' : 'the channel rate limit'}), covering ${held.findings} finding${held.findings === 1 ? '' : 's'}: ${held.incidents.join(', ')}${held.notifications > named ? ` and ${held.notifications - named} more` : ''}. Each is in the audit trail (vigil trace <incident>).`,
    verdicts: [],
    degraded: [],
    traceLink: `vigil trace ${latest}`,
    dedupKey: `summary/${held.group}/${held.since}`,
    group: held.group,
    findings: held.findings,
    heldBack: held,
  };
}
