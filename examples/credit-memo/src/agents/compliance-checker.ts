import { implementSkill, type AgentDefinition } from '@vigil/runtime';
import { openCreditAudit, type CreditAudit } from '../audit.js';
import { checkCompliance, traceInput, type TraceResult } from '../compliance.js';
import { CREDIT_SKILLS } from '../contracts.js';
import { ENTRYPOINTS, loadCreditPolicy, type CreditPolicy } from '../policy.js';

let audit: CreditAudit | undefined;
let trace: CreditPolicy | undefined;

/**
 * The compliance checker: KYC, sanctions, PEP, adverse media, single-obligor limit, and
 * the trace policy (`vigil/credit/trace`): every figure traces to a source entry.
 */
export const agent: AgentDefinition = {
  async start(ctx) {
    trace = await loadCreditPolicy(ENTRYPOINTS.trace, {});
    audit = await openCreditAudit(ctx);
  },
  async stop() {
    await audit?.close();
  },
  skills: [
    implementSkill(CREDIT_SKILLS.checkCompliance, async (request, ctx) => {
      const traced = trace!.evaluate(
        traceInput(
          request.draft.sections,
          request.entries.map((e) => e.id),
          request.figures,
        ),
      ) as TraceResult;
      const result = checkCompliance({ ...request, trace: traced, checkedBy: ctx.agent.spiffeId });
      const failed = result.checks.filter((c) => !c.passed);
      await audit!.record({
        kind: 'compliance-check',
        memoId: request.memoId,
        traceId: ctx.traceId,
        what: {
          decision: result.passed ? 'pass' : 'fail',
          checks: result.checks.map((c) => ({ id: c.id, passed: c.passed })),
        },
        why: {
          rationale: result.passed
            ? `all ${result.checks.length} checks pass`
            : failed.map((c) => `${c.id}: ${c.detail}`).join('; '),
          ruleIds: [ENTRYPOINTS.trace],
          revision: trace!.revision,
        },
      });
      return result;
    }),
  ],
};
