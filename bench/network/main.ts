/**
 * bench/network: the credit-memo network (70 agent processes) on one machine — time from
 * `supervisor.start()` to every replica ready, resident memory per agent process (RSS,
 * PSS and private anonymous memory from /proc/<pid>/smaps_rollup; p50/max/total) idle
 * and after the memos, and the end-to-end latency of drafting a memo (the first one pays
 * the TLS handshakes and card fetches; the rest are warm).
 *
 *   flock /tmp/vigil-bench.lock node --import tsx bench/network/main.ts \
 *     [--config examples/credit-memo/vigil.yaml] [--memos 5] [--node-args "--max-semi-space-size=1"]
 *
 * RSS counts the pages of the node binary and shared libraries in every process that maps
 * them; PSS divides shared pages among their users, so the PSS total is what the machine
 * actually holds for the network. Both are printed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadAgentSystem } from '@vigil/registry';
import { COMPILED_AGENT_ENTRY_SCRIPT } from '@vigil/runtime';
import { createSupervisor } from '@vigil/supervisor';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values: args } = parseArgs({
  options: {
    config: { type: 'string', default: join(ROOT, 'examples/credit-memo/vigil.yaml') },
    memos: { type: 'string', default: '5' },
    borrower: { type: 'string', default: 'b-001' },
    'node-args': { type: 'string', default: '' },
    'idle-ms': { type: 'string', default: '5000' },
  },
});

const MIB = 1024 * 1024;

/** Rss, Pss and private anonymous bytes of one process. */
export function memoryOf(pid: number): { rss: number; pss: number; anon: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { rss: kb('Rss'), pss: kb('Pss'), anon: kb('Anonymous') };
  } catch {
    return undefined;
  }
}

function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

function summary(label: string, values: readonly number[]): string {
  const mib = (x: number) => (x / MIB).toFixed(1);
  const total = values.reduce((a, b) => a + b, 0);
  return `${label.padEnd(5)} p50 ${mib(quantile(values, 0.5))} MiB  max ${mib(Math.max(...values))} MiB  total ${(total / 1024 / MIB).toFixed(2)} GiB`;
}

async function main(): Promise<void> {
  const configPath = resolve(args.config);
  const system = await loadAgentSystem(configPath);
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-bench-network-'));
  const { buildDist } = (await import(join(ROOT, 'scripts/build-dist.mjs'))) as {
    buildDist: (o: { quiet: boolean }) => Promise<void>;
  };
  await buildDist({ quiet: true });
  const nodeArgs = args['node-args'].split(/\s+/).filter(Boolean);
  const processes = system.agents.reduce((n, a) => n + a.replicas, 0);
  const cores = cpus().length;
  console.log(
    `bench/network: ${system.metadata.name}, ${system.agents.length} agents, ${processes} processes, ${cores} cores`,
  );
  console.log(
    `node ${process.version}, agent flags: ${nodeArgs.join(' ') || "(none beyond the supervisor's)"}`,
  );
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (machine shared with other sessions)`,
  );
  const supervisor = createSupervisor({
    system,
    configPath,
    stateDir,
    compiled: true,
    entryScript: COMPILED_AGENT_ENTRY_SCRIPT,
    nodeArgs,
    memory: { rssWatchdog: 'off' },
  });
  supervisor.setMaxListeners(0);
  try {
    const begin = performance.now();
    const status = await supervisor.start();
    const startS = (performance.now() - begin) / 1000;
    const replicas = status.agents.flatMap((a) => a.replicas.map((r) => ({ agent: a.name, ...r })));
    const ready = replicas.filter((r) => r.state === 'ready').length;
    console.log(`start: ${ready}/${replicas.length} ready in ${startS.toFixed(1)} s`);
    const measure = (label: string): void => {
      const rows = replicas
        .map((r) => (r.pid === null ? undefined : memoryOf(r.pid)))
        .filter((m) => m !== undefined);
      console.log(`memory ${label} (${rows.length} processes):`);
      console.log(
        `  ${summary(
          'RSS',
          rows.map((m) => m.rss),
        )}`,
      );
      console.log(
        `  ${summary(
          'PSS',
          rows.map((m) => m.pss),
        )}`,
      );
      console.log(
        `  ${summary(
          'anon',
          rows.map((m) => m.anon),
        )}`,
      );
      const byClass = new Map<string, number[]>();
      replicas.forEach((r) => {
        const m = r.pid === null ? undefined : memoryOf(r.pid);
        if (m !== undefined) byClass.set(r.agent, [...(byClass.get(r.agent) ?? []), m.pss]);
      });
      const classes = [...byClass.entries()].map(
        ([n, v]) => `${n} ${(quantile(v, 0.5) / MIB).toFixed(0)}`,
      );
      console.log(`  PSS p50 by agent, MiB: ${classes.join(', ')}`);
    };
    await new Promise((r) => setTimeout(r, Number(args['idle-ms'])));
    measure('idle');
    const orchestrator = system.agents.find(
      (a) => a.implementation === '@vigil/credit-memo/orchestrator',
    );
    if (orchestrator !== undefined) {
      const wall: number[] = [];
      for (let i = 0; i < Number(args.memos); i += 1) {
        const t = performance.now();
        await supervisor.invoke(
          orchestrator.name,
          'draft-memo',
          { borrowerId: args.borrower },
          { deadlineMs: 120_000 },
        );
        wall.push(performance.now() - t);
      }
      const warm = wall.slice(1);
      console.log(
        `memo end to end: first ${(wall[0]! / 1000).toFixed(2)} s (cold connections), warm p50 ${(quantile(warm, 0.5) / 1000).toFixed(2)} s, max ${(Math.max(...warm) / 1000).toFixed(2)} s over ${warm.length}`,
      );
      measure('after memos');
    }
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await supervisor.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

await main();
