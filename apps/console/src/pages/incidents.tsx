import { useVirtualizer } from '@tanstack/react-virtual';
import { useDeferredValue, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { Link, useLocation } from 'wouter';
import { SeverityBadge, StateBadge } from '../components/status.js';
import { VisibleText } from '../components/visible-text.js';
import { formatAge } from '../format/time.js';
import { useNow } from '../hooks/use-now.js';
import {
  entityOf,
  NO_FILTER,
  SEVERITIES,
  STATUSES,
  stormCount,
  techniquesOf,
  visibleIncidents,
  type IncidentFilter,
} from '../incidents/list.js';
import { useLiveIncidents } from '../live/use-incidents.js';

const ROW_HEIGHT = 40;

/** The live incident list: filters above a virtualised table (only the visible rows are in the DOM). */
export function IncidentsPage() {
  const live = useLiveIncidents();
  const [filter, setFilter] = useState<IncidentFilter>(NO_FILTER);
  const deferred = useDeferredValue(filter);
  const rows = useMemo(
    () => visibleIncidents(live.incidents.values(), deferred),
    [live.incidents, deferred],
  );
  const now = useNow(1000);
  const [, navigate] = useLocation();
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const toggle = (list: readonly string[], value: string) =>
    list.includes(value) ? list.filter((v) => v !== value) : [...list, value];

  // Arrow keys move between rows, Enter opens one: the table is one tab stop, not 10,000.
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const target = event.target as HTMLElement;
    const index = Number(target.closest<HTMLElement>('[data-index]')?.dataset['index'] ?? -1);
    const move = (to: number) => {
      event.preventDefault();
      const next = Math.max(0, Math.min(rows.length - 1, to));
      virtual.scrollToIndex(next);
      requestAnimationFrame(() =>
        scroller.current?.querySelector<HTMLElement>(`[data-index="${next}"] a`)?.focus(),
      );
    };
    if (event.key === 'ArrowDown') move(index + 1);
    else if (event.key === 'ArrowUp') move(index - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(rows.length - 1);
    else if (event.key === 'PageDown') move(index + 10);
    else if (event.key === 'PageUp') move(index - 10);
  };

  return (
    <section aria-labelledby="incidents-title">
      <div className="page-head">
        <h1 id="incidents-title">Incidents</h1>
        <p className="live" role="status" aria-live="polite">
          <span className={`dot ${live.connection}`} aria-hidden="true" />
          {live.connection === 'live'
            ? 'Live'
            : live.connection === 'connecting'
              ? 'Connecting…'
              : 'Reconnecting…'}
          {' · '}
          <span data-testid="incident-count">
            {rows.length} of {live.incidents.size}
          </span>{' '}
          shown
        </p>
      </div>
      {live.error && (
        <p role="alert" className="error">
          Could not load incidents: {live.error.message}
        </p>
      )}
      <form className="filters" aria-label="Filter incidents" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input
            type="search"
            value={filter.text}
            placeholder="id, title, technique, entity"
            onChange={(e) => setFilter({ ...filter, text: e.target.value })}
          />
        </label>
        <fieldset>
          <legend>Severity</legend>
          {SEVERITIES.map((s) => (
            <label key={s} className="check">
              <input
                type="checkbox"
                checked={filter.severities.includes(s)}
                onChange={() => setFilter({ ...filter, severities: toggle(filter.severities, s) })}
              />
              {s}
            </label>
          ))}
        </fieldset>
        <label>
          State
          <select
            value={filter.statuses[0] ?? ''}
            onChange={(e) =>
              setFilter({ ...filter, statuses: e.target.value ? [e.target.value] : [] })
            }
          >
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={filter.stormsOnly}
            onChange={(e) => setFilter({ ...filter, stormsOnly: e.target.checked })}
          />
          storms only
        </label>
      </form>
      <div
        role="table"
        aria-label="Incidents"
        aria-rowcount={rows.length + 1}
        className="vtable incidents"
      >
        <div role="rowgroup">
          <div role="row" className="vrow head" aria-rowindex={1}>
            <span role="columnheader">Severity</span>
            <span role="columnheader">State</span>
            <span role="columnheader">Incident</span>
            <span role="columnheader">Technique</span>
            <span role="columnheader">Entity</span>
            <span role="columnheader">Age</span>
          </div>
        </div>
        <div
          ref={scroller}
          role="rowgroup"
          className="vbody"
          onKeyDown={onKeyDown}
          data-testid="incident-scroller"
        >
          <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
            {virtual.getVirtualItems().map((item) => {
              const incident = rows[item.index]!;
              const storm = stormCount(incident);
              return (
                <div
                  role="row"
                  key={incident.id}
                  data-index={item.index}
                  aria-rowindex={item.index + 2}
                  className="vrow"
                  style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                  onClick={(e) => {
                    if (!(e.target as HTMLElement).closest('a'))
                      navigate(`/incidents/${encodeURIComponent(incident.id)}`);
                  }}
                >
                  <span role="cell">
                    <SeverityBadge severity={incident.severity} />
                  </span>
                  <span role="cell">
                    <StateBadge state={incident.status} />
                  </span>
                  <span role="cell" className="title">
                    <Link href={`/incidents/${encodeURIComponent(incident.id)}`}>
                      <VisibleText value={incident.title} />
                    </Link>
                    {storm > 0 && (
                      <span className="badge storm" title={`${storm} findings rolled up`}>
                        storm ×{incident.findings}
                      </span>
                    )}
                  </span>
                  <span role="cell">{techniquesOf(incident).join(', ') || '—'}</span>
                  <span role="cell">
                    <VisibleText value={entityOf(incident) || '—'} />
                  </span>
                  <span role="cell">{formatAge(incident.createdAt, now)}</span>
                </div>
              );
            })}
          </div>
        </div>
      </div>
      {rows.length === 0 && live.incidents.size > 0 && <p>No incident matches these filters.</p>}
      {live.incidents.size === 0 && !live.error && (
        <p>No incidents yet. They appear here as they open.</p>
      )}
    </section>
  );
}
