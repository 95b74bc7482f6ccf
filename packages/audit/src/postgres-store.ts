import pg from 'pg';
import { storedCanonical, type AuditEntry } from './entry.js';
import { AuditError } from './errors.js';
import type { AnchorCheckpoint, ChainCheckpoint, WriterCertificate } from './signing.js';
import { anchorFromRow, type AnchorRow, type CheckpointRow } from './sqlite-store.js';
import {
  ENTRY_COLUMNS,
  ENTRY_INSERT_COLUMNS,
  checkpointValues,
  entryRowValues,
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
  type StoredEntryRow,
} from './store.js';

const ENTRY_COLUMN_COUNT = ENTRY_INSERT_COLUMNS.split(',').length;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS writers (
  fingerprint TEXT PRIMARY KEY, identity TEXT NOT NULL, cert_pem TEXT NOT NULL, first_seen TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chains (
  chain TEXT PRIMARY KEY, identity TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
  sequence BIGSERIAL PRIMARY KEY,
  chain TEXT NOT NULL, chain_seq BIGINT NOT NULL, time TEXT NOT NULL,
  trace_id TEXT, span_id TEXT, correlation_id TEXT, actor TEXT NOT NULL, kind TEXT NOT NULL,
  what TEXT NOT NULL, why TEXT NOT NULL, input_digest TEXT, output_digest TEXT,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL, v INTEGER NOT NULL DEFAULT 1);
-- A store of format version 1 has incident_id and no v: rename the column (its values are
-- the correlation ids) and mark every existing row version 1, as it was sealed.
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
             AND table_name = 'entries' AND column_name = 'incident_id') THEN
    ALTER TABLE entries RENAME COLUMN incident_id TO correlation_id;
    ALTER TABLE entries ADD COLUMN v INTEGER NOT NULL DEFAULT 1;
    DROP INDEX IF EXISTS entries_incident;
  END IF;
END $$;
CREATE UNIQUE INDEX IF NOT EXISTS entries_chain_pos ON entries (chain, chain_seq);
CREATE INDEX IF NOT EXISTS entries_correlation ON entries (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS entries_trace ON entries (trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS entries_hash ON entries (hash);
CREATE INDEX IF NOT EXISTS entries_time ON entries (time);
CREATE TABLE IF NOT EXISTS checkpoints (
  id BIGSERIAL PRIMARY KEY, chain TEXT NOT NULL, chain_seq BIGINT NOT NULL,
  head_hash TEXT NOT NULL, time TEXT NOT NULL, final INTEGER NOT NULL, signer TEXT NOT NULL,
  cert_fingerprint TEXT NOT NULL, signature TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS checkpoints_chain ON checkpoints (chain, chain_seq);
CREATE TABLE IF NOT EXISTS anchors (
  anchor_seq BIGINT PRIMARY KEY, time TEXT NOT NULL, prev_hash TEXT NOT NULL, reason TEXT NOT NULL,
  heads TEXT NOT NULL, pruned_to TEXT NOT NULL, signer TEXT NOT NULL, cert_fingerprint TEXT NOT NULL,
  hash TEXT NOT NULL, signature TEXT NOT NULL);
`;

/** Options of {@link PostgresAuditStore}. */
export interface PostgresAuditStoreOptions {
  /** Connections in the pool (default 4). */
  readonly maxConnections?: number;
}

/**
 * The PostgreSQL audit store, for Kubernetes and several replicas. Each session runs with
 * `synchronous_commit = on`, so `appendBatch` resolves only after the commit is flushed
 * to the server's WAL. Writers of different chains insert concurrently without locks
 * on each other (the only shared structure is the `sequence` counter).
 */
export class PostgresAuditStore implements AuditStore {
  readonly backend = 'postgres' as const;
  readonly location: string;
  readonly #pool: pg.Pool;
  #closed = false;

  private constructor(pool: pg.Pool, location: string) {
    this.#pool = pool;
    this.location = location;
  }

  /** Connects, creates the schema if needed (under an advisory lock, so concurrent openers do not race). */
  static async open(
    url: string,
    options: PostgresAuditStoreOptions = {},
  ): Promise<PostgresAuditStore> {
    const location = redactUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 4,
      // Durable before resolve, whatever the server default says.
      options: '-c synchronous_commit=on',
    });
    // An idle client error (server restart) must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      try {
        await client.query("SELECT pg_advisory_lock(hashtext('vigil.audit.schema'))");
        try {
          await client.query(SCHEMA);
        } finally {
          await client.query("SELECT pg_advisory_unlock(hashtext('vigil.audit.schema'))");
        }
      } finally {
        client.release();
      }
    } catch (cause) {
      await pool.end().catch(() => undefined);
      throw new AuditError(
        'VIGIL_AUDIT_STORE',
        `cannot open the PostgreSQL audit store at ${location}: ${(cause as Error).message}`,
        { cause },
      );
    }
    return new PostgresAuditStore(pool, location);
  }

  /** The pool, for tests that tamper with rows and for the benchmark. */
  get pool(): pg.Pool {
    return this.#pool;
  }

  #open(): void {
    if (this.#closed)
      throw new AuditError('VIGIL_AUDIT_CLOSED', `audit store ${this.location} is closed`);
  }

  async #tx<T>(what: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.#open();
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw mapError(cause, what);
    } finally {
      client.release();
    }
  }

  async appendBatch(batch: AppendBatch): Promise<AuditEntry[]> {
    return this.#tx(`append to chain ${batch.chain.chain}`, async (client) => {
      await registerWriter(client, batch.certificate);
      await client.query(
        'INSERT INTO chains (chain, identity, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [batch.chain.chain, batch.chain.identity, batch.chain.createdAt],
      );
      const out: AuditEntry[] = [];
      // One multi-row INSERT per 500 entries (parameter limit 65535 / 15 columns).
      for (let i = 0; i < batch.entries.length; i += 500) {
        const slice = batch.entries.slice(i, i + 500);
        const params: unknown[] = [];
        const values = slice.map((e) => {
          const base = params.length;
          params.push(...entryRowValues(e));
          return `(${Array.from({ length: ENTRY_COLUMN_COUNT }, (_, j) => `$${base + j + 1}`).join(', ')})`;
        });
        const result = await client.query<{ sequence: string }>(
          `INSERT INTO entries (${ENTRY_INSERT_COLUMNS}) VALUES ${values.join(', ')} RETURNING sequence`,
          params,
        );
        // RETURNING follows VALUES order for a single INSERT ... VALUES statement.
        result.rows.forEach((row, j) => {
          const e = slice[j]!;
          out.push({ ...e.sealed, sequence: Number(row.sequence), hash: e.hash });
        });
      }
      if (batch.checkpoint !== undefined) await insertCheckpoint(client, batch.checkpoint);
      return out;
    });
  }

  async putCheckpoint(
    c: Omit<ChainCheckpoint, 'id'>,
    certificate: WriterCertificate,
  ): Promise<ChainCheckpoint> {
    return this.#tx(`checkpoint of chain ${c.chain}`, async (client) => {
      await registerWriter(client, certificate);
      const id = await insertCheckpoint(client, c);
      return { ...c, id };
    });
  }

  async putAnchor(a: AnchorCheckpoint, certificate: WriterCertificate): Promise<void> {
    await this.#tx(`anchor ${a.anchorSeq}`, async (client) => {
      await registerWriter(client, certificate);
      await client.query(
        `INSERT INTO anchors (anchor_seq, time, prev_hash, reason, heads, pruned_to, signer, cert_fingerprint, hash, signature)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
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
        ],
      );
    });
  }

  async *query(filter: AuditQuery = {}): AsyncIterable<AuditEntry> {
    this.#open();
    const { sql, params } = whereClause(filter, (i) => `$${i}`);
    const page = 1000;
    let remaining = filter.limit ?? Number.POSITIVE_INFINITY;
    let from = -1;
    while (remaining > 0) {
      const n = Math.min(page, remaining);
      const p = params.length;
      const result = await this.#pool.query<StoredEntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM entries ${sql === '' ? 'WHERE' : `${sql} AND`} sequence > $${p + 1} ORDER BY sequence LIMIT $${p + 2}`,
        [...params, from, n],
      );
      const rows = result.rows.map(fixRow);
      for (const row of rows) yield rowToEntry(row);
      remaining -= rows.length;
      if (rows.length < n) return;
      from = rows[rows.length - 1]!.sequence;
    }
  }

  async *scanSealed(pageSize = 10_000, range: SequenceRange = {}): AsyncIterable<SealedRow[]> {
    this.#open();
    const through = range.throughSequence ?? Number.MAX_SAFE_INTEGER;
    let from = range.afterSequence ?? -1;
    for (;;) {
      const result = await this.#pool.query<StoredEntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM entries WHERE sequence > $1 AND sequence <= $2 ORDER BY sequence LIMIT $3`,
        [from, through, pageSize],
      );
      const rows = result.rows.map((r): SealedRow => {
        const row = fixRow(r);
        return { ...row, sealed: storedCanonical(row, row.what, row.why) };
      });
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
      from = rows[rows.length - 1]!.sequence;
    }
  }

  async chains(): Promise<ChainRecord[]> {
    this.#open();
    const r = await this.#pool.query<ChainRecord>(
      'SELECT chain, identity, created_at AS "createdAt" FROM chains ORDER BY created_at, chain',
    );
    return r.rows;
  }

  async chainHead(chain: string): Promise<{ chainSeq: number; hash: string } | undefined> {
    this.#open();
    const r = await this.#pool.query<{ chainSeq: string; hash: string }>(
      'SELECT chain_seq AS "chainSeq", hash FROM entries WHERE chain = $1 ORDER BY chain_seq DESC LIMIT 1',
      [chain],
    );
    const row = r.rows[0];
    return row === undefined ? undefined : { chainSeq: Number(row.chainSeq), hash: row.hash };
  }

  async chainStarts(): Promise<
    Map<string, { chainSeq: number; prevHash: string; sequence: number }>
  > {
    this.#open();
    const r = await this.#pool.query<{
      chain: string;
      chainSeq: string;
      prevHash: string;
      sequence: string;
    }>(
      `SELECT DISTINCT ON (chain) chain, chain_seq AS "chainSeq", prev_hash AS "prevHash", sequence FROM entries ORDER BY chain, chain_seq`,
    );
    return new Map(
      r.rows.map((x) => [
        x.chain,
        { chainSeq: Number(x.chainSeq), prevHash: x.prevHash, sequence: Number(x.sequence) },
      ]),
    );
  }

  async checkpoints(chain?: string): Promise<ChainCheckpoint[]> {
    this.#open();
    const r = await this.#pool.query<CheckpointRow>(
      `SELECT id, chain, chain_seq AS "chainSeq", head_hash AS "headHash", time, final, signer, cert_fingerprint AS "certFingerprint", signature
       FROM checkpoints ${chain === undefined ? '' : 'WHERE chain = $1'} ORDER BY id`,
      chain === undefined ? [] : [chain],
    );
    return r.rows.map((x) => ({
      ...x,
      id: Number(x.id),
      chainSeq: Number(x.chainSeq),
      final: x.final === 1,
    }));
  }

  async anchors(): Promise<AnchorCheckpoint[]> {
    this.#open();
    const r = await this.#pool.query<AnchorRow>(
      `SELECT anchor_seq AS "anchorSeq", time, prev_hash AS "prevHash", reason, heads, pruned_to AS "prunedTo", signer, cert_fingerprint AS "certFingerprint", hash, signature
       FROM anchors ORDER BY anchor_seq`,
    );
    return r.rows.map((x) => anchorFromRow({ ...x, anchorSeq: Number(x.anchorSeq) }));
  }

  async writers(): Promise<WriterCertificate[]> {
    this.#open();
    const r = await this.#pool.query<WriterCertificate>(
      'SELECT fingerprint, identity, cert_pem AS "certPem" FROM writers',
    );
    return r.rows;
  }

  async firstKept(criteria: PruneCriteria): Promise<Map<string, number>> {
    this.#open();
    const { sql, params } = keepClause(criteria, (i) => `$${i}`);
    const r = await this.#pool.query<{ chain: string; p: string }>(
      `SELECT chain, MIN(chain_seq) AS p FROM entries WHERE ${sql} GROUP BY chain`,
      params,
    );
    return new Map(r.rows.map((x) => [x.chain, Number(x.p)]));
  }

  async deleteThrough(cuts: readonly PruneCut[]): Promise<number> {
    return this.#tx('prune', async (client) => {
      let n = 0;
      for (const cut of cuts) {
        const r = await client.query('DELETE FROM entries WHERE chain = $1 AND chain_seq <= $2', [
          cut.chain,
          cut.chainSeq,
        ]);
        n += r.rowCount ?? 0;
        await client.query('DELETE FROM checkpoints WHERE chain = $1 AND chain_seq < $2', [
          cut.chain,
          cut.chainSeq,
        ]);
      }
      return n;
    });
  }

  async stats(): Promise<AuditStoreStats> {
    this.#open();
    const e = await this.#pool.query<{ n: string; lo: string | null; hi: string | null }>(
      'SELECT COUNT(*) AS n, MIN(sequence) AS lo, MAX(sequence) AS hi FROM entries',
    );
    const count = async (table: string) =>
      Number(
        (await this.#pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0]!.n,
      );
    const row = e.rows[0]!;
    return {
      entries: Number(row.n),
      chains: await count('chains'),
      checkpoints: await count('checkpoints'),
      anchors: await count('anchors'),
      firstSequence: row.lo === null ? null : Number(row.lo),
      lastSequence: row.hi === null ? null : Number(row.hi),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}

async function registerWriter(client: pg.PoolClient, c: WriterCertificate): Promise<void> {
  await client.query(
    'INSERT INTO writers (fingerprint, identity, cert_pem, first_seen) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
    [c.fingerprint, c.identity, c.certPem, new Date().toISOString()],
  );
}

async function insertCheckpoint(
  client: pg.PoolClient,
  c: Omit<ChainCheckpoint, 'id'>,
): Promise<number> {
  const r = await client.query<{ id: string }>(
    `INSERT INTO checkpoints (chain, chain_seq, head_hash, time, final, signer, cert_fingerprint, signature)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    checkpointValues(c),
  );
  return Number(r.rows[0]!.id);
}

function fixRow(row: StoredEntryRow): StoredEntryRow {
  // BIGINT arrives as a string; positions stay far below 2^53.
  return { ...row, sequence: Number(row.sequence), chainSeq: Number(row.chainSeq) };
}

/** A connection URL with its password removed, safe for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable PostgreSQL URL>';
  }
}

function mapError(cause: unknown, what: string): AuditError {
  if (cause instanceof AuditError) return cause;
  const code = (cause as { code?: string }).code;
  if (code === '23505') {
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
