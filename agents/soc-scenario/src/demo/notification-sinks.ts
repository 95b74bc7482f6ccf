import { createServer, type Server } from 'node:http';
import type { Server as NetServer } from 'node:net';
import libmime from 'libmime';
import { SMTPServer } from 'smtp-server';
import type { AgentSystem } from '@vigil/registry';

/**
 * Local receivers for the demo's notification channels that point at loopback (the
 * webhook URL and the SMTP server in vigil.yaml), so a newcomer sees each delivery.
 * Channels elsewhere are left alone. Each receiver prints one line per delivery.
 */
export async function startNotificationSinks(
  system: AgentSystem,
  print: (line: string) => void,
): Promise<() => Promise<void>> {
  const closers: (() => Promise<void>)[] = [];
  for (const channel of system.notifications.channels) {
    if (channel.type === 'webhook' || channel.type === 'slack' || channel.type === 'pagerduty') {
      const url = new URL(
        channel.type === 'slack' ? (channel.url ?? 'http://invalid') : channel.url,
      );
      if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') continue;
      const server: Server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          res.writeHead(204).end();
          try {
            const n = (
              JSON.parse(body) as { notification?: { title?: string; incidentId?: string } }
            ).notification;
            const signed = req.headers['x-vigil-signature'] ? 'HMAC-signed' : 'unsigned';
            print(
              `  ✉ ${channel.name} (${channel.type}, ${signed}): [${n?.incidentId ?? '?'}] ${n?.title ?? body.slice(0, 120)}`,
            );
          } catch {
            print(`  ✉ ${channel.name} (${channel.type}): ${body.slice(0, 120)}`);
          }
        });
      });
      if (await listen(server, Number(url.port || 80), url.hostname, print, channel.name)) {
        closers.push(() => new Promise<void>((r) => server.close(() => r())));
      }
    }
    if (
      channel.type === 'email' &&
      (channel.smtp.host === '127.0.0.1' || channel.smtp.host === 'localhost')
    ) {
      const smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onData(stream, session, callback) {
          let data = '';
          stream.on('data', (c: Buffer) => (data += c.toString()));
          stream.on('end', () => {
            const subject = subjectOf(data);
            print(
              `  ✉ ${channel.name} (email to ${session.envelope.rcptTo.map((r) => r.address).join(', ')}): ${subject}`,
            );
            callback();
          });
        },
      });
      if (await listen(smtp.server, channel.smtp.port, channel.smtp.host, print, channel.name)) {
        closers.push(() => new Promise<void>((r) => smtp.close(() => r())));
      }
    }
  }
  return async () => {
    await Promise.all(closers.map((c) => c()));
  };
}

async function listen(
  server: Server | NetServer,
  port: number,
  host: string,
  print: (line: string) => void,
  name: string,
): Promise<boolean> {
  return new Promise((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      print(
        `demo: cannot receive ${name} notifications on ${host}:${port} (${error.code ?? error.message}); deliveries will be retried and reported as failed`,
      );
      resolve(false);
    });
    server.listen(port, host, () => resolve(true));
  });
}

/**
 * The Subject of a raw message, as a person reads it: the header unfolded (RFC 5322
 * §2.2.3) and its encoded words decoded (RFC 2047: `=?UTF-8?Q?=5BVigil_high=5D…?=`).
 */
export function subjectOf(message: string): string {
  const headers = message.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const unfolded = headers.replace(/\r?\n[ \t]+/g, ' ');
  const raw = /^Subject:[ \t]*(.*)$/im.exec(unfolded)?.[1];
  return raw === undefined ? '(no subject)' : libmime.decodeWords(raw).trim();
}
