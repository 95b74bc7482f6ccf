import { randomBytes } from 'node:crypto';
import { ensureBootstrapAdmin, OPS_API_SERVICE } from '@vigil/coordinator';
import { digestOf, VigilError } from '@vigil/core';
import { verifyApproval } from '@vigil/policy';
import {
  callPeer,
  implementSkill,
  publishServiceAddress,
  withdrawServiceAddress,
  type AgentContext,
  type AgentDefinition,
} from '@vigil/runtime';
import { startMemoApprovalsApi, type DecideMemo } from '../approvals-api.js';
import { openCreditAudit, type CreditAudit } from '../audit.js';
import { CREDIT_SKILLS, releaseAction, type Memo } from '../contracts.js';
import { CREDIT_ERROR_CODES, CreditError } from '../errors.js';
import { ENTRYPOINTS, loadCreditPolicy, type CreditPolicy } from '../policy.js';
import { buildRoster, type Roster } from '../roster.js';
import { effective, MemoStore, type MemoApprovalRow } from '../memo-store.js';
import { runMemoWorkflow, type MemoSteps } from '../workflow.js';
import { approversOf, releasePolicyData } from '../release.js';

const CALL_DEADLINE_MS = 30_000;

let context: AgentContext | undefined;
let roster: Roster | undefined;
let store: MemoStore | undefined;
let audit: CreditAudit | undefined;
let release: CreditPolicy | undefined;
let api: { url: string; close(): Promise<void> } | undefined;

function remoteSteps(ctx: AgentContext, ids: { memoId: string; borrowerId: string }): MemoSteps {
  const r = roster!;
  // Which agent plays each role comes from the roster (the declaration): calls are typed
  // by the skill contracts, and each answer is validated against its output schema.
  const options = { deadlineMs: CALL_DEADLINE_MS };
  return {
    collect: async (source) =>
      (
        await callPeer(
          ctx.client,
          r.collectors[source],
          CREDIT_SKILLS.collect,
          { ...ids, source },
          options,
        )
      ).entries,
    analyse: async (name, input) =>
      (await callPeer(ctx.client, r.analysts[name], CREDIT_SKILLS.analyse, input, options)).figures,
    draft: (input) =>
      callPeer(ctx.client, r.drafter, CREDIT_SKILLS.draft, { ...ids, ...input }, options),
    review: (section, draft, entries, figures) => {
      const drafted = draft.sections.find((s) => s.id === section);
      if (drafted === undefined)
        throw new CreditError(
          CREDIT_ERROR_CODES.MISSING_INPUT,
          `the draft has no section "${section}" to review`,
        );
      return callPeer(
        ctx.client,
        r.reviewers[section]!,
        CREDIT_SKILLS.reviewSection,
        { ...ids, section: drafted, entries, figures },
        options,
      );
    },
    compliance: (draft, entries, figures) =>
      callPeer(
        ctx.client,
        r.compliance,
        CREDIT_SKILLS.checkCompliance,
        { memoId: ids.memoId, draft, entries, figures },
        options,
      ),
  };
}

/**
 * What the release policy would still refuse if the approval were given (failed
 * reviews, compliance, untraced figures): shown to the approver with the request.
 */
function blockers(memo: Memo, memoDigest: string, system: AgentContext['system']): string[] {
  const approver = `spiffe://${system.trustDomain}/user/${approversOf(system)[0]!}`;
  const decision = release!.evaluate({
    memoDigest,
    approval: { verified: true, decision: 'approve', approver, memoDigest },
    trace: {
      traced: memo.compliance.untracedFigures.length === 0,
      untraced: memo.compliance.untracedFigures,
      unknownRefs: [],
    },
    reviews: memo.reviews.map((r) => ({ section: r.section, passed: r.passed })),
    compliance: {
      passed: memo.compliance.passed,
      failed: memo.compliance.checks.filter((c) => !c.passed).map((c) => c.id),
    },
  }) as { reasons: string[] };
  return decision.reasons;
}

const decide: DecideMemo = async (approvalId, d) => {
  const ctx = context!;
  const stored = store!.byApproval(approvalId);
  if (stored === undefined)
    throw new CreditError(CREDIT_ERROR_CODES.NOT_FOUND, `no approval request "${approvalId}"`);
  const row = effective(stored.approval);
  if (row.status === 'expired') {
    if (stored.approval.status === 'pending')
      store!.put({
        ...stored,
        approval: {
          ...row,
          decision: {
            decision: 'expired',
            by: 'system',
            reason: 'approval window passed',
            at: Date.now(),
          },
        },
      });
    throw new VigilError(
      'VIGIL_APPROVAL_EXPIRED',
      `approval ${approvalId} expired; draft the memo again`,
    );
  }
  if (row.status !== 'pending')
    throw new VigilError(
      'VIGIL_APPROVAL_NOT_PENDING',
      `approval ${approvalId} is already ${row.status}`,
    );
  if (!approversOf(ctx.system).includes(d.user.id)) {
    throw new VigilError(
      'VIGIL_APPROVAL_FORBIDDEN',
      `${d.user.id} is not a relationship manager allowed to release memos (policy.settings.approvers)`,
    );
  }
  const verified = await verifyApproval(d.approval, {
    action: row.action,
    caPem: ctx.credentials().ca,
    approvers: [`spiffe://${ctx.system.trustDomain}/user/${d.user.id}`],
    requireApproved: false,
  });
  if (verified.decision !== d.decision) {
    throw new VigilError(
      'VIGIL_APPROVAL_DECISION_MISMATCH',
      `the signed decision is "${verified.decision}", the request says "${d.decision}"`,
    );
  }
  await audit!.record({
    kind: 'memo-approval',
    memoId: stored.memo.memoId,
    actor: `user:${d.user.id}`,
    what: {
      decision: d.decision,
      approvalId,
      actionDigest: row.actionDigest,
      memoDigest: stored.memoDigest,
      signer: verified.approver,
    },
    why: { rationale: d.reason, comment: d.reason },
  });
  let releasedTo: string | undefined;
  if (d.decision === 'approve') {
    const result = await callPeer(
      ctx.client,
      roster!.publisher,
      CREDIT_SKILLS.release,
      { memo: stored.memo, memoDigest: stored.memoDigest, approval: d.approval },
      { deadlineMs: CALL_DEADLINE_MS },
    );
    if (!result.released) {
      throw new CreditError(
        CREDIT_ERROR_CODES.RELEASE_DENIED,
        `release refused: ${result.reasons.join('; ')}`,
      );
    }
    releasedTo = result.path;
  }
  const updated: MemoApprovalRow = {
    ...row,
    status: d.decision === 'approve' ? 'approved' : 'rejected',
    decision: { decision: d.decision, by: `user:${d.user.id}`, reason: d.reason, at: Date.now() },
    ...(releasedTo === undefined ? {} : { releasedTo }),
  };
  store!.put({ ...stored, approval: updated });
  return updated;
};

/**
 * The memo orchestrator: `draft-memo {borrowerId}` runs the whole network for one
 * borrower (see `runMemoWorkflow`), stores the memo with its digest and opens a release
 * approval bound to that digest; the approvals API (`vigil approvals`) takes the
 * relationship manager's signed decision and, on approve, asks the publisher to release.
 */
export const agent: AgentDefinition = {
  async start(ctx) {
    context = ctx;
    roster = buildRoster(ctx.spec, ctx.system.agents);
    store = new MemoStore(ctx.stateDir);
    audit = await openCreditAudit(ctx);
    release = await loadCreditPolicy(ENTRYPOINTS.release, releasePolicyData(ctx.system));
    ensureBootstrapAdmin(ctx.stateDir);
    // One API per state directory: only replica 0 serves it.
    if (ctx.replica === 0) {
      api = await startMemoApprovalsApi({
        store,
        stateDir: ctx.stateDir,
        decide,
        logger: ctx.logger,
      });
      publishServiceAddress(ctx.stateDir, OPS_API_SERVICE, api.url);
      ctx.logger.info({ url: api.url }, 'memo approvals API listening');
    }
  },
  async stop() {
    if (api !== undefined && context !== undefined)
      withdrawServiceAddress(context.stateDir, OPS_API_SERVICE);
    await api?.close();
    await audit?.close();
  },
  status: () => ({
    memos: store?.approvals().length ?? 0,
    pending: store?.approvals('pending').length ?? 0,
  }),
  skills: [
    implementSkill(CREDIT_SKILLS.draftMemo, async ({ borrowerId }, ctx) => {
      const memoId = `memo-${borrowerId}-${Date.now().toString(36)}`;
      const begin = performance.now();
      const memo = await runMemoWorkflow(remoteSteps(ctx.agent, { memoId, borrowerId }), {
        memoId,
        borrowerId,
      });
      const memoDigest = digestOf(memo);
      const action = releaseAction(memo, memoDigest);
      const reasons = blockers(memo, memoDigest, ctx.agent.system);
      const now = Date.now();
      const approval: MemoApprovalRow = {
        id: `apr-${randomBytes(6).toString('hex')}`,
        incidentId: memoId,
        proposalId: memoId,
        action,
        actionDigest: digestOf(action),
        review: {
          decision: 'escalate',
          confidence: 1,
          revision: release!.revision,
          reasons,
          rules: [ENTRYPOINTS.release],
        },
        status: 'pending',
        requestedAt: now,
        expiresAt: now + ctx.agent.system.policy.approvals.ttlSeconds * 1000,
      };
      store!.put({ memo, memoDigest, approval });
      await audit!.record({
        kind: 'memo-approval-request',
        memoId,
        traceId: ctx.traceId,
        what: {
          action,
          actionDigest: approval.actionDigest,
          memoDigest,
          approvalId: approval.id,
          expiresAt: new Date(approval.expiresAt).toISOString(),
        },
        why: {
          rationale: `release needs a relationship manager's signed approval of ${memoDigest.slice(0, 19)}…`,
          reasons,
        },
      });
      const grade = memo.figures.find((f) => f.id === 'rating.grade');
      return {
        memoId,
        memoDigest,
        approvalId: approval.id,
        status: 'awaiting-approval' as const,
        borrowerName: memo.borrowerName,
        figures: memo.figures.length,
        sources: memo.sources.length,
        grade: grade?.value ?? null,
        reviewsPassed: memo.reviews.filter((r) => r.passed).length,
        reviews: memo.reviews.length,
        compliancePassed: memo.compliance.passed,
        blockers: reasons,
        durationMs: Math.round(performance.now() - begin),
      };
    }),
  ],
};

export { demo } from '../demo.js';
