/**
 * `@vigil/detector`: the SOC detector — event ingestion and normalisation into
 * `SecurityEvent`, feature extraction, and an Isolation Forest pre-filter that scores each
 * event in microseconds so only anomalies reach the language-model tier.
 *
 * @example
 * ```ts
 * import { IsolationForest } from '@vigil/detector';
 * const forest = IsolationForest.fit(matrix, rows, cols, { trees: 100, sampleSize: 256, seed: 1 });
 * const s = forest.score(row); // 2^(-E[h(x)]/c(psi)), near 1 = anomalous
 * ```
 */
export {
  IsolationForest,
  averagePathLength,
  type IsolationForestParams,
  type IsolationForestArrays,
} from './model/iforest.js';
