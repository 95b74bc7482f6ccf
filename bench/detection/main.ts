/**
 * Detection quality on data Vigil did not generate: the labelled public corpus
 * (`corpus/corpus.ndjson`, documented in README.md) and, beside it, the demo scenario.
 *
 *   node --import tsx bench/detection/main.ts [--corpus <file>] [--json]
 *
 * Every event goes through the detector's own pipeline (`DetectorPipeline`: normalisation,
 * health routing, features, forest, novelty gate and whatever else the pipeline does —
 * the rule tier's `finding.detection` is read when present) and every finding through the
 * offline analyst (`analyseOffline`), so the figures move with the code, not with this
 * file. Nothing here knows the corpus' values.
 *
 * Printed per ATT&CK technique (the label's) and per delivery format: attack recall,
 * benign false-positive rate, hard look-alike false-positive rate, technique match (same
 * parent technique named by the analysis, over flagged attacks) and ROC AUC of the final
 * score (attacks against benign and look-alikes). The final score is the detector's own
 * `detectionScore` (rules/detection-score.ts): the rule tier's decision first, the forest's ranking within.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyseOffline } from '@vigil/analyst';
import {
  DetectorPipeline,
  EventScorer,
  ModelHolder,
  expandRecords,
  loadRuleSet,
  normaliseEvent,
  detectionScore,
  trainModel,
  type SecurityEvent,
} from '@vigil/detector';
import type { Finding } from '@vigil/soc';
import { generateScenario } from '@vigil/soc-scenario';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

type Label = 'attack' | 'benign' | 'lookalike';

type Split = 'dev' | 'test';

interface Sample {
  readonly group: string;
  /** The corpus split (`corpus/split.tsv`); the demo's events have none. */
  readonly split?: Split;
  readonly format: string;
  readonly label: Label;
  readonly technique: string | null;
  readonly record: unknown;
}

interface Outcome {
  readonly sample: Sample;
  /** Normalised and scored (false: refused by normalisation, or a health signal). */
  readonly scored: boolean;
  readonly health: boolean;
  readonly flagged: boolean;
  readonly score: number;
  readonly techniqueMatch: boolean | null;
  /** Rule ids that fired on the judged event, or why normalisation refused the sample. */
  readonly why: string;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** The model the detector bootstraps with (vigil.yaml `bootstrap`): the demo estate's generated normal traffic. */
function bootstrapModel(estateHistory: boolean) {
  const train = generateScenario({ seed: 101, events: 3000 * 2, minutes: 1440 * 2 });
  const baseline: SecurityEvent[] = [];
  train.lines.forEach((line, i) => {
    if (train.labels[i]?.attack !== null) return;
    const n = normaliseEvent(JSON.parse(line));
    if (n.ok) baseline.push(n.event);
  });
  return trainModel(baseline, { alertRate: 0.003, seed: 1, estateHistory }).model;
}

const parent = (t: string): string => t.split('.')[0]!;

/**
 * The corpus' samples are independent test fixtures, many recorded with the same time
 * stamp: replayed as they are, the per-entity rate windows would count unrelated fixtures
 * as one burst. `spacingMs` > 0 replays sample k at REPLAY_START + k × spacingMs (events
 * of one sample keep their relative times); 0 keeps the recorded times (the demo stream).
 */
const REPLAY_START = Date.UTC(2026, 0, 1);
const CORPUS_SPACING_MS = 10 * 60_000;

async function evaluate(
  samples: readonly Sample[],
  estateHistory: boolean,
  spacingMs: number,
): Promise<Outcome[]> {
  const holder = new ModelHolder(bootstrapModel(estateHistory));
  const findings = new Map<string, Finding>();
  // The rule tier as the agent loads it (the rules shipped with the detector).
  const rules = loadRuleSet();
  const pipeline = new DetectorPipeline({
    holder,
    rules,
    forward: async (f) => void findings.set(f.event.id as string, f),
  });
  // A twin scorer gives the forest score of every event (the pipeline reports only findings');
  // it sees the same events in the same order, so its rates and gate match the pipeline's.
  const probe = new EventScorer(holder);
  const out: Outcome[] = [];
  let seq = 0;
  let slot = 0;
  for (const sample of samples) {
    const events: SecurityEvent[] = [];
    const refusals: string[] = [];
    for (const record of expandRecords(sample.record)) {
      const n = normaliseEvent(record);
      if (n.ok) events.push(n.event);
      else refusals.push(`refused: ${n.reason}`);
    }
    if (events.length === 0) {
      out.push({
        sample,
        scored: false,
        health: false,
        flagged: false,
        score: 0,
        techniqueMatch: null,
        why: refusals.join('; '),
      });
      continue;
    }
    // A sample is one delivery; judged by its highest-scoring event.
    let best: Outcome | undefined;
    const at = spacingMs === 0 ? 0 : REPLAY_START + slot++ * spacingMs - events[0]!.time;
    for (const raw of events) {
      // Ids must be unique per event for the finding lookup (corpus samples may share auditIDs).
      const event = { ...raw, id: `${raw.id}#${seq++}`, time: raw.time + at };
      const health = event.signal === 'health';
      await pipeline.sink(event, { source: 'bench', ref: sample.group, line: seq, attempt: 1 });
      if (health) {
        best ??= {
          sample,
          scored: false,
          health: true,
          flagged: false,
          score: 0,
          techniqueMatch: null,
          why: 'health signal',
        };
        continue;
      }
      const forest = probe.score(event);
      const finding = findings.get(event.id);
      const score = detectionScore(rules, rules.evaluate(event), forest, finding !== undefined);
      let techniqueMatch: boolean | null = null;
      if (finding !== undefined && sample.label === 'attack' && sample.technique !== null) {
        const named = analyseOffline(finding).techniques.map(parent);
        techniqueMatch = named.includes(parent(sample.technique));
      }
      const o: Outcome = {
        sample,
        scored: true,
        health: false,
        flagged: finding !== undefined,
        score,
        techniqueMatch,
        why: (finding?.detection?.ruleHits ?? []).map((h) => h.id).join(' ') || '-',
      };
      if (best === undefined || !best.scored || o.score > best.score) best = o;
    }
    out.push(best!);
  }
  return out;
}

/** ROC AUC by the Mann–Whitney statistic (ties count half); null without both classes. */
function auc(positives: readonly number[], negatives: readonly number[]): number | null {
  if (positives.length === 0 || negatives.length === 0) return null;
  const all = [
    ...positives.map((s) => [s, 1] as const),
    ...negatives.map((s) => [s, 0] as const),
  ].sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]![0] === all[i]![0]) j++;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]![1] === 1) rankSum += rank;
    i = j;
  }
  const p = positives.length;
  return (rankSum - (p * (p + 1)) / 2) / (p * negatives.length);
}

interface Row {
  readonly key: string;
  readonly attacks: number;
  readonly recall: number | null;
  readonly benign: number;
  readonly benignFp: number | null;
  readonly lookalikes: number;
  readonly lookalikeFp: number | null;
  readonly techniqueMatch: number | null;
  readonly matchOf: number;
  readonly auc: number | null;
  readonly refused: number;
  readonly health: number;
}

function row(key: string, outcomes: readonly Outcome[]): Row {
  const scored = outcomes.filter((o) => o.scored);
  const of = (l: Label) => scored.filter((o) => o.sample.label === l);
  const share = (xs: readonly Outcome[]) =>
    xs.length === 0 ? null : xs.filter((o) => o.flagged).length / xs.length;
  const attacks = of('attack');
  const judged = attacks.filter((o) => o.techniqueMatch !== null);
  return {
    key,
    attacks: attacks.length,
    recall: share(attacks),
    benign: of('benign').length,
    benignFp: share(of('benign')),
    lookalikes: of('lookalike').length,
    lookalikeFp: share(of('lookalike')),
    techniqueMatch:
      judged.length === 0 ? null : judged.filter((o) => o.techniqueMatch).length / judged.length,
    matchOf: judged.length,
    auc: auc(
      attacks.map((o) => o.score),
      scored.filter((o) => o.sample.label !== 'attack').map((o) => o.score),
    ),
    refused: outcomes.filter((o) => !o.scored && !o.health).length,
    health: outcomes.filter((o) => o.health).length,
  };
}

function table(title: string, rows: readonly Row[]): string {
  const pct = (v: number | null) => (v === null ? '—' : `${(100 * v).toFixed(1)}%`);
  const head = [
    '',
    'attacks',
    'recall',
    'benign',
    'FP',
    'look-alikes',
    'FP',
    'technique match',
    'AUC',
    'refused',
    'health',
  ];
  const body = rows.map((r) => [
    r.key,
    String(r.attacks),
    pct(r.recall),
    String(r.benign),
    pct(r.benignFp),
    String(r.lookalikes),
    pct(r.lookalikeFp),
    r.techniqueMatch === null ? '—' : `${pct(r.techniqueMatch)} of ${r.matchOf}`,
    r.auc === null ? '—' : r.auc.toFixed(3),
    String(r.refused),
    String(r.health),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [title, line(head), ...body.map(line)].join('\n');
}

function grouped(outcomes: readonly Outcome[], by: (o: Outcome) => string | null): Row[] {
  const groups = new Map<string, Outcome[]>();
  for (const o of outcomes) {
    const k = by(o);
    if (k === null) continue;
    groups.set(k, [...(groups.get(k) ?? []), o]);
  }
  return [...groups.keys()].sort().map((k) => row(k, groups.get(k)!));
}

/** `split.tsv` (written once per sample by `corpus/split.py`): sample id → dev | test. */
function splitOf(path: string): Map<string, Split> {
  const splits = new Map<string, Split>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [id, split] = line.split('\t');
    if (split !== 'dev' && split !== 'test') throw new Error(`${path}: bad line "${line}"`);
    splits.set(id!, split);
  }
  return splits;
}

function corpusSamples(path: string, splits: ReadonlyMap<string, Split>): Sample[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const e = JSON.parse(l) as {
        id: string;
        format: string;
        label: Label;
        technique: string | null;
        record: unknown;
      };
      const split = splits.get(e.id);
      if (split === undefined)
        throw new Error(`sample "${e.id}" has no split: run bench/detection/corpus/split.py`);
      return {
        group: e.id,
        split,
        format: e.format,
        label: e.label,
        technique: e.technique,
        record: e.record,
      };
    });
}

function demoSamples(): Sample[] {
  const lines = readFileSync(join(root, 'examples/soc-demo/scenario.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const labels = readFileSync(join(root, 'examples/soc-demo/scenario.labels.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { attack: string | null; technique: string | null });
  return lines.map((line, i) => {
    const record = JSON.parse(line) as unknown;
    const n = normaliseEvent(record);
    const format = !n.ok ? 'refused' : (n.event.origin ?? n.event.format);
    const l = labels[i]!;
    return {
      group: `demo:${i + 1}`,
      format,
      label: l.attack === null ? 'benign' : 'attack',
      technique: l.technique,
      record,
    };
  });
}

const FORMAT_NAMES: Readonly<Record<string, string>> = {
  'k8s-audit': 'native',
  'eks-cloudwatch': 'eks',
  'aks-diagnostics': 'aks',
  'gke-cloud-logging': 'gke',
  falcosidekick: 'falco',
};

/**
 * `--detail dev`: every missed attack and every flagged benign or look-alike sample of the
 * dev split (with `--all`, every sample of it) with the rules that fired or why it was
 * refused. Only the dev split: the test split is held out, read in aggregate only.
 */
function detail(outcomes: readonly Outcome[]): string {
  const lines = outcomes
    .filter((o) => o.sample.split === 'dev')
    .filter(
      (o) =>
        process.argv.includes('--all') ||
        (o.sample.label === 'attack' ? !o.flagged : o.flagged || !o.scored),
    )
    .map((o) =>
      [
        !o.scored
          ? 'refused'
          : o.sample.label === 'attack'
            ? o.flagged
              ? 'found'
              : 'missed'
            : o.flagged
              ? 'FP'
              : 'passed',
        o.sample.label,
        o.sample.technique ?? '-',
        o.sample.format,
        o.sample.group,
        o.score.toFixed(3),
        o.why,
      ].join('\t'),
    );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const corpusPath = arg('--corpus') ?? join(here, 'corpus', 'corpus.ndjson');
  const splitPath = arg('--split') ?? join(dirname(corpusPath), 'split.tsv');
  const corpus = await evaluate(
    corpusSamples(corpusPath, splitOf(splitPath)),
    false,
    CORPUS_SPACING_MS,
  );
  const wanted = arg('--detail');
  if (wanted !== undefined) {
    if (wanted !== 'dev')
      throw new Error('--detail reads the dev split only: the test split is held out');
    console.log(detail(corpus));
    return;
  }
  const demo = await evaluate(demoSamples(), true, 0);
  const of = (split: Split) => corpus.filter((o) => o.sample.split === split);
  const perSplit = (by: (o: Outcome) => string | null) =>
    (['test', 'dev'] as const).flatMap((split) =>
      grouped(of(split), by).map((r) => ({ ...r, key: `${split} ${r.key}` })),
    );
  const summary = {
    corpus: {
      overall: [row('test', of('test')), row('dev', of('dev')), row('all', corpus)],
      byFormat: perSplit((o) => o.sample.format),
      byTechnique: perSplit((o) => o.sample.technique),
    },
    demo: {
      overall: row('all', demo),
      byFormat: grouped(demo, (o) => FORMAT_NAMES[o.sample.format] ?? o.sample.format),
      byTechnique: grouped(demo, (o) => (o.sample.label === 'attack' ? o.sample.technique : null)),
    },
  };
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const goals =
    'goals (on the held-out test split): recall ≥ 95%, FP ≤ 5% (look-alikes ≤ 10%), technique match ≥ 80%, AUC ≥ 0.95';
  console.log(`bench/detection — ${corpusPath} (split ${splitPath})\n${goals}\n`);
  console.log(
    table(
      'public corpus, overall: held-out test split, dev split (rules are tuned on dev only), all (bootstrap model of the demo estate; the gate warms up on the corpus itself)',
      summary.corpus.overall,
    ),
  );
  console.log();
  console.log(table('public corpus, per split and format', summary.corpus.byFormat));
  console.log();
  console.log(
    table(
      'public corpus, per split and technique (attacks and the look-alikes of that technique)',
      summary.corpus.byTechnique,
    ),
  );
  console.log();
  console.log(table('demo scenario (examples/soc-demo), overall', [summary.demo.overall]));
  console.log();
  console.log(table('demo scenario, per format', summary.demo.byFormat));
  console.log();
  console.log(table('demo scenario, per technique (attack events)', summary.demo.byTechnique));
}

await main();
