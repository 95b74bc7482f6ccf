import type { AuditEntry } from './entry.js';
import { HARNESS_AUDIT_VOCABULARY, type AuditVocabulary, type OcsfCommon } from './kinds.js';
import type { AuditQuery, AuditStore } from './store.js';

/** Export formats of {@link exportAudit}. */
export type AuditExportFormat = 'jsonl' | 'ocsf';

/** Product metadata placed in every OCSF event. */
const PRODUCT = { name: 'Vigil', vendor_name: 'Vigil', feature: { name: 'audit' } } as const;
const OCSF_VERSION = '1.5.0';

/**
 * Streams every entry matching `filter` as one line each: `jsonl` is the stored entry as
 * JSON; `ocsf` gives each entry whose kind's describer in `vocabulary` has an `ocsf`
 * mapping that OCSF event, and other kinds as the plain entry JSON (no OCSF class fits
 * them without inventing one). Each OCSF event keeps the audit entry id (hash) in
 * `metadata.uid`, so a SIEM record leads back to the verifiable log.
 */
export async function* exportAudit(
  store: AuditStore,
  format: AuditExportFormat,
  filter: AuditQuery = {},
  vocabulary: AuditVocabulary = HARNESS_AUDIT_VOCABULARY,
): AsyncIterable<string> {
  for await (const entry of store.query(filter)) {
    yield `${JSON.stringify(format === 'ocsf' ? toOcsf(entry, vocabulary) : entry)}\n`;
  }
}

/** The members every OCSF event of `entry` carries (see {@link OcsfCommon}). */
export function ocsfCommon(entry: AuditEntry): OcsfCommon {
  return {
    time: Date.parse(entry.time),
    metadata: {
      version: OCSF_VERSION,
      product: PRODUCT,
      uid: entry.hash,
      correlation_uid: entry.correlationId ?? undefined,
      log_name: 'vigil-audit',
      sequence: entry.sequence,
    },
    actor: {
      user: { uid: entry.actor, type: entry.actor.startsWith('user:') ? 'User' : 'Service' },
    },
    trace:
      entry.traceId === null
        ? undefined
        : { uid: entry.traceId, span: entry.spanId === null ? undefined : { uid: entry.spanId } },
  };
}

/**
 * One entry in OCSF form by its kind's describer, or the entry itself where the kind has
 * no OCSF mapping. Members left `undefined` by a mapping are dropped.
 */
export function toOcsf(
  entry: AuditEntry,
  vocabulary: AuditVocabulary = HARNESS_AUDIT_VOCABULARY,
): Record<string, unknown> {
  const map = vocabulary.describe(entry.kind).ocsf;
  if (map === undefined) return { ...entry };
  return JSON.parse(JSON.stringify(map(entry, ocsfCommon(entry)))) as Record<string, unknown>;
}
