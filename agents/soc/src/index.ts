/**
 * `@vigil/soc`: the vocabulary SOC agents exchange — findings, analyses, action types,
 * skill ids. SOC-specific by design: nothing in `packages/*` imports it.
 *
 * @example
 * ```ts
 * import { analysisSchema, SKILLS } from '@vigil/soc';
 * const analysis = analysisSchema.parse(await client.callSkill('analyst', SKILLS.analyseFinding, finding));
 * ```
 */
export {
  ACTION_TYPES,
  actionTypeSchema,
  isActionType,
  type ActionType,
  type SkippedResponse,
} from './actions.js';
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
