/**
 * Isolation Forest, exactly as Liu, Ting and Zhou, "Isolation Forest", ICDM 2008
 * (Algorithms 1–3), stored in flat typed arrays.
 *
 * - Each tree is grown on a subsample of ψ rows drawn without replacement (Algorithm 1),
 *   to the height limit l = ceil(log2 ψ).
 * - iTree (Algorithm 2): at each internal node, an attribute q is drawn uniformly among the
 *   attributes that are *not constant* on the node's sample (constant ones cannot split;
 *   when all are constant the node is external), and a split value p uniformly in
 *   [min, max) of q on that sample. Rows with x_q ≤ p go left (scikit-learn's convention;
 *   the paper writes x_q < p — the two differ on a set of measure zero, and ≤ with
 *   p ∈ [min, max) guarantees both children are non-empty).
 * - PathLength (Algorithm 3): h(x) = e + c(size) at the external node reached at depth e,
 *   with c(n) = 2H(n−1) − 2(n−1)/n, H(i) ≈ ln(i) + γ, c(2) = 1, c(n ≤ 1) = 0.
 * - Score s(x, ψ) = 2^(−E[h(x)] / c(ψ)); near 1 anomalous, well below 0.5 normal.
 *
 * Layout: because every tree has height ≤ l, each tree is stored as a *complete* binary
 * tree of height l in heap order — node i has children 2i+1 (x_q ≤ p) and 2i+2 — in
 * `stride = 2^(l+1) − 1` slots: `feature` (Int32Array) and `threshold` (Float64Array) for
 * the 2^l − 1 internal slots, and the 2^l leaf slots hold the precomputed path length
 * e + c(size) in `threshold`. An external node at depth e < l is padded: the slots below
 * it split on attribute 0 at +∞ (always left) and every leaf slot below it holds its path
 * length, so whatever the input (even NaN) the walk ends on the same value. Scoring is
 * then exactly l branch-free steps per tree, walked by a WebAssembly kernel
 * (`forest-kernel.ts`) with several trees (single event) or rows (batch) in lockstep so
 * their memory loads overlap. `size` holds, per slot, the number of training
 * rows that reached the node (padding slots repeat their external node's), used for
 * attribution. The height limit is capped at {@link MAX_HEIGHT_LIMIT} to bound memory.
 */
import { DetectorModelError } from './errors.js';
import { ForestKernel } from './forest-kernel.js';
import { Xoshiro128 } from './prng.js';

/** Euler–Mascheroni constant, for H(i) ≈ ln(i) + γ (the paper's approximation). */
const EULER_GAMMA = 0.5772156649015329;

/** Largest height limit accepted: a tree takes 2^(l+1) − 1 slots (l = 14: 32,767 slots). */
export const MAX_HEIGHT_LIMIT = 14;

/**
 * c(n): the average path length of an unsuccessful search in a binary search tree of n
 * points, used to normalise path lengths (paper eq. 1). c(n ≤ 1) = 0, c(2) = 1.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** Training parameters; defaults are the paper's. */
export interface IsolationForestParams {
  /** Number of trees t (default 100). */
  readonly trees?: number;
  /** Subsample size ψ (default 256; capped at the number of rows). */
  readonly sampleSize?: number;
  /** PRNG seed, an unsigned 32-bit integer (default 0). Same seed and data → same forest. */
  readonly seed?: number;
  /** Height limit (default ceil(log2 ψ), at most {@link MAX_HEIGHT_LIMIT}). */
  readonly heightLimit?: number;
}

/** The flat arrays that define a trained forest (what a model file stores). */
export interface IsolationForestArrays {
  /** Number of feature columns the forest was trained on. */
  readonly cols: number;
  /** Effective subsample size ψ (the c(ψ) normaliser). */
  readonly sampleSize: number;
  /** Height limit l: every tree is stored as a complete tree of this height. */
  readonly heightLimit: number;
  /** Number of trees t. */
  readonly trees: number;
  /** Split attribute per slot, t · (2^(l+1) − 1) entries; padding and leaf slots hold 0 / −1. */
  readonly feature: Int32Array;
  /** Split value per internal slot (+∞ for padding), path length e + c(size) per leaf slot. */
  readonly threshold: Float64Array;
  /** Training rows that reached each slot (attribution only). */
  readonly size: Int32Array;
}

/**
 * A trained Isolation Forest. Immutable; scoring never allocates and is safe to share
 * between any number of scorers.
 */
export class IsolationForest implements IsolationForestArrays {
  readonly cols: number;
  readonly sampleSize: number;
  readonly heightLimit: number;
  readonly trees: number;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly size: Int32Array;
  /** Slots per tree, 2^(l+1) − 1. */
  readonly stride: number;
  /** t · c(ψ): a sum of path lengths over trees divided by this is E[h(x)] / c(ψ). */
  private readonly normaliser: number;
  /** The scoring loops (WebAssembly), holding their own copy of the tree arrays. */
  private readonly kernel: ForestKernel;

  private constructor(arrays: IsolationForestArrays) {
    this.cols = arrays.cols;
    this.sampleSize = arrays.sampleSize;
    this.heightLimit = arrays.heightLimit;
    this.trees = arrays.trees;
    this.feature = arrays.feature;
    this.threshold = arrays.threshold;
    this.size = arrays.size;
    this.stride = 2 ** (arrays.heightLimit + 1) - 1;
    this.normaliser = this.trees * averagePathLength(this.sampleSize);
    this.kernel = new ForestKernel(
      this.feature,
      this.threshold,
      this.cols,
      this.trees,
      this.stride,
      this.heightLimit,
    );
  }

  /**
   * Trains a forest on `rows` rows of `cols` features, row-major in `matrix`.
   * @throws DetectorModelError `VIGIL_DETECTOR_TRAIN_INVALID` on empty input, a matrix
   *   shorter than rows·cols, a non-finite value, or out-of-range parameters.
   */
  static fit(
    matrix: Float64Array,
    rows: number,
    cols: number,
    params: IsolationForestParams = {},
  ): IsolationForest {
    const trees = params.trees ?? 100;
    const requestedSample = params.sampleSize ?? 256;
    const seed = params.seed ?? 0;
    checkInt('rows', rows, 1);
    checkInt('cols', cols, 1);
    checkInt('trees', trees, 1);
    checkInt('sampleSize', requestedSample, 1);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw trainError(`seed must be an integer in [0, 2^32), got ${seed}`, { field: 'seed' });
    }
    if (matrix.length < rows * cols) {
      throw trainError(`matrix has ${matrix.length} values, expected rows·cols = ${rows * cols}`, {
        field: 'matrix',
      });
    }
    for (let i = 0; i < rows * cols; i++) {
      if (!Number.isFinite(matrix[i])) {
        throw trainError(
          `feature value at row ${Math.floor(i / cols)}, column ${i % cols} is not finite`,
          { field: 'matrix', row: Math.floor(i / cols), column: i % cols },
        );
      }
    }
    const psi = Math.min(requestedSample, rows);
    const heightLimit = params.heightLimit ?? Math.max(1, Math.ceil(Math.log2(psi)));
    checkInt('heightLimit', heightLimit, 1);
    if (heightLimit > MAX_HEIGHT_LIMIT) {
      throw trainError(
        `heightLimit ${heightLimit} exceeds ${MAX_HEIGHT_LIMIT} (a sample size of at most 2^${MAX_HEIGHT_LIMIT})`,
        { field: 'heightLimit' },
      );
    }

    const rng = new Xoshiro128(seed);
    const stride = 2 ** (heightLimit + 1) - 1;
    const internal = 2 ** heightLimit - 1;
    const feature = new Int32Array(trees * stride);
    const threshold = new Float64Array(trees * stride);
    const size = new Int32Array(trees * stride);

    const rowIndex = new Int32Array(rows);
    for (let i = 0; i < rows; i++) rowIndex[i] = i;
    const sample = new Int32Array(psi);
    const attributes = new Int32Array(cols);
    for (let i = 0; i < cols; i++) attributes[i] = i;
    // Depth-first work stack: (slot, start, end, depth); at most heightLimit + 1 entries live.
    const stackSize = heightLimit + 2;
    const stackSlot = new Int32Array(stackSize);
    const stackStart = new Int32Array(stackSize);
    const stackEnd = new Int32Array(stackSize);
    const stackDepth = new Int32Array(stackSize);

    for (let t = 0; t < trees; t++) {
      const base = t * stride;
      // Algorithm 1: a subsample of psi distinct rows (partial Fisher–Yates, so every
      // tree draws an independent uniform sample without replacement).
      for (let i = 0; i < psi; i++) {
        const j = i + rng.nextInt(rows - i);
        const tmp = rowIndex[i]!;
        rowIndex[i] = rowIndex[j]!;
        rowIndex[j] = tmp;
        sample[i] = rowIndex[i]!;
      }
      let sp = 0;
      stackSlot[sp] = 0;
      stackStart[sp] = 0;
      stackEnd[sp] = psi;
      stackDepth[sp] = 0;
      sp++;
      while (sp > 0) {
        sp--;
        const slot = stackSlot[sp]!;
        const start = stackStart[sp]!;
        const end = stackEnd[sp]!;
        const depth = stackDepth[sp]!;
        const count = end - start;
        size[base + slot] = count;
        let q = -1;
        let lo = 0;
        let hi = 0;
        if (depth < heightLimit && count > 1) {
          // Algorithm 2: a random attribute among those not constant on this node's sample.
          let remaining = cols;
          while (remaining > 0) {
            const j = rng.nextInt(remaining);
            const candidate = attributes[j]!;
            lo = Infinity;
            hi = -Infinity;
            for (let i = start; i < end; i++) {
              const v = matrix[sample[i]! * cols + candidate]!;
              if (v < lo) lo = v;
              if (v > hi) hi = v;
            }
            if (hi > lo) {
              q = candidate;
              break;
            }
            // Constant here: move it out of the draw range and draw again among the rest.
            attributes[j] = attributes[remaining - 1]!;
            attributes[remaining - 1] = candidate;
            remaining--;
          }
        }
        if (q < 0) {
          // External node: height limit, one row, or every attribute constant.
          fillExternal(
            feature,
            threshold,
            size,
            base,
            slot,
            depth,
            heightLimit,
            internal,
            depth + averagePathLength(count),
            count,
          );
          continue;
        }
        let p = lo + rng.nextFloat() * (hi - lo);
        if (p >= hi) p = lo; // rounding: keep p in [lo, hi) so both sides are non-empty
        // Partition sample[start, end): x_q <= p to the front.
        let i = start;
        let k = end - 1;
        while (i <= k) {
          if (matrix[sample[i]! * cols + q]! <= p) {
            i++;
          } else {
            const tmp = sample[i]!;
            sample[i] = sample[k]!;
            sample[k] = tmp;
            k--;
          }
        }
        feature[base + slot] = q;
        threshold[base + slot] = p;
        stackSlot[sp] = 2 * slot + 2;
        stackStart[sp] = i;
        stackEnd[sp] = end;
        stackDepth[sp] = depth + 1;
        sp++;
        stackSlot[sp] = 2 * slot + 1;
        stackStart[sp] = start;
        stackEnd[sp] = i;
        stackDepth[sp] = depth + 1;
        sp++;
      }
    }
    return new IsolationForest({
      cols,
      sampleSize: psi,
      heightLimit,
      trees,
      feature,
      threshold,
      size,
    });
  }

  /**
   * Rebuilds a forest from stored arrays, checking every invariant scoring relies on
   * (array lengths, attributes in range, split values not NaN, leaf path lengths finite
   * and non-negative), so a corrupt model is refused instead of mis-scoring.
   * @throws DetectorModelError `VIGIL_DETECTOR_MODEL_INVALID`
   */
  static fromArrays(arrays: IsolationForestArrays): IsolationForest {
    const { cols, sampleSize, heightLimit, trees, feature, threshold, size } = arrays;
    const bad = (message: string, field: string): DetectorModelError =>
      new DetectorModelError('VIGIL_DETECTOR_MODEL_INVALID', `forest.${field}: ${message}`, {
        details: { field: `forest.${field}` },
      });
    if (!Number.isInteger(cols) || cols < 1) throw bad('must be a positive integer', 'cols');
    if (!Number.isInteger(sampleSize) || sampleSize < 1)
      throw bad('must be a positive integer', 'sampleSize');
    if (!Number.isInteger(trees) || trees < 1) throw bad('must be a positive integer', 'trees');
    if (!Number.isInteger(heightLimit) || heightLimit < 1 || heightLimit > MAX_HEIGHT_LIMIT) {
      throw bad(`must be an integer in [1, ${MAX_HEIGHT_LIMIT}]`, 'heightLimit');
    }
    const stride = 2 ** (heightLimit + 1) - 1;
    const internal = 2 ** heightLimit - 1;
    const expected = trees * stride;
    for (const [name, array] of [
      ['feature', feature],
      ['threshold', threshold],
      ['size', size],
    ] as const) {
      if (array.length !== expected) {
        throw bad(
          `has ${array.length} entries, expected trees · (2^(l+1) − 1) = ${expected}`,
          name,
        );
      }
    }
    for (let t = 0; t < trees; t++) {
      const base = t * stride;
      for (let i = 0; i < stride; i++) {
        const v = threshold[base + i]!;
        if (i < internal) {
          const f = feature[base + i]!;
          if (f < 0 || f >= cols)
            throw bad(`tree ${t} slot ${i} splits on attribute ${f} of ${cols}`, 'feature');
          if (Number.isNaN(v)) throw bad(`tree ${t} slot ${i} has a NaN split value`, 'threshold');
        } else if (!Number.isFinite(v) || v < 0) {
          throw bad(`tree ${t} leaf slot ${i} has an invalid path length ${v}`, 'threshold');
        }
      }
    }
    return new IsolationForest({ cols, sampleSize, heightLimit, trees, feature, threshold, size });
  }

  /** E[h(x)]: the mean path length of the row of `cols` values at `x[offset…]` over all trees. */
  pathLength(x: Float64Array, offset = 0): number {
    return this.kernel.pathLengthSum(x, offset) / this.trees;
  }

  /** The anomaly score s(x, ψ) ∈ (0, 1] of the row at `x[offset…]`. Allocation-free. */
  score(x: Float64Array, offset = 0): number {
    return Math.pow(2, -this.kernel.pathLengthSum(x, offset) / this.normaliser);
  }

  /** Writes the score of the row at `x[offset…]` to `out[outIndex]`. Allocation-free. */
  scoreInto(x: Float64Array, out: Float64Array, outIndex = 0, offset = 0): void {
    out[outIndex] = Math.pow(2, -this.kernel.pathLengthSum(x, offset) / this.normaliser);
  }

  /**
   * Scores `rows` rows of `cols` values (row-major) into `out[0…rows)`, tree by tree over
   * chunks of rows. Each score equals {@link score} of the same row, bit for bit.
   * @throws RangeError when `cols` differs from the forest's or the arrays are too short.
   */
  scoreBatch(matrix: Float64Array, rows: number, cols: number, out: Float64Array): void {
    if (cols !== this.cols) throw new RangeError(`forest has ${this.cols} features, got ${cols}`);
    if (matrix.length < rows * cols || out.length < rows) {
      throw new RangeError('scoreBatch: matrix or out is shorter than rows');
    }
    this.kernel.pathLengthSums(matrix, rows, out);
    for (let r = 0; r < rows; r++) out[r] = Math.pow(2, -out[r]! / this.normaliser);
  }

  /**
   * Per-feature attribution of the row at `x[offset…]`, written to `out[0…cols)` and
   * normalised to sum to 1 (all 0 when no split isolated x faster than even halving).
   * For each tree, every split on x's path that sent x to the smaller side credits its
   * attribute with log2(size before / size after) − 1 — the isolation it achieved beyond
   * an even split, in bits of the training sample — and each tree's credits are weighted
   * by 2^(−h_t(x)/c(ψ)), so trees that isolated x early dominate. Allocation-free.
   */
  attributeInto(x: Float64Array, out: Float64Array, offset = 0): void {
    const { feature, threshold, size, trees, stride, heightLimit, cols } = this;
    const cPsi = averagePathLength(this.sampleSize);
    for (let j = 0; j < cols; j++) out[j] = 0;
    for (let t = 0; t < trees; t++) {
      const base = t * stride;
      let i = base;
      for (let d = 0; d < heightLimit; d++) {
        i = 2 * i - base + 1 + (x[offset + feature[i]!]! > threshold[i]! ? 1 : 0);
      }
      const weight = cPsi > 0 ? Math.pow(2, -threshold[i]! / cPsi) : 1;
      i = base;
      for (let d = 0; d < heightLimit; d++) {
        const before = size[i]!;
        const f = feature[i]!;
        i = 2 * i - base + 1 + (x[offset + f]! > threshold[i]! ? 1 : 0);
        const after = size[i]!;
        // Credit only what the split did beyond an even halving: sending x with the
        // majority (a common value) earns nothing. Padding slots repeat their external
        // node's size (after = before): no credit.
        if (after > 0 && 2 * after < before)
          out[f] = out[f]! + weight * (Math.log2(before / after) - 1);
      }
    }
    let total = 0;
    for (let j = 0; j < cols; j++) total += out[j]!;
    if (total > 0) for (let j = 0; j < cols; j++) out[j] = out[j]! / total;
  }
}

/**
 * Writes an external node at `slot` (depth `depth`): the slots below it down to the leaf
 * level split on attribute 0 at +∞, and every leaf slot below it holds `value`.
 */
function fillExternal(
  feature: Int32Array,
  threshold: Float64Array,
  size: Int32Array,
  base: number,
  slot: number,
  depth: number,
  heightLimit: number,
  internal: number,
  value: number,
  count: number,
): void {
  let first = slot;
  let width = 1;
  for (let d = depth; d <= heightLimit; d++) {
    for (let i = first; i < first + width; i++) {
      size[base + i] = count;
      if (i < internal) {
        feature[base + i] = 0;
        threshold[base + i] = Infinity;
      } else {
        feature[base + i] = -1;
        threshold[base + i] = value;
      }
    }
    first = 2 * first + 1;
    width *= 2;
  }
}

function checkInt(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw trainError(`${name} must be an integer ≥ ${min}, got ${value}`, { field: name });
  }
}

function trainError(message: string, details: Record<string, unknown>): DetectorModelError {
  return new DetectorModelError('VIGIL_DETECTOR_TRAIN_INVALID', message, { details });
}
