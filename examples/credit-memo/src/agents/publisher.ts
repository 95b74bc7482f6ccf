import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestOf } from '@vigil/core';
import { verifyApproval } from '@vigil/policy';
import { implementSkill, type AgentDefinition } from '@vigil/runtime';
import { openCreditAudit, type CreditAudit } from '../audit.js';
import { traceInput, type TraceResult } from '../compliance.js';
import { releaseAction, CREDIT_SKILLS } from '../contracts.js';
import { ENTRYPOINTS, loadCreditPolicy, type CreditPolicy } from '../policy.js';
import { releasePolicyData } from '../release.js';

let audit: CreditAudit | undefined;
let trace: CreditPolicy | undefined;
let release: CreditPolicy | undefined;

/**
 * The publisher: the only agent that releases a memo. It recomputes the memo's digest
 * itself, verifies the relationship manager's signature over the release of exactly the
 * digest the approval names (CA-issued user certificate, not expired), re-runs the trace
 * policy over the memo it holds and asks the release policy; only an allow writes
 * `<stateDir>/credit-memo/released/<memo>.json`. Fails closed on any error.
 */
export const agent: AgentDefinition = {
  async start(ctx) {
    trace = await loadCreditPolicy(ENTRYPOINTS.trace, {});
    release = await loadCreditPolicy(ENTRYPOINTS.release, releasePolicyData(ctx.system));
    audit = await openCreditAudit(ctx);
  },
  async stop() {
    await audit?.close();
  },
  skills: [
    implementSkill(CREDIT_SKILLS.release, async (request, ctx) => {
      const { memo } = request;
      const memoDigest = digestOf(memo);
      let approval = { verified: false, decision: 'none', approver: 'none', memoDigest: 'none' };
      let signatureProblem: string | undefined;
      try {
        const v = await verifyApproval(request.approval, {
          action: releaseAction(memo, request.memoDigest),
          caPem: ctx.agent.credentials().ca,
          requireApproved: false,
        });
        approval = {
          verified: true,
          decision: v.decision,
          approver: v.approver,
          memoDigest: request.memoDigest,
        };
      } catch (error) {
        signatureProblem = (error as Error).message;
      }
      const traced = trace!.evaluate(
        traceInput(
          memo.sections,
          memo.sources.map((s) => s.id),
          memo.figures,
        ),
      ) as TraceResult;
      const decision = release!.evaluate({
        memoDigest,
        approval,
        trace: traced,
        reviews: memo.reviews.map((r) => ({ section: r.section, passed: r.passed })),
        compliance: {
          passed: memo.compliance.passed,
          failed: memo.compliance.checks.filter((c) => !c.passed).map((c) => c.id),
        },
      }) as { allow: boolean; reasons: string[] };
      const reasons =
        signatureProblem === undefined
          ? decision.reasons
          : [`signature: ${signatureProblem}`, ...decision.reasons];
      const dir = join(ctx.agent.stateDir, 'credit-memo', 'released');
      const path = join(dir, `${memo.memoId}.json`);
      if (decision.allow) {
        mkdirSync(dir, { recursive: true });
        // A retried release rewrites the same memo and approval (atomically).
        writeFileSync(
          `${path}.tmp`,
          `${JSON.stringify({ memo, memoDigest, approval: request.approval, approver: approval.approver, releasedAt: new Date().toISOString() }, null, 2)}\n`,
        );
        renameSync(`${path}.tmp`, path);
      }
      await audit!.record({
        kind: 'memo-release',
        memoId: memo.memoId,
        traceId: ctx.traceId,
        what: {
          action: releaseAction(memo, memoDigest),
          result: decision.allow ? 'released' : 'refused',
          memoDigest,
          approver: approval.approver,
          ...(decision.allow ? { path } : {}),
        },
        why: {
          rationale: decision.allow
            ? `released with the approval of ${approval.approver}`
            : reasons.join('; '),
          reasons,
          ruleIds: [ENTRYPOINTS.release],
          revision: release!.revision,
        },
      });
      return {
        released: decision.allow,
        memoId: memo.memoId,
        memoDigest,
        approver: approval.approver,
        path: decision.allow ? path : '',
        reasons,
      };
    }),
  ],
};
