/**
 * bench/iforest-odds: Vigil's Isolation Forest against scikit-learn's IsolationForest on the
 * ODDS datasets of the original paper (Liu, Ting and Zhou, ICDM 2008, Table 2), both run in
 * this job on this machine. Per dataset: mean (sd) ROC AUC over seeds next to scikit-learn's
 * and the paper's, batch scoring throughput of both and the ratio, single-event latency
 * (median, p99) of both, and peak resident memory of both processes.
 *
 *   node --import tsx bench/iforest-odds/main.ts [--quick] [--seeds N] [--datasets a,b]
 *
 * The scikit-learn baseline runs in a virtual environment under bench/.venv that this
 * script creates on first use (python3 -m venv; pip install -r requirements.txt).
 * Datasets: ../shared/datasets/odds relative to the repository root, or env VIGIL_ODDS_DIR.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { cpus, totalmem } from 'node:os';
import { IsolationForest } from '@vigil/detector';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const oddsDir = process.env['VIGIL_ODDS_DIR'] ?? resolve(repoRoot, '../shared/datasets/odds');
const venv = join(repoRoot, 'bench/.venv');
const python = join(venv, 'bin/python');

const TREES = 100;
const SAMPLE_SIZE = 256;
/** Datasets with more rows than this are skipped by --quick. */
const QUICK_MAX_ROWS = 60_000;

/** The paper's Table 2 AUC (iForest column), for reference. */
const PAPER_AUC: Record<string, number> = {
  http: 1.0,
  cover: 0.88,
  mulcross: 0.97,
  smtp: 0.88,
  shuttle: 1.0,
  mammography: 0.86,
  annthyroid: 0.82,
  satellite: 0.71,
  pima: 0.67,
  breastw: 0.99,
  arrhythmia: 0.8,
  ionosphere: 0.85,
  ionosphere32: 0.85,
};

interface Args {
  quick: boolean;
  seeds: number;
  datasets: string[] | undefined;
  sklearn: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, seeds: 10, datasets: undefined, sklearn: true };
  let seedsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--no-sklearn') args.sklearn = false;
    else if (a === '--seeds') {
      args.seeds = Number(argv[++i]);
      seedsGiven = true;
      if (!Number.isInteger(args.seeds) || args.seeds < 1)
        throw new Error('--seeds must be a positive integer');
    } else if (a === '--datasets') args.datasets = (argv[++i] ?? '').split(',').filter(Boolean);
    else
      throw new Error(
        `unknown argument ${a}; usage: main.ts [--quick] [--seeds N] [--datasets a,b] [--no-sklearn]`,
      );
  }
  if (args.quick && !seedsGiven) args.seeds = 3;
  return args;
}

interface Dataset {
  name: string;
  rows: number;
  cols: number;
  x: Float64Array;
  labels: Uint8Array;
}

function loadDataset(file: string, name: string): Dataset {
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  const lines = text.split('\n');
  const header = lines[0]?.split(',') ?? [];
  if (header[header.length - 1] !== 'label') throw new Error(`${file}: last column is not 'label'`);
  const cols = header.length - 1;
  let rows = 0;
  for (let i = 1; i < lines.length; i++) if (lines[i]!.length > 0) rows++;
  const x = new Float64Array(rows * cols);
  const labels = new Uint8Array(rows);
  let r = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0) continue;
    const cells = line.split(',');
    if (cells.length !== cols + 1)
      throw new Error(`${file}:${i + 1}: ${cells.length} cells, expected ${cols + 1}`);
    for (let j = 0; j < cols; j++) {
      const v = Number(cells[j]);
      if (!Number.isFinite(v)) throw new Error(`${file}:${i + 1}: column ${j} is not a number`);
      x[r * cols + j] = v;
    }
    labels[r] = Number(cells[cols]) === 1 ? 1 : 0;
    r++;
  }
  return { name, rows, cols, x, labels };
}

/** ROC AUC with average ranks for ties (Mann–Whitney U), higher score = more anomalous. */
function rocAuc(scores: Float64Array, labels: Uint8Array): number {
  const n = scores.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let positives = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        rankSumPos += avgRank;
        positives++;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  return (rankSumPos - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

interface SideResult {
  aucs: number[];
  fitSeconds: number[];
  /** Wall-clock seconds of one batch scoring of all rows. */
  batchSeconds: number[];
  /** CPU seconds (user + system) of the same: unaffected by time the process spent descheduled. */
  batchCpuSeconds: number[];
  latencyMicros: number[];
  maxRssKiB: number;
}

function runVigil(d: Dataset, seeds: number): SideResult {
  const aucs: number[] = [];
  const fitSeconds: number[] = [];
  const batchSeconds: number[] = [];
  const batchCpuSeconds: number[] = [];
  const out = new Float64Array(d.rows);
  let latencyMicros: number[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    let t0 = process.hrtime.bigint();
    const forest = IsolationForest.fit(d.x, d.rows, d.cols, {
      trees: TREES,
      sampleSize: SAMPLE_SIZE,
      seed,
    });
    fitSeconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    forest.scoreBatch(d.x, d.rows, d.cols, out);
    const cpu = process.cpuUsage(c0);
    batchSeconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    batchCpuSeconds.push((cpu.user + cpu.system) / 1e6);
    aucs.push(rocAuc(out, d.labels));
    if (seed === 0) latencyMicros = singleEventLatency(forest, d);
  }
  return {
    aucs,
    fitSeconds,
    batchSeconds,
    batchCpuSeconds,
    latencyMicros,
    maxRssKiB: process.resourceUsage().maxRSS,
  };
}

/** Times `score` of one row at a time (each call timed on its own), after a warm-up. */
function singleEventLatency(forest: IsolationForest, d: Dataset): number[] {
  const calls = 20_000;
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += forest.score(d.x, (i % d.rows) * d.cols);
  const micros = new Array<number>(calls);
  for (let i = 0; i < calls; i++) {
    const offset = (i % d.rows) * d.cols;
    const t0 = process.hrtime.bigint();
    sink += forest.score(d.x, offset);
    micros[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  if (sink === -1) console.error('unreachable'); // keep the result live
  return micros;
}

function ensureVenv(): void {
  if (existsSync(python)) {
    const probe = spawnSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' });
    if (probe.status === 0) return;
  }
  process.stderr.write(
    `creating ${venv} with scikit-learn (baseline only, not a product dependency)\n`,
  );
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', venv]],
    [join(venv, 'bin/pip'), ['install', '-q', '-r', join(here, 'requirements.txt')]],
  ];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
  }
}

interface SklearnJson {
  sklearn: string;
  numpy: string;
  python: string;
  runs: {
    seed: number;
    auc: number;
    fitSeconds: number;
    batchSeconds: number;
    batchCpuSeconds: number;
  }[];
  latencyMicros: number[];
  maxRssKiB: number;
}

function runSklearn(file: string, seeds: number): SideResult & { version: string } {
  const r = spawnSync(
    python,
    [
      join(here, 'sklearn_baseline.py'),
      '--data',
      file,
      '--seeds',
      String(seeds),
      '--trees',
      String(TREES),
      '--sample-size',
      String(SAMPLE_SIZE),
      '--latency-calls',
      '200',
    ],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        OMP_NUM_THREADS: '1',
        OPENBLAS_NUM_THREADS: '1',
        MKL_NUM_THREADS: '1',
      },
    },
  );
  if (r.status !== 0) throw new Error(`sklearn_baseline.py failed on ${file}: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as SklearnJson;
  return {
    version: `scikit-learn ${j.sklearn}, numpy ${j.numpy}, Python ${j.python}`,
    aucs: j.runs.map((x) => x.auc),
    fitSeconds: j.runs.map((x) => x.fitSeconds),
    batchSeconds: j.runs.map((x) => x.batchSeconds),
    batchCpuSeconds: j.runs.map((x) => x.batchCpuSeconds),
    latencyMicros: j.latencyMicros,
    maxRssKiB: j.maxRssKiB,
  };
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}
function fmtInt(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a';
}
function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(oddsDir))
    throw new Error(`ODDS datasets not found at ${oddsDir} (set VIGIL_ODDS_DIR)`);
  const manifest = JSON.parse(readFileSync(join(oddsDir, 'MANIFEST.json'), 'utf8')) as unknown;
  const rowsOf = (name: string): number | undefined => {
    return (manifest as Record<string, { rows?: number } | undefined>)[name]?.rows;
  };
  let names = readdirSync(oddsDir)
    .filter((f) => f.endsWith('.csv.gz'))
    .map((f) => f.slice(0, -'.csv.gz'.length));
  names.sort((a, b) => (rowsOf(b) ?? 0) - (rowsOf(a) ?? 0) || a.localeCompare(b));
  if (args.datasets) {
    const wanted = args.datasets;
    for (const w of wanted)
      if (!names.includes(w)) throw new Error(`no dataset ${w} in ${oddsDir}`);
    names = names.filter((n) => wanted.includes(n));
  }
  if (args.sklearn) ensureVenv();

  console.log(`# bench/iforest-odds — ${new Date().toISOString()}`);
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; Node ${process.version}; ` +
      `t=${TREES}, psi=${SAMPLE_SIZE}, seeds 0..${args.seeds - 1}, fit and scored on all rows${args.quick ? ' (--quick)' : ''}`,
  );

  const aucRows: string[][] = [];
  const speedRows: string[][] = [];
  const fitRows: string[][] = [];
  let sklearnVersion = '';
  let sklearnPeakKiB = 0;
  const misses: string[] = [];
  const ratios: number[] = [];
  const medians: number[] = [];
  for (const name of names) {
    const file = join(oddsDir, `${name}.csv.gz`);
    const d = loadDataset(file, name);
    if (args.quick && d.rows > QUICK_MAX_ROWS) {
      process.stderr.write(`--quick: skipping ${name} (${d.rows} rows)\n`);
      continue;
    }
    process.stderr.write(`${name}: ${d.rows} rows × ${d.cols} … vigil`);
    const v = runVigil(d, args.seeds);
    let s: (SideResult & { version: string }) | undefined;
    if (args.sklearn) {
      process.stderr.write(' … scikit-learn');
      s = runSklearn(file, args.seeds);
      sklearnVersion = s.version;
      sklearnPeakKiB = Math.max(sklearnPeakKiB, s.maxRssKiB);
    }
    process.stderr.write('\n');
    const vAuc = mean(v.aucs);
    const sAuc = s ? mean(s.aucs) : NaN;
    const diff = vAuc - sAuc;
    if (s && Math.abs(diff) > 0.02) misses.push(name);
    aucRows.push([
      name,
      fmtInt(d.rows),
      String(d.cols),
      `${fmt(vAuc, 4)} (${fmt(sd(v.aucs), 4)})`,
      s ? `${fmt(sAuc, 4)} (${fmt(sd(s.aucs), 4)})` : 'n/a',
      s ? (diff >= 0 ? '+' : '') + fmt(diff, 4) : 'n/a',
      PAPER_AUC[name] !== undefined ? fmt(PAPER_AUC[name], 2) : '',
    ]);
    const vRate = d.rows / mean(v.batchCpuSeconds);
    const sRate = s ? d.rows / mean(s.batchCpuSeconds) : NaN;
    const vWall = d.rows / mean(v.batchSeconds);
    const sWall = s ? d.rows / mean(s.batchSeconds) : NaN;
    ratios.push(vRate / sRate);
    speedRows.push([
      name,
      fmtInt(vRate),
      fmtInt(sRate),
      fmt(vRate / sRate, 1) + '×',
      `${fmtInt(vWall)} / ${fmtInt(sWall)}`,
      fmt(quantile(v.latencyMicros, 0.5), 2),
      fmt(quantile(v.latencyMicros, 0.99), 2),
      s ? fmt(quantile(s.latencyMicros, 0.5), 0) : 'n/a',
      s ? fmt(quantile(s.latencyMicros, 0.99), 0) : 'n/a',
    ]);
    medians.push(quantile(v.latencyMicros, 0.5));
    fitRows.push([
      name,
      fmt(mean(v.fitSeconds) * 1000, 1),
      s ? fmt(mean(s.fitSeconds) * 1000, 1) : 'n/a',
    ]);
  }

  console.log('\n## ROC AUC, mean (sd) over seeds');
  console.log(
    table(['dataset', 'rows', 'd', 'Vigil', 'scikit-learn', 'Vigil − sklearn', 'paper'], aucRows),
  );
  console.log('\n## Scoring speed (single thread each)');
  console.log(
    table(
      [
        'dataset',
        'Vigil batch rows/CPU-s',
        'sklearn batch rows/CPU-s',
        'ratio',
        'wall rows/s Vigil / sklearn',
        'Vigil 1-event p50 µs',
        'Vigil p99 µs',
        'sklearn 1-event p50 µs',
        'sklearn p99 µs',
      ],
      speedRows,
    ),
  );
  console.log('\n## Fit time, mean ms per forest');
  console.log(table(['dataset', 'Vigil', 'scikit-learn'], fitRows));
  console.log(`\nbaseline: ${sklearnVersion || 'not run'}`);
  console.log(
    `peak RSS: Vigil (this Node process, all datasets loaded in turn) ${fmtInt(process.resourceUsage().maxRSS / 1024)} MiB; ` +
      `scikit-learn (largest per-dataset process) ${fmtInt(sklearnPeakKiB / 1024)} MiB`,
  );
  if (ratios.length > 0 && args.sklearn) {
    console.log(
      `batch throughput ratio (CPU time) Vigil/scikit-learn: min ${fmt(Math.min(...ratios), 1)}×, ` +
        `median ${fmt(quantile(ratios, 0.5), 1)}×; target ≥ 3×: ${
          Math.min(...ratios) >= 3
            ? 'met'
            : 'MISSED on ' +
              speedRows
                .filter((_, i) => ratios[i]! < 3)
                .map((r) => r[0])
                .join(', ')
        }`,
    );
  }
  if (medians.length > 0) {
    console.log(
      `single-event median latency: max over datasets ${fmt(Math.max(...medians), 2)} µs; target < 5 µs: ${
        Math.max(...medians) < 5
          ? 'met'
          : 'MISSED on ' +
            speedRows
              .filter((_, i) => medians[i]! >= 5)
              .map((r) => r[0])
              .join(', ')
      }`,
    );
  }
  console.log(
    misses.length === 0
      ? 'AUC target (within 0.02 of scikit-learn on every dataset): met'
      : `AUC target (within 0.02 of scikit-learn on every dataset): MISSED on ${misses.join(', ')}`,
  );
}

main();
