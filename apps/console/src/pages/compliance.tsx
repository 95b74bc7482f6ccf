import { endpoints } from '../api/endpoints.js';
import type { TrendPoint } from '../api/types.js';
import { LineChart } from '../components/line-chart.js';
import { LoadState } from '../components/status.js';
import { formatTime } from '../format/time.js';
import { useLoad } from '../hooks/use-load.js';

const SIGNALS = ['identity', 'execution', 'intent', 'communication', 'health'] as const;

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);

function series(
  trend: readonly TrendPoint[],
  label: string,
  value: (p: TrendPoint) => number | null,
) {
  return { label, points: trend.map((p) => ({ at: Date.parse(p.from), value: value(p) })) };
}

/** The three compliance metrics over time, the five-signal matrix and the pre-filter's reduction. */
export function CompliancePage() {
  const compliance = useLoad(() => endpoints.compliance(), 'compliance');
  return (
    <section aria-labelledby="compliance-title">
      <h1 id="compliance-title">Compliance</h1>
      <LoadState loaded={compliance} what="compliance metrics">
        {(c) => (
          <>
            <p className="muted" data-testid="compliance-window">
              {c.entries.toLocaleString('en')} audit entries from{' '}
              {formatTime(Date.parse(c.window.since))} to {formatTime(Date.parse(c.window.until))}{' '}
              (formulas: docs/audit.md).
            </p>
            <h2>Events in → findings → incidents</h2>
            <ol className="funnel" aria-label="Pre-filter reduction" data-testid="funnel">
              <li>
                <strong>
                  {c.funnel.events === null ? 'unknown' : c.funnel.events.toLocaleString('en')}
                </strong>{' '}
                events scored
                {c.funnel.eventsSince && (
                  <span className="muted">
                    {' '}
                    since {formatTime(Date.parse(c.funnel.eventsSince))}
                  </span>
                )}
              </li>
              <li>
                <strong>{c.funnel.findings.toLocaleString('en')}</strong> findings
                {c.funnel.events ? (
                  <span className="muted">
                    {' '}
                    ({((c.funnel.findings / c.funnel.events) * 100).toFixed(2)} % of events reach
                    the agents)
                  </span>
                ) : null}
              </li>
              <li>
                <strong>{c.funnel.incidents.toLocaleString('en')}</strong> incidents
              </li>
            </ol>
            <h2>Metrics now</h2>
            <dl className="facts" data-testid="metrics-now">
              <dt>Five-signal coverage</dt>
              <dd>
                {c.fiveSignal.covered} of {c.fiveSignal.total} agents observed in all five signals (
                {pct(c.fiveSignal.coverage)})
              </dd>
              <dt>Step mutation intervention rate</dt>
              <dd>
                {pct(c.mutation.rate)} of {c.mutation.flagged} flagged actions rewritten (
                {c.mutation.mutate} mutated, {c.mutation.deny} denied, {c.mutation.escalate}{' '}
                escalated)
              </dd>
            </dl>
            <table>
              <caption>Least agency ratio per agent class (lower is better)</caption>
              <thead>
                <tr>
                  <th scope="col">Class</th>
                  <th scope="col">Agents</th>
                  <th scope="col">Granted</th>
                  <th scope="col">Autonomous</th>
                  <th scope="col">Ratio</th>
                  <th scope="col">Used</th>
                </tr>
              </thead>
              <tbody>
                {c.leastAgency.map((l) => (
                  <tr key={l.agentClass}>
                    <th scope="row">{l.agentClass}</th>
                    <td>{l.agents.join(', ')}</td>
                    <td>{l.granted}</td>
                    <td>{l.autonomous}</td>
                    <td>{pct(l.ratio)}</td>
                    <td>
                      {l.used} ({pct(l.usedShare)})
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>Metrics over time</h2>
            <div className="charts">
              <LineChart
                title="Least agency ratio (lower is better)"
                series={series(c.trend, 'least agency', (p) => p.leastAgency)}
              />
              <LineChart
                title="Five-signal coverage"
                series={series(c.trend, 'coverage', (p) => p.fiveSignalCoverage)}
              />
              <LineChart
                title="Step mutation intervention rate"
                series={series(c.trend, 'intervention rate', (p) => p.mutationRate)}
              />
            </div>
            <h2>Five-signal matrix</h2>
            <table className="matrix" data-testid="signal-matrix">
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  {SIGNALS.map((s) => (
                    <th key={s} scope="col">
                      {s}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {c.fiveSignal.agents.map((row) => (
                  <tr key={row.agent}>
                    <th scope="row">{row.agent}</th>
                    {SIGNALS.map((s) => (
                      <td key={s} className={row.signals[s] ? 'yes' : 'no'}>
                        {row.signals[s] ? '✓ observed' : '✗ missing'}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </LoadState>
    </section>
  );
}
