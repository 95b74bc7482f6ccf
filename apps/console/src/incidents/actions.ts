/** Comparing actions as the verdicts do: by canonical content, never by object identity or key order. */
import type { ProposedAction } from '../api/types.js';

/** JSON with object keys sorted at every level (enough to compare two actions; not a digest). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** Whether a verdict's action differs from the proposal: the mutated form to show. */
export function actionsDiffer(a: ProposedAction, b: ProposedAction): boolean {
  return canonicalJson(a) !== canonicalJson(b);
}
