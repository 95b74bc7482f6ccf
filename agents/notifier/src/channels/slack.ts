import { renderText, type Notification, type NotificationChannel } from '../notification.js';
import { postJson } from './http-post.js';

const EMOJI: Record<Notification['severity'], string> = {
  low: ':information_source:',
  medium: ':warning:',
  high: ':rotating_light:',
  critical: ':fire:',
};

/** The Slack incoming-webhook payload: `text` fallback plus Block Kit sections. */
export function slackPayload(n: Notification): unknown {
  const verdicts = n.verdicts
    .map(
      (v) => `• \`${v.action}\` ${v.target}: *${v.decision}*${v.outcome ? ` → ${v.outcome}` : ''}`,
    )
    .join('\n');
  return {
    text: renderText(n),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `${n.title}`.slice(0, 150) } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `${EMOJI[n.severity]} *${n.severity}* — ${n.summary}` },
      },
      ...(verdicts ? [{ type: 'section', text: { type: 'mrkdwn', text: verdicts } }] : []),
      ...(n.degraded.length
        ? [
            {
              type: 'context',
              elements: n.degraded.map((d) => ({ type: 'mrkdwn', text: `:warning: ${d}` })),
            },
          ]
        : []),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Incident \`${n.incidentId}\` · <${n.traceLink}|decision trace>`,
          },
        ],
      },
    ],
  };
}

export function createSlackChannel(options: { name: string; url: string }): NotificationChannel {
  return {
    name: options.name,
    type: 'slack',
    deliver: (n, signal) => postJson(options.url, JSON.stringify(slackPayload(n)), {}, signal),
  };
}
