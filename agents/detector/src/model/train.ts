/**
 * Training: baseline (normal) events → feature encodings, forest and calibrated threshold.
 */
import type { SecurityEvent } from '../events/security-event.js';
import { calibrateNovelty, calibrateThreshold } from './calibration.js';
import { DetectorModelError } from './errors.js';
import {
  CATEGORICAL_FEATURES,
  EntityRates,
  FEATURE_COUNT,
  FeatureEncoder,
  UNSEEN_COLUMN,
} from './features.js';
import { IsolationForest } from './iforest.js';
import { DetectorModel, type DetectorModelParams } from './model.js';

/** Training options; every one has a default. */
export interface TrainOptions {
  /** Trees t (default 100). */
  readonly trees?: number;
  /** Subsample size ψ (default 256). */
  readonly sampleSize?: number;
  /** Seed (default 1). Same events, options and seed → the same model. */
  readonly seed?: number;
  /** Height limit (default ceil(log2 ψ)). */
  readonly heightLimit?: number;
  /** Target share of baseline-like events flagged (default 0.005). */
  readonly alertRate?: number;
  /** Alternatively, the share of the baseline believed anomalous (exclusive with alertRate). */
  readonly contamination?: number;
  /** Rate window, seconds (default 60). */
  readonly windowSeconds?: number;
  /** Entities per rate counter (default 10,000). */
  readonly maxEntities?: number;
  /** Values kept per categorical column (default 100,000). */
  readonly maxCategoryValues?: number;
  /** Calibrate the novelty gate (default true); false: the forest threshold alone decides. */
  readonly noveltyGate?: boolean;
  /**
   * Whether the baseline is this estate's own history (default true: `vigil detector
   * train` on the cluster's events). A generated baseline (the bootstrap model) is not: the
   * online novelty gate then warms up on live traffic before it pages.
   */
  readonly estateHistory?: boolean;
  /** Cloud providers' CIDR ranges for the address class feature (kept in the model file). */
  readonly cloudRanges?: readonly string[];
  /** Creation time stamp (default now); inject for reproducible files. */
  readonly createdAt?: Date;
}

/** What training produced besides the model: the baseline's own feature rows and scores. */
export interface TrainResult {
  readonly model: DetectorModel;
  /** Baseline events used, in time order. */
  readonly events: number;
  /** The baseline's scores under the new model (row i = i-th event in time order). */
  readonly baselineScores: Float64Array;
}

/**
 * Learns a model from baseline events: encodings from their value frequencies, rate
 * features by replaying them in time order (each event at its own time), the forest on
 * those rows, and the threshold from their scores.
 * @throws DetectorModelError `VIGIL_DETECTOR_TRAIN_INVALID` for fewer than 2 events or
 *   bad options.
 */
export function trainModel(
  baseline: readonly SecurityEvent[],
  options: TrainOptions = {},
): TrainResult {
  if (baseline.length < 2) {
    throw new DetectorModelError(
      'VIGIL_DETECTOR_TRAIN_INVALID',
      `the baseline has ${baseline.length} events; at least 2 are needed`,
      {
        details: { field: 'baseline' },
      },
    );
  }
  if (options.alertRate !== undefined && options.contamination !== undefined) {
    throw new DetectorModelError(
      'VIGIL_DETECTOR_TRAIN_INVALID',
      'give alertRate or contamination, not both',
      {
        details: { field: 'alertRate' },
      },
    );
  }
  const method = options.contamination !== undefined ? 'contamination' : 'alert-rate';
  const rate = options.contamination ?? options.alertRate ?? 0.005;
  if (!(rate >= 0 && rate < 1)) {
    throw new DetectorModelError(
      'VIGIL_DETECTOR_TRAIN_INVALID',
      `${method} must be in [0, 1), got ${rate}`,
      {
        details: { field: method === 'contamination' ? 'contamination' : 'alertRate' },
      },
    );
  }
  const windowSeconds = options.windowSeconds ?? 60;
  const maxEntities = options.maxEntities ?? 10_000;
  const maxCategoryValues = options.maxCategoryValues ?? 100_000;
  let rates: EntityRates;
  try {
    rates = new EntityRates({ windowSeconds, maxEntities });
  } catch (error) {
    throw new DetectorModelError('VIGIL_DETECTOR_TRAIN_INVALID', (error as Error).message, {
      cause: error,
      details: { field: 'windowSeconds' },
    });
  }
  // Stable sort by time so the rate windows see the baseline as it happened.
  const events = baseline
    .map((e, i) => [e, i] as const)
    .sort((a, b) => a[0].time - b[0].time || a[1] - b[1])
    .map(([e]) => e);
  let encoder: FeatureEncoder;
  try {
    encoder = FeatureEncoder.learn(events, {
      maxValues: maxCategoryValues,
      cloudRanges: options.cloudRanges ?? [],
    });
  } catch (error) {
    throw new DetectorModelError('VIGIL_DETECTOR_TRAIN_INVALID', (error as Error).message, {
      cause: error,
      details: { field: 'cloudRanges' },
    });
  }
  const n = events.length;
  const matrix = new Float64Array(n * FEATURE_COUNT);
  for (let i = 0; i < n; i++) {
    encoder.extractInto(events[i]!, rates, matrix, i * FEATURE_COUNT, events[i]!.time, true);
  }
  const forest = IsolationForest.fit(matrix, n, FEATURE_COUNT, {
    trees: options.trees ?? 100,
    sampleSize: options.sampleSize ?? 256,
    seed: options.seed ?? 1,
    ...(options.heightLimit === undefined ? {} : { heightLimit: options.heightLimit }),
  });
  const scores = new Float64Array(n);
  forest.scoreBatch(matrix, n, FEATURE_COUNT, scores);
  // Half the alert budget goes to the novelty gate; the forest threshold takes what the
  // gate left, over the rows the gate did not already flag.
  const unseen = new Float64Array(n);
  for (let i = 0; i < n; i++) unseen[i] = matrix[i * FEATURE_COUNT + UNSEEN_COLUMN]!;
  const gate =
    options.noveltyGate === false
      ? { minUnseen: 0, baselineShare: 0 }
      : calibrateNovelty(unseen, rate / 2, CATEGORICAL_FEATURES.length);
  const own = options.estateHistory !== false;
  const spanMs = events[n - 1]!.time - events[0]!.time;
  const novelty = {
    ...gate,
    estateHistorySeconds: own && Number.isFinite(spanMs) ? Math.max(0, spanMs / 1000) : 0,
    estateHistoryEvents: own ? n : 0,
  };
  const rest =
    novelty.minUnseen > 0 ? scores.filter((_, i) => unseen[i]! < novelty.minUnseen) : scores;
  const restRate =
    rest.length === 0
      ? 0
      : Math.min(Math.max(0, (rate * n - novelty.baselineShare * n) / rest.length), 0.999999);
  const { threshold } = calibrateThreshold(
    rest.length > 0 ? rest : scores,
    restRate,
    method,
    novelty,
  );
  const { calibration: overall } = calibrateThreshold(scores, rate, method, novelty);
  let flagged = 0;
  for (let i = 0; i < n; i++)
    if (scores[i]! > threshold || (novelty.minUnseen > 0 && unseen[i]! >= novelty.minUnseen))
      flagged++;
  const calibration = { ...overall, baselineAlertRate: flagged / n };
  const params: DetectorModelParams = {
    trees: forest.trees,
    sampleSize: forest.sampleSize,
    seed: options.seed ?? 1,
    heightLimit: forest.heightLimit,
    windowSeconds,
    maxEntities,
    maxCategoryValues,
  };
  const createdAt = (options.createdAt ?? new Date()).toISOString();
  return {
    model: new DetectorModel(createdAt, params, encoder, forest, threshold, calibration),
    events: n,
    baselineScores: scores,
  };
}
