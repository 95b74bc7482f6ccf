// bench/audit: append throughput (one writer; four writer processes) on SQLite and
// PostgreSQL, verification speed on a 1,000,000-entry log, and the cost of signing per
// entry versus per checkpoint — all measured in this run. See README.md.
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, createHash, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { canonicalJson } from '@vigil/core';
import {
  SqliteAuditStore,
  PostgresAuditStore,
  createAuditWriter,
  verifyAudit,
  type AuditSigner,
  type AuditStore,
} from '@vigil/audit';
import { startPostgres } from '@vigil/testkit';
import { benchEntry, benchIdentities } from './identities.js';

const { values: args } = parseArgs({
  options: {
    appends: { type: 'string', default: '50000' },
    'verify-entries': { type: 'string', default: '1000000' },
    inflight: { type: 'string', default: '512' },
    postgres: { type: 'boolean', default: true },
    'no-postgres': { type: 'boolean', default: false },
  },
});
const APPENDS = Number(args.appends);
const VERIFY_ENTRIES = Number(args['verify-entries']);
const INFLIGHT = Number(args.inflight);
const WITH_PG = args['no-postgres'] !== true;
const CHILD = join(import.meta.dirname, 'writer-child.ts');
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-audit-'));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const results: Record<string, number> = {};

/** CPU seconds (user + system) this process spent in `fn`, beside the wall time. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wallS: number; cpuS: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const cpu = process.cpuUsage(c0);
  return { value, wallS: (performance.now() - t0) / 1000, cpuS: (cpu.user + cpu.system) / 1e6 };
}

/** One figure, with the 1-minute load average of the machine when it was measured. */
function line(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(58)} ${value}  [load ${loadavg()[0]!.toFixed(2)}]\n`);
}

/** Appends/s of one writer with `inflight` appends in flight, with the wall and CPU time of the timed part. */
async function pipelined(
  store: AuditStore,
  signer: AuditSigner,
  count: number,
  inflight: number,
): Promise<{ value: number; wallS: number; cpuS: number }> {
  const writer = createAuditWriter({ store, signer });
  // Untimed: the first append starts the store's writer thread, which under tsx first
  // compiles its modules (~0.3-0.5 s, once per process) — a start-up cost, not throughput.
  await writer.append(benchEntry(signer.id, -1));
  let next = 0;
  const run = await timed(() =>
    Promise.all(
      Array.from({ length: inflight }, async () => {
        while (next < count) await writer.append(benchEntry(signer.id, next++));
      }),
    ),
  );
  await writer.close();
  return { value: count / run.wallS, wallS: run.wallS, cpuS: run.cpuS };
}

async function processes(
  backend: 'sqlite' | 'postgres',
  where: string,
  signers: AuditSigner[],
  perProcess: number,
): Promise<{ rate: number; rssKb: number }> {
  const children = signers.map((s, i) => {
    const file = join(dir, `signer-${backend}-${i}.json`);
    writeFileSync(file, JSON.stringify(s), { mode: 0o600 });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, backend, where, String(perProcess), String(INFLIGHT), file],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    return { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() };
  });
  for (const c of children)
    if ((await c.lines.next()).value !== 'ready') throw new Error('writer child did not start');
  const t0 = performance.now();
  for (const c of children) c.child.stdin.write('go\n');
  let rssKb = 0;
  for (const c of children) {
    const done = String((await c.lines.next()).value).split(' ');
    rssKb = Math.max(rssKb, Number(done[2]));
  }
  const ms = performance.now() - t0;
  return { rate: ((perProcess * signers.length) / ms) * 1000, rssKb };
}

async function main(): Promise<void> {
  process.stdout.write(
    `bench/audit — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), shared machine\n\n`,
  );
  const { caPem, signers } = await benchIdentities(['w0', 'w1', 'w2', 'w3', 'w4']);
  const one = signers[0]!;
  const four = signers.slice(1, 5);

  // 1. Primitive costs (baseline for everything below).
  const key = createPrivateKey(one.privateKeyPem);
  const pub = createPublicKey(key);
  const sample = canonicalJson(benchEntry(one.id, 1));
  let t = performance.now();
  const N = 20_000;
  for (let i = 0; i < N; i++) createHash('sha256').update(sample).digest('hex');
  const shaUs = ((performance.now() - t) / N) * 1000;
  t = performance.now();
  let sig = Buffer.alloc(0);
  for (let i = 0; i < 2000; i++)
    sig = sign('sha256', Buffer.from(sample), { key, dsaEncoding: 'ieee-p1363' });
  const signUs = ((performance.now() - t) / 2000) * 1000;
  t = performance.now();
  for (let i = 0; i < 2000; i++)
    verify('sha256', Buffer.from(sample), { key: pub, dsaEncoding: 'ieee-p1363' }, sig);
  const verifyUs = ((performance.now() - t) / 2000) * 1000;
  line(`SHA-256 of one entry (${sample.length} B canonical)`, `${shaUs.toFixed(2)} µs`);
  line('ECDSA P-256 sign / verify', `${signUs.toFixed(1)} µs / ${verifyUs.toFixed(1)} µs`);
  line('  per-entry signatures: append ceiling (sign only, 1 core)', `${fmt(1e6 / signUs)} /s`);
  line(
    '  per-entry signatures: verify 1M entries (verify only)',
    `${((1e6 * verifyUs) / 1e6).toFixed(1)} s`,
  );
  line(
    '  per-checkpoint (1/1000 entries): verify 1M entries',
    `${((1000 * verifyUs) / 1e6).toFixed(2)} s of signatures`,
  );
  process.stdout.write('\n');

  // 2. SQLite (WAL, synchronous=FULL).
  {
    const store = new SqliteAuditStore(join(dir, 'seq.sqlite'));
    const seqCount = 300;
    const w = createAuditWriter({ store, signer: one });
    t = performance.now();
    for (let i = 0; i < seqCount; i++) await w.append(benchEntry(one.id, i)); // one commit (fsync) per append
    const seqRate = (seqCount / (performance.now() - t)) * 1000;
    await w.close();
    await store.close();
    results['sqlite_sequential'] = seqRate;
    line('SQLite FULL, 1 writer, 1 append in flight (baseline)', `${fmt(seqRate)} appends/s`);
    const store2 = new SqliteAuditStore(join(dir, 'single.sqlite'));
    const run = await pipelined(store2, one, APPENDS, INFLIGHT);
    const rate = run.value;
    await store2.close();
    results['sqlite_single'] = rate;
    results['sqlite_single_per_cpu_s'] = APPENDS / run.cpuS;
    line(
      `SQLite FULL, 1 writer, ${INFLIGHT} in flight (group commit)`,
      `${fmt(rate)} appends/s  (×${(rate / seqRate).toFixed(0)} baseline; target ≥ 20,000)`,
    );
    line(
      '  same, per CPU-second of the writer process',
      `${fmt(APPENDS / run.cpuS)} appends/s  (wall ${run.wallS.toFixed(1)} s, CPU ${run.cpuS.toFixed(1)} s = ${((100 * run.cpuS) / run.wallS).toFixed(0)} % of a core)`,
    );
    // The default commits on a writer thread; this is the same load committed on the
    // calling thread, to show what the thread buys (or costs) on this machine now.
    const store3 = new SqliteAuditStore(join(dir, 'inline.sqlite'), { writerThread: false });
    const inline = await pipelined(store3, one, APPENDS, INFLIGHT);
    await store3.close();
    results['sqlite_single_calling_thread'] = inline.value;
    line(
      `  same, committed on the calling thread (writerThread: false)`,
      `${fmt(inline.value)} appends/s  (${fmt(APPENDS / inline.cpuS)} per CPU-second)`,
    );
    const multiDir = join(dir, 'multi');
    new SqliteAuditStore(join(multiDir, 'data', 'audit.sqlite')).close().catch(() => undefined);
    const multi = await processes('sqlite', multiDir, four, Math.floor(APPENDS / 4));
    results['sqlite_four_processes'] = multi.rate;
    line(
      'SQLite FULL, 4 writer processes, one file',
      `${fmt(multi.rate)} appends/s  (×${(multi.rate / rate).toFixed(2)} single writer; child peak RSS ${fmt(multi.rssKb / 1024)} MB)`,
    );
    const check = new SqliteAuditStore(join(multiDir, 'data', 'audit.sqlite'));
    const r = await verifyAudit(check, { caPem });
    await check.close();
    if (!r.ok || r.entries !== Math.floor(APPENDS / 4) * 4)
      throw new Error(`multi-writer log does not verify: ${r.firstProblem?.message}`);
  }

  // 3. PostgreSQL (synchronous_commit=on), a private server started for the run.
  if (WITH_PG) {
    const pg = await startPostgres();
    try {
      const seqUrl = await pg.createDatabase('seq');
      const s0 = await PostgresAuditStore.open(seqUrl);
      const w = createAuditWriter({ store: s0, signer: one });
      const seqCount = 300;
      t = performance.now();
      for (let i = 0; i < seqCount; i++) await w.append(benchEntry(one.id, i));
      const seqRate = (seqCount / (performance.now() - t)) * 1000;
      await w.close();
      await s0.close();
      line('PostgreSQL, 1 writer, 1 append in flight (baseline)', `${fmt(seqRate)} appends/s`);
      const s1 = await PostgresAuditStore.open(await pg.createDatabase('single'));
      const rate = (await pipelined(s1, one, APPENDS, INFLIGHT)).value;
      await s1.close();
      results['postgres_single'] = rate;
      line(
        `PostgreSQL, 1 writer, ${INFLIGHT} in flight (group commit)`,
        `${fmt(rate)} appends/s  (×${(rate / seqRate).toFixed(0)} baseline)`,
      );
      const multiUrl = await pg.createDatabase('multi');
      await (await PostgresAuditStore.open(multiUrl)).close();
      const multi = await processes('postgres', multiUrl, four, Math.floor(APPENDS / 4));
      results['postgres_four_processes'] = multi.rate;
      line(
        'PostgreSQL, 4 writer processes',
        `${fmt(multi.rate)} appends/s  (×${(multi.rate / rate).toFixed(2)} single writer)`,
      );
      const check = await PostgresAuditStore.open(multiUrl);
      t = performance.now();
      const r = await verifyAudit(check, { caPem });
      const ms = performance.now() - t;
      await check.close();
      if (!r.ok)
        throw new Error(`postgres multi-writer log does not verify: ${r.firstProblem?.message}`);
      line(
        `PostgreSQL verify (${fmt(r.entries)} entries)`,
        `${fmt((r.entries / ms) * 1000)} entries/s`,
      );
    } finally {
      await pg.stop();
    }
  }

  // 4. Verification of a 1,000,000-entry SQLite log (4 chains, checkpoint every 1000).
  {
    const path = join(dir, 'verify.sqlite');
    // Built with synchronous=NORMAL: only the build is faster; what is verified is the same.
    const store = new SqliteAuditStore(path, { synchronous: 'NORMAL' });
    t = performance.now();
    await Promise.all(
      four.map(async (s) => {
        const w = createAuditWriter({ store, signer: s, maxBatch: 5000 });
        const per = VERIFY_ENTRIES / 4;
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
    const buildS = (performance.now() - t) / 1000;
    await store.close();
    const fresh = new SqliteAuditStore(path);
    const run = await timed(() => verifyAudit(fresh, { caPem }));
    const r = run.value;
    const s = run.wallS;
    // The same log read and hashed by two worker threads, for comparison.
    const parallel = await timed(() => verifyAudit(fresh, { caPem, workers: 2 }));
    await fresh.close();
    if (!parallel.value.ok) throw new Error('1M log does not verify with worker threads');
    results['verify_two_workers_s'] = parallel.wallS;
    results['verify_cpu_s'] = run.cpuS;
    if (!r.ok) throw new Error(`1M log does not verify: ${r.firstProblem?.message}`);
    results['verify_entries_per_s'] = r.entries / s;
    line(`build ${fmt(r.entries)}-entry log (NORMAL, 4 chains)`, `${buildS.toFixed(1)} s`);
    line(
      `verify ${fmt(r.entries)} entries, ${fmt(r.checkpoints)} checkpoints`,
      `${s.toFixed(2)} s = ${fmt(r.entries / s)} entries/s  (target < 5 s; hashing alone ${((r.entries * shaUs) / 1e6).toFixed(2)} s)`,
    );
    line(
      '  same, CPU time of the verifying process',
      `${run.cpuS.toFixed(2)} s = ${fmt(r.entries / run.cpuS)} entries per CPU-second (${((100 * run.cpuS) / s).toFixed(0)} % of a core)`,
    );
    line(
      "  same, read and hashed by 2 worker threads (workers: 2, what 'auto' picks here)",
      `${parallel.wallS.toFixed(2)} s = ${fmt(r.entries / parallel.wallS)} entries/s (CPU ${parallel.cpuS.toFixed(2)} s)`,
    );
  }

  process.stdout.write(
    `\npeak RSS of this process: ${fmt(process.resourceUsage().maxRSS / 1024)} MB\n`,
  );
  process.stdout.write(`${JSON.stringify({ results })}\n`);
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
