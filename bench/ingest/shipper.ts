/**
 * bench/ingest's log shipper, run as its own process (as Fluent Bit or Falcosidekick
 * runs beside the detector, not inside it): reads an NDJSON file, cuts it into requests
 * of `batch` lines, and once the parent says "go" posts them over keep-alive HTTP with
 * `inflight` requests in flight, resending a request answered 429 after a short pause.
 *
 *   fork('shipper.ts', [file, url, token, batch, inflight]) → 'ready' … 'go' → { sent, retries }
 */
import { readFileSync } from 'node:fs';
import { ndjsonBodies, sendBodies } from './send-ndjson.js';

const [file, url, token, batchArg, inflightArg] = process.argv.slice(2);
if (!file || !url || !token || !process.send)
  throw new Error('usage: fork(shipper.ts, [file, url, token, batch, inflight])');
const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
const bodies = ndjsonBodies(lines, Number(batchArg ?? 1000));

process.once('message', async () => {
  // Retry-After is in whole seconds; a shipper this close polls sooner.
  const retries = await sendBodies(
    url,
    token,
    bodies,
    Number(inflightArg ?? 4),
    () => new Promise((resolve) => setTimeout(resolve, 5)),
  );
  process.send!({ sent: lines.length, retries }, undefined, undefined, () => process.disconnect());
});
process.send({ ready: bodies.length });
