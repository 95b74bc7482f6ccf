import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import { LoadState } from '../components/status.js';
import { JsonView, VisibleText } from '../components/visible-text.js';
import { formatTime } from '../format/time.js';
import { useLoad } from '../hooks/use-load.js';

type Field = 'incident' | 'trace' | 'agent';

/** The audit trail searched by incident, trace or agent, under the latest chain verification. */
export function AuditPage() {
  const [field, setField] = useState<Field>('incident');
  const [value, setValue] = useState('');
  const [query, setQuery] = useState<{ field: Field; value: string }>();
  const verification = useLoad(() => endpoints.verification(), 'verification');
  const results = useLoad(
    () => (query ? endpoints.audit({ [query.field]: query.value }) : endpoints.audit({})),
    JSON.stringify(query ?? null),
  );
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit</h1>
      <h2>Latest verification</h2>
      <LoadState loaded={verification} what="the verification">
        {(v) => (
          <p className={v.ok ? 'ok' : 'error'} data-testid="verification">
            {v.ok
              ? `Chain intact: ${v.entries.toLocaleString('en')} entries verified at ${formatTime(v.checkedAt)}.`
              : `Tampering found at entry ${v.firstBad?.seq ?? '?'}: ${v.firstBad?.reason ?? ''} (checked ${formatTime(v.checkedAt)}).`}
          </p>
        )}
      </LoadState>
      <form
        className="filters"
        aria-label="Search the audit trail"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(value.trim() ? { field, value: value.trim() } : undefined);
        }}
      >
        <label>
          Search by
          <select value={field} onChange={(e) => setField(e.target.value as Field)}>
            <option value="incident">incident</option>
            <option value="trace">trace</option>
            <option value="agent">agent</option>
          </select>
        </label>
        <label>
          Value
          <input value={value} onChange={(e) => setValue(e.target.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <LoadState loaded={results} what="audit entries">
        {({ entries }) => (
          <table className="audit">
            <caption>
              {entries.length} entr{entries.length === 1 ? 'y' : 'ies'}
              {query ? ` for ${query.field} ${query.value}` : ' (latest)'}
            </caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Time</th>
                <th scope="col">Kind</th>
                <th scope="col">Actor</th>
                <th scope="col">Incident</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e, i) => (
                <tr key={e.hash ?? i}>
                  <td>{e.seq ?? i + 1}</td>
                  <td>{typeof e.at === 'number' ? formatTime(e.at) : (e.at ?? '')}</td>
                  <td>{e.kind}</td>
                  <td>
                    <VisibleText value={e.actor} />
                  </td>
                  <td>{e.incidentId ?? '—'}</td>
                  <td>
                    <details>
                      <summary>what / why</summary>
                      <JsonView
                        value={{ what: e.what, why: e.why }}
                        label={`entry ${e.seq ?? i + 1}`}
                      />
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </LoadState>
    </section>
  );
}
