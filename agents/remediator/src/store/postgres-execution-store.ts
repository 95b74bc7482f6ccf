import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction, openPostgresPool } from '@vigil/runtime';
import { RemediatorError, REMEDIATOR_ERROR_CODES } from '../errors.js';
import {
  toRecord,
  type BeginResult,
  type ExecutionFilter,
  type ExecutionIntent,
  type ExecutionLedger,
  type ExecutionRecord,
  type ExecutionState,
  type Row,
} from './execution-store.js';

/** The SQLite schema's columns and meanings; `seq` orders rows as SQLite's rowid does. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS executions (
  seq BIGSERIAL,
  id TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  action_type TEXT NOT NULL,
  action_json TEXT NOT NULL,
  action_digest TEXT NOT NULL,
  executor TEXT NOT NULL,
  authorisation_json TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'unknown')),
  reversible INTEGER NOT NULL,
  memo_json TEXT NOT NULL,
  plan_json TEXT NOT NULL,
  result_json TEXT,
  error_json TEXT,
  retryable INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 1,
  undo_of TEXT REFERENCES executions(id),
  undone_by TEXT REFERENCES executions(id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS executions_state ON executions (state, updated_at);
CREATE INDEX IF NOT EXISTS executions_created ON executions (created_at, seq);
`;

/**
 * The execution ledger in PostgreSQL, shared by remediator replicas: the idempotency key is
 * a unique column and {@link begin} claims it in one transaction with a row lock, so of two
 * replicas asked to execute the same key at once exactly one starts it and the other gets
 * the same record as `existing` — an action never runs twice, whichever replica a retry
 * (or a coordinator that took an incident over) reaches.
 */
export class PostgresExecutionStore implements ExecutionLedger {
  readonly #pool: pg.Pool;
  readonly #now: () => Date;

  private constructor(pool: pg.Pool, now: () => Date) {
    this.#pool = pool;
    this.#now = now;
  }

  /** Connects and creates the schema. Throws `VIGIL_REMEDIATOR_STORE`. */
  static async open(
    url: string,
    options: { now?: () => Date; max?: number } = {},
  ): Promise<PostgresExecutionStore> {
    const pool = await openPostgresPool(url, {
      schema: SCHEMA,
      lock: 'vigil.remediator.schema',
      code: REMEDIATOR_ERROR_CODES.store,
      what: 'PostgreSQL execution store',
      ...(options.max === undefined ? {} : { max: options.max }),
    });
    return new PostgresExecutionStore(pool, options.now ?? (() => new Date()));
  }

  /** Same contract as `ExecutionStore.begin`, across every replica on this database. */
  async begin(intent: ExecutionIntent): Promise<BeginResult> {
    try {
      return await inTransaction(this.#pool, async (c) => {
        const now = this.#now().toISOString();
        const id = randomUUID();
        const inserted = await c.query<Row>(
          `INSERT INTO executions (id, idempotency_key, action_type, action_json, action_digest,
             executor, authorisation_json, state, reversible, memo_json, plan_json, undo_of,
             created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $11, $12, $12)
           ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
          [
            id,
            intent.idempotencyKey,
            intent.action.type,
            JSON.stringify(intent.action),
            intent.actionDigest,
            intent.executor,
            JSON.stringify(intent.authorisation),
            intent.reversible ? 1 : 0,
            JSON.stringify(intent.memo ?? null),
            JSON.stringify(intent.plan),
            intent.undoOf ?? null,
            now,
          ],
        );
        if (inserted.rows[0]) return { status: 'started', record: toRecord(inserted.rows[0]) };
        // The key exists (or a concurrent begin just committed it): lock it and decide.
        const { rows } = await c.query<Row>(
          'SELECT * FROM executions WHERE idempotency_key = $1 FOR UPDATE',
          [intent.idempotencyKey],
        );
        const existing = rows[0]!;
        if (existing.state !== 'failed' || existing.retryable !== 1)
          return { status: 'existing', record: toRecord(existing) };
        const rearmed = await c.query<Row>(
          `UPDATE executions SET state = 'pending', attempts = attempts + 1, result_json = NULL,
             error_json = NULL, retryable = 0, memo_json = $1, plan_json = $2,
             authorisation_json = $3, updated_at = $4 WHERE id = $5 RETURNING *`,
          [
            JSON.stringify(intent.memo ?? null),
            JSON.stringify(intent.plan),
            JSON.stringify(intent.authorisation),
            now,
            existing.id,
          ],
        );
        return { status: 'started', record: toRecord(rearmed.rows[0]!) };
      });
    } catch (cause) {
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.store,
        'cannot record the execution intent',
        {
          cause,
        },
      );
    }
  }

  async finish(
    id: string,
    outcome: {
      state: Exclude<ExecutionState, 'pending'>;
      result?: unknown;
      error?: { code: string; message: string };
      retryable?: boolean;
    },
  ): Promise<ExecutionRecord> {
    const now = this.#now().toISOString();
    const row = await inTransaction(this.#pool, async (c) => {
      const { rows } = await c.query<Row>(
        `UPDATE executions SET state = $1, result_json = $2, error_json = $3, retryable = $4,
           updated_at = $5 WHERE id = $6 RETURNING *`,
        [
          outcome.state,
          outcome.result === undefined ? null : JSON.stringify(outcome.result),
          outcome.error === undefined ? null : JSON.stringify(outcome.error),
          outcome.retryable ? 1 : 0,
          now,
          id,
        ],
      );
      const updated = rows[0];
      if (updated?.undo_of && outcome.state === 'done')
        await c.query('UPDATE executions SET undone_by = $1, updated_at = $2 WHERE id = $3', [
          id,
          now,
          updated.undo_of,
        ]);
      return updated;
    });
    if (!row)
      throw new RemediatorError(REMEDIATOR_ERROR_CODES.store, `no execution ${id} to finish`);
    return toRecord(row);
  }

  async get(id: string): Promise<ExecutionRecord | undefined> {
    const { rows } = await this.#pool.query<Row>('SELECT * FROM executions WHERE id = $1', [id]);
    return rows[0] && toRecord(rows[0]);
  }

  async byKey(idempotencyKey: string): Promise<ExecutionRecord | undefined> {
    const { rows } = await this.#pool.query<Row>(
      'SELECT * FROM executions WHERE idempotency_key = $1',
      [idempotencyKey],
    );
    return rows[0] && toRecord(rows[0]);
  }

  async list(filter: ExecutionFilter = {}): Promise<ExecutionRecord[]> {
    const { rows } = await this.#pool.query<Row>(
      `SELECT * FROM executions
        WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR updated_at < $2)
        ORDER BY created_at DESC, seq DESC LIMIT $3`,
      [filter.state ?? null, filter.updatedBefore ?? null, filter.limit ?? 1000],
    );
    return rows.map(toRecord);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
