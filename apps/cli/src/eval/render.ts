import type { EvalScore } from './score.js';
import type { ThresholdCheck } from './thresholds.js';

/** One evaluated analyst: its score, wall time and threshold checks. */
export interface AnalystRun {
  readonly analyst: string;
  readonly model: string | null;
  readonly wallMs: number;
  readonly notifications: number;
  readonly score: EvalScore;
  readonly checks: readonly ThresholdCheck[];
  readonly stateDir?: string | undefined;
}

/** What `vigil --json eval` prints: the runs and where they came from. */
export interface EvalDocument {
  readonly scenario: string;
  /** SHA-256 of the labelled scenario file, hex. */
  readonly scenarioSha256: string;
  /** When the evaluation ran (ISO 8601). */
  readonly evaluatedAt: string;
  readonly runs: readonly AnalystRun[];
}

const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
const num = (v: number | null): string => (v === null ? '-' : String(Math.round(v)));

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

/** The human report: one column per analyst, side by side, then the details of each. */
export function renderEval(scenario: string, runs: readonly AnalystRun[]): string {
  const head = ['', ...runs.map((r) => r.analyst + (r.model === null ? '' : ` (${r.model})`))];
  const row = (name: string, f: (s: EvalScore, r: AnalystRun) => string): string[] => [
    name,
    ...runs.map((r) => f(r.score, r)),
  ];
  const lines = [
    `scenario ${scenario}`,
    '',
    ...table(head, [
      row('events in', (s) => String(s.reduction.eventsIn)),
      row('findings', (s) => String(s.reduction.findings)),
      row('  without event id', (s) => String(s.detection.unattributedFindings)),
      row('events per finding', (s) => s.reduction.eventsPerFinding?.toFixed(1) ?? '-'),
      row('incidents', (s) => String(s.reduction.incidents)),
      row('analyses', (s) => String(s.reduction.analyses)),
      row('model calls', (s) => String(s.reduction.modelCalls)),
      row('detection recall', (s) => pct(s.detection.recall)),
      row('detection precision', (s) => pct(s.detection.precision)),
      row('verdicts as expected', (s) => `${s.verdicts.met}/${s.verdicts.attacks.length}`),
      row('executions', (s) => String(s.executions)),
      row('unsafe actions', (s) => String(s.unsafe.length)),
      row('time to decision p50 ms', (s) => num(s.timeToDecision.p50Ms)),
      row('time to decision p95 ms', (s) => num(s.timeToDecision.p95Ms)),
      row('tokens in/out', (s) => `${s.model.inputTokens}/${s.model.outputTokens}`),
      row('cost USD', (s) => (s.model.costUsd === null ? '-' : s.model.costUsd.toFixed(4))),
      row('wall time s', (_s, r) => (r.wallMs / 1000).toFixed(0)),
    ]),
  ];
  for (const r of runs) {
    lines.push('', `── ${r.analyst} ──`, 'per technique:');
    lines.push(
      ...table(
        ['technique', 'events', 'detected', 'recall', 'claimed', 'right', 'precision'],
        r.score.detection.techniques.map((t) => [
          t.technique,
          String(t.events),
          String(t.detected),
          pct(t.recall),
          String(t.claimed),
          String(t.correctClaims),
          pct(t.precision),
        ]),
      ).map((l) => `  ${l}`),
      'per attack:',
    );
    for (const a of r.score.verdicts.attacks) {
      const show = (vs: readonly { action: string; decision: string }[]): string =>
        vs.length === 0 ? 'no action' : vs.map((v) => `${v.action}:${v.decision}`).join(', ');
      lines.push(
        `  ${a.met ? 'ok  ' : 'MISS'} ${a.attack.padEnd(24)} expected ${show(a.expected)}; got ${a.incidents.length === 0 ? 'no incident' : show(a.got)}`,
      );
    }
    for (const u of r.score.unsafe)
      lines.push(
        `  UNSAFE ${u.reasons.join('+')}: ${JSON.stringify(u.action)} (${u.incidentId ?? '-'})`,
      );
    if (r.checks.length > 0) {
      lines.push('thresholds:');
      for (const c of r.checks)
        lines.push(
          `  ${c.ok ? 'pass' : 'FAIL'} ${c.name} ${c.limit}: measured ${c.measured === null ? 'nothing' : +c.measured.toFixed(4)}`,
        );
    }
    if (r.stateDir !== undefined) lines.push(`state kept in ${r.stateDir}`);
  }
  return lines.join('\n');
}
