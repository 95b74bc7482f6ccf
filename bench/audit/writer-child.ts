// One writer process of the multi-process benchmark: opens the store, waits for "go" on
// stdin, appends `count` entries with `inflight` appends in flight, prints "done <ms>".
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { openAuditStore, createAuditWriter, type AuditSigner } from '@vigil/audit';
import { benchEntry } from './identities.js';

const [backend, where, countText, inflightText, signerFile] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const signer = JSON.parse(readFileSync(signerFile, 'utf8')) as AuditSigner;
const store = await openAuditStore(
  backend === 'postgres' ? { backend: 'postgres', url: where } : { backend: 'sqlite' },
  where,
);
const writer = createAuditWriter({ store, signer });
const count = Number(countText);
const inflight = Number(inflightText);
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
await lines.next();
const t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: inflight }, async () => {
    while (next < count) await writer.append(benchEntry(signer.id, next++));
  }),
);
const ms = performance.now() - t0;
await writer.close();
await store.close();
process.stdout.write(`done ${ms} ${process.resourceUsage().maxRSS}\n`);
process.exit(0);
