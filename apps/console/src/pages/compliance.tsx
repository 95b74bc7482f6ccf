import { endpoints } from '../api/endpoints.js';
import { LineChart } from '../components/line-chart.js';
import { LoadState } from '../components/status.js';
import { useLoad } from '../hooks/use-load.js';

const SIGNALS = ['identity', 'execution', 'intent', 'communication', 'health'] as const;

/** The three compliance metrics over time, the five-signal matrix and the pre-filter's reduction. */
export function CompliancePage() {
  const compliance = useLoad(() => endpoints.compliance(), 'compliance');
  return (
    <section aria-labelledby="compliance-title">
      <h1 id="compliance-title">Compliance</h1>
      <LoadState loaded={compliance} what="compliance metrics">
        {(c) => (
          <>
            <h2>Events in → findings → incidents</h2>
            <ol className="funnel" aria-label="Pre-filter reduction">
              <li>
                <strong>{c.funnel.events.toLocaleString('en')}</strong> events in
              </li>
              <li>
                <strong>{c.funnel.findings.toLocaleString('en')}</strong> findings (
                {c.funnel.events ? ((c.funnel.findings / c.funnel.events) * 100).toFixed(2) : '0'} %
                of events reach the model tier)
              </li>
              <li>
                <strong>{c.funnel.incidents.toLocaleString('en')}</strong> incidents
              </li>
            </ol>
            <h2>Metrics over time</h2>
            <div className="charts">
              <LineChart
                title="Least agency ratio (lower is better)"
                series={{
                  label: 'least agency',
                  points: c.history.map((p) => ({ at: p.at, value: p.leastAgency })),
                }}
              />
              <LineChart
                title="Five-signal coverage"
                series={{
                  label: 'coverage',
                  points: c.history.map((p) => ({ at: p.at, value: p.fiveSignalCoverage })),
                }}
              />
              <LineChart
                title="Step mutation intervention rate"
                series={{
                  label: 'intervention rate',
                  points: c.history.map((p) => ({ at: p.at, value: p.mutationInterventionRate })),
                }}
              />
            </div>
            <h2>Five-signal matrix</h2>
            <table className="matrix">
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
                {c.signals.map((row) => (
                  <tr key={row.agent}>
                    <th scope="row">{row.agent}</th>
                    {SIGNALS.map((s) => (
                      <td key={s} className={row[s] ? 'yes' : 'no'}>
                        {row[s] ? '✓ observed' : '✗ missing'}
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
