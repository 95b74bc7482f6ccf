import { endpoints } from '../api/endpoints.js';
import { LoadState } from '../components/status.js';
import { useLoad } from '../hooks/use-load.js';

/** The policy bundle in force: its revision, its rules and which of them the Rego tests cover. */
export function PoliciesPage() {
  const policies = useLoad(() => endpoints.policies(), 'policies');
  return (
    <section aria-labelledby="policies-title">
      <h1 id="policies-title">Policies</h1>
      <LoadState loaded={policies} what="policies">
        {(p) => (
          <>
            <dl className="facts">
              <dt>Bundle revision</dt>
              <dd>
                <code>{p.revision}</code>
              </dd>
              <dt>Test coverage</dt>
              <dd>
                {p.coverage.tested} of {p.coverage.total} rules tested (
                {p.coverage.total ? ((p.coverage.tested / p.coverage.total) * 100).toFixed(0) : 0}{' '}
                %)
              </dd>
            </dl>
            <table>
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">Decision</th>
                  <th scope="col">Description</th>
                  <th scope="col">Tested</th>
                </tr>
              </thead>
              <tbody>
                {p.rules.map((r) => (
                  <tr key={r.id}>
                    <th scope="row">
                      <code>{r.id}</code>
                    </th>
                    <td>{r.decision ?? '—'}</td>
                    <td>{r.description ?? ''}</td>
                    <td className={r.tested ? 'yes' : 'no'}>{r.tested ? '✓ yes' : '✗ no'}</td>
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
