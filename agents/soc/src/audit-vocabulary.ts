import {
  defineAuditVocabulary,
  describeAction,
  inline,
  phaseOf,
  type AuditEntry,
  type AuditVocabulary,
} from '@vigil/audit';

/**
 * OCSF Remediation Activity (class 7001) activity ids (OCSF 1.5 dictionary):
 * 1 Isolate, 2 Evict, 3 Restore, 4 Harden, 5 Detect, 99 Other. The SOC's action types
 * map by what they do to the target.
 */
const REMEDIATION_ACTIVITY: Readonly<Record<string, { id: number; name: string }>> = {
  'isolate-pod': { id: 1, name: 'Isolate' },
  'block-ip': { id: 1, name: 'Isolate' },
  'block-cidr': { id: 1, name: 'Isolate' },
  'cordon-node': { id: 1, name: 'Isolate' },
  'delete-pod': { id: 2, name: 'Evict' },
  'scale-to-zero': { id: 2, name: 'Evict' },
  'scale-deployment': { id: 2, name: 'Evict' },
  'revoke-token': { id: 2, name: 'Evict' },
  'revoke-service-account-token': { id: 2, name: 'Evict' },
  'disable-user': { id: 2, name: 'Evict' },
  rollback: { id: 3, name: 'Restore' },
  undo: { id: 3, name: 'Restore' },
};

/** OCSF severity ids by the severities findings carry. */
const SEVERITY: Readonly<Record<string, number>> = {
  informational: 1,
  info: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
  fatal: 6,
};

function techniqueIds(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((t) =>
    String(typeof t === 'object' && t !== null ? (t as { id?: unknown }).id : t),
  );
}

function unmapped(entry: AuditEntry): Record<string, unknown> {
  return {
    what: entry.what,
    why: entry.why,
    audit: { chain: entry.chain, chainSeq: entry.chainSeq },
  };
}

/**
 * The SOC's audit kinds and how `vigil trace`, `vigil audit export --format ocsf` and the
 * compliance metrics describe them: the flow of one incident (event batch → finding →
 * analysis → the harness's proposal, verdict, approval and execution → notification),
 * findings as OCSF Detection Findings (2004) with their ATT&CK techniques, executions as
 * Remediation Activities (7001). Every SOC agent's writer records through these kinds.
 */
export const SOC_AUDIT_VOCABULARY: AuditVocabulary = defineAuditVocabulary({
  correlation: 'incident',
  kinds: {
    'event-batch': {
      flowRank: 0,
      execution: true,
      summarize: (e) => {
        const w = e.what;
        const count = w['count'] ?? (Array.isArray(w['events']) ? w['events'].length : undefined);
        return `${inline(count) ?? '?'} events${w['source'] !== undefined ? ` from ${inline(w['source'])}` : ''}`;
      },
    },
    finding: {
      flowRank: 10,
      execution: true,
      summarize: (e) =>
        [
          inline(e.what['title']) ?? inline(e.what['summary']) ?? 'finding',
          e.what['severity'] !== undefined ? `(${inline(e.what['severity'])})` : '',
          e.what['score'] !== undefined ? `score ${inline(e.what['score'])}` : '',
        ]
          .filter(Boolean)
          .join(' '),
      ocsf: (entry, common) => {
        const severity = String(entry.what['severity'] ?? '').toLowerCase();
        const attacks = techniqueIds(entry.what['techniques'] ?? entry.what['attack']);
        return {
          class_uid: 2004,
          class_name: 'Detection Finding',
          category_uid: 2,
          category_name: 'Findings',
          activity_id: 1,
          activity_name: 'Create',
          type_uid: 200401,
          severity_id: SEVERITY[severity] ?? 0,
          ...common,
          finding_info: {
            uid: String(entry.what['findingId'] ?? entry.what['id'] ?? entry.hash),
            title: String(entry.what['title'] ?? entry.what['summary'] ?? 'Vigil finding'),
            desc: typeof entry.why['rationale'] === 'string' ? entry.why['rationale'] : undefined,
            attacks: attacks?.map((uid) => ({ technique: { uid } })),
          },
          unmapped: unmapped(entry),
        };
      },
    },
    analysis: {
      flowRank: 20,
      execution: true,
      summarize: (e) => {
        const techniques = techniqueIds(e.what['techniques'])?.join(',');
        const rationale = inline(e.why['rationale']);
        return [
          e.what['severity'] !== undefined ? `severity ${inline(e.what['severity'])}` : '',
          e.what['confidence'] !== undefined ? `confidence ${inline(e.what['confidence'])}` : '',
          techniques ? `ATT&CK ${techniques}` : '',
          rationale ? `— ${rationale}` : '',
          e.why['model'] !== undefined ? `[model ${inline(e.why['model'])}]` : '',
        ]
          .filter(Boolean)
          .join(' ');
      },
    },
    proposal: {
      summarize: (e) =>
        `${describeAction(e.what['action'] ?? e.what)}${e.what['blastRadius'] !== undefined ? ` blast radius ${inline(e.what['blastRadius'])}` : ''}`,
    },
    execution: {
      ocsf: (entry, common) => {
        const action = (entry.what['action'] ?? {}) as Record<string, unknown>;
        const type = String(action['type'] ?? entry.what['type'] ?? 'unknown');
        const activity = REMEDIATION_ACTIVITY[type] ?? { id: 99, name: 'Other' };
        const status = String(
          entry.what['status'] ?? (entry.what['phase'] === 'intent' ? 'pending' : 'unknown'),
        );
        return {
          class_uid: 7001,
          class_name: 'Remediation Activity',
          category_uid: 7,
          category_name: 'Remediation',
          activity_id: activity.id,
          activity_name: activity.name,
          type_uid: 7001 * 100 + activity.id,
          severity_id: 1,
          ...common,
          status_id: status === 'succeeded' ? 1 : status === 'failed' ? 2 : 0,
          status,
          command_uid: String(entry.what['idempotencyKey'] ?? entry.hash),
          remediation: { desc: type },
          unmapped: { action, ...unmapped(entry) },
        };
      },
    },
    notification: {
      flowRank: 80,
      execution: true,
      summarize: (e) =>
        `${inline(e.what['channel']) ?? 'notification'}${e.what['status'] !== undefined ? ` → ${inline(e.what['status'])}` : phaseOf(e)}`,
    },
  },
});
