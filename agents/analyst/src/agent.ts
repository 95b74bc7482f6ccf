import { openAgentAuditWriter, type AgentAuditWriter } from '@vigil/audit';
import { digestOf } from '@vigil/core';
import { implementSkill, type AgentContext, type AgentDefinition } from '@vigil/runtime';
import { SOC_AUDIT_VOCABULARY, SOC_SKILLS } from '@vigil/soc';
import { analyseFinding } from './analyst.js';
import { createChatModel, type ModelSettings } from './model-analyser.js';

/**
 * The analyst agent: `analyse-finding` with the model `vigil.yaml` configures
 * (`model.provider` openai | anthropic) or the offline analyser (`offline`, the
 * default). Each analysis is audited with its rationale (intent), the model name and
 * the digest of the exact prompt.
 */
export function createAnalystAgent(): AgentDefinition {
  let audit: AgentAuditWriter | undefined;
  let context: AgentContext | undefined;
  let model: Parameters<typeof analyseFinding>[1]['model'];
  return {
    async start(ctx) {
      context = ctx;
      const m = ctx.system.model;
      if (m.provider !== 'offline') {
        const settings: ModelSettings = {
          provider: m.provider,
          model: m.model!,
          timeoutMs: m.timeoutMs,
          ...(m.baseUrl ? { baseUrl: m.baseUrl } : {}),
          ...(m.apiKeyEnv ? { apiKeyEnv: m.apiKeyEnv } : {}),
        };
        model = { chat: await createChatModel(settings), settings };
      }
      ctx.logger.info({ provider: m.provider, model: m.model }, 'analyst ready');
      audit = await openAgentAuditWriter({
        storage: ctx.system.storage.audit,
        stateDir: ctx.stateDir,
        identity: () => ctx.credentials(),
        kinds: SOC_AUDIT_VOCABULARY.kinds,
      });
    },
    skills: [
      implementSkill(SOC_SKILLS.analyseFinding, async (request, ctx) => {
        const analysis = await analyseFinding(request.finding, {
          ...(model ? { model } : {}),
          logger: ctx.logger,
        });
        await audit!.writer.append({
          kind: 'analysis',
          actor: context!.spiffeId,
          correlationId: request.incidentId,
          what: {
            findingId: request.finding.id,
            techniques: analysis.techniques,
            severity: analysis.severity,
            confidence: analysis.confidence,
            recommendedResponses: analysis.recommendedResponses,
            summary: analysis.summary,
          },
          why: {
            rationale: analysis.rationale,
            source: analysis.source,
            ...(analysis.model
              ? {
                  model: analysis.model.name,
                  promptDigest: analysis.model.promptDigest,
                  usage: analysis.model.usage ?? null,
                }
              : {}),
            ...(analysis.degraded ? { degraded: analysis.degraded } : {}),
          },
          inputDigest: digestOf(request.finding),
          outputDigest: digestOf(analysis),
        });
        return analysis;
      }),
    ],
    async stop() {
      await audit?.close();
    },
  };
}

export const agent: AgentDefinition = createAnalystAgent();
