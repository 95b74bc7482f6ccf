import type { DeepReadonly } from '@vigil/core';
import type { DeliveryResult as SocDeliveryResult, HoldReason } from '@vigil/soc';

/**
 * What the notifier delivers: one message about one incident, rendered per channel.
 * `dedupKey` identifies "the same news": a channel delivers a given key once.
 */
export interface Notification {
  /** The incident; for a `summary`, the latest incident it covers. */
  readonly incidentId: string;
  /** `summary` is the notifier's own: what a rate limit held back (see {@link HeldBack}). */
  readonly kind: 'incident' | 'escalation' | 'approval-expired' | 'degraded' | 'failed' | 'summary';
  readonly title: string;
  readonly severity: 'low' | 'medium' | 'high' | 'critical';
  readonly summary: string;
  readonly verdicts: readonly {
    action: string;
    target: string;
    decision: string;
    reasons: readonly string[];
    outcome?: string;
  }[];
  /** Visible degradations (e.g. analyst fell back to the offline analyser). */
  readonly degraded: readonly string[];
  /** Where to see the whole decision chain (`vigil trace <id>` or a console URL). */
  readonly traceLink: string;
  readonly dedupKey: string;
  /**
   * What makes notifications alike for the rate limit: those of one `kind` and `group`
   * are summarised together when held back (default: the title).
   */
  readonly group?: string;
  /** Findings the incident covers (storm repeats included); 1 when absent. */
  readonly findings?: number;
  /** On a `summary`: what was held back. */
  readonly heldBack?: HeldBack;
}

/** Notifications of one kind and group held back on one channel since `since`. */
export interface HeldBack {
  /** `<kind>|<group>` (see {@link Notification.group}). */
  readonly group: string;
  /** The title of the first notification held back. */
  readonly like: string;
  /** Clock time (epoch ms) of the first notification held back. */
  readonly since: number;
  readonly notifications: number;
  /** Findings those notifications covered. */
  readonly findings: number;
  /** The incidents, latest last (at most {@link HELD_INCIDENTS}). */
  readonly incidents: readonly string[];
  readonly severity: Notification['severity'];
  /** Why the latest was held back: a notification alike went out within the window, or the channel's rate limit. */
  readonly reason: HoldReason;
}

export type { HoldReason };

/** Incidents a {@link HeldBack} names at most (its counts stay exact). */
export const HELD_INCIDENTS = 20;

/** The outcome of one delivery: a value, never an exception (a failed delivery is a result). */
export type DeliveryResult = DeepReadonly<SocDeliveryResult>;

/** One destination. `deliver` throws on failure; the notifier owns retries and limits. */
export interface NotificationChannel {
  readonly name: string;
  readonly type: string;
  /** Overrides the policy's attempt deadline for this channel (SMTP is slower than a webhook). */
  readonly attemptTimeoutMs?: number;
  /** Overrides the policy's rate limit for this channel. */
  readonly rateLimit?: { readonly perMinute: number; readonly burst: number };
  deliver(notification: Notification, signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

/** Plain-text rendering shared by the email body and chat fallbacks. */
export function renderText(n: Notification): string {
  const lines = [`[${n.severity.toUpperCase()}] ${n.title}`, '', n.summary, ''];
  if (n.verdicts.length > 0) {
    lines.push('Actions:');
    for (const v of n.verdicts) {
      lines.push(
        `- ${v.action} ${v.target}: ${v.decision}${v.outcome ? ` → ${v.outcome}` : ''}${v.reasons.length ? ` (${v.reasons.join('; ')})` : ''}`,
      );
    }
    lines.push('');
  }
  for (const d of n.degraded) lines.push(`Degraded: ${d}`);
  lines.push(`Incident ${n.incidentId} — trace: ${n.traceLink}`);
  return lines.join('\n');
}
