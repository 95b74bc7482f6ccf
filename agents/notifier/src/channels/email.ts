import { createTransport } from 'nodemailer';
import { renderText, type NotificationChannel } from '../notification.js';
import { markdownSafe } from '../untrusted-text.js';

export interface EmailChannelOptions {
  readonly name: string;
  readonly smtp: { host: string; port: number; secure: boolean; user?: string; password?: string };
  readonly from: string;
  readonly to: readonly string[];
}

/** Email over SMTP with nodemailer; one message per notification, plain text. */
export function createEmailChannel(options: EmailChannelOptions): NotificationChannel {
  const transport = createTransport({
    host: options.smtp.host,
    port: options.smtp.port,
    secure: options.smtp.secure,
    ...(options.smtp.user
      ? { auth: { user: options.smtp.user, pass: options.smtp.password ?? '' } }
      : {}),
    connectionTimeout: 10_000,
  });
  return {
    name: options.name,
    type: 'email',
    async deliver(notification, signal) {
      signal.throwIfAborted();
      // Mail clients may render markdown-looking text (and auto-link it): escaped.
      const n = markdownSafe(notification);
      await transport.sendMail({
        from: options.from,
        to: [...options.to],
        subject: `[Vigil ${n.severity}] ${n.title}`,
        text: renderText(n),
        headers: { 'X-Vigil-Incident': n.incidentId },
      });
    },
    async close() {
      transport.close();
    },
  };
}
