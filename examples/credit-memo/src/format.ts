import type { Figure } from './contracts.js';

/**
 * How a figure's value is written in the memo. The section reviewers parse the text back
 * with {@link NUMBER_IN_TEXT} and compare against these strings, so both sides share
 * this one function.
 */
export function formatFigure(f: Pick<Figure, 'value' | 'unit'>): string {
  switch (f.unit) {
    case 'x':
      return `${f.value.toFixed(2)}x`;
    case '%':
      // Small shares (a PD of 0.17 %) keep two decimals so they do not round to nothing.
      return `${f.value.toFixed(Math.abs(f.value) < 1 ? 2 : 1)}%`;
    case 'SGD':
      return `SGD ${(f.value / 1e6).toFixed(1)}m`;
    case 'pctile':
      return `${Math.round(f.value)}th percentile`;
    case 'grade':
      return `grade ${Math.round(f.value)}`;
    case 'count':
      return String(Math.round(f.value));
    case 'bps':
      return `${Math.round(f.value)} bps`;
    default:
      return f.value.toFixed(2);
  }
}

/** How a cited source entry is written: its value as is (dates, statuses, counts). */
export function formatEntry(e: { readonly value: number | string | boolean | null }): string {
  return e.value === null ? 'n/a' : String(e.value);
}

/** Numbers as they appear in text: not part of a word (FY2025, b-001, p-013 are ids). */
export const NUMBER_IN_TEXT = /(?<![\w.-])-?\d[\d,]*(?:\.\d+)?/g;

/** The numbers written in `text`, in order. */
export function numbersIn(text: string): string[] {
  return [...text.matchAll(NUMBER_IN_TEXT)].map((m) => m[0]);
}
