import { isVigilError, type Logger } from '@vigil/core';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { Analysis, Finding } from '@vigil/soc';
import { analyseWithModel, SYSTEM_PROMPT, type ModelSettings } from './model-analyser.js';
import { detectionEvidence, guardModelAnalysis } from './untrusted-model.js';

/**
 * The analyst's decision procedure: the configured model when there is one, the offline
 * analyser otherwise — and the offline analyser, flagged `degraded`, whenever the model
 * fails, times out or returns something invalid. Never silent: the reason travels in
 * the analysis into the audit trail and the notification. A model's answer is advice:
 * `guardModelAnalysis` keeps the detection's severity floor and responses, and filters
 * its text; every analysis carries the detection's own `evidence`.
 */
export async function analyseFinding(
  finding: Finding,
  options: { model?: { chat: BaseChatModel; settings: ModelSettings }; logger?: Logger },
): Promise<Analysis> {
  const detection = detectionEvidence(finding);
  const offline: Analysis = {
    ...detection.offline,
    severity: detection.evidence.severityFloor,
    evidence: detection.evidence,
  };
  if (!options.model) return offline;
  try {
    const claims = await analyseWithModel(finding, options.model.chat, options.model.settings);
    return guardModelAnalysis(claims, finding, { systemPrompt: SYSTEM_PROMPT }, detection);
  } catch (error) {
    const reason = isVigilError(error) ? error.message : String(error);
    options.logger?.warn(
      { code: 'VIGIL_ANALYST_DEGRADED', findingId: finding.id, reason },
      'model analysis failed; using the offline analyser',
    );
    return {
      ...offline,
      degraded: `model analysis failed (${reason}); offline rule-based analysis used instead`,
    };
  }
}
