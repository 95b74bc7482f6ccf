import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { AuditEntry, AuditVerification } from '../api/types.js';
import { LoadState } from '../components/status.js';
import { JsonView, VisibleText } from '../components/visible-text.js';
import { formatTime } from '../format/time.js';
import { useLoad } from '../hooks/use-load.js';

type Field = 'incident' | 'trace' | 'agent';
type Query = { field: Field; value: string; before?: number };

function Verification({ v }: { v: AuditVerification }) {
  const p = v.firstProblem;
  return (
    <div data-testid="verification">
      <p className={v.ok ? 'ok' : 'error'}>
        {v.ok
          ? `Intact: ${v.entries.toLocaleString('en')} entries in ${v.chains.length} chains, ${v.checkpoints} signed checkpoints verified at ${formatTime(v.checkedAt)}.`
          : `Tampering found: ${p?.code ?? '?'}${p?.sequence !== undefined ? ` at entry ${p.sequence}` : ''} — ${p?.message ?? ''} (checked ${formatTime(v.checkedAt)}).`}
      </p>
      {v.problems.length > 1 && (
        <ul>
          {v.problems.slice(1).map((other, i) => (
            <li key={i}>
              {other.code}: <VisibleText value={other.message} />
            </li>
          ))}
        </ul>
      )}
      <p className="muted">
        Verified in {v.durationMs.toFixed(0)} ms; {v.chains.reduce((n, c) => n + c.unsignedTail, 0)}{' '}
        entries wait for their chain’s next signed checkpoint.
      </p>
    </div>
  );
}

function Entries({ entries, caption }: { entries: readonly AuditEntry[]; caption: string }) {
  return (
    <table className="audit" data-testid="audit-entries">
      <caption>{caption}</caption>
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
        {entries.map((e) => (
          <tr key={e.hash}>
            <td>{e.sequence}</td>
            <td>{formatTime(Date.parse(e.time))}</td>
            <td>{e.kind}</td>
            <td>
              <VisibleText value={e.actor} />
            </td>
            <td>{e.incidentId === null ? '—' : <VisibleText value={e.incidentId} />}</td>
            <td>
              <details>
                <summary>what / why</summary>
                <JsonView
                  value={{ what: e.what, why: e.why, traceId: e.traceId, hash: e.hash }}
                  label={`entry ${e.sequence}`}
                />
              </details>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The audit trail searched by incident, trace or agent, under the latest chain verification. */
export function AuditPage() {
  const [field, setField] = useState<Field>('incident');
  const [value, setValue] = useState('');
  const [query, setQuery] = useState<Query>();
  const verification = useLoad(() => endpoints.verification(), 'verification');
  const results = useLoad(
    () =>
      endpoints.audit({
        ...(query?.value ? { [query.field]: query.value } : {}),
        ...(query?.before === undefined ? {} : { before: query.before }),
      }),
    JSON.stringify(query ?? null),
  );
  const what = query?.value ? `for ${query.field} ${query.value}` : '(newest first)';
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit</h1>
      <h2>Latest verification</h2>
      <LoadState loaded={verification} what="the verification">
        {(v) => <Verification v={v} />}
      </LoadState>
      <h2>Search</h2>
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
        {({ entries, next }) => (
          <>
            <Entries
              entries={entries}
              caption={`${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} ${what}${query?.before ? `, before #${query.before}` : ''}`}
            />
            {(next !== null || query?.before !== undefined) && (
              <p>
                {query?.before !== undefined && (
                  <button type="button" onClick={() => setQuery({ ...query, before: undefined })}>
                    Newest
                  </button>
                )}{' '}
                {next !== null && (
                  <button
                    type="button"
                    onClick={() =>
                      setQuery({
                        field: query?.field ?? field,
                        value: query?.value ?? '',
                        before: next,
                      })
                    }
                  >
                    Older entries
                  </button>
                )}
              </p>
            )}
          </>
        )}
      </LoadState>
    </section>
  );
}
