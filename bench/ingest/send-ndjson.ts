/**
 * What bench/ingest's two clients share — the one in the bench process and the shipper
 * process: NDJSON lines cut into request bodies, and the bodies posted over keep-alive
 * HTTP with a bearer token, a request answered 429 sent again once there is room.
 */
import { Agent, request } from 'node:http';

/** `lines` in request bodies of `batch` lines each. */
export function ndjsonBodies(lines: readonly string[], batch: number): Buffer[] {
  const bodies: Buffer[] = [];
  for (let i = 0; i < lines.length; i += batch)
    bodies.push(Buffer.from(`${lines.slice(i, i + batch).join('\n')}\n`));
  return bodies;
}

/** Posts every body with `inflight` requests in flight; resolves with the number resent after a 429. */
export async function sendBodies(
  url: URL | string,
  token: string,
  bodies: readonly Buffer[],
  inflight: number,
  waitForRoom: () => Promise<void>,
): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: inflight });
  const post = (body: Buffer): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/x-ndjson',
            'content-length': body.length,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  let resent = 0;
  const sender = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++] as Buffer;
      for (;;) {
        const status = await post(body);
        if (status === 202) break;
        if (status !== 429) throw new Error(`HTTP ${status}`);
        resent += 1;
        await waitForRoom();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: inflight }, sender));
  } finally {
    agent.destroy();
  }
  return resent;
}
