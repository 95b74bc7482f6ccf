import type { Figure } from '../contracts.js';
import { CREDIT_ERROR_CODES, CreditError } from '../errors.js';

/** An operand of a formula: a value and the id it came from (source entry or figure). */
export interface Operand {
  readonly value: number;
  readonly id: string;
}

/** Rounds for presentation and for the digest: 4 decimals is below any figure's precision. */
export function round(value: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Makes a figure of `value` computed from `operands`, refusing non-finite results
 * (a zero denominator is a missing input, not infinity).
 */
export function figure(
  fields: Omit<Figure, 'inputs' | 'value' | 'producedBy'> & { value: number },
  operands: readonly Operand[],
  producedBy: string,
): Figure {
  if (!Number.isFinite(fields.value)) {
    throw new CreditError(
      CREDIT_ERROR_CODES.MISSING_INPUT,
      `figure ${fields.id}: ${fields.formula} is not finite (inputs ${operands.map((o) => `${o.id}=${o.value}`).join(', ')})`,
    );
  }
  return {
    ...fields,
    value: round(fields.value),
    inputs: [...new Set(operands.map((o) => o.id))],
    producedBy,
  };
}

/** Looks figures up by id; `get` throws naming the missing figure. */
export class FigureIndex {
  private readonly byId = new Map<string, Figure>();

  constructor(figures: readonly Figure[]) {
    for (const f of figures) this.byId.set(f.id, f);
  }

  get(id: string): Operand & { figure: Figure } {
    const f = this.byId.get(id);
    if (f === undefined) {
      throw new CreditError(CREDIT_ERROR_CODES.MISSING_INPUT, `missing figure ${id}`);
    }
    return { value: f.value, id: f.id, figure: f };
  }

  find(id: string): Figure | undefined {
    return this.byId.get(id);
  }

  all(): Figure[] {
    return [...this.byId.values()];
  }
}
