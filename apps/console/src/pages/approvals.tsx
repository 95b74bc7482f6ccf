import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'wouter';
import { endpoints } from '../api/endpoints.js';
import type { Approval } from '../api/types.js';
import { DecisionBadge, LoadState, StateBadge } from '../components/status.js';
import { JsonView, VisibleText } from '../components/visible-text.js';
import { signDecision } from '../crypto/identity.js';
import { countdown, formatTime } from '../format/time.js';
import { useLoad } from '../hooks/use-load.js';
import { useNow } from '../hooks/use-now.js';
import { parseParameterEdit, reasonProblem } from '../incidents/edit.js';
import { mayDecide, useSession } from '../session.js';

/**
 * How long a signed decision stays valid for the remediator. Not the escalation's own
 * remaining time: an approval given near the deadline still has to pass a re-review and
 * reach the remediator on a loaded system (a 60-second decision expired before it ran).
 */
const DECISION_TTL_SECONDS = 900;

/** Pending approvals first (soonest to expire on top), then the latest decided. */
export function ApprovalsPage({ id }: { id?: string }) {
  const list = useLoad(() => endpoints.approvals(), 'all');
  const now = useNow(1000);
  return (
    <section aria-labelledby="approvals-title" className="split">
      <div>
        <h1 id="approvals-title">Approvals</h1>
        <LoadState loaded={list} what="approvals">
          {({ approvals }) => {
            const pending = approvals
              .filter((a) => a.status === 'pending')
              .sort((a, b) => a.expiresAt - b.expiresAt);
            const decided = approvals
              .filter((a) => a.status !== 'pending')
              .sort(
                (a, b) => (b.decision?.at ?? b.requestedAt) - (a.decision?.at ?? a.requestedAt),
              );
            return (
              <>
                <h2>Waiting for a decision ({pending.length})</h2>
                <ApprovalList approvals={pending} now={now} selected={id} />
                <h2>Decided ({decided.length})</h2>
                <ApprovalList approvals={decided.slice(0, 200)} now={now} selected={id} />
              </>
            );
          }}
        </LoadState>
      </div>
      <div>
        {id ? (
          <ApprovalDetail key={id} id={id} onDecided={list.reload} />
        ) : (
          <p className="hint">Choose an approval to review it.</p>
        )}
      </div>
    </section>
  );
}

function ApprovalList({
  approvals,
  now,
  selected,
}: {
  approvals: readonly Approval[];
  now: number;
  selected: string | undefined;
}) {
  if (approvals.length === 0) return <p>None.</p>;
  return (
    <ul className="approval-list">
      {approvals.map((a) => {
        const left = countdown(a.expiresAt, now);
        const effective = a.status === 'pending' && left.expired ? 'expired' : a.status;
        return (
          <li key={a.id} className={a.id === selected ? 'selected' : undefined}>
            <Link
              href={`/approvals/${encodeURIComponent(a.id)}`}
              aria-current={a.id === selected ? 'true' : undefined}
            >
              {a.action.type}
            </Link>{' '}
            <StateBadge state={effective} />{' '}
            <span className="muted">
              {a.status === 'pending' ? left.text : a.decision ? `by ${a.decision.by}` : ''}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function ApprovalDetail({ id, onDecided }: { id: string; onDecided: () => void }) {
  const approval = useLoad(() => endpoints.approval(id), id);
  return (
    <LoadState loaded={approval} what="the approval">
      {({ approval: a }) => <DecisionPanel approval={a} onDecided={onDecided} />}
    </LoadState>
  );
}

function DecisionPanel({ approval, onDecided }: { approval: Approval; onDecided: () => void }) {
  const state = useSession();
  const now = useNow(1000);
  const [, navigate] = useLocation();
  const incident = useLoad(() => endpoints.incident(approval.incidentId), approval.incidentId);
  const [reason, setReason] = useState('');
  const [editing, setEditing] = useState(false);
  const [parameters, setParameters] = useState(() =>
    JSON.stringify(approval.action.parameters, null, 2),
  );
  const [problem, setProblem] = useState<string>();
  const [result, setResult] = useState<Approval>();
  const [busy, setBusy] = useState(false);
  const titleRef = useRef<HTMLHeadingElement>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const outcomeRef = useRef<HTMLDivElement>(null);
  // Opened from the list, the approval takes the focus: otherwise a keyboard user would
  // tab through every other approval in the list (up to 200 decided) to reach this one.
  useEffect(() => titleRef.current?.focus(), []);
  // Keyboard users: once decided, the form (and the focused button) is gone; focus goes to
  // the outcome instead of falling back to the page's start.
  useEffect(() => {
    if (result) outcomeRef.current?.focus();
  }, [result]);
  const shown = result ?? approval;
  const left = countdown(shown.expiresAt, now);
  const expired = shown.status === 'expired' || (shown.status === 'pending' && left.expired);
  const pending = shown.status === 'pending' && !left.expired;
  const blast = incident.data?.summary?.items.find((i) => i.proposal.id === approval.proposalId)
    ?.proposal.blastRadius;

  const decide = async (decision: 'approve' | 'reject', event?: FormEvent) => {
    event?.preventDefault();
    const why = reasonProblem(reason);
    if (why) {
      setProblem(why);
      // Back to the field that needs the fix, wherever the decision was triggered from.
      reasonRef.current?.focus();
      return;
    }
    if (!state.identity)
      return setProblem(
        `No signing certificate for this browser: ${state.identityError ?? 'sign in again'}.`,
      );
    let edit: Record<string, unknown> | undefined;
    if (decision === 'approve' && editing) {
      const parsed = parseParameterEdit(parameters, approval.action);
      if (!parsed.ok) return setProblem(parsed.message);
      if (parsed.changed) edit = parsed.parameters;
    }
    setProblem(undefined);
    setBusy(true);
    try {
      const action = edit ? { ...approval.action, parameters: edit } : approval.action;
      const ttlSeconds = DECISION_TTL_SECONDS;
      const signed = await signDecision(
        state.identity,
        { action, decision, comment: reason },
        ttlSeconds,
      );
      if (signed.identity !== state.identity) state.setIdentity(signed.identity);
      const { approval: decided } = await endpoints.decide(approval.id, decision, {
        reason,
        approval: signed.jws,
        ...(edit ? { parameters: edit } : {}),
      });
      setResult(decided);
      onDecided();
    } catch (e) {
      setProblem((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <article aria-labelledby="approval-title" className="card">
      <h2 id="approval-title" tabIndex={-1} ref={titleRef}>
        {shown.action.type} <StateBadge state={expired ? 'expired' : shown.status} />
      </h2>
      <p>
        Incident{' '}
        <Link href={`/incidents/${encodeURIComponent(shown.incidentId)}`}>{shown.incidentId}</Link>
        {' · '}requested {formatTime(shown.requestedAt)}
      </p>
      <p
        className={expired ? 'countdown expired' : 'countdown'}
        role="timer"
        aria-live="off"
        data-testid="countdown"
      >
        {expired
          ? 'Expired: rejected without action (fail safe).'
          : shown.status === 'pending'
            ? left.text
            : `Decided ${shown.decision ? formatTime(shown.decision.at) : ''}`}
      </p>
      <h3>The exact action</h3>
      <JsonView value={shown.action} label="Action to decide" />
      <p>
        Digest (RFC 8785, SHA-256) — your signature binds to this:{' '}
        <code data-testid="digest" className="digest">
          {shown.actionDigest}
        </code>
      </p>
      <h3>Blast radius</h3>
      {blast ? <JsonView value={blast} label="Blast radius" /> : <p>Not known.</p>}
      <h3>Why it was escalated</h3>
      <p>
        <DecisionBadge decision={shown.review.decision} /> · confidence{' '}
        {shown.review.confidence.toFixed(2)} · rules{' '}
        {shown.review.rules.map((r) => (
          <code key={r}>{r} </code>
        ))}
      </p>
      <ul>
        {shown.review.reasons.map((r, i) => (
          <li key={i}>
            <VisibleText value={r} />
          </li>
        ))}
      </ul>
      {shown.decision && (
        <div
          className="outcome"
          role="status"
          data-testid="decision"
          tabIndex={-1}
          ref={outcomeRef}
        >
          <h3>Decision</h3>
          <p>
            <strong>{shown.decision.decision}</strong> by {shown.decision.by}:{' '}
            <VisibleText value={shown.decision.reason} />
          </p>
          {shown.decision.approval && (
            <p>Signed in this browser by the approver's own key; the signature was verified.</p>
          )}
          {shown.decision.editedAction && (
            <>
              <p>Edited action (reviewed again before it may run):</p>
              <JsonView value={shown.decision.editedAction} label="Edited action" />
            </>
          )}
          <p>
            <button
              type="button"
              onClick={() => navigate(`/incidents/${encodeURIComponent(shown.incidentId)}`)}
            >
              See the execution in the incident
            </button>
          </p>
        </div>
      )}
      {pending && mayDecide(state.session) && (
        <form onSubmit={(e) => void decide('approve', e)} aria-label="Decide">
          <label htmlFor="reason">Reason (required, signed and audited)</label>
          <textarea
            id="reason"
            ref={reasonRef}
            required
            aria-required="true"
            aria-invalid={problem !== undefined && !reason.trim()}
            aria-describedby={problem ? 'decision-problem' : undefined}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            rows={3}
          />
          <label className="check">
            <input
              type="checkbox"
              checked={editing}
              onChange={(e) => setEditing(e.target.checked)}
            />
            Edit the parameters before approving
          </label>
          {editing && (
            <>
              <label htmlFor="parameters">
                Parameters (JSON). An edited action is reviewed by policy again before it can run.
              </label>
              <textarea
                id="parameters"
                className="code"
                value={parameters}
                onChange={(e) => setParameters(e.target.value)}
                rows={6}
              />
            </>
          )}
          {problem && (
            <p id="decision-problem" role="alert" className="error">
              {problem}
            </p>
          )}
          <div className="buttons">
            <button type="submit" className="approve" disabled={busy}>
              {editing ? 'Approve edited action' : 'Approve'}
            </button>
            <button
              type="button"
              className="reject"
              disabled={busy}
              onClick={() => void decide('reject')}
            >
              Reject
            </button>
          </div>
          <p className="muted">
            Signed as <code>{state.identity?.spiffeId ?? '(no certificate)'}</code> with a key that
            never leaves this browser.
          </p>
        </form>
      )}
      {pending && !mayDecide(state.session) && (
        <p role="note" data-testid="viewer-note">
          You are signed in as a {state.session.user.role}: viewers can read approvals but only
          analysts and admins decide.
        </p>
      )}
    </article>
  );
}
