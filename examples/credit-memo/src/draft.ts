import type { Figure, MemoDraft, Section, SourceEntry } from './contracts.js';
import { CREDIT_ERROR_CODES, CreditError } from './errors.js';
import { FigureIndex } from './finance/figures.js';
import { PEER_METRICS } from './finance/peers.js';
import { ratioId } from './finance/ratios.js';
import { formatEntry, formatFigure } from './format.js';
import { entryId } from './sources.js';

/** The memo's sections, in order; one section reviewer is declared per section. */
export const SECTION_IDS = [
  'summary',
  'financials',
  'peers',
  'structure',
  'rating',
  'kyc',
] as const;

type Ref = { readonly id: string; readonly text: string };

/**
 * A paragraph from a template whose `{n}` slots are filled with the formatted value of
 * `refs[n]`: the text carries no number that is not one of its cited figures or entries.
 */
function paragraph(template: string, refs: readonly Ref[]) {
  const text = template.replace(/\{(\d+)\}/g, (_m, i: string) => {
    const ref = refs[Number(i)];
    if (ref === undefined) throw new Error(`template slot {${i}} has no reference`);
    return ref.text;
  });
  return { text, figureRefs: [...new Set(refs.map((r) => r.id))] };
}

/**
 * Drafts the memo deterministically from its figures and entries (the offline writer).
 * Throws `VIGIL_CREDIT_MISSING_INPUT` when a figure the memo needs was not computed.
 */
export function draftMemo(input: {
  readonly memoId: string;
  readonly borrowerId: string;
  readonly borrowerName: string;
  readonly entries: readonly SourceEntry[];
  readonly figures: readonly Figure[];
  readonly draftedBy: string;
}): MemoDraft {
  const figures = new FigureIndex(input.figures);
  const byEntry = new Map(input.entries.map((e) => [e.id, e]));
  const f = (id: string): Ref => ({ id, text: formatFigure(figures.get(id).figure) });
  const e = (source: Parameters<typeof entryId>[0], path: string): Ref => {
    const id = entryId(source, input.borrowerId, path);
    const entry = byEntry.get(id);
    if (entry === undefined)
      throw new CreditError(CREDIT_ERROR_CODES.MISSING_INPUT, `missing source entry ${id}`);
    return { id, text: formatEntry(entry) };
  };
  const grade = figures.get('rating.grade').value;
  const recommendation =
    grade <= 5 ? 'approval' : grade <= 7 ? 'approval subject to tighter covenants' : 'decline';
  const covenants = figures.all().filter((x) => x.id.startsWith('covenant.'));
  const sections: Section[] = [
    {
      id: 'summary',
      title: 'Summary and recommendation',
      paragraphs: [
        paragraph(
          `${input.borrowerName} ({0}) requests a {1} revolving credit facility. Total committed exposure would be {2}, {3} of the single-obligor limit.`,
          [
            e('financials', 'sector'),
            f('exposure.proposed'),
            f('exposure.total'),
            f('exposure.single-obligor-use'),
          ],
        ),
        paragraph(
          `The rating model gives a one-year probability of default of {0}, {1}. Recommendation: ${recommendation}.`,
          [f('rating.pd'), f('rating.grade')],
        ),
      ],
    },
    {
      id: 'financials',
      title: 'Financial analysis',
      paragraphs: [
        paragraph(
          'FY2025 revenue was {0} (growth {1}) with EBITDA of {2}, an EBITDA margin of {3} and a net margin of {4}.',
          [
            f(ratioId('profitability', 'revenue')),
            f(ratioId('profitability', 'revenue-growth')),
            f(ratioId('profitability', 'ebitda')),
            f(ratioId('profitability', 'ebitda-margin')),
            f(ratioId('profitability', 'net-margin')),
          ],
        ),
        paragraph(
          'Leverage: total debt / EBITDA {0}, net debt / EBITDA {1}, debt / equity {2}. Coverage: EBIT / interest {3}, debt service coverage {4}. Liquidity: current ratio {5}, quick ratio {6}.',
          [
            f(ratioId('leverage', 'debt-to-ebitda')),
            f(ratioId('leverage', 'net-debt-to-ebitda')),
            f(ratioId('leverage', 'debt-to-equity')),
            f(ratioId('coverage', 'interest-coverage')),
            f(ratioId('coverage', 'dscr')),
            f(ratioId('liquidity', 'current-ratio')),
            f(ratioId('liquidity', 'quick-ratio')),
          ],
        ),
      ],
    },
    {
      id: 'peers',
      title: 'Peer comparison',
      paragraphs: PEER_METRICS.map((m) =>
        paragraph(
          `${m.key}: {0} against a sector peer median of {1}, the {2} (${m.better} is better).`,
          [f(ratioId(m.family, m.key)), f(`peers.${m.key}.median`), f(`peers.${m.key}.percentile`)],
        ),
      ),
    },
    {
      id: 'structure',
      title: 'Facilities, covenants and collateral',
      paragraphs: [
        ...covenants.map((c) => {
          const [actual, threshold] = c.inputs as [string, string];
          const op = byEntry.get(threshold.replace(/\.threshold$/, '.op'))?.value;
          const facility = c.id.split('.')[1];
          const metric = c.id.split('.').slice(2).join('.');
          return paragraph(
            `Covenant ${metric} ${String(op)} {1} on facility ${facility}: actual {2}, headroom {0} (${c.note ?? 'n/a'}).`,
            [
              f(c.id),
              { id: threshold, text: formatEntry(byEntry.get(threshold) ?? { value: null }) },
              f(actual),
            ],
          );
        }),
        paragraph('Collateral cover after haircuts is {0} of the total exposure.', [
          f('collateral.cover'),
        ]),
      ],
    },
    {
      id: 'rating',
      title: 'Risk rating',
      paragraphs: [
        paragraph(
          `The scorecard probability of default is {0}, which maps to {1} on the master scale (${figures.get('rating.grade').figure.note ?? ''}).`,
          [f('rating.pd'), f('rating.grade')],
        ),
      ],
    },
    {
      id: 'kyc',
      title: 'KYC and adverse media',
      paragraphs: [
        paragraph(
          'KYC status {0}, last reviewed {1}, next review due {2}; sanctions screening hits: {3}; politically exposed person: {4}.',
          [
            e('kyc', 'status'),
            e('kyc', 'lastReview'),
            e('kyc', 'nextReviewDue'),
            e('kyc', 'sanctionsHits'),
            e('kyc', 'pep'),
          ],
        ),
        paragraph('News sentiment is {0} with {1} adverse items.', [
          f('news.sentiment'),
          f('news.adverse-count'),
        ]),
      ],
    },
  ];
  return {
    memoId: input.memoId,
    borrowerId: input.borrowerId,
    borrowerName: input.borrowerName,
    sections,
    draftedBy: input.draftedBy,
    writer: 'offline-template',
  };
}
