import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { storedCanonical, type AuditEntry } from './entry.js';
import { AuditError } from './errors.js';
import { prepareBatchStatements, toBatchRequest, type BatchStatements } from './sqlite-batch.js';
import { SqliteWriterThread } from './sqlite-writer-client.js';
import type { WriterThreadData } from './sqlite-writer-thread.js';
import type {
  AnchorCheckpoint,
  AnchorHead,
  AnchorReason,
  ChainCheckpoint,
  WriterCertificate,
} from './signing.js';
import {
  ENTRY_COLUMNS,
  checkpointValues,
  rowToEntry,
  whereClause,
  type AppendBatch,
  type AuditQuery,
  type AuditStore,
  type AuditStoreStats,
  type ChainRecord,
  type PruneCriteria,
  type PruneCut,
  type SealedRow,
  type SequenceRange,
  keepClause,
  storedEntry,
  type StoredEntryRow,
} from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS writers (
  fingerprint TEXT PRIMARY KEY, identity TEXT NOT NULL, cert_pem TEXT NOT NULL, first_seen TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chains (
  chain TEXT PRIMARY KEY, identity TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
  sequence INTEGER PRIMARY KEY AUTOINCREMENT,
  chain TEXT NOT NULL, chain_seq INTEGER NOT NULL, time TEXT NOT NULL,
  trace_id TEXT, span_id TEXT, correlation_id TEXT, actor TEXT NOT NULL, kind TEXT NOT NULL,
  what TEXT NOT NULL, why TEXT NOT NULL, input_digest TEXT, output_digest TEXT,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL, v INTEGER NOT NULL DEFAULT 1);
CREATE UNIQUE INDEX IF NOT EXISTS entries_chain_pos ON entries (chain, chain_seq);
CREATE INDEX IF NOT EXISTS entries_trace ON entries (trace_id) WHERE trace_id IS NOT NULL;
DROP INDEX IF EXISTS entries_hash;
CREATE INDEX IF NOT EXISTS entries_time ON entries (time);
CREATE TABLE IF NOT EXISTS checkpoints (
  id INTEGER PRIMARY KEY AUTOINCREMENT, chain TEXT NOT NULL, chain_seq INTEGER NOT NULL,
  head_hash TEXT NOT NULL, time TEXT NOT NULL, final INTEGER NOT NULL, signer TEXT NOT NULL,
  cert_fingerprint TEXT NOT NULL, signature TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS checkpoints_chain ON checkpoints (chain, chain_seq);
CREATE TABLE IF NOT EXISTS entry_ids (sequence INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entry_ids_hash ON entry_ids (hash);
CREATE TABLE IF NOT EXISTS anchors (
  anchor_seq INTEGER PRIMARY KEY, time TEXT NOT NULL, prev_hash TEXT NOT NULL, reason TEXT NOT NULL,
  heads TEXT NOT NULL, pruned_to TEXT NOT NULL, signer TEXT NOT NULL, cert_fingerprint TEXT NOT NULL,
  hash TEXT NOT NULL, signature TEXT NOT NULL);
`;

/** Indexes on columns a store of format version 1 named otherwise (created after {@link LEGACY_MIGRATION}). */
const INDEXES = `
CREATE INDEX IF NOT EXISTS entries_correlation ON entries (correlation_id) WHERE correlation_id IS NOT NULL;
`;

/**
 * A store written before format version 2 has `incident_id` and no `v`: its column is
 * renamed (the values are the entries' correlation ids) and every existing row is version
 * 1, which is what it was sealed as. Runs in one transaction with the schema.
 */
const LEGACY_MIGRATION = `
ALTER TABLE entries RENAME COLUMN incident_id TO correlation_id;
ALTER TABLE entries ADD COLUMN v INTEGER NOT NULL DEFAULT 1;
DROP INDEX IF EXISTS entries_incident;
`;

/** The canonical text of a row (`sealedCanonical` in entry.ts) from its columns, in SQL. */
const CANONICAL_SQL = `concat('{"actor":', json_quote(actor), ',"chain":', json_quote(chain), ',"chainSeq":', chain_seq,
  CASE v WHEN 1 THEN ',"incidentId":' ELSE ',"correlationId":' END, json_quote(correlation_id),
  ',"inputDigest":', json_quote(input_digest),
  ',"kind":', json_quote(kind), ',"outputDigest":', json_quote(output_digest),
  ',"prevHash":', json_quote(prev_hash), ',"spanId":', json_quote(span_id),
  ',"time":', json_quote(time), ',"traceId":', json_quote(trace_id),
  ',"v":', v, ',"what":', what, ',"why":', why, '}')`;

/**
 * The canonical text of a row (`sealedCanonical` in entry.ts), built by SQLite:
 * `json_quote` escapes a text exactly as `JSON.stringify` does (tested over every BMP
 * character in sqlite-sealed.test.ts), gives `null` for NULL and a number for a number,
 * and an integer prints as in JavaScript; one `concat` rather than a chain of `||` copies
 * the text once (about 12 % less CPU per row, measured). NULL — the row is then rebuilt in
 * JavaScript by `storedCanonical` — when a value the text embeds without quoting could
 * pass for another type (`chain_seq` not an integer, `what` or `why` not a text), `v` is
 * no known version or `why` is not JSON (see `storedCanonical`): only a tampered row can
 * be any of these.
 *
 * The other columns' types are not checked here (thirteen `typeof` tests cost about 1 µs of
 * ~4 per row, measured on the benchmark log): a number in a text column is embedded as a
 * number, which no writer's hash covers (writers store texts there), so the entry is found
 * altered as when JavaScript rebuilds it; a BLOB makes `json_quote` fail the statement,
 * and the page is read again with {@link STRICT_SEALED_SQL}.
 */
const SEALED_SQL = `CASE WHEN typeof(chain_seq) = 'integer' AND typeof(what) = 'text'
  AND typeof(why) = 'text' AND typeof(v) = 'integer' AND v IN (1, 2) AND json_valid(why)
THEN ${CANONICAL_SQL} END`;

/** {@link SEALED_SQL}, NULL also when any column is not of its usual type (a BLOB included). */
const STRICT_SEALED_SQL = `CASE WHEN typeof(chain_seq) = 'integer'
  AND typeof(v) = 'integer' AND v IN (1, 2)
  AND typeof(actor) = 'text' AND typeof(chain) = 'text' AND typeof(kind) = 'text'
  AND typeof(prev_hash) = 'text' AND typeof(time) = 'text' AND typeof(what) = 'text' AND typeof(why) = 'text'
  AND typeof(correlation_id) IN ('text', 'null') AND typeof(input_digest) IN ('text', 'null')
  AND typeof(output_digest) IN ('text', 'null') AND typeof(span_id) IN ('text', 'null')
  AND typeof(trace_id) IN ('text', 'null') AND json_valid(why)
THEN ${CANONICAL_SQL} END`;

/**
 * Entries a lookup by id scans beyond those `entry_ids` covers before it brings the table
 * up to date (in one write transaction). Scanning a few thousand rows takes milliseconds,
 * far less than a transaction and its fsync.
 */
const ID_INDEX_LAG = 4096;
/** Entries `entry_ids` takes per transaction when it catches up (see #indexEntryIds). */
const ID_INDEX_SLICE = 20_000;
/** Pause between those transactions, so appends waiting for the write lock get it. */
const ID_INDEX_PAUSE_MS = 5;

/** Address space a read-only connection maps (virtual; pages load on demand). */
const READER_MMAP_BYTES = 1 << 30;

/** Creates the schema, bringing a store of format version 1 to the current columns. */
function createSchema(db: Database.Database): void {
  db.transaction(() => {
    db.exec(SCHEMA);
    const columns = db.prepare("SELECT name FROM pragma_table_info('entries')").pluck().all();
    if (columns.includes('incident_id')) db.exec(LEGACY_MIGRATION);
    db.exec(INDEXES);
  }).immediate();
}

/** Options of {@link SqliteAuditStore}. */
export interface SqliteAuditStoreOptions {
  /**
   * `FULL` (default): every commit fsyncs the WAL, so an entry survives power loss once
   * `append` resolves. `NORMAL` survives a process crash (kill -9) but may lose the last
   * commits on power loss; use only where that is acceptable.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** How long a writer waits for another process's write lock. Default 10 s. */
  readonly busyTimeoutMs?: number;
  /**
   * Open an existing store for reading only (no schema creation, no writes), as the
   * worker threads of parallel verification do. Default false.
   */
  readonly readOnly?: boolean;
  /**
   * Run append transactions on a writer thread with its own connection (default for an
   * on-disk store): the main thread keeps hashing, signing and serving while a batch
   * commits and fsyncs. `false` commits on the calling thread.
   */
  readonly writerThread?: boolean;
}

interface CheckpointRow {
  id: number;
  chain: string;
  chainSeq: number;
  headHash: string;
  time: string;
  final: number;
  signer: string;
  certFingerprint: string;
  signature: string;
}

interface AnchorRow {
  anchorSeq: number;
  time: string;
  prevHash: string;
  reason: string;
  heads: string;
  prunedTo: string;
  signer: string;
  certFingerprint: string;
  hash: string;
  signature: string;
}

/**
 * The embedded audit store: one SQLite file in WAL mode (readers never block the writer),
 * `synchronous=FULL` by default. Several processes may write to one file: SQLite
 * serialises their transactions (each waits up to `busyTimeoutMs`); each writer's batch
 * is one transaction, so group commit keeps the lock short.
 */
export class SqliteAuditStore implements AuditStore {
  readonly backend = 'sqlite' as const;
  readonly location: string;
  readonly readerPath: string | undefined;
  readonly #db: Database.Database;
  readonly #statements: BatchStatements;
  /** Set when appends run in a writer thread (on-disk stores, unless disabled). */
  readonly #threadData: WriterThreadData | undefined;
  #thread: SqliteWriterThread | undefined;
  readonly #readOnly: boolean;
  #closed = false;

  /** Opens (creating if needed) the store at `path`; `:memory:` for a private in-memory store. */
  constructor(path: string, options: SqliteAuditStoreOptions = {}) {
    this.location = path;
    this.readerPath = path === ':memory:' ? undefined : path;
    this.#readOnly = options.readOnly === true;
    if (path !== ':memory:' && options.readOnly !== true)
      mkdirSync(dirname(path), { recursive: true });
    try {
      this.#db = new Database(path, { readonly: options.readOnly === true });
      this.#db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
      if (options.readOnly === true) {
        // Reads go straight to the mapped file instead of a read() system call and a copy
        // into SQLite's page cache for every page: verification reads the whole log once.
        this.#db.pragma(`mmap_size = ${READER_MMAP_BYTES}`);
      } else {
        this.#db.pragma('journal_mode = WAL');
        this.#db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
        createSchema(this.#db);
      }
    } catch (cause) {
      throw new AuditError('VIGIL_AUDIT_STORE', `cannot open the SQLite audit store at ${path}`, {
        cause,
      });
    }
    this.#statements = prepareBatchStatements(this.#db);
    this.#threadData =
      path === ':memory:' || options.readOnly === true || options.writerThread === false
        ? undefined
        : {
            path,
            synchronous: options.synchronous ?? 'FULL',
            busyTimeoutMs: options.busyTimeoutMs ?? 10_000,
          };
  }

  /** Appends commit on the writer thread, in order (see {@link AuditStore.pipelinesAppends}). */
  get pipelinesAppends(): boolean {
    return this.#threadData !== undefined;
  }

  /** Direct access for tests that tamper with the file and for the benchmark. */
  get database(): Database.Database {
    return this.#db;
  }

  #open(): void {
    if (this.#closed)
      throw new AuditError('VIGIL_AUDIT_CLOSED', `audit store ${this.location} is closed`);
  }

  appendBatch(batch: AppendBatch): Promise<AuditEntry[]> {
    this.#open();
    const request = toBatchRequest(batch);
    const entries = (sequences: number[]): AuditEntry[] =>
      batch.entries.map((e, i) => storedEntry(e, sequences[i]!));
    const failed = (cause: unknown) =>
      Promise.reject(mapError(cause, `append to chain ${batch.chain.chain}`));
    if (this.#threadData !== undefined) {
      this.#thread ??= new SqliteWriterThread(this.#threadData);
      return this.#thread.run(request).then(entries, failed);
    }
    try {
      return Promise.resolve(entries(this.#statements.run(request)));
    } catch (cause) {
      return failed(cause);
    }
  }

  putCheckpoint(
    c: Omit<ChainCheckpoint, 'id'>,
    certificate: WriterCertificate,
  ): Promise<ChainCheckpoint> {
    this.#open();
    const run = this.#db.transaction(() => {
      this.#statements.insertWriter.run(
        certificate.fingerprint,
        certificate.identity,
        certificate.certPem,
        new Date().toISOString(),
      );
      return this.#statements.insertCheckpoint.run(...checkpointValues(c));
    });
    try {
      const info = run.immediate();
      return Promise.resolve({ ...c, id: Number(info.lastInsertRowid) });
    } catch (cause) {
      return Promise.reject(mapError(cause, `checkpoint of chain ${c.chain}`));
    }
  }

  putAnchor(a: AnchorCheckpoint, certificate: WriterCertificate): Promise<void> {
    this.#open();
    const run = this.#db.transaction(() => {
      this.#statements.insertWriter.run(
        certificate.fingerprint,
        certificate.identity,
        certificate.certPem,
        new Date().toISOString(),
      );
      this.#db
        .prepare(
          `INSERT INTO anchors (anchor_seq, time, prev_hash, reason, heads, pruned_to, signer, cert_fingerprint, hash, signature)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          a.anchorSeq,
          a.time,
          a.prevHash,
          a.reason,
          JSON.stringify(a.heads),
          JSON.stringify(a.prunedTo),
          a.signer,
          a.certFingerprint,
          a.hash,
          a.signature,
        );
    });
    try {
      run.immediate();
      return Promise.resolve();
    } catch (cause) {
      return Promise.reject(mapError(cause, `anchor ${a.anchorSeq}`));
    }
  }

  async *query(filter: AuditQuery = {}): AsyncIterable<AuditEntry> {
    this.#open();
    const { sql, params } = whereClause({ ...filter, hashes: undefined }, () => '?');
    const conditions = sql === '' ? [] : [sql.slice('WHERE '.length)];
    const hashes = filter.hashes;
    if (hashes !== undefined && hashes.length === 0) conditions.push('1 = 0');
    else if (hashes !== undefined) {
      const sequences = await this.#sequencesOf(hashes);
      conditions.push(`sequence IN (${sequences.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...sequences);
    }
    const page = 1000;
    const stmt = this.#db.prepare(
      `SELECT ${ENTRY_COLUMNS} FROM entries WHERE ${[...conditions, 'sequence > ?'].join(' AND ')} ORDER BY sequence LIMIT ?`,
    );
    // Page through results so a long export never holds the whole log in memory.
    let remaining = filter.limit ?? Number.POSITIVE_INFINITY;
    let from = -1;
    while (remaining > 0) {
      const n = Math.min(page, remaining);
      const rows = stmt.all(...params, from, n) as StoredEntryRow[];
      for (const row of rows) yield rowToEntry(row);
      remaining -= rows.length;
      if (rows.length < n) return;
      from = rows[rows.length - 1]!.sequence;
    }
  }

  async *scanSealed(pageSize = 10_000, range: SequenceRange = {}): AsyncIterable<SealedRow[]> {
    this.#open();
    // SQLite builds each canonical text itself (SEALED_SQL): one string per row instead of
    // fifteen values turned into JavaScript strings and concatenated again — most of the
    // cost of verifying a large log. Raw arrays avoid better-sqlite3's generic row objects.
    const page = (sealed: string) =>
      this.#db
        .prepare(
          `SELECT sequence, chain, chain_seq, actor, prev_hash, hash, ${sealed} FROM entries
           WHERE sequence > ? AND sequence <= ? ORDER BY sequence LIMIT ?`,
        )
        .raw(true);
    const fast = page(SEALED_SQL);
    let strict: Database.Statement | undefined;
    const through = range.throughSequence ?? Number.MAX_SAFE_INTEGER;
    let from = range.afterSequence ?? -1;
    for (;;) {
      let raw: unknown[][];
      try {
        raw = fast.all(from, through, pageSize) as unknown[][];
      } catch (cause) {
        // A BLOB where SEALED_SQL quotes a text (only a tampered row holds one).
        if (!(cause instanceof Database.SqliteError)) throw cause;
        strict ??= page(STRICT_SEALED_SQL);
        raw = strict.all(from, through, pageSize) as unknown[][];
      }
      const rows = raw.map(
        (r): SealedRow => ({
          sequence: r[0] as number,
          chain: r[1] as string,
          chainSeq: r[2] as number,
          actor: r[3] as string,
          prevHash: r[4] as string,
          hash: r[5] as string,
          sealed: (r[6] as string | null) ?? this.#sealedInJs(r[0] as number),
        }),
      );
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
      from = rows[rows.length - 1]!.sequence;
    }
  }

  /**
   * The sequences of the entries whose id is in `hashes`, found through `entry_ids` (see
   * #indexEntryIds), which the append path never writes, plus a scan of the entries it
   * does not cover yet. `entry_ids` is derived data and never trusted: an id it points to
   * is checked on the entry itself, and an id it does not find is looked for in every
   * entry (a full scan, paid only when a lookup misses), so a stale or altered row can
   * neither lend an id to another entry nor hide one.
   */
  async #sequencesOf(hashes: readonly string[]): Promise<number[]> {
    const covered = await this.#indexEntryIds();
    const list = (n: number) => Array.from({ length: n }, () => '?').join(', ');
    const found = (
      covered === undefined
        ? []
        : this.#db
            .prepare(
              `SELECT e.sequence, e.hash FROM entry_ids i JOIN entries e ON e.sequence = i.sequence
               WHERE i.hash IN (${list(hashes.length)}) AND e.hash = i.hash
               UNION SELECT sequence, hash FROM entries WHERE sequence > ? AND hash IN (${list(hashes.length)})`,
            )
            .all(...hashes, covered, ...hashes)
    ) as { sequence: number; hash: string }[];
    const seen = new Set(found.map((r) => r.hash));
    const missing = [...new Set(hashes)].filter((h) => !seen.has(h));
    if (missing.length > 0) {
      found.push(
        ...(this.#db
          .prepare(`SELECT sequence, hash FROM entries WHERE hash IN (${list(missing.length)})`)
          .all(...missing) as { sequence: number; hash: string }[]),
      );
    }
    return [...new Set(found.map((r) => r.sequence))];
  }

  /**
   * Brings `entry_ids` (entry id → sequence) up to date when more than {@link ID_INDEX_LAG}
   * entries are not in it, and returns the last sequence it covers. Lookups by id are rare
   * (trace reconstruction following `parentEntryId`), appends are not: an index on the
   * random `hash` column of `entries` dirtied about one page per appended row and cost an
   * append about as much as the rest of its row (bench/audit/README.md), so the id index
   * is built here, in bulk, by whoever looks entries up. A read-only store does not write:
   * it scans what the table does not cover (everything, on a file written before the
   * table existed: then this returns undefined).
   */
  async #indexEntryIds(): Promise<number | undefined> {
    if (
      this.#readOnly &&
      this.#db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entry_ids'")
        .get() === undefined
    )
      return undefined;
    const covered = () =>
      (this.#db.prepare('SELECT MAX(sequence) AS s FROM entry_ids').get() as { s: number | null })
        .s ?? 0;
    const last = () =>
      (this.#db.prepare('SELECT MAX(sequence) AS s FROM entries').get() as { s: number | null })
        .s ?? 0;
    if (this.#readOnly || last() - covered() <= ID_INDEX_LAG) return covered();
    // OR IGNORE: another process may be catching up over the same range.
    const insert = this.#db.prepare(
      'INSERT OR IGNORE INTO entry_ids (sequence, hash) SELECT sequence, hash FROM entries WHERE sequence > ? AND sequence <= ? ORDER BY sequence',
    );
    // In slices, each its own transaction, with a pause between them: indexing a large log
    // at once (about 1.4 s per 200,000 entries, measured) would hold the write lock longer
    // than appends wait for it (`busyTimeoutMs`); a writer waits for one slice at most. A
    // slice ends at most at the last sequence stored when it runs: under the write lock no
    // entry can be added at or below it later (sequences only grow), so every entry up to
    // the returned sequence is in `entry_ids`, even across gaps left by pruning.
    const slice = this.#db.transaction((from: number): number => {
      const through = Math.min(from + ID_INDEX_SLICE, last());
      insert.run(from, through);
      return through;
    });
    try {
      let through = covered();
      for (;;) {
        through = slice.immediate(through);
        if (last() - through <= ID_INDEX_LAG) return through;
        await new Promise((resolve) => setTimeout(resolve, ID_INDEX_PAUSE_MS));
      }
    } catch (cause) {
      throw mapError(cause, 'indexing entry ids');
    }
  }

  /** The canonical text of a row SQLite did not build (a tampered row). */
  #sealedInJs(sequence: number): string {
    const row = this.#db
      .prepare(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE sequence = ?`)
      .get(sequence) as StoredEntryRow;
    return storedCanonical(row, row.what, row.why);
  }

  chains(): Promise<ChainRecord[]> {
    this.#open();
    return Promise.resolve(
      this.#db
        .prepare(
          'SELECT chain, identity, created_at AS "createdAt" FROM chains ORDER BY created_at, chain',
        )
        .all() as ChainRecord[],
    );
  }

  chainHead(chain: string): Promise<{ chainSeq: number; hash: string } | undefined> {
    this.#open();
    return Promise.resolve(
      this.#db
        .prepare(
          'SELECT chain_seq AS "chainSeq", hash FROM entries WHERE chain = ? ORDER BY chain_seq DESC LIMIT 1',
        )
        .get(chain) as { chainSeq: number; hash: string } | undefined,
    );
  }

  chainStarts(): Promise<Map<string, { chainSeq: number; prevHash: string; sequence: number }>> {
    this.#open();
    const rows = this.#db
      .prepare(
        `SELECT e.chain, e.chain_seq AS "chainSeq", e.prev_hash AS "prevHash", e.sequence FROM entries e
         JOIN (SELECT chain, MIN(chain_seq) AS m FROM entries GROUP BY chain) f ON f.chain = e.chain AND f.m = e.chain_seq`,
      )
      .all() as { chain: string; chainSeq: number; prevHash: string; sequence: number }[];
    return Promise.resolve(
      new Map(
        rows.map((r) => [
          r.chain,
          { chainSeq: r.chainSeq, prevHash: r.prevHash, sequence: r.sequence },
        ]),
      ),
    );
  }

  checkpoints(chain?: string): Promise<ChainCheckpoint[]> {
    this.#open();
    const sql = `SELECT id, chain, chain_seq AS "chainSeq", head_hash AS "headHash", time, final, signer, cert_fingerprint AS "certFingerprint", signature
                 FROM checkpoints ${chain === undefined ? '' : 'WHERE chain = ?'} ORDER BY id`;
    const rows = (
      chain === undefined ? this.#db.prepare(sql).all() : this.#db.prepare(sql).all(chain)
    ) as CheckpointRow[];
    return Promise.resolve(rows.map((r) => ({ ...r, final: r.final === 1 })));
  }

  anchors(): Promise<AnchorCheckpoint[]> {
    this.#open();
    const rows = this.#db
      .prepare(
        `SELECT anchor_seq AS "anchorSeq", time, prev_hash AS "prevHash", reason, heads, pruned_to AS "prunedTo", signer, cert_fingerprint AS "certFingerprint", hash, signature
         FROM anchors ORDER BY anchor_seq`,
      )
      .all() as AnchorRow[];
    return Promise.resolve(rows.map(anchorFromRow));
  }

  writers(): Promise<WriterCertificate[]> {
    this.#open();
    return Promise.resolve(
      this.#db
        .prepare('SELECT fingerprint, identity, cert_pem AS "certPem" FROM writers')
        .all() as WriterCertificate[],
    );
  }

  firstKept(criteria: PruneCriteria): Promise<Map<string, number>> {
    this.#open();
    const { sql, params } = keepClause(criteria, () => '?');
    const rows = this.#db
      .prepare(`SELECT chain, MIN(chain_seq) AS p FROM entries WHERE ${sql} GROUP BY chain`)
      .all(...params) as { chain: string; p: number }[];
    return Promise.resolve(new Map(rows.map((r) => [r.chain, r.p])));
  }

  deleteThrough(cuts: readonly PruneCut[]): Promise<number> {
    this.#open();
    const delEntries = this.#db.prepare('DELETE FROM entries WHERE chain = ? AND chain_seq <= ?');
    const delIds = this.#db.prepare(
      'DELETE FROM entry_ids WHERE sequence IN (SELECT sequence FROM entries WHERE chain = ? AND chain_seq <= ?)',
    );
    const delCheckpoints = this.#db.prepare(
      'DELETE FROM checkpoints WHERE chain = ? AND chain_seq < ?',
    );
    const run = this.#db.transaction(() => {
      let n = 0;
      for (const cut of cuts) {
        delIds.run(cut.chain, cut.chainSeq);
        n += delEntries.run(cut.chain, cut.chainSeq).changes;
        delCheckpoints.run(cut.chain, cut.chainSeq);
      }
      return n;
    });
    return Promise.resolve(run.immediate());
  }

  stats(): Promise<AuditStoreStats> {
    this.#open();
    const e = this.#db
      .prepare('SELECT COUNT(*) AS n, MIN(sequence) AS lo, MAX(sequence) AS hi FROM entries')
      .get() as { n: number; lo: number | null; hi: number | null };
    const count = (table: string) =>
      (this.#db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return Promise.resolve({
      entries: e.n,
      chains: count('chains'),
      checkpoints: count('checkpoints'),
      anchors: count('anchors'),
      firstSequence: e.lo,
      lastSequence: e.hi,
    });
  }

  sequenceBounds(): Promise<{ first: number; last: number } | undefined> {
    this.#open();
    // Two subqueries: SQLite answers MIN or MAX alone from the B-tree's ends, but a query
    // asking for both reads every row (0.25 s per million entries, measured), as COUNT(*)
    // in stats() does.
    const b = this.#db
      .prepare(
        'SELECT (SELECT MIN(sequence) FROM entries) AS lo, (SELECT MAX(sequence) FROM entries) AS hi',
      )
      .get() as {
      lo: number | null;
      hi: number | null;
    };
    return Promise.resolve(
      b.lo === null || b.hi === null ? undefined : { first: b.lo, last: b.hi },
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Appends already handed to the writer thread commit before its connection closes.
    await this.#thread?.close();
    this.#db.close();
  }
}

function anchorFromRow(r: AnchorRow): AnchorCheckpoint {
  return {
    anchorSeq: r.anchorSeq,
    time: r.time,
    prevHash: r.prevHash,
    reason: r.reason as AnchorReason,
    heads: JSON.parse(r.heads) as AnchorHead[],
    prunedTo: JSON.parse(r.prunedTo) as AnchorHead[],
    signer: r.signer,
    certFingerprint: r.certFingerprint,
    hash: r.hash,
    signature: r.signature,
  };
}

function mapError(cause: unknown, what: string): AuditError {
  const code = (cause as { code?: string }).code ?? '';
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    return new AuditError(
      'VIGIL_AUDIT_CHAIN_CONFLICT',
      `${what}: position already taken (another writer on the same chain?)`,
      { cause },
    );
  }
  return new AuditError('VIGIL_AUDIT_STORE', `${what} failed: ${(cause as Error).message}`, {
    cause,
  });
}

export { anchorFromRow, type AnchorRow, type CheckpointRow };
