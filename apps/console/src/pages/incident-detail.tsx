import { Link } from 'wouter';
import { endpoints } from '../api/endpoints.js';
import type { IncidentDetail, IncidentItem, Trace } from '../api/types.js';
import { DecisionBadge, LoadState, SeverityBadge, StateBadge } from '../components/status.js';
import { JsonView, VisibleText } from '../components/visible-text.js';
import { formatTime } from '../format/time.js';
import { useLoad } from '../hooks/use-load.js';
import { actionsDiffer } from '../incidents/actions.js';

/** One incident: what happened, what the agents concluded and did, and the audit timeline. */
export function IncidentDetailPage({ id }: { id: string }) {
  const detail = useLoad(() => endpoints.incident(id), id);
  const trace = useLoad(() => endpoints.trace(id), id);
  return (
    <section aria-labelledby="incident-title">
      <p>
        <Link href="/incidents">← Incidents</Link>
      </p>
      <LoadState loaded={detail} what="the incident">
        {(d) => <Detail detail={d} />}
      </LoadState>
      <h2>Timeline</h2>
      <LoadState loaded={trace} what="the timeline">
        {(t) => <Timeline trace={t} />}
      </LoadState>
    </section>
  );
}

function Detail({ detail }: { detail: IncidentDetail }) {
  const { incident, summary, approvals } = detail;
  const analysis = summary?.analysis;
  const finding = summary?.finding;
  return (
    <>
      <h1 id="incident-title">
        <VisibleText value={incident.title} />
      </h1>
      <dl className="facts">
        <dt>Id</dt>
        <dd>
          <code>{incident.id}</code>
        </dd>
        <dt>Severity</dt>
        <dd>
          <SeverityBadge severity={incident.severity} />
        </dd>
        <dt>State</dt>
        <dd>
          <StateBadge state={incident.status} />
        </dd>
        <dt>Opened</dt>
        <dd>{formatTime(incident.createdAt)}</dd>
        <dt>Findings</dt>
        <dd>
          {incident.findings}
          {incident.rollup ? ` (${incident.rollup.count} rolled up as a storm)` : ''}
        </dd>
        {incident.lastError && (
          <>
            <dt>Last error</dt>
            <dd>
              <VisibleText value={incident.lastError} />
            </dd>
          </>
        )}
      </dl>

      <h2>Analysis</h2>
      {analysis ? (
        <div className="card">
          <p>
            <strong>
              {analysis.source === 'rule-based'
                ? 'Rule-based analysis (offline analyser)'
                : `Model analysis (${analysis.model?.provider ?? ''} ${analysis.model?.name ?? ''})`}
            </strong>
            {' · '}confidence {analysis.confidence.toFixed(2)}
            {' · '}
            <SeverityBadge severity={analysis.severity} />
          </p>
          <p>Techniques: {analysis.techniques.join(', ') || '—'}</p>
          <h3>Summary</h3>
          <p className="prose">
            <VisibleText value={analysis.summary} />
          </p>
          <h3>Rationale</h3>
          <p className="prose">
            <VisibleText value={analysis.rationale} />
          </p>
          {analysis.degraded && (
            <p className="warn">
              Degraded: <VisibleText value={analysis.degraded} />
            </p>
          )}
          {analysis.evidence !== undefined && (
            <>
              <h3>Evidence</h3>
              <JsonView value={analysis.evidence} label="Evidence" />
            </>
          )}
        </div>
      ) : (
        <p>No analysis yet.</p>
      )}

      <h2>Proposed actions</h2>
      {summary && summary.items.length > 0 ? (
        <ol className="actions">
          {summary.items.map((item) => (
            <ActionItem key={item.proposal.id} item={item} />
          ))}
        </ol>
      ) : (
        <p>No action was proposed.</p>
      )}

      {approvals.length > 0 && (
        <>
          <h2>Approvals</h2>
          <ul>
            {approvals.map((a) => (
              <li key={a.id}>
                <Link href={`/approvals/${encodeURIComponent(a.id)}`}>{a.action.type}</Link>{' '}
                <StateBadge state={a.status} />
                {a.decision && (
                  <>
                    {' '}
                    by {a.decision.by}: <VisibleText value={a.decision.reason} />
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      )}

      {finding && (
        <>
          <h2>Event</h2>
          <p>
            Detected {formatTime(finding.detectedAt)}, anomaly score {finding.score.toFixed(3)}{' '}
            (threshold {finding.threshold.toFixed(3)}). Every field below is shown as text;
            invisible and control characters appear as ⟨markers⟩.
          </p>
          <JsonView value={finding.event} label="Event fields" />
          {finding.detection !== undefined && (
            <>
              <h3>Detection</h3>
              <JsonView value={finding.detection} label="Detection" />
            </>
          )}
        </>
      )}
    </>
  );
}

function ActionItem({ item }: { item: IncidentItem }) {
  const { proposal, review } = item;
  const mutated = review && actionsDiffer(proposal.action, review.action);
  return (
    <li className="card">
      <h3>
        {proposal.action.type} {review && <DecisionBadge decision={review.decision} />}{' '}
        <StateBadge state={item.outcome} />
      </h3>
      <div className="grid2">
        <div>
          <h4>Proposed action</h4>
          <JsonView value={proposal.action} label="Proposed action" />
        </div>
        <div>
          <h4>Blast radius</h4>
          <JsonView value={proposal.blastRadius} label="Blast radius" />
        </div>
      </div>
      {review && (
        <>
          <h4>Verdict</h4>
          <p>
            <DecisionBadge decision={review.decision} /> · confidence {review.confidence.toFixed(2)}{' '}
            · bundle <code>{review.revision.slice(0, 19)}</code>
          </p>
          <p>
            Rules that fired:{' '}
            {review.rules.length ? review.rules.map((r) => <code key={r}>{r} </code>) : 'none'}
          </p>
          <ul>
            {review.reasons.map((r, i) => (
              <li key={i}>
                <VisibleText value={r} />
              </li>
            ))}
          </ul>
          {mutated && (
            <>
              <h4>Mutated form (what policy allows instead)</h4>
              <JsonView value={review.action} label="Mutated action" />
            </>
          )}
        </>
      )}
      <h4>Execution outcome</h4>
      <p>
        <StateBadge state={item.outcome} />
        {item.detail && (
          <>
            {' '}
            <VisibleText value={item.detail} />
          </>
        )}
      </p>
    </li>
  );
}

/** The agent name of an agent SPIFFE ID (`spiffe://td/agent/name` → `name`), else the actor. */
function actorName(actor: string): string {
  const m = /^spiffe:\/\/[^/]+\/agent\/(.+)$/.exec(actor);
  return m?.[1] ?? actor;
}

/** The decision chain as `vigil trace` prints it: each step under its cause, with its offset. */
function Timeline({ trace }: { trace: Trace }) {
  if (trace.steps.length === 0) return <p>No audit entries for this incident yet.</p>;
  return (
    <>
      <p className="muted" data-testid="timeline-summary">
        {trace.entries} entries over {(trace.durationMs / 1000).toFixed(1)} s from{' '}
        {formatTime(Date.parse(trace.startedAt))}
        {trace.traceIds.length > 0 && (
          <>
            {' '}
            · trace <code>{trace.traceIds.join(', ')}</code>
          </>
        )}
      </p>
      <ol className="timeline" data-testid="timeline">
        {trace.steps.map((s) => (
          <li key={s.entry.hash} className={`depth-${Math.min(s.depth, 5)}`}>
            <p>
              <span className="time">+{s.offsetMs} ms</span> <strong>{s.entry.kind}</strong> by{' '}
              <VisibleText value={actorName(s.entry.actor)} />
              {s.link === 'inferred' && <span className="muted"> (placed by the flow)</span>}
              {' — '}
              <VisibleText value={s.summary} />
            </p>
            <details>
              <summary>What and why</summary>
              <JsonView
                value={{ what: s.entry.what, why: s.entry.why, hash: s.entry.hash }}
                label={`Audit entry ${s.entry.kind}`}
              />
            </details>
          </li>
        ))}
      </ol>
    </>
  );
}
