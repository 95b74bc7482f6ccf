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
export { MAX_HEIGHT_LIMIT } from './model/iforest.js';
export { Xoshiro128 } from './model/prng.js';
export { DetectorModelError, type DetectorModelErrorCode } from './model/errors.js';
export { SlidingWindowCounter, type SlidingWindowOptions } from './model/rate-window.js';
export {
  FeatureEncoder,
  EntityRates,
  FEATURE_NAMES,
  FEATURE_COUNT,
  CATEGORICAL_FEATURES,
  MISSING,
  userClass,
  userAgentFamily,
  imageRepository,
  type FeatureEncodings,
} from './model/features.js';
export {
  calibrateThreshold,
  calibrateNovelty,
  MIN_NOVELTY_GATE,
  type Calibration,
} from './model/calibration.js';
export { UNSEEN_COLUMN } from './model/features.js';
export {
  DetectorModel,
  ModelHolder,
  MODEL_FORMAT,
  saveModel,
  loadModel,
  parseModel,
  serializeModel,
  type DetectorModelParams,
} from './model/model.js';
export { trainModel, type TrainOptions, type TrainResult } from './model/train.js';
export { EventScorer, type EventScorerOptions, type FeatureContribution } from './model/scorer.js';
export {
  NoveltyGate,
  type GateVerdict,
  type NoveltyGateOptions,
  type NoveltyGateStats,
} from './model/novelty-gate.js';
export { AddressClassifier, cloudRangesFrom, type AddressClass } from './model/address-class.js';
export { REQUEST_RISK_NAMES, requestRiskInto } from './model/request-risk.js';
export {
  type SecurityEvent,
  type EventFormat,
  type EventOrigin,
  type OcsfClassUid,
  type EventActor,
  type EventNetwork,
  type EventResource,
  type EventWorkload,
  type EventProcess,
} from './events/security-event.js';
export { normaliseEvent, expandRecords } from './events/normalise.js';
export { type NormaliseResult, type RejectCode } from './events/result.js';
export {
  parseNdjson,
  parseLine,
  DEFAULT_MAX_LINE_BYTES,
  type ParsedLine,
  type NdjsonOptions,
} from './events/ndjson.js';
export {
  IngestCounters,
  type EventSource,
  type EventSink,
  type Delivery,
  type Rejection,
  type IngestStats,
} from './sources/event-source.js';
export { IngestError, type IngestErrorCode } from './sources/errors.js';
export { createDeadLetterFile, type DeadLetterWriter } from './sources/dead-letter.js';
export {
  createHttpEventSource,
  bearerTokenFromEnv,
  type HttpEventSource,
  type HttpEventSourceOptions,
  type HttpAuthOptions,
} from './sources/http-source.js';
export {
  createFileReplaySource,
  type FileReplaySource,
  type FileReplayOptions,
  type ReplayClock,
  type ReplaySummary,
} from './sources/file-source.js';
export { createJetStreamSource, type JetStreamSourceOptions } from './sources/nats-source.js';
export {
  replayToHttp,
  type ReplayToHttpOptions,
  type ReplayReport,
} from './sources/replay-to-http.js';
export {
  DetectorPipeline,
  detectionOf,
  findingOf,
  HISTOGRAM_BINS,
  type DetectorPipelineOptions,
  type PipelineStats,
} from './pipeline/pipeline.js';
export {
  RuleSet,
  compileRule,
  hitFor,
  ruleSchema,
  ruleSourceSchema,
  severityOfHits,
  type CompiledRule,
  type Rule,
  type RuleSource,
  type RuleVerdict,
} from './rules/rule.js';
export {
  compileCondition,
  conditionSchema,
  contextOf,
  DEFAULT_RULE_CONTEXT,
  type Condition,
  type RuleContext,
} from './rules/condition.js';
export { DEFAULT_RULES_DIR, loadRuleSet, loadRules } from './rules/load.js';
export { detectionScore } from './rules/detection-score.js';
export { SIGMA_FIELDS, translateSigma } from './rules/sigma.js';
export { RuleError, type RuleErrorCode } from './rules/errors.js';
// The SOC's demo driver lives with its scenario; `vigil up --demo` finds it through the
// first agent implementation that exports one, as for any agent system.
export { demo } from '@vigil/soc-scenario';
export { agent, detectorStats } from './agent/agent.js';
export {
  postNdjson,
  startDetectorProcess,
  type DetectorProcess,
  type DetectorProcessOptions,
  type DetectorProcessStats,
} from './agent/detector-process.js';
export {
  DetectorSettingsSchema,
  parseDetectorSettings,
  type DetectorSettings,
} from './agent/settings.js';
