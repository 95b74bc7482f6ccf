import type { AuditEntry, AuditFormatVersion, AuditKind, SealedEntry } from './entry.js';
import type { AnchorCheckpoint, ChainCheckpoint, WriterCertificate } from './signing.js';

/** A writer chain: one per writer instance (process or replica), owned by one identity. */
export interface ChainRecord {
  /** Chain id, by default `<SPIFFE ID>#<random instance id>`. */
  readonly chain: string;
  /** SPIFFE ID of the only identity allowed to sign this chain's checkpoints. */
  readonly identity: string;
  readonly createdAt: string;
}

/** One entry ready for the store: the sealed fields, their canonical texts and hash. */
export interface PreparedEntry {
  readonly sealed: SealedEntry;
  readonly whatJson: string;
  readonly whyJson: string;
  readonly hash: string;
}

/**
 * The values of an entry's row, in the column order of {@link ENTRY_INSERT_COLUMNS}
 * (the same for both backends).
 */
export function entryRowValues(e: PreparedEntry): (string | number | null)[] {
  const s = e.sealed;
  return [
    s.v,
    s.chain,
    s.chainSeq,
    s.time,
    s.traceId,
    s.spanId,
    s.correlationId,
    s.actor,
    s.kind,
    e.whatJson,
    e.whyJson,
    s.inputDigest,
    s.outputDigest,
    s.prevHash,
    e.hash,
  ];
}

/**
 * The entry `e` became once committed at `sequence`. Built field by field rather than by
 * spreading `e.sealed`: an append builds one of these per entry, and a spread of fifteen
 * fields cost measurably more on the append path.
 */
export function storedEntry(e: PreparedEntry, sequence: number): AuditEntry {
  const s = e.sealed;
  return {
    v: s.v,
    sequence,
    chain: s.chain,
    chainSeq: s.chainSeq,
    time: s.time,
    traceId: s.traceId,
    spanId: s.spanId,
    correlationId: s.correlationId,
    actor: s.actor,
    kind: s.kind,
    what: s.what,
    why: s.why,
    inputDigest: s.inputDigest,
    outputDigest: s.outputDigest,
    prevHash: s.prevHash,
    hash: e.hash,
  };
}

/** The values of a checkpoint row, in the column order both backends insert them. */
export function checkpointValues(c: Omit<ChainCheckpoint, 'id'>): (string | number)[] {
  return [
    c.chain,
    c.chainSeq,
    c.headHash,
    c.time,
    c.final ? 1 : 0,
    c.signer,
    c.certFingerprint,
    c.signature,
  ];
}

/** The columns an append writes, in the order of {@link entryRowValues}. */
export const ENTRY_INSERT_COLUMNS =
  'v, chain, chain_seq, time, trace_id, span_id, correlation_id, actor, kind, what, why, input_digest, output_digest, prev_hash, hash';

/** What a writer commits in one transaction. */
export interface AppendBatch {
  readonly chain: ChainRecord;
  readonly certificate: WriterCertificate;
  readonly entries: readonly PreparedEntry[];
  /** A signed head written in the same transaction (so the entries are never unsigned on disk). */
  readonly checkpoint?: Omit<ChainCheckpoint, 'id'> | undefined;
}

/** Selects entries. All fields combine with AND; results are in store order (`sequence`). */
export interface AuditQuery {
  readonly correlationId?: string | undefined;
  readonly traceId?: string | undefined;
  readonly chain?: string | undefined;
  readonly actor?: string | undefined;
  readonly kinds?: readonly AuditKind[] | undefined;
  /** Entry ids (hashes). */
  readonly hashes?: readonly string[] | undefined;
  readonly fromSequence?: number | undefined;
  readonly toSequence?: number | undefined;
  /** Inclusive lower bound on `time`. */
  readonly since?: Date | undefined;
  /** Exclusive upper bound on `time`. */
  readonly until?: Date | undefined;
  readonly limit?: number | undefined;
}

/**
 * An entry exactly as stored: `what`/`why` as their stored (canonical) JSON texts.
 * Verification reads these, because the hash covers those exact bytes.
 */
export interface StoredEntryRow {
  /** The format version the entry was sealed with (a number unless the row was tampered with). */
  readonly v: number;
  readonly sequence: number;
  readonly chain: string;
  readonly chainSeq: number;
  readonly time: string;
  readonly traceId: string | null;
  readonly spanId: string | null;
  readonly correlationId: string | null;
  readonly actor: string;
  readonly kind: string;
  readonly what: string;
  readonly why: string;
  readonly inputDigest: string | null;
  readonly outputDigest: string | null;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * An entry as verification reads it: its position, links and actor, and `sealed`, the
 * canonical text its hash covers as rebuilt from the stored columns (`sealedCanonical`).
 */
export interface SealedRow {
  readonly sequence: number;
  readonly chain: string;
  readonly chainSeq: number;
  readonly actor: string;
  readonly prevHash: string;
  readonly hash: string;
  readonly sealed: string;
}

/** A cut point for pruning: entries of `chain` up to and including `chainSeq` go. */
export interface PruneCut {
  readonly chain: string;
  readonly chainSeq: number;
}

/** What {@link AuditStore.firstKept} and pruning select: entries before a sequence or older than a time. */
export interface PruneCriteria {
  readonly beforeSequence?: number | undefined;
  readonly olderThan?: Date | undefined;
}

/** A store-order slice of the log: `sequence` in `(afterSequence, throughSequence]`. */
export interface SequenceRange {
  readonly afterSequence?: number | undefined;
  readonly throughSequence?: number | undefined;
}

/** Sizes, for `vigil audit` and metrics. */
export interface AuditStoreStats {
  readonly entries: number;
  readonly chains: number;
  readonly checkpoints: number;
  readonly anchors: number;
  readonly firstSequence: number | null;
  readonly lastSequence: number | null;
}

/**
 * Where audit entries live. Implementations: {@link SqliteAuditStore} (embedded, WAL) and
 * {@link PostgresAuditStore}; both pass the shared contract suite (`store-contract.ts`).
 *
 * A store has no identity: entries reach it through an {@link AuditWriter}, which owns a
 * chain, hashes and signs. The store guarantees:
 * - `appendBatch` is atomic and durable before it resolves (SQLite `synchronous=FULL`,
 *   PostgreSQL `synchronous_commit=on`); it rejects with `VIGIL_AUDIT_CHAIN_CONFLICT`
 *   when a chain position is already taken (two writers on one chain);
 * - reads return `sequence` order, which within one chain follows `chainSeq`;
 * - concurrent writers on different chains never conflict.
 */
export interface AuditStore {
  readonly backend: 'sqlite' | 'postgres';
  /** A secret-free description of where the store is (path, or URL without password). */
  readonly location: string;
  /**
   * A database file that other threads may open read-only while this store is in use
   * (an on-disk SQLite store), so verification can read and hash ranges of the log in
   * parallel. Absent when the store cannot be shared that way.
   */
  readonly readerPath?: string | undefined;
  /**
   * True when batches handed to `appendBatch` before earlier ones resolved still commit
   * in the order given, and a batch of a chain handed over while an earlier batch of that
   * chain was failing is refused (so a chain never commits with a gap). A writer then
   * hashes and submits its next batch while the previous one commits.
   */
  readonly pipelinesAppends?: boolean;
  appendBatch(batch: AppendBatch): Promise<AuditEntry[]>;
  putCheckpoint(
    checkpoint: Omit<ChainCheckpoint, 'id'>,
    certificate: WriterCertificate,
  ): Promise<ChainCheckpoint>;
  /** Appends an anchor; `VIGIL_AUDIT_CHAIN_CONFLICT` if its `anchorSeq` is taken. */
  putAnchor(anchor: AnchorCheckpoint, certificate: WriterCertificate): Promise<void>;
  query(filter?: AuditQuery): AsyncIterable<AuditEntry>;
  /**
   * Every entry (or those in `range`) in `sequence` order, in pages of `pageSize`, with
   * the canonical text rebuilt from exactly what is stored — what verification hashes.
   */
  scanSealed(pageSize?: number, range?: SequenceRange): AsyncIterable<SealedRow[]>;
  chains(): Promise<ChainRecord[]>;
  /** Last stored position and hash of a chain. */
  chainHead(chain: string): Promise<{ chainSeq: number; hash: string } | undefined>;
  /** First stored position of every chain that has entries. */
  chainStarts(): Promise<Map<string, { chainSeq: number; prevHash: string; sequence: number }>>;
  checkpoints(chain?: string): Promise<ChainCheckpoint[]>;
  anchors(): Promise<AnchorCheckpoint[]>;
  writers(): Promise<WriterCertificate[]>;
  /**
   * For each chain, the first position that must be kept under `criteria` (an entry
   * with `sequence >= beforeSequence` or `time >= olderThan`); chains absent have no such entry.
   */
  firstKept(criteria: PruneCriteria): Promise<Map<string, number>>;
  /** Deletes entries at or before each cut and checkpoints strictly before it, atomically. */
  deleteThrough(cuts: readonly PruneCut[]): Promise<number>;
  stats(): Promise<AuditStoreStats>;
  /**
   * The first and last `sequence` stored (undefined when empty), where the store can tell
   * without counting entries (`stats` counts them). Optional: callers fall back to `stats`.
   */
  sequenceBounds?(): Promise<{ first: number; last: number } | undefined>;
  close(): Promise<void>;
}

/** Parses a stored row into an entry. */
export function rowToEntry(row: StoredEntryRow): AuditEntry {
  return {
    v: row.v as AuditFormatVersion,
    sequence: row.sequence,
    chain: row.chain,
    chainSeq: row.chainSeq,
    time: row.time,
    traceId: row.traceId,
    spanId: row.spanId,
    correlationId: row.correlationId,
    actor: row.actor,
    kind: row.kind,
    what: JSON.parse(row.what) as Record<string, unknown>,
    why: JSON.parse(row.why) as Record<string, unknown>,
    inputDigest: row.inputDigest,
    outputDigest: row.outputDigest,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

/**
 * SQL shared by both backends. Column types are portable: `what`/`why` are TEXT, not
 * JSONB, because the hash covers their exact canonical bytes.
 */
export const ENTRY_COLUMNS =
  'v, sequence, chain, chain_seq AS "chainSeq", time, trace_id AS "traceId", span_id AS "spanId", correlation_id AS "correlationId", actor, kind, what, why, input_digest AS "inputDigest", output_digest AS "outputDigest", prev_hash AS "prevHash", hash';

/** Builds the WHERE clause of a query; `placeholder(i)` renders the i-th (1-based) parameter. */
export function whereClause(
  filter: AuditQuery,
  placeholder: (index: number) => string,
): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    parts.push(sql(placeholder(params.length)));
  };
  if (filter.correlationId !== undefined) add((p) => `correlation_id = ${p}`, filter.correlationId);
  if (filter.traceId !== undefined) add((p) => `trace_id = ${p}`, filter.traceId);
  if (filter.chain !== undefined) add((p) => `chain = ${p}`, filter.chain);
  if (filter.actor !== undefined) add((p) => `actor = ${p}`, filter.actor);
  if (filter.fromSequence !== undefined) add((p) => `sequence >= ${p}`, filter.fromSequence);
  if (filter.toSequence !== undefined) add((p) => `sequence <= ${p}`, filter.toSequence);
  if (filter.since !== undefined) add((p) => `time >= ${p}`, filter.since.toISOString());
  if (filter.until !== undefined) add((p) => `time < ${p}`, filter.until.toISOString());
  if (filter.kinds !== undefined) {
    if (filter.kinds.length === 0) parts.push('1 = 0');
    else {
      const ps = filter.kinds.map((k) => {
        params.push(k);
        return placeholder(params.length);
      });
      parts.push(`kind IN (${ps.join(', ')})`);
    }
  }
  if (filter.hashes !== undefined) {
    if (filter.hashes.length === 0) parts.push('1 = 0');
    else {
      const ps = filter.hashes.map((h) => {
        params.push(h);
        return placeholder(params.length);
      });
      parts.push(`hash IN (${ps.join(', ')})`);
    }
  }
  return { sql: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, params };
}

/** The condition "this entry must be kept" for {@link AuditStore.firstKept}. */
export function keepClause(
  criteria: PruneCriteria,
  placeholder: (index: number) => string,
): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (criteria.beforeSequence !== undefined) {
    params.push(criteria.beforeSequence);
    parts.push(`sequence >= ${placeholder(params.length)}`);
  }
  if (criteria.olderThan !== undefined) {
    params.push(criteria.olderThan.toISOString());
    parts.push(`time >= ${placeholder(params.length)}`);
  }
  return { sql: parts.length === 0 ? '1 = 1' : parts.join(' OR '), params };
}
