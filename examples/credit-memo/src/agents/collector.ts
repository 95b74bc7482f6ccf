import { z } from 'zod';
import { digestOf } from '@vigil/core';
import { implementSkill, type AgentDefinition } from '@vigil/runtime';
import { dataDirOf, parseSettings, sourceGrants } from '../agent-kit.js';
import { openCreditAudit, type CreditAudit } from '../audit.js';
import { CREDIT_SKILLS } from '../contracts.js';
import { CREDIT_ERROR_CODES, CreditError } from '../errors.js';
import { AS_OF } from '../finance/analyses.js';
import { ENTRYPOINTS, loadCreditPolicy, type CreditPolicy } from '../policy.js';
import { readSource } from '../sources.js';

const settingsSchema = z.strictObject({
  /** Directory of `<source>.json`, relative to the declaration; default the shipped synthetic data. */
  dataDir: z.string().min(1).optional(),
});

const accessDecision = z.object({ allow: z.boolean(), reasons: z.array(z.string()) });

let audit: CreditAudit | undefined;
let access: CreditPolicy | undefined;
let dataDir = '';

/**
 * A collector: reads one borrower's record of a data source and returns it as source
 * entries. It reads a source only when the access policy (`vigil/credit/access`, data
 * from the declaration's `source:<name>` tools) grants it to this agent; a refusal is
 * audited and answered with `VIGIL_CREDIT_SOURCE_DENIED`.
 */
export const agent: AgentDefinition = {
  async start(ctx) {
    dataDir = dataDirOf(ctx.system, parseSettings(settingsSchema, ctx).dataDir);
    access = await loadCreditPolicy(ENTRYPOINTS.access, { grants: sourceGrants(ctx.system) });
    audit = await openCreditAudit(ctx);
  },
  async stop() {
    await audit?.close();
  },
  skills: [
    implementSkill(CREDIT_SKILLS.collect, async (request, ctx) => {
      const decision = accessDecision.parse(
        access!.evaluate({
          agent: ctx.agent.spec.name,
          spiffeId: ctx.agent.spiffeId,
          source: request.source,
        }),
      );
      if (!decision.allow) {
        await audit!.record({
          kind: 'source-denied',
          memoId: request.memoId,
          traceId: ctx.traceId,
          what: {
            decision: 'deny',
            source: request.source,
            borrowerId: request.borrowerId,
            requestedBy: ctx.caller.spiffeId,
          },
          why: {
            rationale: decision.reasons.join('; '),
            reasons: decision.reasons,
            ruleIds: [ENTRYPOINTS.access],
            revision: access!.revision,
          },
        });
        throw new CreditError(CREDIT_ERROR_CODES.SOURCE_DENIED, decision.reasons.join('; '), {
          details: { agent: ctx.agent.spec.name, source: request.source },
        });
      }
      const entries = readSource({
        dataDir,
        source: request.source,
        borrowerId: request.borrowerId,
        readBy: ctx.agent.spiffeId,
        asOf: AS_OF,
      });
      await audit!.record({
        kind: 'source-read',
        memoId: request.memoId,
        traceId: ctx.traceId,
        what: {
          source: request.source,
          borrowerId: request.borrowerId,
          count: entries.length,
          entriesDigest: digestOf(entries.map((e) => e.digest)),
        },
        why: {
          rationale: `granted ${request.source} by ${ENTRYPOINTS.access}`,
          revision: access!.revision,
        },
      });
      return { entries };
    }),
  ],
};
