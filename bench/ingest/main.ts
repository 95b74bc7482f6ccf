/**
 * bench/ingest — end-to-end detector ingestion on one process, and the LLM-tier reduction.
 *
 *   node --import tsx bench/ingest/main.ts [--density 30000] [--train-days 2] [--repeat 4]
 *
 * 1. Detection on the scenario: train on normal traffic of a separate scenario (seed 101) at
 *    the same density, score the evaluation scenario (seed 1): events in, findings out,
 *    share filtered, recall of the labelled attack events, attacks with at least one
 *    finding. Done at the SOC demo's density (3,000 events a day) and at a busier cluster's.
 * 2. Throughput: NDJSON over HTTP (keep-alive, 1,000-line requests, 4 in flight, bearer
 *    token) into the HTTP source, normalisation, features and scoring, sent by a client in
 *    this process and then by a shipper process (`shipper.ts`). Baselines measured in the
 *    same run on the same lines: JSON.parse only (the floor), normalise only, normalise +
 *    score without HTTP.
 * 3. The detector process's peak resident set (VmHWM) for one body at the intake's 16 MiB
 *    limit, the real agent in a process of its own (`detector-rss.ts`).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import {
  loadRuleSet,
  createHttpEventSource,
  DetectorPipeline,
  EntityRates,
  FEATURE_COUNT,
  ModelHolder,
  normaliseEvent,
  trainModel,
  type DetectorModel,
  type SecurityEvent,
} from '@vigil/detector';
import { generateScenario, type Scenario } from '@vigil/soc-scenario';
import { bodyWithin, detectorRss, printRss } from './detector-rss.js';
import { ndjsonBodies, sendBodies } from './send-ndjson.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const DENSITY = Number(args.get('density') ?? 30_000);
const TRAIN_DAYS = Number(args.get('train-days') ?? 2);
const REPEAT = Number(args.get('repeat') ?? 4);
const ALERT_RATE = Number(args.get('alert-rate') ?? 0.003);
const TOKEN = 'bench-token-0123456789abcdef';
/** The rule tier as the agent loads it (the rules shipped with the detector). */
const RULES = loadRuleSet();

function normalise(lines: readonly string[]): SecurityEvent[] {
  return lines.map((l, i) => {
    const r = normaliseEvent(JSON.parse(l));
    if (!r.ok) throw new Error(`line ${i + 1}: ${r.reason}`);
    return r.event;
  });
}

function trainFor(eventsPerDay: number): {
  model: DetectorModel;
  seconds: number;
  baseline: number;
} {
  const t0 = performance.now();
  const train = generateScenario({
    seed: 101,
    events: eventsPerDay * TRAIN_DAYS,
    minutes: 1440 * TRAIN_DAYS,
  });
  const baseline = normalise(train.lines).filter((_, i) => train.labels[i]?.attack === null);
  const { model } = trainModel(baseline, {
    alertRate: ALERT_RATE,
    seed: 1,
    createdAt: new Date(0),
  });
  return { model, seconds: (performance.now() - t0) / 1000, baseline: baseline.length };
}

interface Detection {
  events: number;
  findings: number;
  filtered: number;
  reduction: number;
  attackEvents: number;
  attackFlagged: number;
  attacksCovered: number;
  attacks: number;
  falsePositives: number;
  perAttack: string;
}

async function detect(model: DetectorModel, scenario: Scenario): Promise<Detection> {
  const events = normalise(scenario.lines);
  const flagged = new Set<string>();
  const pipeline = new DetectorPipeline({
    holder: new ModelHolder(model),
    forward: async (f) => void flagged.add(f.event.id),
  });
  for (const e of events) await pipeline.sink(e, { source: 'bench', ref: '', line: 0, attempt: 1 });
  const s = pipeline.stats();
  const per = new Map<string, [number, number]>();
  let attackEvents = 0;
  let attackFlagged = 0;
  scenario.labels.forEach((l, i) => {
    if (l.attack === null) return;
    attackEvents += 1;
    const hit = flagged.has((events[i] as SecurityEvent).id);
    if (hit) attackFlagged += 1;
    const p = per.get(l.attack) ?? [0, 0];
    p[0] += hit ? 1 : 0;
    p[1] += 1;
    per.set(l.attack, p);
  });
  return {
    events: s.scored,
    findings: s.findings,
    filtered: s.filtered,
    reduction: s.reduction,
    attackEvents,
    attackFlagged,
    attacksCovered: [...per.values()].filter(([h]) => h > 0).length,
    attacks: per.size,
    falsePositives: s.findings - attackFlagged,
    perAttack: [...per].map(([id, [h, n]]) => `${id} ${h}/${n}`).join(', '),
  };
}

function printDetection(
  title: string,
  d: Detection,
  train: { seconds: number; baseline: number },
): void {
  console.log(`\n${title}`);
  console.log(
    `  baseline: ${train.baseline} normal events, trained in ${train.seconds.toFixed(1)} s (alert rate ${ALERT_RATE})`,
  );
  console.log(
    `  events in ${d.events}, findings out ${d.findings}: ${d.reduction.toFixed(1)} events per finding, ${(100 * d.filtered).toFixed(2)}% filtered (target ≥ 99%)`,
  );
  console.log(
    `  attack events flagged ${d.attackFlagged}/${d.attackEvents} = ${((100 * d.attackFlagged) / d.attackEvents).toFixed(1)}% (target ≥ 95%); attacks with a finding ${d.attacksCovered}/${d.attacks}`,
  );
  console.log(
    `  false positives ${d.falsePositives} (${((100 * d.falsePositives) / (d.events - d.attackEvents)).toFixed(2)}% of normal events)`,
  );
  console.log(`  per attack: ${d.perAttack}`);
}

/**
 * The scoring stages alone, on events normalised beforehand: feature extraction, the
 * forest one event at a time, and the forest over all rows at once (tree by tree). In a
 * function of its own so that the normalised events and their rows (hundreds of MiB) are
 * garbage before the HTTP paths run: a detector process does not hold them, and a heap
 * that does makes every major collection of the HTTP runs trace them.
 */
function scoringStages(model: DetectorModel, all: readonly string[]) {
  const n = all.length;
  let sink = 0;
  const events = normalise(all);
  const rulesRate = rates(n, () => {
    for (let i = 0; i < n; i++) sink += RULES.evaluate(events[i]!).hits.length;
  });
  // One event at a time through features, forest and rules, as the pipeline scores it:
  // the latency of each call (hrtime around it), after a warm pass over the same events.
  const single = new DetectorPipeline({
    holder: new ModelHolder(model),
    rules: RULES,
    forward: async () => {},
  });
  for (let i = 0; i < Math.min(n, 20_000); i++) single.score(events[i]!);
  const latencies = new Float64Array(Math.min(n, 50_000));
  for (let i = 0; i < latencies.length; i++) {
    const t = process.hrtime.bigint();
    sink += single.score(events[i]!).anomalous ? 1 : 0;
    sink += RULES.evaluate(events[i]!).hits.length;
    latencies[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  latencies.sort();
  const latency = {
    p50: latencies[Math.floor(latencies.length * 0.5)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
  };
  const matrix = new Float64Array(n * FEATURE_COUNT);
  const entityRates = new EntityRates();
  const featuresRate = rates(n, () => {
    for (let i = 0; i < n; i++)
      model.encoder.extractInto(events[i]!, entityRates, matrix, i * FEATURE_COUNT);
  });
  const singleRate = rates(n, () => {
    for (let i = 0; i < n; i++) sink += model.forest.score(matrix, i * FEATURE_COUNT);
  });
  const scores = new Float64Array(n);
  const batchRate = rates(n, () => model.forest.scoreBatch(matrix, n, FEATURE_COUNT, scores));
  return { featuresRate, singleRate, batchRate, rulesRate, latency, sink };
}

async function throughput(model: DetectorModel, lines: readonly string[]): Promise<void> {
  const all: string[] = [];
  for (let r = 0; r < REPEAT; r++) all.push(...lines);
  const n = all.length;
  console.log(`\nThroughput on ${n} events (${REPEAT} × the evaluation scenario), one process`);

  let sink = 0;
  // Baseline 1: JSON.parse only.
  const parseRate = rates(n, () => {
    for (const l of all) sink += (JSON.parse(l) as object) === null ? 0 : 1;
  });
  // Baseline 2: parse + normalise.
  const normRate = rates(n, () => {
    for (const l of all) sink += normaliseEvent(JSON.parse(l)).ok ? 1 : 0;
  });
  // Baseline 3: parse + normalise + features + score + rules, no HTTP.
  const inproc = new DetectorPipeline({
    holder: new ModelHolder(model),
    rules: RULES,
    forward: async () => {},
  });
  const scoreRate = rates(n, () => {
    for (const l of all) {
      const r = normaliseEvent(JSON.parse(l));
      if (r.ok) {
        sink += inproc.score(r.event).anomalous ? 1 : 0;
        sink += RULES.evaluate(r.event).hits.length;
      }
    }
  });
  const stages = scoringStages(model, all);
  sink += stages.sink;

  // End to end over HTTP: into a no-op sink (ingestion + normalisation alone), then into
  // the pipeline (features, scoring, findings) — with the client in this process, and then
  // from a shipper process of its own, as a log shipper runs beside a detector.
  const BATCH = 1000;
  const bodies = ndjsonBodies(all, BATCH);
  const ndjsonFile = join(mkdtempSync(join(tmpdir(), 'vigil-bench-ingest-')), 'events.ndjson');
  writeFileSync(ndjsonFile, `${all.join('\n')}\n`);
  let retries = 0;
  type Client = (url: URL, waitForRoom: () => Promise<void>) => Promise<() => Promise<number>>;
  // The bench client waits for the queue instead of Retry-After seconds.
  const inProcess: Client = async (url, waitForRoom) => () =>
    sendBodies(url, TOKEN, bodies, 4, waitForRoom);
  const shipperProcess: Client = async (url) => {
    const child = fork(
      fileURLToPath(new URL('./shipper.ts', import.meta.url)),
      [ndjsonFile, url.href, TOKEN, String(BATCH), '4'],
      { execArgv: ['--import', 'tsx'] },
    );
    const message = () =>
      new Promise<Record<string, number>>((resolve, reject) => {
        child.once('message', (m) => resolve(m as Record<string, number>));
        child.once('exit', (code) => reject(new Error(`shipper exited with ${code}`)));
      });
    await message(); // ready: its requests are built
    return async () => {
      const done = message();
      child.send('go');
      return (await done)['retries'] ?? 0;
    };
  };
  const overHttp = async (
    sinkFn: Parameters<ReturnType<typeof createHttpEventSource>['start']>[0],
    client: Client,
  ): Promise<Rates> => {
    const source = createHttpEventSource({
      auth: { bearerTokens: [TOKEN] },
      maxQueuedRequests: 16,
      // The scenario is sent REPEAT times with the same event ids: each copy is to be
      // processed like a new event, not answered as a duplicate of the first.
      duplicateWindow: 0,
    });
    await source.start(sinkFn);
    const send = await client(new URL(source.url as string), () => source.idle());
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    retries += await send();
    await source.idle();
    const cpu = process.cpuUsage(c0);
    const rate = {
      wall: n / ((performance.now() - t0) / 1000),
      cpu: n / ((cpu.user + cpu.system) / 1e6),
    };
    const stats = source.counters.snapshot();
    await source.stop();
    if (stats.processed !== n) throw new Error(`processed ${stats.processed} of ${n}`);
    return rate;
  };
  const pipelineSink = () =>
    new DetectorPipeline({ holder: new ModelHolder(model), rules: RULES, forward: async () => {} });
  const ingestOnly = await overHttp(async () => {}, inProcess);
  const pipeline = pipelineSink();
  const e2e = await overHttp(pipeline.sink, inProcess);
  const shippedIngestOnly = await overHttp(async () => {}, shipperProcess);
  const shipped = pipelineSink();
  const e2eShipped = await overHttp(shipped.sink, shipperProcess);
  rmSync(dirname(ndjsonFile), { recursive: true, force: true });

  const row = (name: string, rate: Rates): string =>
    `  ${name.padEnd(60)} ${Math.round(rate.wall).toLocaleString('en').padStart(10)} events/s  ${(rate.wall / parseRate.wall).toFixed(2)}× parse-only  ${Math.round(rate.cpu).toLocaleString('en').padStart(10)} events/CPU-s  ${(rate.cpu / parseRate.cpu).toFixed(2)}×`;
  console.log(row('JSON.parse only (baseline, same lines)', parseRate));
  console.log(row('parse + normalise', normRate));
  console.log(row('parse + normalise + features + score + rules (no HTTP)', scoreRate));
  console.log(row('  stage: features of normalised events', stages.featuresRate));
  console.log(row('  stage: forest, one event at a time', stages.singleRate));
  console.log(row('  stage: forest, all rows tree by tree (scoreBatch)', stages.batchRate));
  console.log(row(`  stage: rules (${RULES.rules.length}) of normalised events`, stages.rulesRate));
  console.log(
    `  single-event scoring (features + forest + rules, one call each): p50 ${stages.latency.p50.toFixed(2)} µs, p99 ${stages.latency.p99.toFixed(2)} µs (target p50 < 5 µs)`,
  );
  console.log(row('HTTP NDJSON → normalise (no scoring), client in process', ingestOnly));
  console.log(row('HTTP NDJSON → normalise → rules + score, client in process', e2e));
  console.log(row('HTTP NDJSON → normalise (no scoring), shipper process', shippedIngestOnly));
  console.log(
    row('HTTP NDJSON → normalise → rules + score, shipper (target ≥ 100,000)', e2eShipped),
  );
  console.log(
    `  end to end: ${bodies.length} requests of ${BATCH} lines, ${retries} answered 429 and were resent, ${pipeline.stats().findings} and ${shipped.stats().findings} findings (scored ${pipeline.stats().scored} and ${shipped.stats().scored}); events/CPU-s counts this (the detector's) process only${sink > 0 ? '' : ''}`,
  );
}

/**
 * Events per second of wall-clock time, and per second of this process's CPU time (user +
 * system, all threads): the second does not count time spent waiting for a core, which
 * on a shared machine is most of the difference.
 */
interface Rates {
  readonly wall: number;
  readonly cpu: number;
}

function rates(n: number, run: () => void): Rates {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  run();
  const cpu = process.cpuUsage(c0);
  return {
    wall: n / ((performance.now() - t0) / 1000),
    cpu: n / ((cpu.user + cpu.system) / 1e6),
  };
}

const t0 = performance.now();
console.log(`bench/ingest — Node ${process.version}, ${process.platform}/${process.arch}`);
const demoTrain = trainFor(3000);
const demo = generateScenario({ seed: 1 });
printDetection(
  'Detection on the SOC demo scenario (examples/soc-demo: seed 1, 3,000 events, one day)',
  await detect(demoTrain.model, demo),
  demoTrain,
);
const busyTrain = trainFor(DENSITY);
const busy = generateScenario({ seed: 1, events: DENSITY, minutes: 1440 });
printDetection(
  `Detection on a busier day (seed 1, ${DENSITY.toLocaleString('en')} events, one day)`,
  await detect(busyTrain.model, busy),
  busyTrain,
);
await throughput(busyTrain.model, busy.lines);
// The largest body the intake accepts (the 16 MiB default limit), of another day's traffic.
const large = generateScenario({ seed: 5, events: 24_000, minutes: 1440 });
console.log('\nDetector process, one body at the body limit (a process of its own per body)');
printRss(
  await detectorRss(
    busyTrain.model,
    'scenario seed 5 at the 16 MiB limit',
    bodyWithin(large.lines, 16 * 1024 * 1024),
  ),
);
console.log(
  `\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; total ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
