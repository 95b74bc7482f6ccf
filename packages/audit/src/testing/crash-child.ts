// Child process of crash.int.test.ts: appends steps forever, printing `ack <n>` on stdout
// only after append resolved; the parent kills it with SIGKILL mid-stream.
import { readFileSync } from 'node:fs';
import { openAuditStore } from '../open.js';
import { createAuditWriter } from '../writer.js';

const [backend, where, signerFile] = process.argv.slice(2) as [string, string, string];
const signer = JSON.parse(readFileSync(signerFile, 'utf8')) as {
  id: string;
  privateKeyPem: string;
  certPem: string;
};
const store = await openAuditStore(
  backend === 'postgres' ? { backend: 'postgres', url: where } : { backend: 'sqlite' },
  where,
);
const writer = createAuditWriter({ store, signer, checkpoint: { everyEntries: 25, everyMs: 50 } });
let n = 0;
// Eight steps in flight at a time: acknowledgements come out of group commits.
async function lane(): Promise<void> {
  for (;;) {
    const i = n++;
    await writer.append({
      kind: 'execution',
      actor: signer.id,
      correlationId: 'crash',
      what: { n: i },
      why: { rationale: 'crash test' },
    });
    process.stdout.write(`ack ${i}\n`);
  }
}
await Promise.all(Array.from({ length: 8 }, lane));
