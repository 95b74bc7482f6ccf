import { digestOf } from '@vigil/core';
import type { IncidentFailure, IncidentSummary } from './ports.js';
import { signatureOf } from './storm-key.js';

/** Renders the notifier's input from an incident summary (the `notify` skill's schema). */
export function notificationFor(summary: IncidentSummary, traceLinkBase: string | undefined) {
  const verdicts = verdictsOf(summary);
  const waiting = summary.status === 'awaiting-approval';
  const covers = summary.correlation;
  const signatures = covers?.signatures.length ? covers.signatures : [signatureOf(summary.finding)];
  return {
    incidentId: summary.incidentId,
    kind: waiting
      ? ('escalation' as const)
      : summary.items.some((i) => i.outcome === 'approval-expired')
        ? ('approval-expired' as const)
        : ('incident' as const),
    title: `${waiting ? 'Approval needed: ' : ''}${summary.analysis.summary}`.slice(0, 300),
    severity: summary.analysis.severity,
    summary: `${summary.analysis.summary}${summary.analysis.techniques.length ? ` ATT&CK: ${summary.analysis.techniques.join(', ')}.` : ''} Analysis: ${summary.analysis.source}, confidence ${summary.analysis.confidence}.${summary.skipped.map((s) => ` Not proposed: ${s.type} (${s.reason}).`).join('')}${covers && covers.findings > 1 ? ` Covers ${covers.findings} findings${covers.rollup ? `, ${covers.rollup.count} of them repeats rolled up (${new Date(covers.rollup.firstAt).toISOString()} to ${new Date(covers.rollup.lastAt).toISOString()})` : ''}.` : ''}`,
    // Notifications alike are summarised together under a rate limit: same severity and
    // the same signatures fired.
    group: `${summary.analysis.severity}|${signatures.join('+')}`.slice(0, 500),
    findings: covers?.findings ?? 1,
    verdicts,
    degraded: [...summary.degraded],
    traceLink: traceLinkOf(summary.incidentId, traceLinkBase),
    dedupKey: `${summary.incidentId}/${summary.status}/${digestOf(verdicts).slice(7, 23)}`,
  };
}

/**
 * The notifier's input for an incident whose run failed: kind `failed`, the reason in
 * the title and summary, the detection's severity when no analysis was reached. The same
 * failure (a retried run failing again the same way) has the same dedup key.
 */
export function failureNotificationFor(
  failure: IncidentFailure,
  traceLinkBase: string | undefined,
) {
  const { progress, finding } = failure;
  const what =
    progress?.analysis.summary ?? `${finding.event.activity} (score ${finding.score.toFixed(2)})`;
  const verdicts = progress ? verdictsOf(progress) : [];
  return {
    incidentId: failure.incidentId,
    kind: 'failed' as const,
    title: `Incident failed: ${what}`.slice(0, 300),
    severity: failure.severity,
    summary:
      `Vigil could not finish this incident, a human must take it over. Why: ${failure.reason}. ` +
      `${what}${progress?.analysis.techniques.length ? ` ATT&CK: ${progress.analysis.techniques.join(', ')}.` : ''}`.slice(
        0,
        4000,
      ),
    verdicts,
    degraded: [...(progress?.degraded ?? [])],
    traceLink: traceLinkOf(failure.incidentId, traceLinkBase),
    dedupKey: `${failure.incidentId}/failed/${digestOf({ reason: failure.reason, verdicts }).slice(7, 23)}`,
  };
}

function verdictsOf(summary: IncidentSummary) {
  return summary.items.map((item) => ({
    action: item.review?.action.type ?? item.proposal.action.type,
    target: describeTarget(item.review?.action.target ?? item.proposal.action.target),
    decision: item.review?.decision ?? 'unreviewed',
    reasons: [...(item.review?.reasons ?? [])],
    outcome: item.outcome,
  }));
}

function traceLinkOf(incidentId: string, traceLinkBase: string | undefined): string {
  return traceLinkBase
    ? `${traceLinkBase.replace(/\/$/, '')}/${encodeURIComponent(incidentId)}`
    : `vigil trace ${incidentId}`;
}

/**
 * A readable rendering of an action target for people: `namespace/name` when the target
 * names one object, `namespace/pods app=web,tier=front` for a label selector, and
 * `key=value` pairs for anything else (never raw JSON).
 */
export function describeTarget(target: Readonly<Record<string, unknown>>): string {
  const ns = typeof target['namespace'] === 'string' ? `${target['namespace']}/` : '';
  const name = ['pod', 'deployment', 'name', 'node', 'user', 'serviceAccount', 'cidr', 'ip']
    .map((k) => target[k])
    .find((v) => typeof v === 'string');
  if (typeof name === 'string') return `${ns}${name}`;
  const selector = target['selector'];
  if (typeof selector === 'object' && selector !== null && !Array.isArray(selector)) {
    return `${ns}pods ${pairs(selector as Record<string, unknown>, ',')}`;
  }
  const rest = Object.fromEntries(Object.entries(target).filter(([key]) => key !== 'namespace'));
  return `${ns}${pairs(rest, ' ') || '(all)'}`;
}

function pairs(record: Readonly<Record<string, unknown>>, separator: string): string {
  return Object.entries(record)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(separator);
}
