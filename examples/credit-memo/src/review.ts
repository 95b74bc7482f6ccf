import type { Figure, Section, SectionReview, SourceEntry } from './contracts.js';
import { FigureIndex } from './finance/figures.js';
import { computeRatios, RATIO_FAMILIES } from './finance/ratios.js';
import { gradeOf } from './finance/rating.js';
import { formatEntry, formatFigure, numbersIn } from './format.js';
import { EntryIndex } from './sources.js';

/** Relative difference under which a recomputed figure agrees with the memo's. */
const TOLERANCE = 1e-6;

/**
 * Four-eyes review of one section: every citation resolves to a figure or entry of this
 * memo, every number in the text is one of the cited values as formatted, every cited
 * figure's direct inputs exist, ratio figures recompute to the same value from the
 * entries, covenant notes agree with the sign of their headroom, and the grade agrees
 * with the PD on the master scale (one notch down only with a covenant breach).
 */
export function reviewSection(input: {
  readonly section: Section;
  readonly entries: readonly SourceEntry[];
  readonly figures: readonly Figure[];
  readonly borrowerId: string;
  readonly reviewedBy: string;
}): SectionReview {
  const problems: string[] = [];
  const figures = new FigureIndex(input.figures);
  const entries = new Map(input.entries.map((e) => [e.id, e]));
  const cited: Figure[] = [];
  input.section.paragraphs.forEach((p, i) => {
    const allowed = new Set<string>();
    for (const ref of p.figureRefs) {
      const fig = figures.find(ref);
      const entry = entries.get(ref);
      if (fig !== undefined) {
        cited.push(fig);
        numbersIn(formatFigure(fig)).forEach((n) => allowed.add(n));
      } else if (entry !== undefined) {
        numbersIn(formatEntry(entry)).forEach((n) => allowed.add(n));
      } else {
        problems.push(
          `paragraph ${i + 1} cites ${ref}, which is neither a figure nor a source entry of this memo`,
        );
      }
    }
    for (const n of numbersIn(p.text)) {
      if (!allowed.has(n))
        problems.push(
          `paragraph ${i + 1} writes ${n}, which is not the value of anything it cites`,
        );
    }
  });
  for (const fig of cited) {
    for (const id of fig.inputs) {
      if (figures.find(id) === undefined && !entries.has(id))
        problems.push(`figure ${fig.id} cites unknown input ${id}`);
    }
    if (fig.id.startsWith('covenant.')) {
      const expected = fig.value >= 0 ? 'pass' : 'breach';
      if (fig.note !== expected)
        problems.push(
          `figure ${fig.id}: headroom ${fig.value} but marked ${fig.note ?? 'nothing'}`,
        );
    }
  }
  problems.push(...recomputeRatios(cited, input.borrowerId, input.entries));
  const grade = figures.find('rating.grade');
  const pd = figures.find('rating.pd');
  if (cited.some((f) => f.id === 'rating.grade') && grade !== undefined && pd !== undefined) {
    const base = gradeOf(pd.value / 100);
    const breached = input.figures.some((f) => f.id.startsWith('covenant.') && f.note === 'breach');
    const expected = Math.min(10, base + (breached ? 1 : 0));
    if (grade.value !== expected)
      problems.push(
        `grade ${grade.value} does not follow from PD ${pd.value}% (expected grade ${expected})`,
      );
  }
  return {
    section: input.section.id,
    passed: problems.length === 0,
    problems,
    reviewedBy: input.reviewedBy,
  };
}

function recomputeRatios(
  cited: readonly Figure[],
  borrowerId: string,
  entries: readonly SourceEntry[],
): string[] {
  const problems: string[] = [];
  const index = new EntryIndex(entries);
  for (const family of RATIO_FAMILIES) {
    const mine = cited.filter((f) => f.id.startsWith(`${family}.`));
    if (mine.length === 0) continue;
    let again: FigureIndex;
    try {
      again = new FigureIndex(computeRatios(family, borrowerId, index, 'reviewer'));
    } catch (error) {
      problems.push(`cannot recompute ${family} ratios: ${(error as Error).message}`);
      continue;
    }
    for (const f of mine) {
      const r = again.find(f.id);
      if (r === undefined) problems.push(`figure ${f.id} is not a ${family} ratio`);
      else if (Math.abs(r.value - f.value) > TOLERANCE * Math.max(1, Math.abs(r.value)))
        problems.push(
          `figure ${f.id} is ${f.value}, recomputed from the source entries it is ${r.value}`,
        );
    }
  }
  return problems;
}
