// Verification of a large SQLite log alone: main.ts's million-entry part without the
// append cases, on a log built once and kept (with its CA) in a directory, so that
// verification can be measured and profiled again and again. See README.md ("Profiling").
//   node --import tsx bench/audit/verify-log.ts [--dir /tmp/vigil-verify-log] [--entries 1000000] [--workers 0,2]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteAuditStore, createAuditWriter, verifyAudit } from '@vigil/audit';
import { benchEntry, benchIdentities } from './identities.js';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string', default: '/tmp/vigil-verify-log' },
    entries: { type: 'string', default: '1000000' },
    workers: { type: 'string', default: '0,2' },
  },
});
const ENTRIES = Number(args.entries);
const dir = join(args.dir, String(ENTRIES));
const path = join(dir, 'audit.sqlite');
const caFile = join(dir, 'ca.pem');

/** The log of main.ts: 4 chains written concurrently, a signed checkpoint every 1,000 entries. */
async function build(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const { caPem, signers } = await benchIdentities(['w1', 'w2', 'w3', 'w4']);
  // Built with synchronous=NORMAL: only the build is faster; what is verified is the same.
  const store = new SqliteAuditStore(path, { synchronous: 'NORMAL' });
  await Promise.all(
    signers.map(async (s) => {
      const w = createAuditWriter({ store, signer: s, maxBatch: 5000 });
      const per = ENTRIES / signers.length;
      for (let i = 0; i < per; i += 5000) {
        await Promise.all(
          Array.from({ length: Math.min(5000, per - i) }, (_, k) =>
            w.append(benchEntry(s.id, i + k)),
          ),
        );
      }
      await w.close();
    }),
  );
  await store.close();
  writeFileSync(caFile, caPem);
}

if (!existsSync(caFile)) {
  const t0 = performance.now();
  await build();
  console.log(`built ${path} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const caPem = readFileSync(caFile, 'utf8');
for (const w of args.workers.split(',')) {
  const workers = w === 'auto' ? 'auto' : Number(w);
  const store = new SqliteAuditStore(path, { readOnly: true });
  const load0 = loadavg()[0]!.toFixed(2);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await verifyAudit(store, { caPem, workers });
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  await store.close();
  if (!r.ok) throw new Error(`the log does not verify: ${r.firstProblem?.message}`);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(
    `verify ${r.entries.toLocaleString('en-US')} entries, workers ${w}: ${wallS.toFixed(2)} s (CPU ${cpuS.toFixed(2)} s = ${((cpuS / r.entries) * 1e6).toFixed(2)} µs/entry)  [load ${load0} → ${loadavg()[0]!.toFixed(2)}]`,
  );
}
