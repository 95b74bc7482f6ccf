/**
 * Human oversight and interventions as the audit trail records them: escalations with
 * their decisions and waits, denials and mutations, and incidents. Pure functions over
 * audit entries (the trail is the only source; nothing here asks a running system).
 */
import type { AuditEntry } from '@vigil/audit';
import type { Period } from './period.js';

/** One escalation to a human and what became of it. */
export interface Escalation {
  readonly approvalId: string;
  readonly incidentId: string | null;
  /** When the policy escalated (the `approval-request` entry); null when before the trail. */
  readonly requestedAt: string | null;
  readonly action: string;
  readonly reasons: readonly string[];
  readonly rules: readonly string[];
  /** `approved`, `rejected` or `expired`; `pending` when undecided at the period's end. */
  readonly status: 'approved' | 'rejected' | 'expired' | 'pending';
  /** Who decided: the person's identity (`user:<id>`), or the actor that expired it. */
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  /** The decider's stated reason, or the expiry rationale. */
  readonly comment: string | null;
  /** Request → decision; for a pending one, request → end of period. */
  readonly waitedMs: number | null;
  /** The approver changed the action's parameters before approving. */
  readonly edited: boolean;
}

/** A verdict that blocked or rewrote a proposed action. */
export interface Intervention {
  readonly time: string;
  readonly incidentId: string | null;
  readonly decision: 'deny' | 'mutate';
  readonly proposed: string;
  /** The action executed instead (mutate only). */
  readonly replacement: string | null;
  readonly rules: readonly string[];
  readonly reasons: readonly string[];
  readonly revision: string | null;
}

/** An incident (correlation id) with entries in the period. */
export interface IncidentSummary {
  readonly id: string;
  readonly firstAt: string;
  readonly lastAt: string;
  readonly entries: number;
  readonly severity: string | null;
  readonly techniques: readonly string[];
  /** Verdicts by decision. */
  readonly verdicts: Readonly<Record<string, number>>;
  /** Execution outcomes that succeeded. */
  readonly executed: number;
  readonly escalations: number;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [];

/** `type target-values` of an action record, e.g. `isolate-pod shop/storefront-1`. */
export function actionLabel(action: unknown): string {
  if (typeof action !== 'object' || action === null) return text(action) ?? '(no action recorded)';
  const a = action as Record<string, unknown>;
  const target = a['target'];
  const where =
    typeof target === 'object' && target !== null
      ? Object.values(target as Record<string, unknown>)
          .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
          .join('/')
      : (text(target) ?? '');
  return [text(a['type']) ?? 'action', where].filter((s) => s !== '').join(' ');
}

const inPeriod = (time: string, p: Period): boolean => {
  const t = Date.parse(time);
  return t >= p.from.getTime() && t < p.to.getTime();
};

/**
 * Escalations whose request or decision falls in `period`. `entries` must hold the
 * `approval-request` and `approval` entries up to the period's end (earlier ones too, so a
 * decision in the period finds a request made before it).
 */
export function escalationsOf(entries: readonly AuditEntry[], period: Period): Escalation[] {
  const decisions = new Map<string, AuditEntry>();
  for (const e of entries) {
    const id = text(e.what['approvalId']);
    if (e.kind === 'approval' && id !== null && !decisions.has(id)) decisions.set(id, e);
  }
  const requests = new Map<string, AuditEntry>();
  for (const e of entries) {
    const id = text(e.what['approvalId']);
    if (e.kind === 'approval-request' && id !== null && !requests.has(id)) requests.set(id, e);
  }
  const ids = new Set([...requests.keys(), ...decisions.keys()]);
  const out: Escalation[] = [];
  for (const id of ids) {
    const request = requests.get(id);
    const decision = decisions.get(id);
    const relevant =
      (request !== undefined && inPeriod(request.time, period)) ||
      (decision !== undefined && inPeriod(decision.time, period));
    if (!relevant) continue;
    const raw = text(decision?.what['decision']);
    const status =
      raw === 'approve'
        ? 'approved'
        : raw === 'reject'
          ? 'rejected'
          : raw === 'expired'
            ? 'expired'
            : 'pending';
    const requestedMs = request === undefined ? null : Date.parse(request.time);
    const endMs = decision === undefined ? period.to.getTime() : Date.parse(decision.time);
    out.push({
      approvalId: id,
      incidentId: request?.correlationId ?? decision?.correlationId ?? null,
      requestedAt: request?.time ?? null,
      action: actionLabel(request?.what['action']),
      reasons: strings(request?.why['reasons']),
      rules: strings(request?.why['rules']),
      status,
      decidedBy: decision === undefined ? null : (text(decision.why['approver']) ?? decision.actor),
      decidedAt: decision?.time ?? null,
      comment:
        decision === undefined
          ? null
          : (text(decision.why['comment']) ?? text(decision.why['rationale'])),
      waitedMs: requestedMs === null ? null : Math.max(0, endMs - requestedMs),
      edited: decision?.what['edited'] === true,
    });
  }
  return out.sort((a, b) =>
    (a.requestedAt ?? a.decidedAt ?? '').localeCompare(b.requestedAt ?? b.decidedAt ?? ''),
  );
}

/** Every `deny` and `mutate` verdict of `entries`, in order. */
export function interventionsOf(entries: readonly AuditEntry[]): Intervention[] {
  const out: Intervention[] = [];
  for (const e of entries) {
    if (e.kind !== 'verdict') continue;
    const decision = e.what['decision'];
    if (decision !== 'deny' && decision !== 'mutate') continue;
    out.push({
      time: e.time,
      incidentId: e.correlationId,
      decision,
      proposed: actionLabel(e.what['proposedAction'] ?? e.what['action']),
      replacement: decision === 'mutate' ? actionLabel(e.what['action']) : null,
      rules: strings(e.why['rules'] ?? e.why['ruleIds']),
      reasons: strings(e.why['reasons']),
      revision: text(e.why['revision']),
    });
  }
  return out;
}

/** The incidents of `entries` (grouped by correlation id), earliest first. */
export function incidentsOf(entries: readonly AuditEntry[]): IncidentSummary[] {
  const groups = new Map<string, AuditEntry[]>();
  for (const e of entries) {
    if (e.correlationId === null) continue;
    const list = groups.get(e.correlationId) ?? [];
    list.push(e);
    groups.set(e.correlationId, list);
  }
  const out: IncidentSummary[] = [];
  for (const [id, list] of groups) {
    const times = list.map((e) => e.time).sort();
    const analyses = list.filter((e) => e.kind === 'analysis');
    const verdicts: Record<string, number> = {};
    for (const e of list)
      if (e.kind === 'verdict') {
        const d = text(e.what['decision']) ?? 'unknown';
        verdicts[d] = (verdicts[d] ?? 0) + 1;
      }
    out.push({
      id,
      firstAt: times[0]!,
      lastAt: times.at(-1)!,
      entries: list.length,
      severity: text(analyses.at(-1)?.what['severity']),
      techniques: [
        ...new Set(
          analyses.flatMap((a) =>
            strings(a.what['techniques']).map((t) => {
              try {
                const parsed = JSON.parse(t) as { id?: unknown };
                return typeof parsed.id === 'string' ? parsed.id : t;
              } catch {
                return t;
              }
            }),
          ),
        ),
      ],
      verdicts,
      executed: list.filter(
        (e) =>
          e.kind === 'execution' && e.what['phase'] !== 'intent' && e.what['status'] !== 'failed',
      ).length,
      escalations: list.filter((e) => e.kind === 'approval-request').length,
    });
  }
  return out.sort((a, b) => a.firstAt.localeCompare(b.firstAt));
}
