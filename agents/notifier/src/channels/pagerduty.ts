import type { Notification, NotificationChannel } from '../notification.js';
import { postJson } from './http-post.js';
import { markdownSafe } from '../untrusted-text.js';

const PD_SEVERITY: Record<Notification['severity'], 'info' | 'warning' | 'error' | 'critical'> = {
  low: 'info',
  medium: 'warning',
  high: 'error',
  critical: 'critical',
};

/** A PagerDuty Events API v2 `trigger` event; `dedup_key` is the incident id so updates group. */
export function pagerDutyEvent(notification: Notification, routingKey: string): unknown {
  const n = markdownSafe(notification);
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: n.incidentId,
    payload: {
      summary: `${n.title}: ${n.summary}`.slice(0, 1024),
      source: 'vigil',
      severity: PD_SEVERITY[n.severity],
      component: n.verdicts[0]?.target,
      class: n.kind,
      custom_details: { verdicts: n.verdicts, degraded: n.degraded },
    },
    links: [{ href: n.traceLink, text: 'Decision trace' }],
  };
}

export function createPagerDutyChannel(options: {
  name: string;
  url: string;
  routingKey: string;
}): NotificationChannel {
  return {
    name: options.name,
    type: 'pagerduty',
    deliver: (n, signal) =>
      postJson(options.url, JSON.stringify(pagerDutyEvent(n, options.routingKey)), {}, signal),
  };
}
