import type { Figure } from '../contracts.js';
import type { EntryIndex } from '../sources.js';
import { figure, type Operand } from './figures.js';

/** The ratio families, one analyst each. */
export const RATIO_FAMILIES = ['leverage', 'liquidity', 'profitability', 'coverage'] as const;
export type RatioFamily = (typeof RATIO_FAMILIES)[number];

/** The statement years the network analyses; the last is the basis of the memo. */
export const YEARS = ['FY2023', 'FY2024', 'FY2025'] as const;
export const LATEST_YEAR = 'FY2025';

/** A statement line of one year as an operand. */
export type Line = (name: string) => Operand;

function lines(entries: EntryIndex, borrowerId: string, year: string): Line {
  return (name) => entries.number('financials', borrowerId, `statements.${year}.${name}`);
}

const div = (a: Operand, b: Operand): number => a.value / b.value;

type RatioSpec = {
  readonly key: string;
  readonly label: string;
  readonly unit: Figure['unit'];
  readonly formula: string;
  readonly compute: (
    l: Line,
    prior: Line | undefined,
  ) => { value: number; operands: Operand[] } | undefined;
};

function ratio(
  key: string,
  label: string,
  unit: Figure['unit'],
  formula: string,
  num: string,
  den: string,
  scale = 1,
): RatioSpec {
  return {
    key,
    label,
    unit,
    formula,
    compute: (l) => {
      const a = l(num);
      const b = l(den);
      return { value: div(a, b) * scale, operands: [a, b] };
    },
  };
}

/** Each family's ratios: the formula is stated in the figure, the operands are cited. */
export const RATIOS: Readonly<Record<RatioFamily, readonly RatioSpec[]>> = {
  leverage: [
    ratio(
      'debt-to-ebitda',
      'Total debt / EBITDA',
      'x',
      'totalDebt / ebitda',
      'totalDebt',
      'ebitda',
    ),
    ratio(
      'debt-to-equity',
      'Total debt / equity',
      'x',
      'totalDebt / equity',
      'totalDebt',
      'equity',
    ),
    {
      key: 'net-debt-to-ebitda',
      label: 'Net debt / EBITDA',
      unit: 'x',
      formula: '(totalDebt - cash) / ebitda',
      compute: (l) => {
        const d = l('totalDebt');
        const c = l('cash');
        const e = l('ebitda');
        return { value: (d.value - c.value) / e.value, operands: [d, c, e] };
      },
    },
  ],
  liquidity: [
    ratio(
      'current-ratio',
      'Current ratio',
      'x',
      'currentAssets / currentLiabilities',
      'currentAssets',
      'currentLiabilities',
    ),
    {
      key: 'quick-ratio',
      label: 'Quick ratio',
      unit: 'x',
      formula: '(currentAssets - inventory) / currentLiabilities',
      compute: (l) => {
        const a = l('currentAssets');
        const i = l('inventory');
        const c = l('currentLiabilities');
        return { value: (a.value - i.value) / c.value, operands: [a, i, c] };
      },
    },
    ratio(
      'cash-ratio',
      'Cash ratio',
      'x',
      'cash / currentLiabilities',
      'cash',
      'currentLiabilities',
    ),
  ],
  profitability: [
    {
      key: 'revenue',
      label: 'Revenue',
      unit: 'SGD',
      formula: 'revenue',
      compute: (l) => ({ value: l('revenue').value, operands: [l('revenue')] }),
    },
    {
      key: 'ebitda',
      label: 'EBITDA',
      unit: 'SGD',
      formula: 'revenue - cogs - opex (as reported)',
      compute: (l) => ({ value: l('ebitda').value, operands: [l('ebitda')] }),
    },
    ratio(
      'ebitda-margin',
      'EBITDA margin',
      '%',
      'ebitda / revenue × 100',
      'ebitda',
      'revenue',
      100,
    ),
    ratio(
      'net-margin',
      'Net margin',
      '%',
      'netIncome / revenue × 100',
      'netIncome',
      'revenue',
      100,
    ),
    ratio(
      'return-on-assets',
      'Return on assets',
      '%',
      'netIncome / totalAssets × 100',
      'netIncome',
      'totalAssets',
      100,
    ),
    {
      key: 'revenue-growth',
      label: 'Revenue growth',
      unit: '%',
      formula: '(revenue / prior revenue - 1) × 100',
      compute: (l, prior) => {
        if (prior === undefined) return undefined;
        const r = l('revenue');
        const p = prior('revenue');
        return { value: (r.value / p.value - 1) * 100, operands: [r, p] };
      },
    },
  ],
  coverage: [
    ratio(
      'interest-coverage',
      'Interest coverage (EBIT / interest)',
      'x',
      'ebit / interestExpense',
      'ebit',
      'interestExpense',
    ),
    {
      key: 'dscr',
      label: 'Debt service coverage',
      unit: 'x',
      formula: '(ebitda - capex) / (interestExpense + scheduledPrincipal)',
      compute: (l) => {
        const e = l('ebitda');
        const c = l('capex');
        const i = l('interestExpense');
        const p = l('scheduledPrincipal');
        return { value: (e.value - c.value) / (i.value + p.value), operands: [e, c, i, p] };
      },
    },
    ratio(
      'fcf-to-debt',
      'Operating cash flow / debt',
      '%',
      'operatingCashFlow / totalDebt × 100',
      'operatingCashFlow',
      'totalDebt',
      100,
    ),
  ],
};

/** The id of a ratio figure: `<family>.<ratio>.<year>`. */
export function ratioId(family: RatioFamily, key: string, year: string = LATEST_YEAR): string {
  return `${family}.${key}.${year}`;
}

/** Computes one family's ratios for every year of the statements. */
export function computeRatios(
  family: RatioFamily,
  borrowerId: string,
  entries: EntryIndex,
  producedBy: string,
): Figure[] {
  const out: Figure[] = [];
  YEARS.forEach((year, i) => {
    const l = lines(entries, borrowerId, year);
    const prior = i === 0 ? undefined : lines(entries, borrowerId, YEARS[i - 1]!);
    for (const spec of RATIOS[family]) {
      const r = spec.compute(l, prior);
      if (r === undefined) continue;
      out.push(
        figure(
          {
            id: ratioId(family, spec.key, year),
            label: `${spec.label} ${year}`,
            unit: spec.unit,
            formula: spec.formula,
            value: r.value,
          },
          r.operands,
          producedBy,
        ),
      );
    }
  });
  return out;
}

/** Which family computes the ratio a covenant or the rating model names. */
export const RATIO_FAMILY_OF: Readonly<Record<string, RatioFamily>> = Object.fromEntries(
  RATIO_FAMILIES.flatMap((f) => RATIOS[f].map((r) => [r.key, f] as const)),
);
