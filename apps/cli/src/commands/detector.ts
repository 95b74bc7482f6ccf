import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Command } from 'commander';
import { VigilError } from '@vigil/core';
import {
  cloudRangesFrom,
  expandRecords,
  loadModel,
  normaliseEvent,
  parseNdjson,
  saveModel,
  trainModel,
  type DetectorModel,
  type SecurityEvent,
} from '@vigil/detector';
import { UsageError, globalOptions, print } from '../context.js';

/** How many rejected lines are listed by line number before summarising. */
const REJECTS_SHOWN = 10;

interface TrainFlags {
  output: string;
  trees: string;
  sampleSize: string;
  seed: string;
  alertRate?: string;
  contamination?: string;
  window: string;
  maxEntities: string;
  cloudRanges?: string;
  generated?: boolean;
}

function intFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function rateFlag(name: string, value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n < 1))
    throw new UsageError(`--${name} must be a number in [0, 1), got ${JSON.stringify(value)}`);
  return n;
}

/** Reads NDJSON baseline events (gzip when the name ends in .gz), normalising every record. */
async function readBaseline(path: string): Promise<{
  events: SecurityEvent[];
  lines: number;
  rejected: { line: number; reason: string }[];
}> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(
      `cannot read baseline ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  if (path.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new UsageError(`baseline ${path} is not valid gzip: ${(error as Error).message}`);
    }
  }
  const events: SecurityEvent[] = [];
  const rejected: { line: number; reason: string }[] = [];
  let lines = 0;
  for (const parsed of parseNdjson(bytes)) {
    lines++;
    if (!parsed.ok) {
      rejected.push({ line: parsed.line, reason: parsed.reason });
      continue;
    }
    for (const record of expandRecords(parsed.value)) {
      const result = normaliseEvent(record);
      if (result.ok) events.push(result.event);
      else rejected.push({ line: parsed.line, reason: result.reason });
    }
  }
  return { events, lines, rejected };
}

function summarise(model: DetectorModel): Record<string, unknown> {
  return {
    id: model.id,
    format: model.format,
    createdAt: model.createdAt,
    params: model.params,
    threshold: model.threshold,
    calibration: model.calibration,
  };
}

function renderModel(model: DetectorModel): string[] {
  const c = model.calibration;
  const q = c.quantiles;
  const p = model.params;
  return [
    `model:       ${model.id} (${model.format}, created ${model.createdAt})`,
    `forest:      ${p.trees} trees, sample size ${p.sampleSize}, height limit ${p.heightLimit}, seed ${p.seed}`,
    `features:    rate window ${p.windowSeconds}s, ${p.maxEntities} entities per counter`,
    `threshold:   ${model.threshold.toFixed(4)} (${c.method} ${c.rate}; ${(c.baselineAlertRate * 100).toFixed(2)}% of ${c.baselineEvents} baseline events above it)`,
    `novelty gate: ${c.novelty.minUnseen > 0 ? `${c.novelty.minUnseen}+ never-seen values (${(c.novelty.baselineShare * 100).toFixed(2)}% of the baseline, leave-one-out)` : 'off'}`,
    `baseline scores: p50 ${q.p50.toFixed(3)}  p90 ${q.p90.toFixed(3)}  p99 ${q.p99.toFixed(3)}  p99.9 ${q.p999.toFixed(3)}  max ${q.max.toFixed(3)}`,
  ];
}

/** `vigil detector train | inspect`: fit and examine the detector's pre-filter (docs/detector-model.md). */
export function registerDetectorCommand(program: Command): void {
  const detector = program
    .command('detector')
    .description("the detector's Isolation Forest pre-filter");

  detector
    .command('train')
    .description(
      'learn encodings, forest and threshold from normal traffic (NDJSON: k8s audit, Falco, OCSF)',
    )
    .argument('<baseline>', 'NDJSON file of normal events (.gz allowed)')
    .requiredOption('-o, --output <file>', 'where to write the model (vigil.iforest/v1 JSON)')
    .option('--trees <n>', 'number of trees t', '100')
    .option('--sample-size <n>', 'subsample size psi per tree', '256')
    .option('--seed <n>', 'random seed (same baseline and seed: same model)', '1')
    .option('--alert-rate <rate>', 'target share of baseline-like events flagged (default 0.005)')
    .option(
      '--contamination <rate>',
      'share of the baseline believed anomalous (instead of --alert-rate)',
    )
    .option('--window <seconds>', 'rate window for per-entity event rates', '60')
    .option('--max-entities <n>', 'entities tracked per rate counter', '10000')
    .option(
      '--cloud-ranges <file>',
      "cloud providers' CIDR ranges for the address class (AWS ip-ranges.json, Google cloud.json, Azure Service Tags JSON, or one CIDR per line)",
    )
    .option(
      '--generated',
      "the baseline is not this estate's own history (generated or another cluster's): the novelty gate then warms up on live traffic",
    )
    .action(async (baselineArg: string, flags: TrainFlags, cmd: Command) => {
      const options = globalOptions(cmd);
      if (flags.alertRate !== undefined && flags.contamination !== undefined) {
        throw new UsageError('give --alert-rate or --contamination, not both');
      }
      const trees = intFlag('trees', flags.trees, 1, 10_000);
      const sampleSize = intFlag('sample-size', flags.sampleSize, 2, 16_384);
      const seed = intFlag('seed', flags.seed, 0, 0xffffffff);
      const windowSeconds = intFlag('window', flags.window, 1, 3600);
      const maxEntities = intFlag('max-entities', flags.maxEntities, 1, 10_000_000);
      const rate =
        flags.contamination !== undefined
          ? { contamination: rateFlag('contamination', flags.contamination) }
          : { alertRate: rateFlag('alert-rate', flags.alertRate ?? '0.005') };
      const baselinePath = resolve(baselineArg);
      const output = resolve(flags.output);
      let cloudRanges: string[] = [];
      if (flags.cloudRanges !== undefined) {
        const path = resolve(flags.cloudRanges);
        try {
          cloudRanges = cloudRangesFrom(await readFile(path, 'utf8'), path);
        } catch (error) {
          throw new UsageError(`--cloud-ranges: ${(error as Error).message}`);
        }
      }
      const started = performance.now();
      const { events, lines, rejected } = await readBaseline(baselinePath);
      if (events.length < 2) {
        throw new VigilError(
          'VIGIL_DETECTOR_TRAIN_INVALID',
          `${baselinePath}: ${events.length} usable events in ${lines} lines (${rejected.length} rejected${rejected[0] ? `, first at line ${rejected[0].line}: ${rejected[0].reason}` : ''}); at least 2 are needed`,
        );
      }
      const { model } = trainModel(events, {
        trees,
        sampleSize,
        seed,
        windowSeconds,
        maxEntities,
        cloudRanges,
        estateHistory: flags.generated !== true,
        ...rate,
      });
      await saveModel(model, output);
      const seconds = (performance.now() - started) / 1000;
      print(
        options,
        () =>
          [
            `trained on ${events.length} events from ${lines} lines of ${baselinePath} in ${seconds.toFixed(1)}s`,
            ...(rejected.length > 0
              ? [
                  `rejected ${rejected.length} records (not used):`,
                  ...rejected.slice(0, REJECTS_SHOWN).map((r) => `  line ${r.line}: ${r.reason}`),
                  ...(rejected.length > REJECTS_SHOWN
                    ? [`  … and ${rejected.length - REJECTS_SHOWN} more`]
                    : []),
                ]
              : []),
            ...renderModel(model),
            `written:     ${output}`,
          ].join('\n'),
        { ...summarise(model), output, events: events.length, lines, rejected },
      );
    });

  detector
    .command('inspect')
    .description('validate a model file and print its parameters and calibration')
    .argument('<model>', 'a vigil.iforest/v1 model file')
    .action(async (modelArg: string, _flags: unknown, cmd: Command) => {
      const options = globalOptions(cmd);
      const model = await loadModel(resolve(modelArg));
      print(options, () => renderModel(model).join('\n'), summarise(model));
    });
}
