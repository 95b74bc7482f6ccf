import type { AnalyseInput, Figure } from '../contracts.js';
import { EntryIndex } from '../sources.js';
import { testCovenants } from './covenants.js';
import { computeExposure } from './exposure.js';
import { FigureIndex } from './figures.js';
import { computeNews } from './news.js';
import { comparePeers } from './peers.js';
import { rate } from './rating.js';
import { computeRatios, RATIO_FAMILIES } from './ratios.js';

/** Every analysis an analyst agent can be configured to run (`settings.analysis`). */
export const ANALYSES = [
  ...RATIO_FAMILIES,
  'covenants',
  'exposure',
  'news',
  'peers',
  'rating',
] as const;
export type AnalysisName = (typeof ANALYSES)[number];

/** The date the network analyses as of (the synthetic statements end with FY2025). */
export const AS_OF = '2026-03-31';

/**
 * Runs one analysis over the entries and figures the orchestrator passed; pure and
 * deterministic, so a reviewer can recompute any figure and compare.
 */
export function runAnalysis(name: AnalysisName, input: AnalyseInput, producedBy: string): Figure[] {
  const entries = new EntryIndex(input.entries);
  const figures = new FigureIndex(input.figures);
  switch (name) {
    case 'leverage':
    case 'liquidity':
    case 'profitability':
    case 'coverage':
      return computeRatios(name, input.borrowerId, entries, producedBy);
    case 'covenants':
      return testCovenants(input.borrowerId, entries, figures, producedBy);
    case 'exposure':
      return computeExposure(input.borrowerId, entries, producedBy);
    case 'news':
      return computeNews(input.borrowerId, entries, AS_OF, producedBy);
    case 'peers':
      return comparePeers(input.borrowerId, entries, figures, producedBy);
    case 'rating':
      return rate(figures, producedBy);
  }
}
