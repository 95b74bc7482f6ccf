import { endpoints } from '../api/endpoints.js';
import type { PolicyRule } from '../api/types.js';
import { LoadState } from '../components/status.js';
import { VisibleText } from '../components/visible-text.js';
import { formatTime } from '../format/time.js';
import { useLoad } from '../hooks/use-load.js';

/** A rule is tested when a test names it and, with coverage known, it fires in one. */
function isTested(rule: PolicyRule): boolean {
  return rule.testedBy.length > 0 && (rule.coverage === null || rule.coverage.firedDefinitions > 0);
}

function CoverageCell({ rule }: { rule: PolicyRule }) {
  if (rule.coverage === null) return <td>unknown</td>;
  const { firedDefinitions, notCoveredLines } = rule.coverage;
  return (
    <td className={notCoveredLines.length === 0 && firedDefinitions > 0 ? 'yes' : 'no'}>
      fires in tests: {firedDefinitions}/{rule.definitions} bodies
      {notCoveredLines.length > 0 && `; lines never evaluated: ${notCoveredLines.join(', ')}`}
    </td>
  );
}

/** The policy bundle in force: its revision, its rules and which of them the Rego tests cover. */
export function PoliciesPage() {
  const policies = useLoad(() => endpoints.policies(), 'policies');
  return (
    <section aria-labelledby="policies-title">
      <h1 id="policies-title">Policies</h1>
      <LoadState loaded={policies} what="policies">
        {(p) => {
          const tested = p.rules.filter(isTested).length;
          return (
            <>
              <dl className="facts" data-testid="policy-facts">
                <dt>Bundle revision</dt>
                <dd>
                  {p.revision === null ? (
                    'not loaded by the reviewer yet'
                  ) : (
                    <>
                      <code>{p.revision}</code>{' '}
                      <span className="muted">
                        loaded {p.loadedAt ? formatTime(Date.parse(p.loadedAt)) : ''} ({p.backend})
                      </span>
                    </>
                  )}
                </dd>
                <dt>Bundle</dt>
                <dd>
                  <code>{p.bundle}</code>, sources <code>{p.sourceDigest}</code>
                </dd>
                <dt>Tests</dt>
                <dd>
                  {p.tests === null ? (
                    <span className="error">
                      could not run: <VisibleText value={p.testError ?? 'unknown'} />
                    </span>
                  ) : (
                    `${p.tests.passed} passed, ${p.tests.failed} failed; line coverage ${p.tests.coveragePercent.toFixed(1)} %`
                  )}
                </dd>
                <dt>Rule coverage</dt>
                <dd data-testid="rule-coverage">
                  {tested} of {p.rules.length} rules tested (
                  {p.rules.length ? ((tested / p.rules.length) * 100).toFixed(0) : 0} %)
                </dd>
              </dl>
              {p.tests && p.tests.failures.length > 0 && (
                <ul className="error">
                  {p.tests.failures.map((f) => (
                    <li key={f.name}>
                      {f.name} ({f.location}): <VisibleText value={f.message} />
                    </li>
                  ))}
                </ul>
              )}
              <table data-testid="policy-rules">
                <thead>
                  <tr>
                    <th scope="col">Rule</th>
                    <th scope="col">Set</th>
                    <th scope="col">Description</th>
                    <th scope="col">Tests naming it</th>
                    <th scope="col">Coverage</th>
                  </tr>
                </thead>
                <tbody>
                  {p.rules.map((r) => (
                    <tr key={r.id}>
                      <th scope="row">
                        <code>{r.id}</code>
                        <div className="muted">
                          {r.file}:{r.line}
                        </div>
                      </th>
                      <td>{r.set}</td>
                      <td>{r.description}</td>
                      <td className={r.testedBy.length > 0 ? 'yes' : 'no'}>
                        {r.testedBy.length === 0 ? '✗ none' : r.testedBy.join(', ')}
                      </td>
                      <CoverageCell rule={r} />
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          );
        }}
      </LoadState>
    </section>
  );
}
