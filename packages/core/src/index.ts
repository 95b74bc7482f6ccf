/**
 * `@vigil/core`: what every Vigil package shares and nothing more — the error base
 * with stable codes, RFC 8785 canonical JSON and digests, the redacting logger, and
 * skill contracts (`defineSkill`: a skill's id, input and output schemas, defined once).
 *
 * @example
 * ```ts
 * import { digestOf, VigilError } from '@vigil/core';
 * const digest = digestOf({ type: 'isolate-pod', target: { namespace: 'shop', name: 'web-1' } });
 * ```
 */
export { VigilError, isVigilError } from './errors.js';
export { canonicalJson, digestOf, sha256Hex } from './canonical-json.js';
export { createLogger, REDACTED_PATHS, type Logger } from './logger.js';
export {
  defineAgentContracts,
  defineSkill,
  describeIssues,
  skillSchemas,
  type AgentContracts,
  type AgentNameOf,
  type AnySkillContract,
  type ContractOf,
  type DeepReadonly,
  type SkillContract,
  type SkillIdOf,
  type SkillInput,
  type SkillOutput,
  type SkillParsedInput,
  type SkillResult,
  type SkillSchemas,
} from './skill-contract.js';
