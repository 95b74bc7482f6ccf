import type { Figure } from '../contracts.js';
import { figure, type FigureIndex, type Operand } from './figures.js';
import { ratioId } from './ratios.js';

/**
 * The rating model: a logistic scorecard over seven capped features giving a one-year
 * probability of default, mapped to a 1–10 master scale. Coefficients are illustrative
 * (chosen so the synthetic borrowers span the scale), not fitted to any bank's defaults:
 * a real deployment replaces them with its own validated model.
 */
export const RATING_MODEL = {
  intercept: -3.1,
  features: [
    { figure: ratioId('leverage', 'debt-to-ebitda'), weight: 0.55, cap: [0, 8] },
    { figure: ratioId('coverage', 'interest-coverage'), weight: -0.22, cap: [0, 12] },
    { figure: ratioId('liquidity', 'current-ratio'), weight: -0.6, cap: [0, 3] },
    { figure: ratioId('profitability', 'ebitda-margin'), weight: -0.035, cap: [-20, 50] },
    { figure: ratioId('profitability', 'revenue-growth'), weight: -0.025, cap: [-30, 40] },
    { figure: 'news.sentiment', weight: -0.9, cap: [-1, 1] },
    { figure: 'collateral.cover', weight: -0.45, cap: [0, 2] },
  ],
} as const;

/** Upper PD bound of grades 1…10 (grade 10 takes the rest). */
export const MASTER_SCALE: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 1,
];

/** The grade of a probability of default on {@link MASTER_SCALE}. */
export function gradeOf(pd: number): number {
  const i = MASTER_SCALE.findIndex((bound) => pd <= bound);
  return i === -1 ? MASTER_SCALE.length : i + 1;
}

const clamp = (x: number, [lo, hi]: readonly [number, number]): number =>
  Math.min(hi, Math.max(lo, x));

/**
 * PD and grade; a covenant in breach notches the grade down by one (the note says so),
 * since the scorecard's ratios do not see a breached contract.
 */
export function rate(figures: FigureIndex, producedBy: string): Figure[] {
  const operands: Operand[] = [];
  let logit: number = RATING_MODEL.intercept;
  for (const f of RATING_MODEL.features) {
    const x = figures.get(f.figure);
    operands.push(x);
    logit += f.weight * clamp(x.value, f.cap);
  }
  const pd = 1 / (1 + Math.exp(-logit));
  const pdFigure = figure(
    {
      id: 'rating.pd',
      label: 'One-year probability of default',
      unit: '%',
      formula: 'logistic scorecard (RATING_MODEL) × 100',
      value: pd * 100,
    },
    operands,
    producedBy,
  );
  const breaches = figures.all().filter((f) => f.id.startsWith('covenant.') && f.note === 'breach');
  const grade = Math.min(MASTER_SCALE.length, gradeOf(pd) + (breaches.length > 0 ? 1 : 0));
  return [
    pdFigure,
    figure(
      {
        id: 'rating.grade',
        label: 'Risk grade (1 best, 10 worst)',
        unit: 'grade',
        formula: 'master scale of PD, +1 notch on any covenant breach',
        value: grade,
        note:
          breaches.length > 0
            ? `notched down for ${breaches.map((b) => b.id).join(', ')}`
            : 'scorecard grade',
      },
      [
        { value: pdFigure.value, id: pdFigure.id },
        ...breaches.map((b) => ({ value: b.value, id: b.id })),
      ],
      producedBy,
    ),
  ];
}
