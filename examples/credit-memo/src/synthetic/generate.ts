import type { SourceName } from '../contracts.js';

/**
 * Generates the network's synthetic data: six borrowers and sixty peer companies whose
 * statements are internally consistent (EBITDA = revenue − COGS − opex, EBIT = EBITDA −
 * depreciation, …), drawn from a seeded PRNG around a per-borrower profile. Nothing here
 * describes a real company; names are invented. `npm run -w @vigil/credit-memo data`
 * rewrites `data/*.json` from the same seed, byte for byte.
 */

/** mulberry32: a small, fast, seedable PRNG (public domain). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SECTORS = [
  'manufacturing',
  'retail',
  'logistics',
  'technology',
  'real-estate',
  'energy',
] as const;
type Sector = (typeof SECTORS)[number];

/** What a borrower is designed to look like; the PRNG adds noise around it. */
interface Profile {
  readonly id: string;
  readonly name: string;
  readonly sector: Sector;
  readonly revenue: number;
  readonly growth: number;
  readonly ebitdaMargin: number;
  readonly debtToEbitda: number;
  readonly currentRatio: number;
  readonly kycStatus: 'verified' | 'expired';
  readonly sanctionsHits: number;
  readonly adverseNews: number;
  readonly collateralCover: number;
  readonly proposedFacility: number;
}

const PROFILES: readonly Profile[] = [
  {
    id: 'b-001',
    name: 'Harbourline Precision Pte Ltd',
    sector: 'manufacturing',
    revenue: 420e6,
    growth: 0.06,
    ebitdaMargin: 0.18,
    debtToEbitda: 2.1,
    currentRatio: 1.6,
    kycStatus: 'verified',
    sanctionsHits: 0,
    adverseNews: 0,
    collateralCover: 1.4,
    proposedFacility: 60e6,
  },
  {
    id: 'b-002',
    name: 'Meranti Home Retail Ltd',
    sector: 'retail',
    revenue: 910e6,
    growth: -0.03,
    ebitdaMargin: 0.07,
    debtToEbitda: 4.3,
    currentRatio: 0.9,
    kycStatus: 'verified',
    sanctionsHits: 0,
    adverseNews: 2,
    collateralCover: 0.8,
    proposedFacility: 120e6,
  },
  {
    id: 'b-003',
    name: 'Straits Cold Chain Holdings',
    sector: 'logistics',
    revenue: 260e6,
    growth: 0.11,
    ebitdaMargin: 0.14,
    debtToEbitda: 3.0,
    currentRatio: 1.2,
    kycStatus: 'verified',
    sanctionsHits: 0,
    adverseNews: 0,
    collateralCover: 1.1,
    proposedFacility: 45e6,
  },
  {
    id: 'b-004',
    name: 'Lumen Ledger Systems Pte Ltd',
    sector: 'technology',
    revenue: 150e6,
    growth: 0.24,
    ebitdaMargin: 0.22,
    debtToEbitda: 1.2,
    currentRatio: 2.3,
    kycStatus: 'expired',
    sanctionsHits: 0,
    adverseNews: 0,
    collateralCover: 0.5,
    proposedFacility: 25e6,
  },
  {
    id: 'b-005',
    name: 'Tanjong Bay Properties Ltd',
    sector: 'real-estate',
    revenue: 330e6,
    growth: 0.02,
    ebitdaMargin: 0.41,
    debtToEbitda: 5.6,
    currentRatio: 1.1,
    kycStatus: 'verified',
    sanctionsHits: 0,
    adverseNews: 1,
    collateralCover: 1.7,
    proposedFacility: 200e6,
  },
  {
    id: 'b-006',
    name: 'Equator Offshore Energy Pte Ltd',
    sector: 'energy',
    revenue: 780e6,
    growth: 0.04,
    ebitdaMargin: 0.26,
    debtToEbitda: 2.6,
    currentRatio: 1.4,
    kycStatus: 'verified',
    sanctionsHits: 1,
    adverseNews: 3,
    collateralCover: 1.2,
    proposedFacility: 150e6,
  },
];

const YEARS = ['FY2023', 'FY2024', 'FY2025'] as const;

type Statement = Record<string, number>;

/** Rounds to the thousand: statements are reported in whole thousands. */
function k(x: number): number {
  return Math.round(x / 1000) * 1000;
}

function jitter(rand: () => number, x: number, spread: number): number {
  return x * (1 + (rand() * 2 - 1) * spread);
}

/** Three years of consistent statements around the profile. */
function statements(
  rand: () => number,
  p: Omit<Profile, 'id' | 'name'>,
): Record<string, Statement> {
  const out: Record<string, Statement> = {};
  let revenue = p.revenue / (1 + p.growth) ** 2;
  for (const year of YEARS) {
    const margin = jitter(rand, p.ebitdaMargin, 0.08);
    const cogs = revenue * (1 - margin) * 0.72;
    const opex = revenue * (1 - margin) - cogs;
    const ebitda = revenue - cogs - opex;
    const depreciation = revenue * jitter(rand, 0.035, 0.2);
    const totalDebt = ebitda * jitter(rand, p.debtToEbitda, 0.06);
    const interestExpense = totalDebt * jitter(rand, 0.055, 0.1);
    const ebit = ebitda - depreciation;
    const netIncome = (ebit - interestExpense) * (1 - 0.17);
    const currentLiabilities = revenue * jitter(rand, 0.18, 0.1);
    const currentAssets = currentLiabilities * jitter(rand, p.currentRatio, 0.05);
    const cash = currentAssets * jitter(rand, 0.3, 0.2);
    const inventory = currentAssets * jitter(rand, 0.35, 0.2);
    const totalAssets = (currentAssets + totalDebt) * jitter(rand, 1.5, 0.1);
    const equity = totalAssets - totalDebt - currentLiabilities * 0.6;
    const operatingCashFlow = ebitda * jitter(rand, 0.78, 0.08) - interestExpense;
    const capex = depreciation * jitter(rand, 1.1, 0.15);
    const scheduledPrincipal = totalDebt * jitter(rand, 0.12, 0.2);
    out[year] = Object.fromEntries(
      Object.entries({
        revenue,
        cogs,
        opex,
        ebitda,
        depreciation,
        ebit,
        interestExpense,
        netIncome,
        totalAssets,
        currentAssets,
        currentLiabilities,
        cash,
        inventory,
        totalDebt,
        equity,
        operatingCashFlow,
        capex,
        scheduledPrincipal,
      }).map(([key, v]) => [key, k(v)]),
    );
    revenue *= 1 + jitter(rand, p.growth, 0.25);
  }
  return out;
}

const HEADLINES_GOOD = [
  'wins multi-year supply contract',
  'opens regional distribution hub',
  'reports record order book',
  'completes planned refinancing ahead of schedule',
];
const HEADLINES_BAD = [
  'faces regulatory probe over reporting practices',
  'named in supplier payment dispute',
  'warns of margin pressure after key customer loss',
  'subsidiary linked to sanctioned shipping intermediary',
];

/** One data set per source, keyed by borrower id. */
export type SyntheticData = Record<SourceName, Record<string, unknown>>;

/** Generates every source's data from `seed` (the shipped files use seed 20261207). */
export function generateSyntheticData(seed = 20261207): SyntheticData {
  const rand = createRandom(seed);
  const data: SyntheticData = {
    financials: {},
    market: {},
    news: {},
    exposure: {},
    collateral: {},
    kyc: {},
  };
  // Ten peers per sector, drawn around the sector's median borrower.
  const peers: Record<Sector, Record<string, Statement>> = Object.fromEntries(
    SECTORS.map((s) => [s, {}]),
  ) as Record<Sector, Record<string, Statement>>;
  SECTORS.forEach((sector, si) => {
    const base = PROFILES.find((p) => p.sector === sector)!;
    for (let i = 0; i < 10; i += 1) {
      const s = statements(rand, {
        ...base,
        revenue: jitter(rand, base.revenue, 0.6),
        growth: jitter(rand, 0.05, 1),
        ebitdaMargin: jitter(rand, base.ebitdaMargin, 0.35),
        debtToEbitda: jitter(rand, 2.8, 0.5),
        currentRatio: jitter(rand, 1.4, 0.35),
      });
      const prior = s['FY2024']!;
      const latest = s['FY2025']!;
      peers[sector][`p-${String(si * 10 + i + 1).padStart(3, '0')}`] = {
        revenue: latest['revenue']!,
        priorRevenue: prior['revenue']!,
        ebitda: latest['ebitda']!,
        ebit: latest['ebit']!,
        interestExpense: latest['interestExpense']!,
        totalDebt: latest['totalDebt']!,
        equity: latest['equity']!,
        currentAssets: latest['currentAssets']!,
        currentLiabilities: latest['currentLiabilities']!,
      };
    }
  });
  for (const p of PROFILES) {
    const fin = statements(rand, p);
    data.financials[p.id] = { name: p.name, sector: p.sector, currency: 'SGD', statements: fin };
    const latest = fin['FY2025']!;
    data.market[p.id] = {
      sector: p.sector,
      creditSpreadBps: Math.round(jitter(rand, 90 + p.debtToEbitda * 45, 0.1)),
      peers: peers[p.sector],
    };
    const items: { date: string; headline: string; sentiment: number; adverse: boolean }[] = [];
    for (let i = 0; i < 4; i += 1) {
      items.push({
        date: `2025-${String(3 + i * 2).padStart(2, '0')}-${String(5 + i * 3).padStart(2, '0')}`,
        headline: `${p.name.split(' ')[0]} ${HEADLINES_GOOD[i % HEADLINES_GOOD.length]}`,
        sentiment: Math.round(jitter(rand, 0.55, 0.3) * 100) / 100,
        adverse: false,
      });
    }
    for (let i = 0; i < p.adverseNews; i += 1) {
      items.push({
        date: `2025-${String(10 + i).padStart(2, '0')}-${String(2 + i * 7).padStart(2, '0')}`,
        headline: `${p.name.split(' ')[0]} ${HEADLINES_BAD[(i + p.sanctionsHits) % HEADLINES_BAD.length]}`,
        sentiment: -Math.round(jitter(rand, 0.7, 0.2) * 100) / 100,
        adverse: true,
      });
    }
    data.news[p.id] = { items };
    const existing = k(latest['totalDebt']! * 0.55);
    data.exposure[p.id] = {
      groupLimit: k(Math.max(400e6, (existing + p.proposedFacility) * 1.1)),
      singleObligorLimit: 300e6,
      facilities: [
        {
          id: `${p.id}-tl1`,
          type: 'term-loan',
          limit: existing,
          drawn: k(existing * jitter(rand, 0.9, 0.08)),
          maturity: '2029-06-30',
          covenants: [
            { metric: 'debt-to-ebitda', op: '<=', threshold: 3.5 },
            { metric: 'interest-coverage', op: '>=', threshold: 3.0 },
            { metric: 'current-ratio', op: '>=', threshold: 1.0 },
          ],
        },
      ],
      proposed: {
        id: `${p.id}-rcf1`,
        type: 'revolving-credit',
        limit: p.proposedFacility,
        tenorYears: 5,
      },
    };
    const exposure = existing + p.proposedFacility;
    data.collateral[p.id] = {
      items: [
        {
          id: `${p.id}-c1`,
          type: 'real-estate',
          marketValue: k((exposure * p.collateralCover * 0.6) / 0.7),
          haircut: 0.3,
          lien: 'first',
        },
        {
          id: `${p.id}-c2`,
          type: 'receivables',
          marketValue: k((exposure * p.collateralCover * 0.4) / 0.5),
          haircut: 0.5,
          lien: 'first',
        },
      ],
    };
    data.kyc[p.id] = {
      status: p.kycStatus,
      lastReview: p.kycStatus === 'verified' ? '2025-08-14' : '2023-02-02',
      nextReviewDue: p.kycStatus === 'verified' ? '2026-08-14' : '2024-02-02',
      pep: false,
      sanctionsHits: p.sanctionsHits,
      beneficialOwners: 2 + Math.floor(rand() * 3),
      riskScore: Math.round(jitter(rand, 30 + p.sanctionsHits * 40 + p.adverseNews * 8, 0.1)),
    };
  }
  return data;
}
