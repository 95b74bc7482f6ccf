import type { Figure } from '../contracts.js';
import type { EntryIndex } from '../sources.js';
import { figure, type FigureIndex, type Operand } from './figures.js';
import { ratioId, type RatioFamily } from './ratios.js';

/** A peer metric: how to compute it from a peer's summary and which way is better. */
interface PeerMetric {
  readonly key: string;
  readonly family: RatioFamily;
  readonly better: 'lower' | 'higher';
  readonly compute: (p: (field: string) => Operand) => { value: number; operands: Operand[] };
}

const over =
  (a: string, b: string, scale = 1) =>
  (p: (f: string) => Operand) => {
    const x = p(a);
    const y = p(b);
    return { value: (x.value / y.value) * scale, operands: [x, y] };
  };

/** The metrics compared with the sector's peers. */
export const PEER_METRICS: readonly PeerMetric[] = [
  {
    key: 'debt-to-ebitda',
    family: 'leverage',
    better: 'lower',
    compute: over('totalDebt', 'ebitda'),
  },
  {
    key: 'interest-coverage',
    family: 'coverage',
    better: 'higher',
    compute: over('ebit', 'interestExpense'),
  },
  {
    key: 'current-ratio',
    family: 'liquidity',
    better: 'higher',
    compute: over('currentAssets', 'currentLiabilities'),
  },
  {
    key: 'ebitda-margin',
    family: 'profitability',
    better: 'higher',
    compute: over('ebitda', 'revenue', 100),
  },
  {
    key: 'revenue-growth',
    family: 'profitability',
    better: 'higher',
    compute: (p) => {
      const r = p('revenue');
      const q = p('priorRevenue');
      return { value: (r.value / q.value - 1) * 100, operands: [r, q] };
    },
  },
];

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Percentile rank of `value` among `peers` where 100 is best: the share of peers it
 * beats plus half the ties (the mid-rank definition), so the rank does not depend on
 * the order of the peers.
 */
export function percentileRank(
  value: number,
  peers: readonly number[],
  better: 'lower' | 'higher',
): number {
  if (peers.length === 0) return 50;
  let beats = 0;
  let ties = 0;
  for (const p of peers) {
    if (p === value) ties += 1;
    else if (better === 'higher' ? value > p : value < p) beats += 1;
  }
  return ((beats + ties / 2) / peers.length) * 100;
}

/** Peer ids in the market source's `peers.<id>.*` entries for this borrower. */
function peerIds(borrowerId: string, entries: EntryIndex): string[] {
  const ids = new Set<string>();
  for (const e of entries.under('market', borrowerId, 'peers')) {
    const m = /^peers\.([^.]+)\./.exec(e.path);
    if (m?.[1] !== undefined) ids.add(m[1]);
  }
  return [...ids].sort();
}

/** Per metric: the sector peers' median and the borrower's percentile rank among them. */
export function comparePeers(
  borrowerId: string,
  entries: EntryIndex,
  figures: FigureIndex,
  producedBy: string,
): Figure[] {
  const peers = peerIds(borrowerId, entries);
  const out: Figure[] = [];
  for (const m of PEER_METRICS) {
    const values: number[] = [];
    const operands: Operand[] = [];
    for (const id of peers) {
      const r = m.compute((field) => entries.number('market', borrowerId, `peers.${id}.${field}`));
      values.push(r.value);
      operands.push(...r.operands);
    }
    const own = figures.get(ratioId(m.family, m.key));
    out.push(
      figure(
        {
          id: `peers.${m.key}.median`,
          label: `Peer median ${m.key} (${peers.length} sector peers)`,
          unit: m.key.includes('margin') || m.key.includes('growth') ? '%' : 'x',
          formula: `median over peers of ${m.key}`,
          value: median(values),
        },
        operands,
        producedBy,
      ),
      figure(
        {
          id: `peers.${m.key}.percentile`,
          label: `Percentile rank among peers, ${m.key} (100 = best)`,
          unit: 'pctile',
          formula: `mid-rank percentile, ${m.better} is better`,
          value: percentileRank(own.value, values, m.better),
        },
        [own, ...operands],
        producedBy,
      ),
    );
  }
  return out;
}
