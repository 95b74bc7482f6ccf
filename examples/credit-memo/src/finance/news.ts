import type { Figure } from '../contracts.js';
import type { EntryIndex } from '../sources.js';
import { figure, type Operand } from './figures.js';

/** Half-life of a headline's weight in the sentiment score, days. */
const HALF_LIFE_DAYS = 180;

/**
 * News: the recency-weighted mean sentiment of the borrower's headlines (weight halves
 * every 180 days before `asOf`) and the count of adverse items.
 */
export function computeNews(
  borrowerId: string,
  entries: EntryIndex,
  asOf: string,
  producedBy: string,
): Figure[] {
  const weighted: { w: number; s: Operand }[] = [];
  const adverse: Operand[] = [];
  const dates: Operand[] = [];
  const now = new Date(asOf).getTime();
  for (let i = 0; entries.get('news', borrowerId, `items.${i}.sentiment`) !== undefined; i += 1) {
    const s = entries.number('news', borrowerId, `items.${i}.sentiment`);
    const date = entries.get('news', borrowerId, `items.${i}.date`)!;
    const ageDays = Math.max(0, (now - new Date(String(date.value)).getTime()) / 86_400_000);
    weighted.push({ w: 0.5 ** (ageDays / HALF_LIFE_DAYS), s });
    dates.push({ value: 0, id: date.id });
    const a = entries.get('news', borrowerId, `items.${i}.adverse`)!;
    if (a.value === true) adverse.push({ value: 1, id: a.id });
  }
  const totalWeight = weighted.reduce((t, x) => t + x.w, 0);
  const score =
    totalWeight === 0 ? 0 : weighted.reduce((t, x) => t + x.w * x.s.value, 0) / totalWeight;
  const sentimentInputs = [...weighted.map((x) => x.s), ...dates];
  return [
    figure(
      {
        id: 'news.sentiment',
        label: 'News sentiment (recency-weighted)',
        unit: 'score',
        formula: `Σ w·sentiment / Σ w, w = 0.5^(age days / ${HALF_LIFE_DAYS})`,
        value: score,
      },
      sentimentInputs.length > 0 ? sentimentInputs : [{ value: 0, id: `news:${borrowerId}:items` }],
      producedBy,
    ),
    figure(
      {
        id: 'news.adverse-count',
        label: 'Adverse news items',
        unit: 'count',
        formula: 'count(items where adverse)',
        value: adverse.length,
      },
      adverse.length > 0
        ? adverse
        : dates.length > 0
          ? dates
          : [{ value: 0, id: `news:${borrowerId}:items` }],
      producedBy,
    ),
  ];
}
