import type {
  AnalyseInput,
  ComplianceResult,
  Figure,
  Memo,
  MemoDraft,
  SectionReview,
  SourceEntry,
  SourceName,
} from './contracts.js';
import { SOURCES } from './contracts.js';
import { CREDIT_ERROR_CODES, CreditError } from './errors.js';
import type { AnalysisName } from './finance/analyses.js';
import { RATIO_FAMILIES } from './finance/ratios.js';
import { SECTION_IDS } from './draft.js';

/**
 * The steps of one memo, each done by another agent. The orchestrator implements them
 * with mTLS A2A calls; tests implement them in-process with the same functions.
 */
export interface MemoSteps {
  collect(source: SourceName): Promise<SourceEntry[]>;
  analyse(name: AnalysisName, input: AnalyseInput): Promise<Figure[]>;
  draft(input: {
    entries: SourceEntry[];
    figures: Figure[];
    borrowerName: string;
  }): Promise<MemoDraft>;
  review(
    section: string,
    draft: MemoDraft,
    entries: SourceEntry[],
    figures: Figure[],
  ): Promise<SectionReview>;
  compliance(
    draft: MemoDraft,
    entries: SourceEntry[],
    figures: Figure[],
  ): Promise<ComplianceResult>;
}

/** Which sources each analysis reads: an analyst is sent only those entries. */
const NEEDS: Readonly<Record<AnalysisName, readonly SourceName[]>> = {
  leverage: ['financials'],
  liquidity: ['financials'],
  profitability: ['financials'],
  coverage: ['financials'],
  covenants: ['exposure'],
  exposure: ['exposure', 'collateral'],
  news: ['news'],
  peers: ['market'],
  rating: [],
};

/**
 * Runs one memo: the six collectors in parallel; ratio, exposure and news analysts in
 * parallel; covenants and peers on the ratios; the rating on everything; the drafter;
 * then every section reviewer and the compliance checker in parallel. Each analyst gets
 * only the entries of the sources it needs and the figures computed before it.
 */
export async function runMemoWorkflow(
  steps: MemoSteps,
  ids: { readonly memoId: string; readonly borrowerId: string },
): Promise<Memo> {
  const read = await Promise.all(SOURCES.map((s) => steps.collect(s)));
  const entries = read.flat();
  const of = (sources: readonly SourceName[]) => entries.filter((e) => sources.includes(e.source));
  const input = (name: AnalysisName, figures: Figure[]): AnalyseInput => ({
    memoId: ids.memoId,
    borrowerId: ids.borrowerId,
    entries: of(NEEDS[name]),
    figures,
  });
  const first = (
    await Promise.all(
      [...RATIO_FAMILIES, 'exposure', 'news'].map((n) =>
        steps.analyse(n as AnalysisName, input(n as AnalysisName, [])),
      ),
    )
  ).flat();
  const second = (
    await Promise.all(
      (['covenants', 'peers'] as const).map((n) => steps.analyse(n, input(n, first))),
    )
  ).flat();
  const rating = await steps.analyse('rating', input('rating', [...first, ...second]));
  const figures = [...first, ...second, ...rating];
  const nameEntry = entries.find((e) => e.source === 'financials' && e.path === 'name');
  if (nameEntry === undefined || typeof nameEntry.value !== 'string') {
    throw new CreditError(
      CREDIT_ERROR_CODES.MISSING_INPUT,
      `no borrower name in the financials of ${ids.borrowerId}`,
    );
  }
  const draft = await steps.draft({ entries, figures, borrowerName: nameEntry.value });
  const [reviews, compliance] = await Promise.all([
    Promise.all(SECTION_IDS.map((s) => steps.review(s, draft, entries, figures))),
    steps.compliance(draft, entries, figures),
  ]);
  return {
    memoId: ids.memoId,
    borrowerId: ids.borrowerId,
    borrowerName: draft.borrowerName,
    sections: draft.sections,
    figures,
    sources: entries.map((e) => ({ id: e.id, digest: e.digest, readBy: e.readBy })),
    reviews,
    compliance,
    draftedBy: draft.draftedBy,
    writer: draft.writer,
  };
}
