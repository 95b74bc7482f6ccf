/**
 * bench/incident: findings through the whole deterministic SOC — real agent processes
 * started by `@vigil/supervisor` as `vigil up` starts them, mTLS A2A between them, the
 * offline analyser, the dry-run executor, the OPA wasm reviewer, SQLite audit and
 * checkpoints — sent to the coordinator's `handle-finding` skill by a client with its own
 * identity. Prints, in one run:
 *
 *   - latency from finding to verdict and to execution (p50/p99), read from the audit trail,
 *     for distinct incidents one at a time, for correlated bursts and for a saturating flood;
 *   - findings per second through the full path (to the incident's notification);
 *   - a per-stage breakdown (accept, analyse, propose, review, execute, notify);
 *   - baselines measured in the same run: a bare A2A hop, a bare policy evaluation and a
 *     bare durable audit append, and the ratios of the incident path to them;
 *   - peak resident memory of every agent process, against the 1 GiB budget.
 *
 *   flock /tmp/vigil-bench.lock node --import tsx bench/incident/main.ts \
 *     [--sequential 200] [--flood 300] [--senders 8] [--groups 20] \
 *     [--baseline-per-incident 5] [--settle-ms 0] [--max-wait-ms 0] [--keep] [--profile]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openAuditStore, type AuditStore } from '@vigil/audit';
import { isVigilError } from '@vigil/core';
import type { Assignment } from '@vigil/coordinator';
import { SKILLS, type Finding } from '@vigil/soc';
import { auditAppendBaseline, hopBaseline, policyBaseline, type Baseline } from './baselines.js';
import { benchFinding } from './findings.js';
import { startSoc, type RunningSoc } from './soc.js';
import { percentile, readTimelines, waitForNotified, type IncidentTimeline } from './timeline.js';

const { values: args } = parseArgs({
  options: {
    sequential: { type: 'string', default: '200' },
    flood: { type: 'string', default: '300' },
    senders: { type: 'string', default: '8' },
    groups: { type: 'string', default: '20' },
    'baseline-per-incident': { type: 'string', default: '5' },
    'settle-ms': { type: 'string', default: '0' },
    'max-wait-ms': { type: 'string', default: '0' },
    keep: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const SEQUENTIAL = Number(args.sequential);
const FLOOD = Number(args.flood);
const SENDERS = Number(args.senders);
const GROUPS = Number(args.groups);
const BASELINE_PER_INCIDENT = Number(args['baseline-per-incident']);
const AGGREGATION = { settleMs: Number(args['settle-ms']), maxWaitMs: Number(args['max-wait-ms']) };
const WARMUP = 20;
/** How long the idle agents' own CPU use is measured, ms. */
const IDLE_MS = 5_000;
/** The target of issue 6. */
const TARGET_P99_VERDICT_MS = 100;
/** The local SOC's memory budget (README, "Resource budget"). */
const BUDGET_MIB = 1024;

/** What one case sent: the first send time of each incident, and how findings were assigned. */
interface Sent {
  readonly sentAt: Map<string, number>;
  readonly assignments: Assignment[];
  readonly firstSend: number;
  readonly lastAccepted: number;
}

/** Wall-clock ms with sub-ms precision, comparable with the agents' audit times. */
const wallNow = (): number => performance.timeOrigin + performance.now();

function recorder(): Sent & { record(a: Assignment, sentAt: number): void } {
  const sent = {
    sentAt: new Map<string, number>(),
    assignments: [] as Assignment[],
    firstSend: Infinity,
    lastAccepted: 0,
    record(a: Assignment, at: number) {
      sent.assignments.push(a);
      sent.firstSend = Math.min(sent.firstSend, at);
      sent.lastAccepted = Math.max(sent.lastAccepted, wallNow());
      if (a.kind === 'rate-limited') return;
      const previous = sent.sentAt.get(a.incidentId);
      sent.sentAt.set(a.incidentId, Math.min(previous ?? Infinity, at));
    },
  };
  return sent;
}

/** Sends one finding; a coordinator whose run queue is full is asked again, as the detector's outbox does. */
async function send(soc: RunningSoc, finding: Finding): Promise<Assignment> {
  for (;;) {
    try {
      return await soc.client.callSkill<Assignment>('coordinator', SKILLS.handleFinding, finding, {
        deadlineMs: 30_000,
      });
    } catch (error) {
      if (!isVigilError(error) || error.details['remoteCode'] !== 'VIGIL_COORDINATOR_BUSY')
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * One incident at a time: a group's findings go out together (as a burst from one workload
 * would), and the next group waits until the webhook received the notification of every
 * incident the group formed — so each incident crosses an otherwise idle SOC.
 */
async function oneAtATime(
  soc: RunningSoc,
  groups: readonly (readonly Finding[])[],
  between: () => Promise<void> = async () => {},
): Promise<Sent> {
  const sent = recorder();
  for (const group of groups) {
    const assignments = await Promise.all(
      group.map(async (finding) => {
        const at = wallNow();
        const assignment = await send(soc, finding);
        sent.record(assignment, at);
        return assignment;
      }),
    );
    const incidents = new Set(
      assignments.flatMap((a) => (a.kind === 'rate-limited' ? [] : [a.incidentId])),
    );
    await Promise.all([...incidents].map((id) => soc.notified(id)));
    await between();
  }
  return sent;
}

/** Findings sent by `senders` concurrent senders as fast as the coordinator accepts them. */
async function flood(
  soc: RunningSoc,
  findings: readonly Finding[],
  senders: number,
): Promise<Sent> {
  const sent = recorder();
  let next = 0;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < findings.length) {
        const finding = findings[next++]!;
        const at = wallNow();
        sent.record(await send(soc, finding), at);
      }
    }),
  );
  return sent;
}

async function complete(store: AuditStore, sent: Sent, since: Date): Promise<IncidentTimeline[]> {
  await waitForNotified(store, new Set(sent.sentAt.keys()), since, 300_000);
  return readTimelines(store, sent.sentAt, since);
}

const fmt = (n: number, digits = 1): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '–';
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

interface CaseResult {
  readonly name: string;
  readonly sent: Sent;
  readonly timelines: IncidentTimeline[];
}

function latencyRow(c: CaseResult): string {
  const toVerdict = c.timelines.map((t) => t.verdict - t.sentAt);
  const toExecution = c.timelines.flatMap((t) =>
    t.execution === undefined ? [] : [t.execution - t.sentAt],
  );
  const end = Math.max(...c.timelines.map((t) => t.notification));
  const findings = c.sent.assignments.length;
  const perSecond = (findings / (end - c.sent.firstSend)) * 1000;
  const decisions = new Map<string, number>();
  for (const d of c.timelines.flatMap((t) => t.decisions))
    decisions.set(d, (decisions.get(d) ?? 0) + 1);
  return [
    c.name.padEnd(26),
    String(findings).padStart(8),
    String(c.timelines.length).padStart(9),
    fmt(perSecond).padStart(10),
    fmt(percentile(toVerdict, 50)).padStart(8),
    fmt(percentile(toVerdict, 99)).padStart(8),
    fmt(percentile(toExecution, 50)).padStart(8),
    fmt(percentile(toExecution, 99)).padStart(8),
    `  ${[...decisions].map(([d, n]) => `${d} ${n}`).join(', ')}`,
  ].join(' ');
}

/** Stage durations of each incident, ms, from consecutive audit times. */
function stages(t: IncidentTimeline): Record<string, number> {
  return {
    'accept (send → finding entry)': t.finding - t.sentAt,
    'analyse (→ analysis)': t.analysis - t.finding,
    'propose (→ proposal)': t.proposal - t.analysis,
    'review (→ last verdict)': t.verdict - t.proposal,
    'execute (→ execution outcome)': (t.execution ?? t.verdict) - t.verdict,
    'notify (→ notification)': t.notification - (t.execution ?? t.verdict),
  };
}

function stageTable(timelines: readonly IncidentTimeline[]): string[] {
  const rows = timelines.map(stages);
  const names = Object.keys(rows[0] ?? {});
  const total = percentile(
    timelines.map((t) => t.notification - t.sentAt),
    50,
  );
  return [
    'stage (one at a time)             p50 ms   p99 ms   share of p50 total',
    ...names.map((name) => {
      const values = rows.map((r) => r[name]!);
      const p50 = percentile(values, 50);
      return `  ${name.padEnd(31)} ${fmt(p50).padStart(6)} ${fmt(percentile(values, 99)).padStart(8)}   ${fmt((p50 / total) * 100, 0).padStart(5)} %`;
    }),
    `  ${'total (send → notification)'.padEnd(31)} ${fmt(total).padStart(6)}`,
  ];
}

function baselineRow(b: Baseline): string {
  return `  ${b.name.padEnd(34)} ${fmt(percentile(b.latencies, 50), 3).padStart(8)} ${fmt(percentile(b.latencies, 99), 3).padStart(8)}`;
}

async function main(): Promise<void> {
  const loadAtStart = load();
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-bench-incident-'));
  // Workload indices: warm-up, one at a time, flood, correlated groups — every incident its own pod.
  const base = {
    warmup: 0,
    sequential: WARMUP,
    flood: WARMUP + SEQUENTIAL,
    groups: WARMUP + SEQUENTIAL + FLOOD,
  };
  const workloads = base.groups + GROUPS;
  const configSource = resolve('vigil.yaml');
  process.stderr.write(`starting the SOC (state ${stateDir})…\n`);
  const soc = await startSoc({
    sourcePath: configSource,
    stateDir,
    workloads,
    aggregation: AGGREGATION,
    // --profile: every agent writes a V8 CPU profile (sampled on wall time, so blocking
    // synchronous calls show up) into the kept state directory when it stops.
    ...(args.profile
      ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${join(stateDir, 'profiles')}`] }
      : {}),
  });
  const store = await openAuditStore(soc.system.storage.audit, stateDir);
  try {
    const since = new Date();
    const single = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => [benchFinding(from + i)]);

    process.stderr.write('warm-up…\n');
    await complete(store, await oneAtATime(soc, single(base.warmup, WARMUP)), since);

    process.stderr.write('baselines: warm-up…\n');
    const baselines: Baseline[] = [
      await hopBaseline(soc.system, stateDir, benchFinding(workloads)),
      await policyBaseline(soc.system, dirname(configSource)),
      await auditAppendBaseline(stateDir),
    ];
    // Baseline samples interleave with the incidents, so both see the same machine load.
    const sampleBaselines = async (): Promise<void> => {
      for (const b of baselines)
        for (let i = 0; i < BASELINE_PER_INCIDENT; i += 1) await b.sample();
    };

    process.stderr.write(`one at a time: ${SEQUENTIAL} distinct incidents…\n`);
    // Idle agents still work (probes, timers): measure that rate so it can be taken out.
    const idleBefore = soc.cpuMs();
    const idleStart = wallNow();
    await new Promise((done) => setTimeout(done, IDLE_MS));
    const idleElapsed = wallNow() - idleStart;
    const cpuBefore = soc.cpuMs();
    const idleRate = new Map(
      [...cpuBefore].map(([agent, ms]) => [agent, (ms - idleBefore.get(agent)!) / idleElapsed]),
    );
    const phaseStart = wallNow();
    const sequentialCase: CaseResult = await (async () => {
      const from = new Date();
      const sent = await oneAtATime(soc, single(base.sequential, SEQUENTIAL), sampleBaselines);
      return {
        name: 'one at a time, distinct',
        sent,
        timelines: await complete(store, sent, from),
      };
    })();
    const cpuAfter = soc.cpuMs();
    const phaseElapsed = wallNow() - phaseStart;
    for (const b of baselines) await b.close();
    // CPU each agent spent per incident (one at a time): unlike wall time, not inflated by
    // other load on the machine, so it says what each step costs.
    const cpuPerIncident = [...cpuAfter].map(
      ([agent, ms]) =>
        [
          agent,
          (ms - cpuBefore.get(agent)! - idleRate.get(agent)! * phaseElapsed) / SEQUENTIAL,
        ] as const,
    );

    process.stderr.write(`correlated: ${GROUPS} bursts of shell + miner in one pod…\n`);
    const groupCase: CaseResult = await (async () => {
      const from = new Date();
      const groups = Array.from({ length: GROUPS }, (_, i) => [
        benchFinding(base.groups + i, 'shell', 0),
        benchFinding(base.groups + i, 'miner', 1),
      ]);
      const sent = await oneAtATime(soc, groups);
      return {
        name: 'one at a time, correlated',
        sent,
        timelines: await complete(store, sent, from),
      };
    })();

    process.stderr.write(`flood: ${FLOOD} distinct incidents, ${SENDERS} senders…\n`);
    const floodCase: CaseResult = await (async () => {
      const from = new Date();
      const findings = Array.from({ length: FLOOD }, (_, i) => benchFinding(base.flood + i));
      const sent = await flood(soc, findings, SENDERS);
      return {
        name: `flood, ${SENDERS} senders`,
        sent,
        timelines: await complete(store, sent, from),
      };
    })();

    const rss = soc.peakRss();
    if (args.profile) {
      // profile-summary.ts names each profile (CPU.<date>.<time>.<pid>…) by its agent.
      mkdirSync(join(stateDir, 'profiles'), { recursive: true });
      writeFileSync(
        join(stateDir, 'profiles', 'agents.json'),
        JSON.stringify(Object.fromEntries(rss.map((r) => [r.pid, r.agent]))),
      );
    }
    const cases = [sequentialCase, groupCase, floodCase].filter(
      (c) => c.sent.assignments.length > 0,
    );

    const sequentialVerdict = sequentialCase.timelines.map((t) => t.verdict - t.sentAt);
    const [hop, policy, append] = baselines.map((b) => percentile(b.latencies, 50)) as [
      number,
      number,
      number,
    ];
    const floor = 4 * hop + policy + 4 * append;
    const verdictP50 = percentile(sequentialVerdict, 50);
    const verdictP99 = percentile(sequentialVerdict, 99);
    const joined = groupCase.sent.assignments.filter((a) => a.kind === 'joined').length;
    const rateLimited = cases
      .flatMap((c) => c.sent.assignments)
      .filter((a) => a.kind === 'rate-limited');
    const floodAccepted =
      (floodCase.sent.assignments.length /
        (floodCase.sent.lastAccepted - floodCase.sent.firstSend)) *
      1000;

    const lines = [
      `incident benchmark — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}; load average at start ${loadAtStart}`,
      `SOC: ${rss.length} agent processes (vigil.yaml as shipped: offline analyser, dry-run executor, OPA wasm reviewer, SQLite audit + checkpoints; coordinator concurrency as declared); dry-run inventory of ${workloads} pods, one per incident`,
      `aggregation window: settleMs ${AGGREGATION.settleMs}, maxWaitMs ${AGGREGATION.maxWaitMs} (shipped default 2000 / 10000: a distinct incident then waits settleMs before analysis, a burst up to maxWaitMs — add it to every latency below)`,
      '',
      "latency from the send of an incident's (first) finding, ms; findings/s = findings ÷ (first send → last notification)",
      'case                       findings incidents  findings/s  verdict p50  p99  exec p50  p99    verdicts',
      ...cases.map(latencyRow),
      `  correlated: ${groupCase.sent.assignments.length} findings → ${groupCase.timelines.length} incidents (${joined} joined an open incident); analyses per incident: ${[...new Set(groupCase.timelines.map((t) => t.analyses))].join(', ')}`,
      ...(FLOOD > 0
        ? [
            `  flood: handle-finding accepted ${fmt(floodAccepted, 0)} findings/s; incidents closed at ${fmt((floodCase.sent.assignments.length / (Math.max(...floodCase.timelines.map((t) => t.notification)) - floodCase.sent.firstSend)) * 1000)} /s`,
          ]
        : []),
      ...(rateLimited.length > 0 ? [`  rate-limited findings: ${rateLimited.length}`] : []),
      '',
      ...stageTable(sequentialCase.timelines),
      `CPU per incident (one at a time, /proc utime+stime, net of the idle rate measured over ${IDLE_MS / 1000} s: ${fmt([...idleRate.values()].reduce((s, r) => s + r, 0) * 1000)} ms/s for all agents), ms: ${cpuPerIncident.map(([a, ms]) => `${a} ${fmt(ms)}`).join(', ')}; all agents ${fmt(cpuPerIncident.reduce((s, [, ms]) => s + ms, 0))}`,
      '',
      'baselines (same run, bench process, sequential)   p50 ms   p99 ms',
      ...baselines.map(baselineRow),
      `  floor to a verdict = 4 hops + 1 evaluation + 4 appends = ${fmt(floor, 2)} ms; one-at-a-time p50 finding→verdict ${fmt(verdictP50)} ms = ${fmt(verdictP50 / floor, 1)}× the floor, ${fmt(verdictP50 / hop, 1)}× one hop, ${fmt(verdictP50 / policy, 0)}× one evaluation`,
      '',
      `target p99 finding→verdict < ${TARGET_P99_VERDICT_MS} ms (one at a time, window 0): ${verdictP99 < TARGET_P99_VERDICT_MS ? 'met' : 'NOT met'} (${fmt(verdictP99)} ms)`,
      '',
      'peak RSS (VmHWM) per agent process, MiB',
      ...rss.map(
        (r) => `  ${r.agent.padEnd(12)} pid ${String(r.pid).padEnd(8)} ${fmt(r.mib).padStart(7)}`,
      ),
      `  ${'sum'.padEnd(25)} ${fmt(rss.reduce((s, r) => s + r.mib, 0)).padStart(7)}  (budget ${BUDGET_MIB} MiB: ${rss.reduce((s, r) => s + r.mib, 0) <= BUDGET_MIB ? 'within' : 'OVER'})`,
      `  bench process ${fmt(process.resourceUsage().maxRSS / 1024)} MiB; webhook received ${soc.delivered()} notifications`,
      `load average at the end: ${load()}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await store.close();
    await soc.stop();
    if (args.keep || args.profile) process.stderr.write(`state kept in ${stateDir}\n`);
    else rmSync(stateDir, { recursive: true, force: true });
  }
}

await main();
