/**
 * `@vigil/analyst`: turns a finding into an analysis — ATT&CK techniques, severity,
 * confidence, summary, rationale and catalogue-only recommended responses — with a
 * language model through LangChain (OpenAI-compatible endpoints or Anthropic) or the
 * deterministic offline analyser, which is also the visible fallback.
 *
 * @example
 * ```ts
 * import { analyseFinding } from '@vigil/analyst';
 * const analysis = await analyseFinding(finding, {}); // offline, rule-based
 * ```
 */
export { agent, createAnalystAgent } from './agent.js';
export { analyseFinding } from './analyst.js';
export { analyseOffline } from './offline-analyser.js';
export {
  isControlPlane,
  isPrivateAddress,
  OFFLINE_RULES,
  type AnalysisRule,
  type NormalisedEventView,
} from './offline-rules.js';
export {
  analyseWithModel,
  createChatModel,
  encodeUntrusted,
  findingPrompt,
  modelOutputSchema,
  SYSTEM_PROMPT,
  type ModelSettings,
} from './model-analyser.js';
