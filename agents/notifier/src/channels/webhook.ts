import { createHmac } from 'node:crypto';
import type { Notification, NotificationChannel } from '../notification.js';
import { postJson } from './http-post.js';
import { markdownSafe } from '../untrusted-text.js';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (Stripe-style, replay-resistant). */
export const SIGNATURE_HEADER = 'x-vigil-signature';

/** Computes the webhook signature header value; receivers recompute it with the shared secret. */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/** Generic webhook: the notification as JSON (markdown in its text escaped), HMAC-signed with a secret from the environment. */
export function createWebhookChannel(options: {
  name: string;
  url: string;
  secret: string;
  now?: () => number;
}): NotificationChannel {
  const now = options.now ?? Date.now;
  return {
    name: options.name,
    type: 'webhook',
    async deliver(n: Notification, signal: AbortSignal) {
      const body = JSON.stringify({ type: `vigil.${n.kind}`, notification: markdownSafe(n) });
      await postJson(
        options.url,
        body,
        { [SIGNATURE_HEADER]: signWebhook(options.secret, body, Math.floor(now() / 1000)) },
        signal,
      );
    },
  };
}
