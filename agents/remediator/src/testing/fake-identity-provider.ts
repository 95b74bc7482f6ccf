import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../executors/webhook.js';
import type { UserRecord } from '../inventory/schema.js';

export interface ReceivedWebhook {
  readonly event: string | undefined;
  readonly body: unknown;
  readonly signature: true | string;
  readonly idempotencyKey: string | undefined;
}

/**
 * TEST DOUBLE AT THE EDGE: an identity provider's webhook receiver on loopback (a real
 * HTTP server). It verifies the HMAC signature like a receiver must (401 otherwise),
 * deduplicates on the idempotency key, and disables/enables users in its own table.
 */
export async function startFakeIdentityProvider(secret: string, users: readonly UserRecord[]) {
  const table = new Map(users.map((u) => [u.name, { ...u }]));
  const received: ReceivedWebhook[] = [];
  const seenKeys = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const signature = verifyWebhookSignature(
        secret,
        req.headers['x-vigil-signature'] as string | undefined,
        raw,
      );
      const body = JSON.parse(raw) as { event: string; data: { user: string } };
      const key = req.headers['idempotency-key'] as string | undefined;
      received.push({
        event: req.headers['x-vigil-event'] as string | undefined,
        body,
        signature,
        idempotencyKey: key,
      });
      if (signature !== true) {
        res.writeHead(401).end(signature);
        return;
      }
      const user = table.get(body.data.user);
      if (!user) {
        res.writeHead(404).end(`no user ${body.data.user}`);
        return;
      }
      if (key && seenKeys.has(key)) {
        res.writeHead(200).end('duplicate');
        return;
      }
      if (key) seenKeys.add(key);
      user.disabled = body.event === 'user.disable';
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/vigil`,
    received: () => [...received],
    users: (): UserRecord[] => [...table.values()].map((u) => ({ ...u })),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
