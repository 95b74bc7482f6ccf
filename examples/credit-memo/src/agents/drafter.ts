import { digestOf } from '@vigil/core';
import { implementSkill, type AgentDefinition } from '@vigil/runtime';
import { openCreditAudit, type CreditAudit } from '../audit.js';
import { CREDIT_SKILLS } from '../contracts.js';
import { draftMemo } from '../draft.js';

let audit: CreditAudit | undefined;

/**
 * The drafter: writes the memo's sections from the figures and entries with the
 * deterministic template writer; every number in the text is a cited figure or entry.
 */
export const agent: AgentDefinition = {
  async start(ctx) {
    audit = await openCreditAudit(ctx);
  },
  async stop() {
    await audit?.close();
  },
  skills: [
    implementSkill(CREDIT_SKILLS.draft, async (request, ctx) => {
      const draft = draftMemo({ ...request, draftedBy: ctx.agent.spiffeId });
      await audit!.record({
        kind: 'memo-draft',
        memoId: request.memoId,
        traceId: ctx.traceId,
        what: {
          action: {
            type: 'draft-credit-memo',
            target: { kind: 'CreditMemo', name: request.memoId },
            parameters: { sections: draft.sections.length },
          },
          draftDigest: digestOf(draft),
        },
        why: {
          rationale: `${draft.sections.length} sections written by ${draft.writer} from ${request.figures.length} figures`,
        },
      });
      return draft;
    }),
  ],
};
