/**
 * Incident timelines from the audit trail. Every agent appends its step's entry, with the
 * incident id, at the moment the step ends (the writer's clock, the same wall clock for
 * every process on this machine): `finding` (coordinator, on receipt), `analysis`
 * (analyst), `proposal` (coordinator, once the remediator answered), `verdict`
 * (reviewer, before it answers), `execution` (remediator: intent, then outcome once the
 * executor acted) and `notification` (notifier, after delivery). The coordinator's ops
 * API only keeps an incident's opened/updated times, so the audit trail is the one
 * source with a time for each stage.
 */
import type { AuditEntry, AuditKind, AuditStore } from '@vigil/audit';

/** When one incident's stages ended, ms since the epoch; `sentAt` is the bench's send time. */
export interface IncidentTimeline {
  readonly incidentId: string;
  readonly sentAt: number;
  readonly finding: number;
  readonly analysis: number;
  readonly proposal: number;
  /** The last verdict: every proposal of the incident is decided. */
  readonly verdict: number;
  /** The last execution outcome, when anything executed. */
  readonly execution: number | undefined;
  readonly notification: number;
  readonly decisions: readonly string[];
  readonly analyses: number;
  readonly findings: number;
}

const KINDS: readonly AuditKind[] = [
  'finding',
  'analysis',
  'proposal',
  'verdict',
  'execution',
  'notification',
];

/** Audit entries of `incidentIds` of the kinds above, grouped by incident. */
async function entriesOf(
  store: AuditStore,
  incidentIds: ReadonlySet<string>,
  since: Date,
): Promise<Map<string, AuditEntry[]>> {
  const byIncident = new Map<string, AuditEntry[]>();
  for await (const entry of store.query({ kinds: KINDS, since })) {
    if (entry.correlationId === null || !incidentIds.has(entry.correlationId)) continue;
    const list = byIncident.get(entry.correlationId) ?? [];
    list.push(entry);
    byIncident.set(entry.correlationId, list);
  }
  return byIncident;
}

/**
 * Waits until every incident has its notification entry (the graph's last step), polling
 * the store. Throws after `timeoutMs` naming how many are missing.
 */
export async function waitForNotified(
  store: AuditStore,
  incidentIds: ReadonlySet<string>,
  since: Date,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const notified = new Set<string>();
    for await (const entry of store.query({ kinds: ['notification'], since }))
      if (entry.correlationId !== null && incidentIds.has(entry.correlationId))
        notified.add(entry.correlationId);
    if (notified.size === incidentIds.size) return;
    if (Date.now() > deadline)
      throw new Error(
        `${incidentIds.size - notified.size} of ${incidentIds.size} incidents not notified within ${timeoutMs} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One timeline per incident sent (`sentAt` = when its first finding was sent). */
export async function readTimelines(
  store: AuditStore,
  sentAt: ReadonlyMap<string, number>,
  since: Date,
): Promise<IncidentTimeline[]> {
  const grouped = await entriesOf(store, new Set(sentAt.keys()), since);
  return [...sentAt].map(([incidentId, sent]) => {
    const entries = grouped.get(incidentId) ?? [];
    const times = (kind: AuditKind, phase?: string) =>
      entries
        .filter((e) => e.kind === kind && (phase === undefined || e.what['phase'] === phase))
        .map((e) => Date.parse(e.time));
    const first = (kind: AuditKind) => need(incidentId, kind, Math.min(...times(kind)));
    const last = (kind: AuditKind) => need(incidentId, kind, Math.max(...times(kind)));
    const executions = times('execution', 'outcome');
    return {
      incidentId,
      sentAt: sent,
      finding: first('finding'),
      analysis: last('analysis'),
      proposal: first('proposal'),
      verdict: last('verdict'),
      execution: executions.length > 0 ? Math.max(...executions) : undefined,
      notification: first('notification'),
      decisions: entries.filter((e) => e.kind === 'verdict').map((e) => String(e.what['decision'])),
      analyses: times('analysis').length,
      findings: times('finding').length,
    };
  });
}

function need(incidentId: string, kind: string, time: number): number {
  if (!Number.isFinite(time)) throw new Error(`incident ${incidentId} has no ${kind} entry`);
  return time;
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ??
    NaN
  );
}
