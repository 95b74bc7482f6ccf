/**
 * `@vigil/soc`: the vocabulary SOC agents exchange — findings, analyses, action types,
 * and the skill contracts (`SOC_SKILLS`, `SOC_AGENTS`: each skill's id, input and output
 * schemas, defined once). SOC-specific by design: nothing in `packages/*` imports it.
 *
 * @example
 * ```ts
 * import { createPeerClient } from '@vigil/runtime';
 * import { SOC_AGENTS } from '@vigil/soc';
 * const peers = createPeerClient(ctx.client, SOC_AGENTS);
 * // typed by the contract: the input is checked at compile time, the answer parsed here
 * const analysis = await peers.call('analyst', 'analyse-finding', { incidentId, finding });
 * ```
 */
export { ACTION_TYPES, actionTypeSchema, isActionType, type ActionType } from './actions.js';
export { SOC_AUDIT_VOCABULARY } from './audit-vocabulary.js';
export {
  affectedAssetSchema,
  approvalInputSchema,
  approvalRecordSchema,
  approvalStatusSchema,
  assignmentSchema,
  authorisationRecordSchema,
  authorisationSchema,
  blastRadiusSchema,
  deliveryResultSchema,
  executionRecordSchema,
  executionResultSchema,
  executionStateSchema,
  holdReasonSchema,
  intakeReportSchema,
  humanDecisionSchema,
  notificationSchema,
  proposalSetSchema,
  rejectedRecordSchema,
  reviewRequestSchema,
  reviewSchema,
  signedProposalSchema,
  skippedResponseSchema,
  SOC_AGENTS,
  SOC_SKILLS,
  targetAssetSchema,
  undoProposalSchema,
  type AffectedAsset,
  type ApprovalInput,
  type ApprovalRecord,
  type ApprovalStatus,
  type Assignment,
  type Authorisation,
  type AuthorisationRecord,
  type BlastRadius,
  type DeliveryResult,
  type ExecutionRecord,
  type ExecutionResult,
  type ExecutionState,
  type HoldReason,
  type HumanDecision,
  type Notification,
  type ProposalSet,
  type Review,
  type ReviewRequest,
  type SignedProposal,
  type SkippedResponse,
  type TargetAsset,
  type UndoProposal,
} from './contracts.js';
export { proposedActionSchema, type Decision, type ProposedAction } from '@vigil/policy';
export {
  analysisSchema,
  attackTechniqueSchema,
  detectionEvidenceSchema,
  maxSeverity,
  SEVERITY_ORDER,
  severityOfEvent,
  severitySchema,
  type Analysis,
  type DetectionEvidence,
  type Severity,
} from './analysis.js';
export {
  detectionSchema,
  findingSchema,
  ruleHitSchema,
  type Detection,
  type Finding,
  type RuleHit,
} from './finding.js';
export {
  assetCriticalitySchema,
  CRITICALITY_WEIGHT,
  riskSchema,
  riskScoreOf,
  SEVERITY_WEIGHT,
  type AssetCriticality,
  type Risk,
} from './risk.js';
export { redactSecrets, redactSecretText, REDACTED } from './redaction.js';
export {
  DEFAULT_LINK_HOSTS,
  ECHO_REMOVED,
  ECHO_WORDS,
  escapeSlackText,
  filterUntrustedText,
  IMAGE_REMOVED,
  LINK_REMOVED,
  neutraliseMarkdown,
  type UntrustedTextOptions,
} from './untrusted-text.js';
export { SKILLS } from './skills.js';
export {
  PROPOSAL_JWS_TYPE,
  signProposal,
  verifyProposal,
  type ProposalClaims,
} from './signed-proposal.js';
