/**
 * A trained detector model — feature encodings, Isolation Forest, alert threshold and its
 * calibration — and its versioned file format `vigil.iforest/v1`:
 *
 * ```json
 * { "format": "vigil.iforest/v1", "id": "iforest-…", "createdAt": "2026-…Z",
 *   "params": { "trees": 100, "sampleSize": 256, "seed": 1, "heightLimit": 8,
 *               "windowSeconds": 60, "maxEntities": 10000, "maxCategoryValues": 100000 },
 *   "features": ["activity", …],                 // column names; must match this build
 *   "encodings": { "activity": [["get", 81234], …], … },
 *   "threshold": 0.61, "calibration": { "method": "alert-rate", "rate": 0.005, … },
 *   "forest": { "cols": 32, "sampleSize": 256, "heightLimit": 8, "trees": 100,
 *               "feature": "<base64 Int32 LE>", "threshold": "<base64 Float64 LE>",
 *               "size": "<base64 Int32 LE>", "sha256": "<hex of the three byte arrays>" } }
 * ```
 *
 * Loading checks everything (format, feature schema, encodings, checksum, forest
 * invariants) and refuses a bad file with `VIGIL_DETECTOR_MODEL_INVALID` naming the field.
 * {@link ModelHolder} swaps a live model atomically.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { canonicalJson } from '@vigil/core';
import { DetectorModelError } from './errors.js';
import { FEATURE_COUNT, FEATURE_NAMES, FeatureEncoder } from './features.js';
import { IsolationForest } from './iforest.js';
import type { Calibration } from './calibration.js';

/** The file format this build writes and reads. */
export const MODEL_FORMAT = 'vigil.iforest/v1';

/** Parameters a model was trained with (recorded in the file). */
export interface DetectorModelParams {
  readonly trees: number;
  readonly sampleSize: number;
  readonly seed: number;
  readonly heightLimit: number;
  /** Rate window length in seconds. */
  readonly windowSeconds: number;
  /** Most entities each rate counter tracks. */
  readonly maxEntities: number;
  /** Most values kept per categorical column. */
  readonly maxCategoryValues: number;
}

/** An immutable trained model. */
export class DetectorModel {
  readonly format = MODEL_FORMAT;
  /** Content id: `iforest-` + 16 hex of the SHA-256 of forest, encodings and threshold. */
  readonly id: string;

  constructor(
    readonly createdAt: string,
    readonly params: DetectorModelParams,
    readonly encoder: FeatureEncoder,
    readonly forest: IsolationForest,
    /** Scores strictly above this are anomalies. */
    readonly threshold: number,
    readonly calibration: Calibration,
  ) {
    if (forest.cols !== FEATURE_COUNT) {
      throw invalid(
        `forest.cols: ${forest.cols} columns, this build extracts ${FEATURE_COUNT}`,
        'forest.cols',
      );
    }
    const hash = createHash('sha256');
    hash.update(forestChecksum(forest));
    hash.update(
      canonicalJson({
        encodings: encoder.encodings,
        threshold,
        novelty: calibration.novelty,
        cloudRanges: encoder.addresses.cloudRanges,
      }),
    );
    this.id = `iforest-${hash.digest('hex').slice(0, 16)}`;
  }

  /** The model as its `vigil.iforest/v1` JSON object. */
  toJSON(): Record<string, unknown> {
    const f = this.forest;
    return {
      format: MODEL_FORMAT,
      id: this.id,
      createdAt: this.createdAt,
      params: this.params,
      features: FEATURE_NAMES,
      encodings: this.encoder.encodings,
      addressRanges: { cloud: this.encoder.addresses.cloudRanges },
      threshold: this.threshold,
      calibration: this.calibration,
      forest: {
        cols: f.cols,
        sampleSize: f.sampleSize,
        heightLimit: f.heightLimit,
        trees: f.trees,
        feature: int32ToBase64(f.feature),
        threshold: float64ToBase64(f.threshold),
        size: int32ToBase64(f.size),
        sha256: forestChecksum(f),
      },
    };
  }
}

/** Serialises `model` as `vigil.iforest/v1` JSON text. */
export function serializeModel(model: DetectorModel): string {
  return `${JSON.stringify(model.toJSON())}\n`;
}

/**
 * Parses and validates `vigil.iforest/v1` text. `source` names the file in errors.
 * @throws DetectorModelError `VIGIL_DETECTOR_MODEL_INVALID` (details: source, field).
 */
export function parseModel(text: string, source = 'model'): DetectorModel {
  const fail = (field: string, message: string, extra: Record<string, unknown> = {}): never => {
    throw new DetectorModelError(
      'VIGIL_DETECTOR_MODEL_INVALID',
      `${source}: ${field}: ${message}`,
      {
        details: { source, field, ...extra },
      },
    );
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return fail(
      '(file)',
      `not valid JSON (${(error as Error).message}); the file is corrupt or truncated`,
    );
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return fail('(file)', 'not a JSON object');
  const o = doc as Record<string, unknown>;
  if (o['format'] !== MODEL_FORMAT) {
    return fail('format', `is ${JSON.stringify(o['format'])}, this build reads ${MODEL_FORMAT}`, {
      found: typeof o['format'] === 'string' ? o['format'] : null,
      expected: MODEL_FORMAT,
    });
  }
  const createdAt = o['createdAt'];
  if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt)))
    fail('createdAt', 'must be an ISO 8601 time');
  const params = objectAt(o, 'params', fail);
  const intParam = (name: string, min: number): number => {
    const v = params[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      fail(`params.${name}`, `must be an integer ≥ ${min}`);
    return v as number;
  };
  const modelParams: DetectorModelParams = {
    trees: intParam('trees', 1),
    sampleSize: intParam('sampleSize', 1),
    seed: intParam('seed', 0),
    heightLimit: intParam('heightLimit', 1),
    windowSeconds: intParam('windowSeconds', 1),
    maxEntities: intParam('maxEntities', 1),
    maxCategoryValues: intParam('maxCategoryValues', 1),
  };
  const features = o['features'];
  if (
    !Array.isArray(features) ||
    features.length !== FEATURE_NAMES.length ||
    features.some((f, i) => f !== FEATURE_NAMES[i])
  ) {
    fail(
      'features',
      `the model's feature columns differ from this build's (${FEATURE_NAMES.length} columns); retrain the model`,
    );
  }
  const ranges = o['addressRanges'];
  let cloudRanges: string[] = [];
  if (ranges !== undefined) {
    const cloud = (ranges as Record<string, unknown> | null)?.['cloud'];
    if (!Array.isArray(cloud) || cloud.some((c) => typeof c !== 'string'))
      fail('addressRanges.cloud', 'must be a list of CIDR strings');
    cloudRanges = cloud as string[];
  }
  let encoder: FeatureEncoder;
  try {
    encoder = FeatureEncoder.fromEncodings(o['encodings'], 'encodings', cloudRanges);
  } catch (error) {
    const field =
      error instanceof DetectorModelError ? String(error.details['field']) : 'encodings';
    return fail(field, (error as Error).message.replace(/^[^:]*: /, ''));
  }
  const threshold = o['threshold'];
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1))
    fail('threshold', 'must be a number in [0, 1]');
  const calibration = parseCalibration(objectAt(o, 'calibration', fail), fail);
  const f = objectAt(o, 'forest', fail);
  const forestInt = (name: string): number => {
    const v = f[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      fail(`forest.${name}`, 'must be a positive integer');
    return v as number;
  };
  const cols = forestInt('cols');
  const sampleSize = forestInt('sampleSize');
  const heightLimit = forestInt('heightLimit');
  const trees = forestInt('trees');
  const decode = <T>(name: string, bytesPer: number, make: (b: Uint8Array) => T): T => {
    const v = f[name];
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
      return fail(`forest.${name}`, 'must be a base64 string');
    const bytes = new Uint8Array(Buffer.from(v, 'base64'));
    if (bytes.length % bytesPer !== 0)
      return fail(
        `forest.${name}`,
        `decodes to ${bytes.length} bytes, not a multiple of ${bytesPer}`,
      );
    return make(bytes);
  };
  const feature = decode('feature', 4, int32FromBytes);
  const thresholds = decode('threshold', 8, float64FromBytes);
  const size = decode('size', 4, int32FromBytes);
  let forest: IsolationForest;
  try {
    forest = IsolationForest.fromArrays({
      cols,
      sampleSize,
      heightLimit,
      trees,
      feature,
      threshold: thresholds,
      size,
    });
  } catch (error) {
    const field = error instanceof DetectorModelError ? String(error.details['field']) : 'forest';
    return fail(field, (error as Error).message.replace(/^[^:]*: /, ''));
  }
  const checksum = forestChecksum(forest);
  if (f['sha256'] !== checksum)
    fail('forest.sha256', 'does not match the forest arrays: the file is corrupt');
  try {
    const model = new DetectorModel(
      createdAt as string,
      modelParams,
      encoder,
      forest,
      threshold as number,
      calibration,
    );
    if (o['id'] !== undefined && o['id'] !== model.id)
      fail(
        'id',
        `is ${JSON.stringify(o['id'])} but the content hashes to ${model.id}: the file was altered`,
      );
    return model;
  } catch (error) {
    if (error instanceof DetectorModelError && String(error.message).startsWith(source))
      throw error;
    const field = error instanceof DetectorModelError ? String(error.details['field']) : 'forest';
    return fail(field, (error as Error).message.replace(/^[^:]*: /, ''));
  }
}

/** Writes `model` to `path` atomically (temporary file, then rename). */
export async function saveModel(model: DetectorModel, path: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, serializeModel(model), { mode: 0o644 });
  await rename(tmp, path);
}

/**
 * Reads and validates a model file.
 * @throws DetectorModelError `VIGIL_DETECTOR_MODEL_INVALID` when it is unreadable, of
 *   another format version, corrupt, or inconsistent.
 */
export async function loadModel(path: string): Promise<DetectorModel> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DetectorModelError(
      'VIGIL_DETECTOR_MODEL_INVALID',
      `${path}: cannot read the model file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        cause: error,
        details: { source: path, field: '(file)' },
      },
    );
  }
  return parseModel(text, path);
}

/**
 * Holds the live model. Scorers read {@link current} once per event and use that model
 * for the whole event (extraction, score, threshold, attribution), so {@link swap} is
 * atomic for them: an event is scored wholly by the old model or wholly by the new.
 */
export class ModelHolder {
  private model: DetectorModel;
  private readonly listeners = new Set<(next: DetectorModel, previous: DetectorModel) => void>();

  constructor(model: DetectorModel) {
    this.model = model;
  }

  /** The live model. */
  get current(): DetectorModel {
    return this.model;
  }

  /** Replaces the live model; returns the previous one. */
  swap(next: DetectorModel): DetectorModel {
    const previous = this.model;
    this.model = next;
    for (const listener of this.listeners) listener(next, previous);
    return previous;
  }

  /** Loads a model file and swaps it in; on any error the live model stays in place. */
  async reload(path: string): Promise<DetectorModel> {
    const next = await loadModel(path);
    this.swap(next);
    return next;
  }

  /** Calls `listener` after every swap; returns an unsubscribe function. */
  onSwap(listener: (next: DetectorModel, previous: DetectorModel) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function objectAt(
  o: Record<string, unknown>,
  field: string,
  fail: (field: string, message: string) => never,
): Record<string, unknown> {
  const v = o[field];
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return fail(field, 'must be an object');
  return v as Record<string, unknown>;
}

function parseCalibration(
  c: Record<string, unknown>,
  fail: (field: string, message: string) => never,
): Calibration {
  const method = c['method'];
  if (method !== 'alert-rate' && method !== 'contamination')
    fail('calibration.method', "must be 'alert-rate' or 'contamination'");
  const num = (name: string): number => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isFinite(v))
      fail(`calibration.${name}`, 'must be a number');
    return v as number;
  };
  const q = c['quantiles'];
  if (typeof q !== 'object' || q === null) fail('calibration.quantiles', 'must be an object');
  const qs = q as Record<string, unknown>;
  const quantile = (name: string): number => {
    const v = qs[name];
    if (typeof v !== 'number' || !Number.isFinite(v))
      fail(`calibration.quantiles.${name}`, 'must be a number');
    return v as number;
  };
  const nov = c['novelty'];
  if (typeof nov !== 'object' || nov === null) fail('calibration.novelty', 'must be an object');
  const novelty = nov as Record<string, unknown>;
  const minUnseen = novelty['minUnseen'];
  const baselineShare = novelty['baselineShare'];
  if (typeof minUnseen !== 'number' || !Number.isInteger(minUnseen) || minUnseen < 0) {
    fail('calibration.novelty.minUnseen', 'must be an integer ≥ 0');
  }
  if (typeof baselineShare !== 'number' || !(baselineShare >= 0 && baselineShare <= 1)) {
    fail('calibration.novelty.baselineShare', 'must be a number in [0, 1]');
  }
  const history = (name: string): number => {
    const v = novelty[name] ?? 0;
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
      fail(`calibration.novelty.${name}`, 'must be a number ≥ 0');
    return v as number;
  };
  const estateHistorySeconds = history('estateHistorySeconds');
  const estateHistoryEvents = history('estateHistoryEvents');
  return {
    method: method as Calibration['method'],
    novelty: {
      minUnseen: minUnseen as number,
      baselineShare: baselineShare as number,
      estateHistorySeconds,
      estateHistoryEvents,
    },
    rate: num('rate'),
    baselineEvents: num('baselineEvents'),
    baselineAlertRate: num('baselineAlertRate'),
    quantiles: {
      p50: quantile('p50'),
      p90: quantile('p90'),
      p99: quantile('p99'),
      p999: quantile('p999'),
      max: quantile('max'),
    },
  };
}

/** SHA-256 hex over the little-endian bytes of feature, threshold and size. */
function forestChecksum(f: IsolationForest): string {
  return createHash('sha256')
    .update(int32ToBytes(f.feature))
    .update(float64ToBytes(f.threshold))
    .update(int32ToBytes(f.size))
    .digest('hex');
}

// Typed arrays use the platform's byte order; files are always little-endian.
function int32ToBytes(a: Int32Array): Uint8Array {
  const b = new Uint8Array(a.length * 4);
  const v = new DataView(b.buffer);
  for (let i = 0; i < a.length; i++) v.setInt32(i * 4, a[i]!, true);
  return b;
}
function float64ToBytes(a: Float64Array): Uint8Array {
  const b = new Uint8Array(a.length * 8);
  const v = new DataView(b.buffer);
  for (let i = 0; i < a.length; i++) v.setFloat64(i * 8, a[i]!, true);
  return b;
}
function int32FromBytes(b: Uint8Array): Int32Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const a = new Int32Array(b.length / 4);
  for (let i = 0; i < a.length; i++) a[i] = v.getInt32(i * 4, true);
  return a;
}
function float64FromBytes(b: Uint8Array): Float64Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const a = new Float64Array(b.length / 8);
  for (let i = 0; i < a.length; i++) a[i] = v.getFloat64(i * 8, true);
  return a;
}
function int32ToBase64(a: Int32Array): string {
  return Buffer.from(int32ToBytes(a)).toString('base64');
}
function float64ToBase64(a: Float64Array): string {
  return Buffer.from(float64ToBytes(a)).toString('base64');
}

function invalid(message: string, field: string): DetectorModelError {
  return new DetectorModelError('VIGIL_DETECTOR_MODEL_INVALID', message, { details: { field } });
}
