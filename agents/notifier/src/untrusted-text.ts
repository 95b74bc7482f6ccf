import { filterUntrustedText, neutraliseMarkdown } from '@vigil/soc';
import type { Notification } from './notification.js';

/**
 * A notification's text may carry what a language model or an attacker wrote (the
 * analysis summary, reasons quoting the event, targets named after attacker-chosen
 * objects). These two steps guard every channel:
 *
 * - {@link filterNotification}, applied once by the notifier before any channel sees the
 *   notification: secrets, system-prompt echoes, images, HTML and links to hosts outside
 *   the allow-list are cut;
 * - {@link markdownSafe}, applied by each channel that hands text to a renderer which may
 *   read markdown (webhook receivers, e-mail clients, PagerDuty): markdown is escaped so it
 *   shows as written. Slack's mrkdwn has no escapes; the Slack channel uses `plain_text`
 *   objects and Slack's entity escaping instead.
 *
 * Vigil's own fields (incident id, kind, severity, trace link, dedup key) are left as they are.
 */
export function filterNotification(n: Notification): Notification {
  return mapText(n, (text) => filterUntrustedText(text));
}

/** The notification with markdown syntax escaped in every untrusted text field. */
export function markdownSafe(n: Notification): Notification {
  return mapText(n, neutraliseMarkdown);
}

function mapText(n: Notification, f: (text: string) => string): Notification {
  return {
    ...n,
    title: f(n.title),
    summary: f(n.summary),
    verdicts: n.verdicts.map((v) => ({
      action: f(v.action),
      target: f(v.target),
      decision: f(v.decision),
      reasons: v.reasons.map(f),
      ...(v.outcome === undefined ? {} : { outcome: f(v.outcome) }),
    })),
    degraded: n.degraded.map(f),
  };
}
