import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsolationForest, averagePathLength, MAX_HEIGHT_LIMIT } from './iforest.js';
import { Xoshiro128 } from './prng.js';
import { isVigilError } from '@vigil/core';

/** n rows of d standard-normal-ish values (sum of uniforms), seeded. */
function gaussianCloud(n: number, d: number, seed: number): Float64Array {
  const rng = new Xoshiro128(seed);
  const m = new Float64Array(n * d);
  for (let i = 0; i < m.length; i++) {
    let s = 0;
    for (let k = 0; k < 6; k++) s += rng.nextFloat();
    m[i] = s - 3;
  }
  return m;
}

test('c(n) follows 2H(n−1) − 2(n−1)/n with c(2) = 1 and c(n ≤ 1) = 0', () => {
  assert.equal(averagePathLength(0), 0);
  assert.equal(averagePathLength(1), 0);
  assert.equal(averagePathLength(2), 1);
  const H = (i: number): number => Math.log(i) + 0.5772156649;
  for (const n of [3, 10, 256, 4096]) {
    assert.ok(
      Math.abs(averagePathLength(n) - (2 * H(n - 1) - (2 * (n - 1)) / n)) < 1e-9,
      `c(${n})`,
    );
  }
  assert.ok(Math.abs(averagePathLength(256) - 10.2448) < 1e-3);
});

test('an isolated outlier scores far above the inliers of a Gaussian cloud', () => {
  const n = 2000;
  const d = 4;
  const m = gaussianCloud(n, d, 7);
  // Row 0 becomes an outlier far from the cloud on every attribute.
  for (let j = 0; j < d; j++) m[j] = 8;
  const forest = IsolationForest.fit(m, n, d, { seed: 3 });
  const scores = new Float64Array(n);
  forest.scoreBatch(m, n, d, scores);
  const outlier = scores[0]!;
  let inlierMean = 0;
  for (let i = 1; i < n; i++) inlierMean += scores[i]! / (n - 1);
  assert.ok(outlier > 0.7, `outlier score ${outlier}`);
  assert.ok(inlierMean < 0.5, `inlier mean ${inlierMean}`);
  for (let i = 1; i < n; i++) assert.ok(scores[i]! < outlier, `row ${i} scored ≥ the outlier`);
  // A point at the centre of the cloud is deep in every tree: a low score.
  assert.ok(forest.score(new Float64Array(d)) < 0.45);
});

/** h(x) summed over trees by the definition: walk each stored tree from its root, in tree order. */
function referencePathLengthSum(forest: IsolationForest, x: Float64Array, offset: number): number {
  let sum = 0;
  for (let t = 0; t < forest.trees; t++) {
    const base = t * forest.stride;
    let k = 0;
    for (let d = 0; d < forest.heightLimit; d++)
      k = 2 * k + (x[offset + forest.feature[base + k]!]! > forest.threshold[base + k]! ? 2 : 1);
    sum += forest.threshold[base + k]!;
  }
  return sum;
}

test('single-event and batch scores both equal the tree-by-tree definition, bit for bit', () => {
  // 37 trees and 2,100 rows: not multiples of the kernels' lanes, more rows than one chunk.
  const rows = 2100;
  const m = gaussianCloud(rows, 5, 1);
  m[3] = Number.NaN; // compares false, as the definition's `>` does: goes left
  const forest = IsolationForest.fit(gaussianCloud(777, 5, 2), 777, 5, { seed: 11, trees: 37 });
  const batch = new Float64Array(rows);
  forest.scoreBatch(m, rows, 5, batch);
  const out = new Float64Array(1);
  const normaliser = forest.trees * averagePathLength(256);
  for (let r = 0; r < rows; r++) {
    const expected = Math.pow(2, -referencePathLengthSum(forest, m, r * 5) / normaliser);
    const s = forest.score(m, r * 5);
    assert.equal(s, expected, `row ${r}`);
    assert.equal(batch[r], expected, `row ${r} in the batch`);
    forest.scoreInto(m, out, 0, r * 5);
    assert.equal(out[0], s);
  }
});

test('the same seed gives an identical forest; another seed a different one', () => {
  const m = gaussianCloud(1000, 3, 2);
  const a = IsolationForest.fit(m, 1000, 3, { seed: 42 });
  const b = IsolationForest.fit(m, 1000, 3, { seed: 42 });
  const c = IsolationForest.fit(m, 1000, 3, { seed: 43 });
  assert.deepEqual(a.feature, b.feature);
  assert.deepEqual(a.threshold, b.threshold);
  assert.notDeepEqual(a.threshold, c.threshold);
});

test('path lengths respect the height limit and the sample size is capped at the rows', () => {
  const m = gaussianCloud(100, 2, 5);
  const forest = IsolationForest.fit(m, 100, 2, { seed: 1 });
  assert.equal(forest.sampleSize, 100);
  assert.equal(forest.heightLimit, 7); // ceil(log2 100)
  for (let r = 0; r < 100; r++) {
    const h = forest.pathLength(m, r * 2);
    assert.ok(h > 0 && h <= 7 + averagePathLength(100), `h = ${h}`);
  }
});

test('constant attributes are never split on, and all-constant data gives external roots', () => {
  const n = 500;
  const m = new Float64Array(n * 3);
  const rng = new Xoshiro128(9);
  for (let i = 0; i < n; i++) {
    m[i * 3] = 5; // constant
    m[i * 3 + 1] = rng.nextFloat();
    m[i * 3 + 2] = -1; // constant
  }
  const forest = IsolationForest.fit(m, n, 3, { seed: 2, trees: 20 });
  const internal = 2 ** forest.heightLimit - 1;
  for (let t = 0; t < forest.trees; t++) {
    for (let i = 0; i < internal; i++) {
      const k = t * forest.stride + i;
      if (forest.threshold[k] !== Infinity) assert.equal(forest.feature[k], 1, `slot ${k}`);
    }
  }
  const flat = new Float64Array(50 * 2).fill(1);
  const trivial = IsolationForest.fit(flat, 50, 2, { seed: 1, trees: 3 });
  // Every tree is one external node of 50 rows: h = c(50) and s = 2^-(c(50)/c(50)) = 0.5.
  assert.ok(Math.abs(trivial.score(new Float64Array([1, 1])) - 0.5) < 1e-12);
});

test('attribution credits the attribute that isolates the outlier', () => {
  const n = 1000;
  const d = 4;
  const m = gaussianCloud(n, d, 4);
  const forest = IsolationForest.fit(m, n, d, { seed: 5 });
  const x = new Float64Array([0, 0, 9, 0]); // extreme on attribute 2 only
  const out = new Float64Array(d);
  forest.attributeInto(x, out);
  const total = out.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - 1) < 1e-9);
  assert.ok(out[2]! > 0.5, `attribution ${Array.from(out).join(', ')}`);
});

test('fit refuses non-finite values, empty input and out-of-range parameters', () => {
  const m = new Float64Array([1, 2, NaN, 4]);
  assert.throws(
    () => IsolationForest.fit(m, 2, 2),
    (e) => isVigilError(e, 'VIGIL_DETECTOR_TRAIN_INVALID') && /row 1, column 0/.test(e.message),
  );
  assert.throws(
    () => IsolationForest.fit(new Float64Array(0), 0, 2),
    (e) => isVigilError(e, 'VIGIL_DETECTOR_TRAIN_INVALID'),
  );
  assert.throws(() => IsolationForest.fit(new Float64Array(4), 2, 2, { trees: 0 }), /trees/);
  assert.throws(
    () => IsolationForest.fit(new Float64Array(4), 2, 2, { heightLimit: MAX_HEIGHT_LIMIT + 1 }),
    /heightLimit/,
  );
  assert.throws(() => IsolationForest.fit(new Float64Array(4), 2, 2, { seed: -1 }), /seed/);
});

test('fromArrays refuses a corrupt node table', () => {
  const m = gaussianCloud(300, 2, 8);
  const f = IsolationForest.fit(m, 300, 2, { seed: 1, trees: 4 });
  const arrays = {
    cols: f.cols,
    sampleSize: f.sampleSize,
    heightLimit: f.heightLimit,
    trees: f.trees,
    feature: f.feature.slice(),
    threshold: f.threshold.slice(),
    size: f.size.slice(),
  };
  assert.doesNotThrow(() => IsolationForest.fromArrays(arrays));
  const badFeature = { ...arrays, feature: arrays.feature.slice() };
  badFeature.feature[0] = 7;
  assert.throws(
    () => IsolationForest.fromArrays(badFeature),
    (e) => isVigilError(e, 'VIGIL_DETECTOR_MODEL_INVALID') && /forest\.feature/.test(e.message),
  );
  const badLeaf = { ...arrays, threshold: arrays.threshold.slice() };
  badLeaf.threshold[f.stride - 1] = NaN;
  assert.throws(() => IsolationForest.fromArrays(badLeaf), /forest\.threshold/);
  assert.throws(
    () => IsolationForest.fromArrays({ ...arrays, size: new Int32Array(3) }),
    /forest\.size/,
  );
});
