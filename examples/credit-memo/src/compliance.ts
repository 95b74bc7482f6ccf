import type { ComplianceResult, Figure, MemoDraft, Section, SourceEntry } from './contracts.js';
import { AS_OF } from './finance/analyses.js';
import { FigureIndex } from './finance/figures.js';
import { EntryIndex } from './sources.js';

/** What the trace policy answers (`vigil/credit/trace/result`). */
export interface TraceResult {
  readonly traced: boolean;
  readonly untraced: readonly string[];
  readonly unknownRefs: readonly string[];
}

/** The input of the trace policy: the memo's figures, the ids of the entries read, the text's citations. */
export function traceInput(
  sections: readonly Section[],
  entryIds: readonly string[],
  figures: readonly Figure[],
) {
  return {
    figures: figures.map((f) => ({ id: f.id, inputs: f.inputs })),
    entries: [...entryIds],
    refs: [...new Set(sections.flatMap((s) => s.paragraphs.flatMap((p) => p.figureRefs)))],
  };
}

/** Most adverse news items a memo goes forward with before compliance escalates. */
const MAX_ADVERSE_NEWS = 1;

/**
 * The compliance checks: KYC current, no sanctions hit, no PEP without enhanced due
 * diligence, adverse media within tolerance, exposure within the single-obligor limit,
 * every figure traced to a source entry (the trace policy's answer).
 */
export function checkCompliance(input: {
  readonly draft: MemoDraft;
  readonly entries: readonly SourceEntry[];
  readonly figures: readonly Figure[];
  readonly trace: TraceResult;
  readonly checkedBy: string;
}): ComplianceResult {
  const entries = new EntryIndex(input.entries);
  const figures = new FigureIndex(input.figures);
  const b = input.draft.borrowerId;
  const kyc = (path: string) => entries.get('kyc', b, path)?.value;
  const checks: ComplianceResult['checks'] = [];
  const status = kyc('status');
  const due = String(kyc('nextReviewDue'));
  checks.push({
    id: 'kyc-current',
    passed: status === 'verified' && due > AS_OF,
    detail: `status ${String(status)}, next review due ${due} (as of ${AS_OF})`,
  });
  const hits = kyc('sanctionsHits');
  checks.push({ id: 'sanctions', passed: hits === 0, detail: `${String(hits)} screening hit(s)` });
  checks.push({
    id: 'pep',
    passed: kyc('pep') === false,
    detail: kyc('pep') === false ? 'not a PEP' : 'PEP: enhanced due diligence required',
  });
  const adverse = figures.find('news.adverse-count')?.value;
  checks.push({
    id: 'adverse-media',
    passed: adverse !== undefined && adverse <= MAX_ADVERSE_NEWS,
    detail: `${adverse ?? 'unknown'} adverse item(s), tolerance ${MAX_ADVERSE_NEWS}`,
  });
  const use = figures.find('exposure.single-obligor-use')?.value;
  checks.push({
    id: 'single-obligor-limit',
    passed: use !== undefined && use <= 100,
    detail: `${use ?? 'unknown'}% of the single-obligor limit`,
  });
  checks.push({
    id: 'traceability',
    passed: input.trace.traced,
    detail: input.trace.traced
      ? `all ${input.figures.length} figures trace to source entries`
      : `untraced: ${input.trace.untraced.join(', ') || 'none'}; unknown citations: ${input.trace.unknownRefs.join(', ') || 'none'}`,
  });
  return {
    passed: checks.every((c) => c.passed),
    checks,
    untracedFigures: [...input.trace.untraced],
    checkedBy: input.checkedBy,
  };
}
