/**
 * bench/scale-out: incidents per second with one and with two coordinator replicas on
 * one PostgreSQL, and the failover time after `kill -9` of an incident's owner, with the
 * peak RSS of every replica. Replicas are OS processes (the coordinator's replica
 * harness): real Coordinator, PostgreSQL incident store, leases, fenced checkpointer and
 * the remediator's PostgreSQL ledger; specialists answered in-process (offline analyser,
 * an allow table), so the figure is the coordinator tier's own.
 *
 * Usage: flock /tmp/vigil-bench.lock node --import tsx bench/scale-out/main.ts [--incidents N]
 */
import { execFileSync } from 'node:child_process';
import {
  minerFinding,
  prepareDatabase,
  startReplica,
  type Replica,
} from '@vigil/coordinator/testing';
import type { Finding } from '@vigil/soc';
import { startPostgres } from '@vigil/testkit';

const arg = process.argv.indexOf('--incidents');
const INCIDENTS = arg > 0 ? Number(process.argv[arg + 1]) : 200;
const LEASE_TTL_MS = 2_000;
const ADOPT_EVERY_MS = 250;

const afters: (() => Promise<void> | void)[] = [];
const hooks = { after: (fn: () => Promise<void> | void) => void afters.push(fn) };

function findingOn(run: string, i: number): Finding {
  const pod = `web-${run}-${i}`;
  return {
    ...minerFinding,
    id: `f-${run}-${i}`,
    event: { ...minerFinding.event, id: `e-${run}-${i}`, workload: { namespace: 'shop', pod } },
    entities: { workload: `shop/${pod}`, addresses: [] },
  };
}

const options = (url: string, owner: string, hold = false) => ({
  url,
  owner,
  leaseTtlMs: LEASE_TTL_MS,
  adoptEveryMs: ADOPT_EVERY_MS,
  decisions: { 'isolate-pod': 'allow' as const },
  rollup: false,
  holdAfterExecute: hold,
});

/** Sends `INCIDENTS` findings round-robin and waits until every incident closed. */
async function throughput(replicas: readonly Replica[], run: string) {
  const findings = Array.from({ length: INCIDENTS }, (_, i) => findingOn(run, i));
  const started = performance.now();
  findings.forEach((f, i) => replicas[i % replicas.length]!.sendFinding(f));
  const ids = await Promise.all(
    findings.map((f, i) =>
      replicas[i % replicas.length]!.next((e) => e.event === 'assigned' && e['findingId'] === f.id),
    ),
  );
  await Promise.all(
    ids.map((a) =>
      Promise.race(
        replicas.map((r) =>
          r.next((e) => e.event === 'closed' && e['incidentId'] === a['incidentId']),
        ),
      ),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    incidents: INCIDENTS,
    seconds: Number(seconds.toFixed(2)),
    incidentsPerSecond: Number((INCIDENTS / seconds).toFixed(1)),
    peakRssMiB: await Promise.all(
      replicas.map(async (r) => Number((((await r.peakRss()) ?? 0) / 2 ** 20).toFixed(1))),
    ),
  };
}

try {
  const load = () => execFileSync('uptime').toString().trim();
  const loadBefore = load();
  const one = await startPostgres(hooks);
  await prepareDatabase(one.url);
  const single = [await startReplica(options(one.url, 'solo'), hooks)];
  const oneReplica = await throughput(single, 'one');
  await single[0]!.kill();

  const two = await startPostgres(hooks);
  await prepareDatabase(two.url);
  const pair = [
    await startReplica(options(two.url, 'a'), hooks),
    await startReplica(options(two.url, 'b'), hooks),
  ];
  const twoReplicas = await throughput(pair, 'two');
  for (const r of pair) await r.kill();

  // Failover: the owner acts, is killed before its checkpoint, the survivor closes it.
  const three = await startPostgres(hooks);
  await prepareDatabase(three.url);
  const owner = await startReplica(options(three.url, 'owner', true), hooks);
  const survivor = await startReplica(options(three.url, 'survivor'), hooks);
  owner.sendFinding(findingOn('failover', 0));
  const executed = await owner.next((e) => e.event === 'executed');
  const killedAt = performance.now();
  await owner.kill();
  await survivor.next((e) => e.event === 'closed' && e['incidentId'] === executed['incidentId']);
  const failoverMs = Math.round(performance.now() - killedAt);

  console.log(
    JSON.stringify(
      {
        oneReplica,
        twoReplicas,
        scalingFactor: Number(
          (twoReplicas.incidentsPerSecond / oneReplica.incidentsPerSecond).toFixed(2),
        ),
        failover: { leaseTtlMs: LEASE_TTL_MS, adoptEveryMs: ADOPT_EVERY_MS, failoverMs },
        cores: Number(execFileSync('nproc').toString().trim()),
        loadBefore,
        loadAfter: load(),
      },
      null,
      2,
    ),
  );
} finally {
  for (const fn of afters.reverse()) await fn();
}
