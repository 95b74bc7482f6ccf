/**
 * `@vigil/audit`: the tamper-evident audit trail of what every agent did and why.
 *
 * - One hash chain per writer (agent process or replica), SHA-256 over RFC 8785 canonical
 *   JSON; signed checkpoints of each chain head by the writer's identity key (like
 *   Certificate Transparency's signed tree heads); anchors that commit to all chain heads.
 * - Two stores behind one interface: {@link SqliteAuditStore} (embedded, WAL) and
 *   {@link PostgresAuditStore}; `append` resolves only once the entry is durable.
 * - Kinds are an open set: an agent system registers its own beside the harness's, with
 *   the describers the trace, export and metrics renderers use ({@link defineAuditVocabulary}).
 *   Each entry carries the format version of its hashed form (`v`); every version verifies.
 * - {@link verifyAudit} names the first bad entry; {@link pruneAudit} keeps the log
 *   verifiable; {@link exportAudit} streams JSONL or OCSF; {@link reconstructTrace}
 *   rebuilds a decision chain; {@link computeComplianceMetrics} computes the compliance metrics.
 *
 * @example
 * ```ts
 * import { openAuditStore, createAuditWriter, verifyAudit } from '@vigil/audit';
 * const store = await openAuditStore(system.storage.audit, stateDir);
 * const audit = createAuditWriter({ store, signer: { id: spiffeId, privateKeyPem: creds.key, certPem: creds.cert }, kinds: vocabulary.kinds });
 * await audit.recordStep(
 *   { kind: 'execution', actor: spiffeId, correlationId, what: { action, parentEntryId: verdictEntryId }, why: { rationale } },
 *   () => executor.run(action),
 *   (result) => ({ what: { result } }),
 * );
 * const report = await verifyAudit(store, { caPem: creds.ca });
 * ```
 */
export { AuditError, type AuditErrorCode } from './errors.js';
export {
  AUDIT_FORMAT_VERSION,
  AUDIT_FORMAT_VERSIONS,
  GENESIS_HASH,
  entryFromJson,
  entryHash,
  hashedForm,
  isAuditFormatVersion,
  isAuditKind,
  validateEntryInput,
  type AuditEntry,
  type AuditEntryInput,
  type AuditFormatVersion,
  type AuditKind,
  type JsonObject,
  type SealedEntry,
} from './entry.js';
export {
  HARNESS_AUDIT_KINDS,
  HARNESS_AUDIT_VOCABULARY,
  defineAuditVocabulary,
  describeAction,
  inline,
  phaseOf,
  shortActor,
  type AuditKindDescriber,
  type AuditVocabulary,
  type AuditVocabularyDefinition,
  type OcsfCommon,
} from './kinds.js';
export {
  certificateFingerprint,
  checkpointPayload,
  anchorPayload,
  loadSigner,
  type AnchorCheckpoint,
  type AnchorHead,
  type AnchorReason,
  type AuditSigner,
  type ChainCheckpoint,
  type WriterCertificate,
} from './signing.js';
export type {
  AppendBatch,
  AuditQuery,
  AuditStore,
  AuditStoreStats,
  ChainRecord,
  PreparedEntry,
  PruneCriteria,
  PruneCut,
  StoredEntryRow,
} from './store.js';
export { SqliteAuditStore, type SqliteAuditStoreOptions } from './sqlite-store.js';
export { PostgresAuditStore, redactUrl, type PostgresAuditStoreOptions } from './postgres-store.js';
export { openAuditStore, sqliteAuditPath, type AuditStorageConfig } from './open.js';
export { openAgentAuditWriter, type AgentAuditWriter, type AgentIdentity } from './agent-writer.js';
export {
  createAuditWriter,
  findOpenIntents,
  writeAnchor,
  type AuditWriter,
  type AuditWriterOptions,
  type CheckpointPolicy,
  type RecordedStep,
  type StepOutcome,
} from './writer.js';
export {
  verifyAudit,
  AUTO_WORKERS_FROM_ENTRIES,
  MAX_AUTO_WORKERS,
  type AuditProblem,
  type AuditProblemCode,
  type AuditVerification,
  type ChainSummary,
  type VerifyOptions,
} from './verify.js';
export { pruneAudit, type PruneOptions, type PruneResult } from './prune.js';
export { exportAudit, ocsfCommon, toOcsf, type AuditExportFormat } from './export.js';
export {
  reconstructTrace,
  renderTraceTree,
  summarize,
  traceSteps,
  traceToJson,
  type ReconstructedTrace,
  type TraceStep,
  type TraceNode,
} from './trace.js';
export {
  SIGNALS,
  complianceFromEntries,
  computeComplianceMetrics,
  renderComplianceTable,
  type AgentPermissionView,
  type AgentSignals,
  type ComplianceMetrics,
  type ComplianceOptions,
  type LeastAgency,
  type RbacRule,
  type Signal,
} from './metrics.js';
export {
  complianceTrend,
  MAX_TREND_POINTS,
  trendBuckets,
  type TimeWindow,
  type TrendPoint,
} from './metrics-trend.js';
export { createVigilMetrics, mountMetrics, type VigilMetrics } from './prometheus.js';
