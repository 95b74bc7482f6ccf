/**
 * The report's charts: Vega-Lite specifications compiled to Vega and rendered to SVG in
 * this process (vega's headless `View`, renderer `none`). Data is always inline and the
 * loader refuses every URL, so rendering never touches the network.
 */
import { View, parse, type Loader } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { COMPLIANCE_ERROR_CODES, ComplianceError } from './errors.js';
import type { EvidencePack } from './evidence.js';

/** A loader for a report that must not fetch: every load is refused. */
const NO_NETWORK: Loader = {
  load: (uri: string) => Promise.reject(new Error(`the report renders offline; refused ${uri}`)),
  sanitize: (uri: string) =>
    Promise.reject(new Error(`the report renders offline; refused ${uri}`)),
  http: (uri: string) => Promise.reject(new Error(`the report renders offline; refused ${uri}`)),
  file: (path: string) => Promise.reject(new Error(`the report renders offline; refused ${path}`)),
} as unknown as Loader;

const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 10, titleFontSize: 11, labelLimit: 320 },
  legend: { labelFontSize: 10, titleFontSize: 11, orient: 'bottom' as const, labelLimit: 320 },
};

/** Renders one Vega-Lite specification to an SVG document string. */
export async function renderChart(spec: TopLevelSpec): Promise<string> {
  try {
    const vega = compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } }).spec;
    const view = new View(parse(vega), { renderer: 'none', loader: NO_NETWORK });
    try {
      return await view.toSVG();
    } finally {
      view.finalize();
    }
  } catch (cause) {
    throw new ComplianceError(
      COMPLIANCE_ERROR_CODES.CHART_FAILED,
      `a report chart could not be rendered: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

const METRIC_LABELS = {
  leastAgency: 'least agency ratio',
  usedShare: 'permissions used',
  fiveSignalCoverage: 'five-signal coverage',
  mutationRate: 'step mutation intervention rate',
} as const;

/** The three compliance metrics (and the used share) per interval of the period. */
export function trendSpec(pack: EvidencePack): TopLevelSpec {
  const values = pack.trend.flatMap((t) =>
    (Object.keys(METRIC_LABELS) as (keyof typeof METRIC_LABELS)[]).flatMap((k) =>
      t[k] === null ? [] : [{ time: t.from, metric: METRIC_LABELS[k], value: t[k] }],
    ),
  );
  return {
    width: 620,
    height: 200,
    title: 'Compliance metrics per interval',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'time',
        type: 'temporal',
        title: null,
        scale: { domain: [pack.period.from, pack.period.to] },
      },
      y: {
        field: 'value',
        type: 'quantitative',
        title: 'share',
        scale: { domain: [0, 1] },
        axis: { format: '.0%' },
      },
      color: { field: 'metric', type: 'nominal', title: null },
    },
  };
}

/** Flagged verdicts (deny, mutate, escalate) per interval, stacked. */
export function verdictSpec(pack: EvidencePack): TopLevelSpec {
  const values = pack.trend.flatMap((t) =>
    (['deny', 'mutate', 'escalate'] as const).map((d) => ({
      time: t.from,
      decision: d,
      count: t.verdicts[d],
    })),
  );
  return {
    width: 620,
    height: 160,
    title: 'Flagged verdicts per interval',
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'time', type: 'ordinal', timeUnit: 'yearmonthdatehoursminutes', title: null },
      y: { field: 'count', type: 'quantitative', title: 'verdicts', stack: 'zero' },
      color: {
        field: 'decision',
        type: 'nominal',
        scale: { domain: ['deny', 'mutate', 'escalate'], range: ['#c0392b', '#2e86c1', '#f39c12'] },
      },
    },
  };
}

/** Least agency ratio and used share per agent class for the whole period. */
export function leastAgencySpec(pack: EvidencePack): TopLevelSpec {
  const values = pack.metrics.leastAgency.flatMap((l) => [
    { agentClass: l.agentClass, measure: 'least agency ratio', value: l.ratio ?? 0 },
    { agentClass: l.agentClass, measure: 'permissions used', value: l.usedShare ?? 0 },
  ]);
  return {
    width: 620,
    height: { step: 14 },
    title: 'Least agency per agent class (lower ratio is better)',
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'agentClass', type: 'nominal', title: null },
      yOffset: { field: 'measure' },
      x: {
        field: 'value',
        type: 'quantitative',
        title: null,
        scale: { domain: [0, 1] },
        axis: { format: '.0%' },
      },
      color: { field: 'measure', type: 'nominal', title: null },
    },
  };
}

/** How long each escalation waited for a person. */
export function waitSpec(pack: EvidencePack): TopLevelSpec {
  const values = pack.escalations
    .filter((e) => e.waitedMs !== null)
    .map((e) => ({ approval: e.approvalId, status: e.status, seconds: e.waitedMs! / 1000 }));
  return {
    width: 620,
    height: { step: 14 },
    title: 'Time each escalation waited for a decision (pending: until the end of the period)',
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'approval', type: 'nominal', title: null, sort: null },
      x: { field: 'seconds', type: 'quantitative', title: 'seconds' },
      color: {
        field: 'status',
        type: 'nominal',
        scale: {
          domain: ['approved', 'rejected', 'expired', 'pending'],
          range: ['#27ae60', '#c0392b', '#7f8c8d', '#f39c12'],
        },
      },
    },
  };
}

/** Every chart of the report, rendered to SVG, keyed by where the report places it. */
export async function renderCharts(
  pack: EvidencePack,
): Promise<{ trend: string; verdicts: string; leastAgency: string; waits: string | null }> {
  return {
    trend: await renderChart(trendSpec(pack)),
    verdicts: await renderChart(verdictSpec(pack)),
    leastAgency: await renderChart(leastAgencySpec(pack)),
    waits: pack.escalations.some((e) => e.waitedMs !== null)
      ? await renderChart(waitSpec(pack))
      : null,
  };
}
