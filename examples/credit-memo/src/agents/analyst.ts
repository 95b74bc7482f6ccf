import { z } from 'zod';
import { implementSkill, type AgentDefinition } from '@vigil/runtime';
import { figureRationale, parseSettings } from '../agent-kit.js';
import { openCreditAudit, type CreditAudit } from '../audit.js';
import { CREDIT_SKILLS } from '../contracts.js';
import { ANALYSES, runAnalysis, type AnalysisName } from '../finance/analyses.js';

const settingsSchema = z.strictObject({
  /** Which analysis this agent runs: a ratio family, covenants, exposure, news, peers or rating. */
  analysis: z.enum(ANALYSES),
});

let audit: CreditAudit | undefined;
let analysis: AnalysisName = 'leverage';

/**
 * An analyst: runs one deterministic analysis (`settings.analysis`) over the entries and
 * figures it is sent and records one audit entry per figure it produced, so `vigil
 * trace <memo>` shows which agent computed each figure and from what.
 */
export const agent: AgentDefinition = {
  async start(ctx) {
    analysis = parseSettings(settingsSchema, ctx).analysis;
    audit = await openCreditAudit(ctx);
  },
  async stop() {
    await audit?.close();
  },
  skills: [
    implementSkill(CREDIT_SKILLS.analyse, async (request, ctx) => {
      const figures = runAnalysis(analysis, request, ctx.agent.spiffeId);
      await Promise.all(
        figures.map((f) =>
          audit!.record({
            kind: 'figure',
            memoId: request.memoId,
            traceId: ctx.traceId,
            what: { figureId: f.id, value: f.value, unit: f.unit, inputs: f.inputs, analysis },
            why: { rationale: figureRationale(f), formula: f.formula },
          }),
        ),
      );
      return { figures };
    }),
  ],
};
