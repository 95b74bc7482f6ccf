import type { Figure } from '../contracts.js';
import { CREDIT_ERROR_CODES, CreditError } from '../errors.js';
import type { EntryIndex } from '../sources.js';
import { figure, type FigureIndex } from './figures.js';
import { RATIO_FAMILY_OF, ratioId } from './ratios.js';

/**
 * Tests every covenant of every existing facility against the latest ratio figures:
 * one figure per covenant whose value is the headroom in % of the threshold (positive:
 * inside the covenant) and whose note is `pass` or `breach`.
 */
export function testCovenants(
  borrowerId: string,
  entries: EntryIndex,
  figures: FigureIndex,
  producedBy: string,
): Figure[] {
  const out: Figure[] = [];
  for (let f = 0; entries.get('exposure', borrowerId, `facilities.${f}.id`) !== undefined; f += 1) {
    const facility = String(entries.get('exposure', borrowerId, `facilities.${f}.id`)!.value);
    for (let c = 0; ; c += 1) {
      const base = `facilities.${f}.covenants.${c}`;
      const metricEntry = entries.get('exposure', borrowerId, `${base}.metric`);
      if (metricEntry === undefined) break;
      const metric = String(metricEntry.value);
      const op = String(entries.get('exposure', borrowerId, `${base}.op`)?.value);
      const threshold = entries.number('exposure', borrowerId, `${base}.threshold`);
      const family = RATIO_FAMILY_OF[metric];
      if (family === undefined || (op !== '<=' && op !== '>=')) {
        throw new CreditError(
          CREDIT_ERROR_CODES.MISSING_INPUT,
          `covenant ${facility} #${c}: unknown metric "${metric}" or operator "${op}"`,
        );
      }
      const actual = figures.get(ratioId(family, metric));
      const headroom =
        op === '<='
          ? (threshold.value - actual.value) / threshold.value
          : (actual.value - threshold.value) / threshold.value;
      out.push(
        figure(
          {
            id: `covenant.${facility}.${metric}`,
            label: `Covenant ${metric} ${op} ${threshold.value} on ${facility}: headroom`,
            unit: '%',
            formula:
              op === '<='
                ? '(threshold - actual) / threshold × 100'
                : '(actual - threshold) / threshold × 100',
            value: headroom * 100,
            note: headroom >= 0 ? 'pass' : 'breach',
          },
          [actual, threshold, { value: 0, id: metricEntry.id }],
          producedBy,
        ),
      );
    }
  }
  return out;
}
