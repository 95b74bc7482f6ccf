import { existsSync, writeFileSync } from 'node:fs';
import { addUser, tokenFile } from '@vigil/coordinator';
import type { DemoDriver } from '@vigil/runtime';
import { approversOf } from './release.js';

/** The borrower the demo drafts a memo for (`VIGIL_CREDIT_DEMO_BORROWER` overrides). */
const DEMO_BORROWER = 'b-001';

interface DraftResult {
  memoId: string;
  memoDigest: string;
  approvalId: string;
  borrowerName: string;
  figures: number;
  sources: number;
  grade: number | null;
  reviewsPassed: number;
  reviews: number;
  compliancePassed: boolean;
  blockers: string[];
  durationMs: number;
}

/**
 * `vigil up --demo` on the credit-memo network: creates the relationship managers of
 * `policy.settings.approvers` as local users if they do not exist yet (token in
 * `<state>/users/<id>.token`, as `vigil up` does for `admin`), drafts one memo end to end
 * and leaves it awaiting the relationship manager's signed approval.
 */
export const demo: DemoDriver = async (ctx) => {
  const orchestrator = ctx.system.agents.find(
    (a) => a.implementation === '@vigil/credit-memo/orchestrator',
  );
  if (orchestrator === undefined) {
    ctx.print('demo: no agent implemented by @vigil/credit-memo/orchestrator in this system');
    return;
  }
  for (const id of approversOf(ctx.system)) {
    if (existsSync(tokenFile(ctx.stateDir, id))) continue;
    const token = addUser(ctx.stateDir, id, 'analyst');
    writeFileSync(tokenFile(ctx.stateDir, id), `${token}\n`, { mode: 0o600 });
    ctx.print(`demo: created relationship manager ${id} (token in ${tokenFile(ctx.stateDir, id)})`);
  }
  const borrowerId = process.env['VIGIL_CREDIT_DEMO_BORROWER'] ?? DEMO_BORROWER;
  const r = await ctx.invoke(
    orchestrator.name,
    'draft-memo',
    { borrowerId },
    { deadlineMs: 60_000 },
  );
  const out = r.output as DraftResult;
  const rm = approversOf(ctx.system)[0]!;
  ctx.print(
    [
      `demo: memo ${out.memoId} for ${out.borrowerName} drafted in ${r.durationMs.toFixed(0)} ms (trace ${r.traceId})`,
      `  ${out.figures} figures from ${out.sources} source entries; grade ${out.grade ?? '?'}; reviews ${out.reviewsPassed}/${out.reviews} passed; compliance ${out.compliancePassed ? 'passed' : 'FAILED'}`,
      `  memo digest ${out.memoDigest}`,
      `  awaiting approval ${out.approvalId}${out.blockers.length > 0 ? ` (even approved, the release policy would refuse: ${out.blockers.join('; ')})` : ''}`,
      `  next (with the -f and --state-dir of vigil up):`,
      `    vigil approvals show ${out.approvalId}`,
      `    vigil approvals approve ${out.approvalId} --as ${rm} --reason "…"`,
      `    vigil trace ${out.memoId}     (which agent produced each figure)`,
    ].join('\n'),
  );
};
