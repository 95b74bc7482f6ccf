import type { AuditEntry } from './entry.js';
import type { AuditQuery, AuditStore } from './store.js';

/** Export formats of {@link exportAudit}. */
export type AuditExportFormat = 'jsonl' | 'ocsf';

/** Product metadata placed in every OCSF event. */
const PRODUCT = { name: 'Vigil', vendor_name: 'Vigil', feature: { name: 'audit' } } as const;
const OCSF_VERSION = '1.5.0';

/**
 * OCSF Remediation Activity (class 7001) activity ids (OCSF 1.5 dictionary):
 * 1 Isolate, 2 Evict, 3 Restore, 4 Harden, 5 Detect, 99 Other. Vigil's action types
 * map by what they do to the target.
 */
const REMEDIATION_ACTIVITY: Record<string, { id: number; name: string }> = {
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

const SEVERITY: Record<string, number> = {
  informational: 1,
  info: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
  fatal: 6,
};

/**
 * Streams every entry matching `filter` as one line each: `jsonl` is the stored entry as
 * JSON; `ocsf` maps executions to Remediation Activity (7001) and findings to Detection
 * Finding (2004), and emits other kinds as the plain entry JSON (no OCSF class fits them
 * without inventing one). Each OCSF event keeps the audit entry id (hash) in
 * `metadata.uid`, so a SIEM record leads back to the verifiable log.
 */
export async function* exportAudit(
  store: AuditStore,
  format: AuditExportFormat,
  filter: AuditQuery = {},
): AsyncIterable<string> {
  for await (const entry of store.query(filter)) {
    yield `${JSON.stringify(format === 'ocsf' ? toOcsf(entry) : entry)}\n`;
  }
}

/** One entry in OCSF form, or the entry itself where no OCSF class fits. */
export function toOcsf(entry: AuditEntry): Record<string, unknown> {
  const time = Date.parse(entry.time);
  const metadata = {
    version: OCSF_VERSION,
    product: PRODUCT,
    uid: entry.hash,
    correlation_uid: entry.incidentId ?? undefined,
    log_name: 'vigil-audit',
    sequence: entry.sequence,
  };
  const actor = {
    user: { uid: entry.actor, type: entry.actor.startsWith('user:') ? 'User' : 'Service' },
  };
  const trace =
    entry.traceId === null
      ? undefined
      : { uid: entry.traceId, span: entry.spanId === null ? undefined : { uid: entry.spanId } };
  if (entry.kind === 'execution') {
    const action = (entry.what['action'] ?? {}) as Record<string, unknown>;
    const type = String(action['type'] ?? entry.what['type'] ?? 'unknown');
    const activity = REMEDIATION_ACTIVITY[type] ?? { id: 99, name: 'Other' };
    const status = String(
      entry.what['status'] ?? (entry.what['phase'] === 'intent' ? 'pending' : 'unknown'),
    );
    const statusId = status === 'succeeded' ? 1 : status === 'failed' ? 2 : 0;
    return strip({
      class_uid: 7001,
      class_name: 'Remediation Activity',
      category_uid: 7,
      category_name: 'Remediation',
      activity_id: activity.id,
      activity_name: activity.name,
      type_uid: 7001 * 100 + activity.id,
      severity_id: 1,
      time,
      status_id: statusId,
      status: status,
      metadata,
      actor,
      trace,
      command_uid: String(entry.what['idempotencyKey'] ?? entry.hash),
      remediation: { desc: type, kb_article_list: undefined },
      unmapped: {
        action,
        what: entry.what,
        why: entry.why,
        audit: { chain: entry.chain, chainSeq: entry.chainSeq },
      },
    });
  }
  if (entry.kind === 'finding') {
    const severity = String(entry.what['severity'] ?? '').toLowerCase();
    const severityId = SEVERITY[severity] ?? 0;
    const techniques = (entry.what['techniques'] ?? entry.what['attack'] ?? []) as unknown;
    return strip({
      class_uid: 2004,
      class_name: 'Detection Finding',
      category_uid: 2,
      category_name: 'Findings',
      activity_id: 1,
      activity_name: 'Create',
      type_uid: 200401,
      severity_id: severityId,
      time,
      metadata,
      actor,
      trace,
      finding_info: {
        uid: String(entry.what['findingId'] ?? entry.what['id'] ?? entry.hash),
        title: String(entry.what['title'] ?? entry.what['summary'] ?? 'Vigil finding'),
        desc: typeof entry.why['rationale'] === 'string' ? entry.why['rationale'] : undefined,
        attacks: Array.isArray(techniques)
          ? techniques.map((t) => ({
              technique: {
                uid: String(typeof t === 'object' && t !== null ? (t as { id?: unknown }).id : t),
              },
            }))
          : undefined,
      },
      unmapped: {
        what: entry.what,
        why: entry.why,
        audit: { chain: entry.chain, chainSeq: entry.chainSeq },
      },
    });
  }
  return { ...entry };
}

function strip<T extends Record<string, unknown>>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
