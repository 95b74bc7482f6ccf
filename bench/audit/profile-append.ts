// One writer appending with 512 in flight into a fresh on-disk SQLite store (WAL, FULL),
// after a first append has started the writer thread: the case of main.ts's "1 writer,
// 512 in flight" line alone, small enough to profile. See README.md ("Profiling").
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/audit/profile-append.ts 50000 [inline]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAuditStore, createAuditWriter } from '@vigil/audit';
import { benchEntry, benchIdentities } from './identities.js';

const n = Number(process.argv[2] ?? 20000);
const writerThread = process.argv[3] !== 'inline';
const { signers } = await benchIdentities(['w0']);
const one = signers[0]!;
const dir = mkdtempSync(join(tmpdir(), 'vigil-prof-'));
const store = new SqliteAuditStore(join(dir, 'a.sqlite'), { writerThread });
const writer = createAuditWriter({ store, signer: one });
await writer.append(benchEntry(one.id, -1)); // starts the writer thread
let next = 0;
const c0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: 512 }, async () => {
    while (next < n) await writer.append(benchEntry(one.id, next++));
  }),
);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(c0);
await writer.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  `${Math.round((n / ms) * 1000)} appends/s, cpu ${(((cpu.user + cpu.system) / 1e3 / ms) * 100).toFixed(0)}%, ${((cpu.user + cpu.system) / n).toFixed(1)} µs CPU/append`,
);
