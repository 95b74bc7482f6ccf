import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SourceName } from './contracts.js';
import { checkCompliance, traceInput } from './compliance.js';
import { draftMemo } from './draft.js';
import { runAnalysis } from './finance/analyses.js';
import { loadCreditPolicy, ENTRYPOINTS } from './policy.js';
import { reviewSection } from './review.js';
import { readSource, SHIPPED_DATA_DIR } from './sources.js';
import { runMemoWorkflow, type MemoSteps } from './workflow.js';
import type { TraceResult } from './compliance.js';

async function localSteps(borrowerId: string, memoId: string): Promise<MemoSteps> {
  const trace = await loadCreditPolicy(ENTRYPOINTS.trace, {});
  return {
    collect: async (source: SourceName) =>
      readSource({
        dataDir: SHIPPED_DATA_DIR,
        source,
        borrowerId,
        readBy: `agent/collect-${source}`,
        asOf: '2026-03-31',
      }),
    analyse: async (name, input) => runAnalysis(name, input, `agent/${name}`),
    draft: async ({ entries, figures, borrowerName }) =>
      draftMemo({ memoId, borrowerId, borrowerName, entries, figures, draftedBy: 'agent/drafter' }),
    review: async (section, draft, entries, figures) =>
      reviewSection({
        section: draft.sections.find((s) => s.id === section)!,
        entries,
        figures,
        borrowerId,
        reviewedBy: `agent/review-${section}`,
      }),
    compliance: async (draft, entries, figures) =>
      checkCompliance({
        draft,
        entries,
        figures,
        trace: trace.evaluate(
          traceInput(
            draft.sections,
            entries.map((e) => e.id),
            figures,
          ),
        ) as TraceResult,
        checkedBy: 'agent/compliance',
      }),
  };
}

test('a memo for a sound borrower passes every review and compliance check, and every figure is traced', async () => {
  const memo = await runMemoWorkflow(await localSteps('b-001', 'memo-b-001-t'), {
    memoId: 'memo-b-001-t',
    borrowerId: 'b-001',
  });
  assert.deepEqual(
    memo.reviews.filter((r) => !r.passed),
    [],
  );
  assert.equal(memo.compliance.passed, true, JSON.stringify(memo.compliance.checks));
  assert.deepEqual(memo.compliance.untracedFigures, []);
  const grade = memo.figures.find((f) => f.id === 'rating.grade')!;
  assert.ok(grade.value >= 1 && grade.value <= 5, `grade ${grade.value}`);
  // Every figure names the agent that produced it.
  assert.ok(memo.figures.every((f) => f.producedBy.startsWith('agent/')));
});

test('a weak borrower breaches covenants and is notched down; an expired KYC or a sanctions hit fails compliance', async () => {
  const weak = await runMemoWorkflow(await localSteps('b-002', 'memo-b-002-t'), {
    memoId: 'memo-b-002-t',
    borrowerId: 'b-002',
  });
  const breaches = weak.figures.filter((f) => f.id.startsWith('covenant.') && f.note === 'breach');
  assert.ok(breaches.length > 0);
  assert.match(weak.figures.find((f) => f.id === 'rating.grade')!.note!, /notched down/);
  assert.deepEqual(
    weak.reviews.filter((r) => !r.passed),
    [],
  );
  const kyc = await runMemoWorkflow(await localSteps('b-004', 'memo-b-004-t'), {
    memoId: 'memo-b-004-t',
    borrowerId: 'b-004',
  });
  assert.equal(kyc.compliance.checks.find((c) => c.id === 'kyc-current')!.passed, false);
  const sanctions = await runMemoWorkflow(await localSteps('b-006', 'memo-b-006-t'), {
    memoId: 'memo-b-006-t',
    borrowerId: 'b-006',
  });
  assert.equal(sanctions.compliance.checks.find((c) => c.id === 'sanctions')!.passed, false);
  assert.equal(sanctions.compliance.passed, false);
});
