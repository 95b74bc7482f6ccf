/**
 * bench/ingest's log shipper, run as its own process (as Fluent Bit or Falcosidekick
 * runs beside the detector, not inside it): reads an NDJSON file, cuts it into requests
 * of `batch` lines, and once the parent says "go" posts them over keep-alive HTTP with
 * `inflight` requests in flight, resending a request answered 429 after a short pause.
 *
 *   fork('shipper.ts', [file, url, token, batch, inflight]) → 'ready' … 'go' → { sent, retries }
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const [file, url, token, batchArg, inflightArg] = process.argv.slice(2);
if (!file || !url || !token || !process.send)
  throw new Error('usage: fork(shipper.ts, [file, url, token, batch, inflight])');
const batch = Number(batchArg ?? 1000);
const inflight = Number(inflightArg ?? 4);

const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
const bodies: Buffer[] = [];
for (let i = 0; i < lines.length; i += batch)
  bodies.push(Buffer.from(`${lines.slice(i, i + batch).join('\n')}\n`));

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

async function ship(): Promise<void> {
  let next = 0;
  let retries = 0;
  const sender = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++] as Buffer;
      for (;;) {
        const status = await post(body);
        if (status === 202) break;
        if (status !== 429) throw new Error(`HTTP ${status}`);
        retries += 1;
        // Retry-After is in whole seconds; a shipper this close polls sooner.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  };
  await Promise.all(Array.from({ length: inflight }, sender));
  agent.destroy();
  process.send!({ sent: lines.length, retries }, undefined, undefined, () => process.disconnect());
}

process.once('message', () => void ship());
process.send({ ready: bodies.length });
