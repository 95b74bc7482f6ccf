import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { RemediatorError, REMEDIATOR_ERROR_CODES } from '../errors.js';
import type { AuthorisationRecord, ExecutionState } from '@vigil/soc';
import type { Action } from '../actions/action.js';

/** `pending` is written BEFORE acting; a `pending` row found at start-up means a crash mid-execution. */
export type { ExecutionState };

/** Who authorised an execution (never the token itself). */
export type { AuthorisationRecord };

export interface ExecutionRecord {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly action: Action;
  readonly actionDigest: string;
  readonly executor: string;
  readonly authorisation: AuthorisationRecord;
  readonly state: ExecutionState;
  readonly reversible: boolean;
  /** What undo needs (from the plan). */
  readonly memo: unknown;
  /** Request summaries as planned. */
  readonly plan: readonly string[];
  /** The outcome: step results, or the reconcile note. */
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
  /** Failed before anything was sent (or reconciled as not applied): a retry may act. */
  readonly retryable: boolean;
  readonly attempts: number;
  /** This execution undoes that one. */
  readonly undoOf?: string;
  /** The execution that undid this one. */
  readonly undoneBy?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ExecutionIntent {
  readonly idempotencyKey: string;
  readonly action: Action;
  readonly actionDigest: string;
  readonly executor: string;
  readonly authorisation: AuthorisationRecord;
  readonly reversible: boolean;
  readonly memo: unknown;
  readonly plan: readonly string[];
  readonly undoOf?: string;
}

/** A value now (SQLite) or later (PostgreSQL). */
export type Awaitable<T> = T | Promise<T>;

/** Filter of {@link ExecutionLedger.list}. */
export interface ExecutionFilter {
  readonly state?: ExecutionState;
  readonly limit?: number;
  /** Only rows last updated before this ISO time (another replica's fresh `pending` is in flight, not crashed). */
  readonly updatedBefore?: string;
}

/**
 * The idempotency and execution ledger as the remediator uses it. Two backends:
 * {@link ExecutionStore} (SQLite, one process) and `PostgresExecutionStore` (shared by
 * remediator replicas: a key begun on one replica is `existing` on every other). The
 * remediator awaits every call, so the synchronous SQLite store fits unchanged.
 */
export interface ExecutionLedger {
  begin(intent: ExecutionIntent): Awaitable<BeginResult>;
  finish(
    id: string,
    outcome: {
      state: Exclude<ExecutionState, 'pending'>;
      result?: unknown;
      error?: { code: string; message: string };
      retryable?: boolean;
    },
  ): Awaitable<ExecutionRecord>;
  get(id: string): Awaitable<ExecutionRecord | undefined>;
  byKey(idempotencyKey: string): Awaitable<ExecutionRecord | undefined>;
  list(filter?: ExecutionFilter): Awaitable<ExecutionRecord[]>;
  close(): Awaitable<void>;
}

/** An `executions` row as both backends return it. */
export interface Row {
  id: string;
  idempotency_key: string;
  action_json: string;
  action_digest: string;
  executor: string;
  authorisation_json: string;
  state: ExecutionState;
  reversible: number;
  memo_json: string;
  plan_json: string;
  result_json: string | null;
  error_json: string | null;
  retryable: number;
  attempts: number;
  undo_of: string | null;
  undone_by: string | null;
  created_at: string;
  updated_at: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS executions (
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
CREATE INDEX IF NOT EXISTS executions_state ON executions(state);
CREATE INDEX IF NOT EXISTS executions_created ON executions(created_at);
`;

/** The result of {@link ExecutionStore.begin}. */
export type BeginResult =
  | { readonly status: 'started'; readonly record: ExecutionRecord }
  | { readonly status: 'existing'; readonly record: ExecutionRecord };

/**
 * The idempotency and execution store: SQLite (better-sqlite3, WAL, synchronous FULL so
 * an intent is on disk before the first request is sent). One row per idempotency key.
 */
export class ExecutionStore implements ExecutionLedger {
  readonly #db: Database.Database;
  readonly #now: () => Date;
  /** Prepared once per SQL text: preparing costs more than running most of these. */
  readonly #statements = new Map<string, Database.Statement>();

  private constructor(db: Database.Database, now: () => Date) {
    this.#db = db;
    this.#now = now;
  }

  /** Opens (creating) the store at `path` (`:memory:` for tests). Throws `VIGIL_REMEDIATOR_STORE`. */
  static open(path: string, options: { now?: () => Date } = {}): ExecutionStore {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      return new ExecutionStore(db, options.now ?? (() => new Date()));
    } catch (cause) {
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.store,
        `${path}: cannot open the execution store`,
        { cause },
      );
    }
  }

  /**
   * Records the intent (`pending`) before acting, in one transaction with the lookup:
   * if the key exists, returns that record (`existing`) instead — unless it failed
   * before acting (`retryable`), in which case it is re-armed as `pending`, attempt + 1.
   */
  begin(intent: ExecutionIntent): BeginResult {
    const tx = this.#db.transaction((): BeginResult => {
      const existing = this.#statement<[string], Row>(
        'SELECT * FROM executions WHERE idempotency_key = ?',
      ).get(intent.idempotencyKey);
      const now = this.#now().toISOString();
      if (existing) {
        if (existing.state === 'failed' && existing.retryable === 1) {
          this.#statement(
            `UPDATE executions SET state = 'pending', attempts = attempts + 1, result_json = NULL,
               error_json = NULL, retryable = 0, memo_json = ?, plan_json = ?, authorisation_json = ?,
               updated_at = ? WHERE id = ?`,
          ).run(
            JSON.stringify(intent.memo ?? null),
            JSON.stringify(intent.plan),
            JSON.stringify(intent.authorisation),
            now,
            existing.id,
          );
          return { status: 'started', record: this.get(existing.id) as ExecutionRecord };
        }
        return { status: 'existing', record: toRecord(existing) };
      }
      const id = randomUUID();
      this.#statement(
        `INSERT INTO executions (id, idempotency_key, action_type, action_json, action_digest, executor,
           authorisation_json, state, reversible, memo_json, plan_json, undo_of, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)`,
      ).run(
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
        now,
      );
      return { status: 'started', record: this.get(id) as ExecutionRecord };
    });
    try {
      return tx.immediate();
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

  /** Records the outcome of a `pending` execution; links an undo to the execution it undid. */
  finish(
    id: string,
    outcome: {
      state: Exclude<ExecutionState, 'pending'>;
      result?: unknown;
      error?: { code: string; message: string };
      retryable?: boolean;
    },
  ): ExecutionRecord {
    const now = this.#now().toISOString();
    const tx = this.#db.transaction(() => {
      this.#statement(
        `UPDATE executions SET state = ?, result_json = ?, error_json = ?, retryable = ?, updated_at = ?
           WHERE id = ?`,
      ).run(
        outcome.state,
        outcome.result === undefined ? null : JSON.stringify(outcome.result),
        outcome.error === undefined ? null : JSON.stringify(outcome.error),
        outcome.retryable ? 1 : 0,
        now,
        id,
      );
      const row = this.#statement<[string], Row>('SELECT * FROM executions WHERE id = ?').get(id);
      if (row?.undo_of && outcome.state === 'done') {
        this.#statement('UPDATE executions SET undone_by = ?, updated_at = ? WHERE id = ?').run(
          id,
          now,
          row.undo_of,
        );
      }
    });
    tx.immediate();
    return this.get(id) as ExecutionRecord;
  }

  get(id: string): ExecutionRecord | undefined {
    const row = this.#statement<[string], Row>('SELECT * FROM executions WHERE id = ?').get(id);
    return row ? toRecord(row) : undefined;
  }

  byKey(idempotencyKey: string): ExecutionRecord | undefined {
    const row = this.#statement<[string], Row>(
      'SELECT * FROM executions WHERE idempotency_key = ?',
    ).get(idempotencyKey);
    return row ? toRecord(row) : undefined;
  }

  /** Executions, newest first. */
  list(filter: ExecutionFilter = {}): ExecutionRecord[] {
    const limit = filter.limit ?? 1000;
    if (filter.updatedBefore !== undefined)
      return this.#statement<[string | null, string | null, string, number], Row>(
        `SELECT * FROM executions WHERE (? IS NULL OR state = ?) AND updated_at < ?
           ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      )
        .all(filter.state ?? null, filter.state ?? null, filter.updatedBefore, limit)
        .map(toRecord);
    const rows =
      filter.state === undefined
        ? this.#statement<[number], Row>(
            'SELECT * FROM executions ORDER BY created_at DESC, rowid DESC LIMIT ?',
          ).all(limit)
        : this.#statement<[string, number], Row>(
            'SELECT * FROM executions WHERE state = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
          ).all(filter.state, limit);
    return rows.map(toRecord);
  }

  #statement<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement as Database.Statement<P, R>;
  }

  close(): void {
    this.#db.close();
  }
}

export function toRecord(row: Row): ExecutionRecord {
  return Object.freeze({
    id: row.id,
    idempotencyKey: row.idempotency_key,
    action: JSON.parse(row.action_json) as Action,
    actionDigest: row.action_digest,
    executor: row.executor,
    authorisation: JSON.parse(row.authorisation_json) as AuthorisationRecord,
    state: row.state,
    reversible: row.reversible === 1,
    memo: JSON.parse(row.memo_json) as unknown,
    plan: JSON.parse(row.plan_json) as string[],
    ...(row.result_json === null ? {} : { result: JSON.parse(row.result_json) as unknown }),
    ...(row.error_json === null
      ? {}
      : { error: JSON.parse(row.error_json) as { code: string; message: string } }),
    retryable: row.retryable === 1,
    attempts: row.attempts,
    ...(row.undo_of === null ? {} : { undoOf: row.undo_of }),
    ...(row.undone_by === null ? {} : { undoneBy: row.undone_by }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}
