import { digestOf } from '@vigil/core';
import type { IncidentSummary } from './ports.js';

/** Renders the notifier's input from an incident summary (the `notify` skill's schema). */
export function notificationFor(summary: IncidentSummary, traceLinkBase: string | undefined) {
  const verdicts = summary.items.map((item) => ({
    action: item.review?.action.type ?? item.proposal.action.type,
    target: describeTarget(item.review?.action.target ?? item.proposal.action.target),
    decision: item.review?.decision ?? 'unreviewed',
    reasons: [...(item.review?.reasons ?? [])],
    outcome: item.outcome,
  }));
  const waiting = summary.status === 'awaiting-approval';
  return {
    incidentId: summary.incidentId,
    kind: waiting
      ? ('escalation' as const)
      : summary.items.some((i) => i.outcome === 'approval-expired')
        ? ('approval-expired' as const)
        : ('incident' as const),
    title: `${waiting ? 'Approval needed: ' : ''}${summary.analysis.summary}`.slice(0, 300),
    severity: summary.analysis.severity,
    summary: `${summary.analysis.summary}${summary.analysis.techniques.length ? ` ATT&CK: ${summary.analysis.techniques.join(', ')}.` : ''} Analysis: ${summary.analysis.source}, confidence ${summary.analysis.confidence}.${summary.skipped.map((s) => ` Not proposed: ${s.type} (${s.reason}).`).join('')}`,
    verdicts,
    degraded: [...summary.degraded],
    traceLink: traceLinkBase
      ? `${traceLinkBase.replace(/\/$/, '')}/${encodeURIComponent(summary.incidentId)}`
      : `vigil trace ${summary.incidentId}`,
    dedupKey: `${summary.incidentId}/${summary.status}/${digestOf(verdicts).slice(7, 23)}`,
  };
}

/** `namespace/name`-style rendering of an action target. */
export function describeTarget(target: Readonly<Record<string, unknown>>): string {
  const ns = typeof target['namespace'] === 'string' ? `${target['namespace']}/` : '';
  const name = ['pod', 'deployment', 'name', 'node', 'user', 'serviceAccount', 'cidr', 'ip']
    .map((k) => target[k])
    .find((v) => typeof v === 'string');
  return `${ns}${(name as string | undefined) ?? JSON.stringify(target)}`;
}
