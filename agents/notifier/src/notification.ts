/**
 * What the notifier delivers: one message about one incident, rendered per channel.
 * `dedupKey` identifies "the same news": a channel delivers a given key once.
 */
export interface Notification {
  readonly incidentId: string;
  readonly kind: 'incident' | 'escalation' | 'approval-expired' | 'degraded' | 'failed';
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
}

/** The outcome of one delivery: a value, never an exception (a failed delivery is a result). */
export type DeliveryResult =
  | { readonly status: 'delivered'; readonly channel: string; readonly attempts: number }
  | {
      readonly status: 'duplicate' | 'rate-limited';
      readonly channel: string;
      readonly attempts: 0;
    }
  | {
      readonly status: 'failed';
      readonly channel: string;
      readonly attempts: number;
      readonly error: string;
    };

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
