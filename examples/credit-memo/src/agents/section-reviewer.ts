import { z } from 'zod';
import { implementSkill, type AgentDefinition } from '@vigil/runtime';
import { parseSettings } from '../agent-kit.js';
import { openCreditAudit, type CreditAudit } from '../audit.js';
import { CREDIT_SKILLS } from '../contracts.js';
import { SECTION_IDS } from '../draft.js';
import { CREDIT_ERROR_CODES, CreditError } from '../errors.js';
import { reviewSection } from '../review.js';

const settingsSchema = z.strictObject({ section: z.enum(SECTION_IDS) });

let audit: CreditAudit | undefined;
let section = '';

/** A section reviewer: four-eyes checks of its one section (`settings.section`). */
export const agent: AgentDefinition = {
  async start(ctx) {
    section = parseSettings(settingsSchema, ctx).section;
    audit = await openCreditAudit(ctx);
  },
  async stop() {
    await audit?.close();
  },
  skills: [
    implementSkill(CREDIT_SKILLS.reviewSection, async (request, ctx) => {
      if (request.section.id !== section) {
        throw new CreditError(
          CREDIT_ERROR_CODES.MISSING_INPUT,
          `${ctx.agent.spec.name} reviews section ${section}, not ${request.section.id}`,
        );
      }
      const review = reviewSection({ ...request, reviewedBy: ctx.agent.spiffeId });
      await audit!.record({
        kind: 'section-review',
        memoId: request.memoId,
        traceId: ctx.traceId,
        what: {
          decision: review.passed ? 'pass' : 'fail',
          section,
          problems: review.problems.length,
        },
        why: {
          rationale: review.passed
            ? `section ${section}: every number cites a figure or entry; recomputations agree`
            : review.problems.join('; '),
          reasons: review.problems,
        },
      });
      return review;
    }),
  ],
};
