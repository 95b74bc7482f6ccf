import type { Figure } from '../contracts.js';
import type { EntryIndex } from '../sources.js';
import { figure, type Operand } from './figures.js';

function sum(values: readonly Operand[]): number {
  return values.reduce((s, v) => s + v.value, 0);
}

/**
 * Exposure and collateral: total committed exposure after the proposed facility, its
 * use of the single-obligor limit, and collateral cover (Σ market value × (1 − haircut)
 * over the exposure).
 */
export function computeExposure(
  borrowerId: string,
  entries: EntryIndex,
  producedBy: string,
): Figure[] {
  const limits: Operand[] = [];
  for (
    let f = 0;
    entries.get('exposure', borrowerId, `facilities.${f}.limit`) !== undefined;
    f += 1
  ) {
    limits.push(entries.number('exposure', borrowerId, `facilities.${f}.limit`));
  }
  const proposed = entries.number('exposure', borrowerId, 'proposed.limit');
  const total = [...limits, proposed];
  const singleObligor = entries.number('exposure', borrowerId, 'singleObligorLimit');
  const exposureValue = sum(total);
  const lendable: Operand[] = [];
  const cited: Operand[] = [];
  for (
    let c = 0;
    entries.get('collateral', borrowerId, `items.${c}.marketValue`) !== undefined;
    c += 1
  ) {
    const mv = entries.number('collateral', borrowerId, `items.${c}.marketValue`);
    const haircut = entries.number('collateral', borrowerId, `items.${c}.haircut`);
    lendable.push({ value: mv.value * (1 - haircut.value), id: mv.id });
    cited.push(mv, haircut);
  }
  const exposureFigure = figure(
    {
      id: 'exposure.total',
      label: 'Total committed exposure incl. proposed facility',
      unit: 'SGD',
      formula: 'Σ facility limits + proposed limit',
      value: exposureValue,
    },
    total,
    producedBy,
  );
  return [
    exposureFigure,
    figure(
      {
        id: 'exposure.proposed',
        label: 'Proposed facility',
        unit: 'SGD',
        formula: 'proposed.limit',
        value: proposed.value,
      },
      [proposed],
      producedBy,
    ),
    figure(
      {
        id: 'exposure.single-obligor-use',
        label: 'Use of the single-obligor limit',
        unit: '%',
        formula: 'total exposure / singleObligorLimit × 100',
        value: (exposureValue / singleObligor.value) * 100,
      },
      [{ value: exposureValue, id: exposureFigure.id }, singleObligor],
      producedBy,
    ),
    figure(
      {
        id: 'collateral.cover',
        label: 'Collateral cover (after haircuts)',
        unit: 'x',
        formula: 'Σ marketValue × (1 - haircut) / total exposure',
        value: sum(lendable) / exposureValue,
      },
      [...cited, { value: exposureValue, id: exposureFigure.id }],
      producedBy,
    ),
  ];
}
