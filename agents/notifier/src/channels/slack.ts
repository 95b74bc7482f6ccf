import { renderText, type Notification, type NotificationChannel } from '../notification.js';
import { escapeSlackText } from '@vigil/soc';
import { postJson } from './http-post.js';

const EMOJI: Record<Notification['severity'], string> = {
  low: ':information_source:',
  medium: ':warning:',
  high: ':rotating_light:',
  critical: ':fire:',
};

/**
 * The Slack incoming-webhook payload: `text` fallback plus Block Kit sections. mrkdwn
 * cannot escape emphasis or links, so untrusted text (title, summary, degradations) goes
 * into `plain_text` objects; what must stay mrkdwn (the verdict lines, the fallback) has
 * Slack's `&`, `<`, `>` escaping, which stops `<url|label>` links and `<!channel>` mentions.
 */
export function slackPayload(n: Notification): unknown {
  const verdicts = n.verdicts
    .map(
      (v) =>
        `• \`${escapeSlackText(v.action).replace(/`/g, "'")}\` ${escapeSlackText(v.target)}: *${escapeSlackText(v.decision)}*${v.outcome ? ` → ${escapeSlackText(v.outcome)}` : ''}`,
    )
    .join('\n');
  return {
    text: escapeSlackText(renderText(n)),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `${n.title}`.slice(0, 150) } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `${EMOJI[n.severity]} *${n.severity}*` },
      },
      { type: 'section', text: { type: 'plain_text', text: (n.summary || '—').slice(0, 3000) } },
      ...(verdicts ? [{ type: 'section', text: { type: 'mrkdwn', text: verdicts } }] : []),
      ...(n.degraded.length
        ? [
            {
              type: 'context',
              elements: n.degraded.map((d) => ({ type: 'plain_text', text: `⚠ ${d}` })),
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
