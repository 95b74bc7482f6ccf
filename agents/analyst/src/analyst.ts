import { isVigilError, type Logger } from '@vigil/core';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { Analysis, Finding } from '@vigil/soc';
import { analyseWithModel, type ModelSettings } from './model-analyser.js';
import { analyseOffline } from './offline-analyser.js';

/**
 * The analyst's decision procedure: the configured model when there is one, the offline
 * analyser otherwise — and the offline analyser, flagged `degraded`, whenever the model
 * fails, times out or returns something invalid. Never silent: the reason travels in
 * the analysis into the audit trail and the notification.
 */
export async function analyseFinding(
  finding: Finding,
  options: { model?: { chat: BaseChatModel; settings: ModelSettings }; logger?: Logger },
): Promise<Analysis> {
  if (!options.model) return analyseOffline(finding);
  try {
    return await analyseWithModel(finding, options.model.chat, options.model.settings);
  } catch (error) {
    const reason = isVigilError(error) ? error.message : String(error);
    options.logger?.warn(
      { code: 'VIGIL_ANALYST_DEGRADED', findingId: finding.id, reason },
      'model analysis failed; using the offline analyser',
    );
    return {
      ...analyseOffline(finding),
      degraded: `model analysis failed (${reason}); offline rule-based analysis used instead`,
    };
  }
}
