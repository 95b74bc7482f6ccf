/**
 * `@vigil/credit-memo`: a second agent system on the Vigil harness — a credit-memo
 * network of collectors (one per data source), analysts (ratios, covenants, exposure,
 * news, peers, rating), a drafter, section reviewers, a compliance checker, a publisher
 * and an orchestrator whose memos wait for a relationship manager's signed approval.
 * Each agent is a subpath export (`@vigil/credit-memo/collector`, …) named as the
 * `implementation` of a declared agent; the computations are pure and exported here.
 *
 * @example
 * ```ts
 * import { runMemoWorkflow } from '@vigil/credit-memo';
 * const memo = await runMemoWorkflow(steps, { memoId: 'memo-b-001-1', borrowerId: 'b-001' });
 * ```
 */
export { runMemoWorkflow, type MemoSteps } from './workflow.js';
export { runAnalysis, ANALYSES, AS_OF, type AnalysisName } from './finance/analyses.js';
export { draftMemo, SECTION_IDS } from './draft.js';
export { reviewSection } from './review.js';
export { checkCompliance, traceInput, type TraceResult } from './compliance.js';
export { readSource, SHIPPED_DATA_DIR } from './sources.js';
export { loadCreditPolicy, ENTRYPOINTS, CREDIT_POLICY_DIR, type CreditPolicy } from './policy.js';
export { CREDIT_AUDIT_VOCABULARY, type CreditAuditKind } from './audit.js';
export { CreditError, CREDIT_ERROR_CODES, type CreditErrorCode } from './errors.js';
export { generateSyntheticData } from './synthetic/generate.js';
export {
  SOURCES,
  CREDIT_SKILLS,
  releaseAction,
  type Figure,
  type Memo,
  type SourceEntry,
  type SourceName,
} from './contracts.js';
