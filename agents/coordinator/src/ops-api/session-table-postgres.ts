import type pg from 'pg';
import { inTransaction } from '@vigil/runtime';
import {
  fromColumns,
  toColumns,
  type SessionColumns,
  type SessionRow,
  type SessionTable,
} from './session-table.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS console_sessions (
  key TEXT PRIMARY KEY, user_id TEXT NOT NULL, via TEXT NOT NULL, role TEXT,
  created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, last_seen_at BIGINT NOT NULL,
  revoked_at BIGINT);
CREATE INDEX IF NOT EXISTS console_sessions_user ON console_sessions (user_id, created_at);
CREATE INDEX IF NOT EXISTS console_sessions_expiry ON console_sessions (expires_at);`;

/**
 * Console sessions in PostgreSQL, on the coordinator's state pool: every coordinator
 * replica behind one address accepts a session any of them opened, and a sign-out on one
 * is refused by all.
 */
export class PostgresSessionTable implements SessionTable {
  private constructor(private readonly pool: pg.Pool) {}

  /** Creates the table (once, under an advisory lock, so replicas starting together do not race). */
  static async open(pool: pg.Pool): Promise<PostgresSessionTable> {
    await inTransaction(pool, async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtext('vigil.console.sessions'))");
      await c.query(SCHEMA);
    });
    return new PostgresSessionTable(pool);
  }

  async insert(row: SessionRow): Promise<void> {
    await this.pool.query(
      'INSERT INTO console_sessions VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      toColumns(row),
    );
  }

  async find(key: string): Promise<SessionRow | undefined> {
    const { rows } = await this.pool.query<SessionColumns>(
      'SELECT * FROM console_sessions WHERE key = $1',
      [key],
    );
    return rows[0] && fromColumns(rows[0]);
  }

  async ofUser(userId: string): Promise<SessionRow[]> {
    const { rows } = await this.pool.query<SessionColumns>(
      'SELECT * FROM console_sessions WHERE user_id = $1 ORDER BY created_at DESC',
      [userId],
    );
    return rows.map(fromColumns);
  }

  async touch(key: string, at: number): Promise<void> {
    await this.pool.query(
      'UPDATE console_sessions SET last_seen_at = GREATEST(last_seen_at, $1) WHERE key = $2',
      [at, key],
    );
  }

  async revoke(key: string, at: number): Promise<void> {
    await this.pool.query(
      'UPDATE console_sessions SET revoked_at = $1 WHERE key = $2 AND revoked_at IS NULL',
      [at, key],
    );
  }

  async limitPerUser(userId: string, max: number, at: number): Promise<void> {
    await this.pool.query(
      `UPDATE console_sessions SET revoked_at = $1 WHERE key IN (
         SELECT key FROM console_sessions WHERE user_id = $2 AND revoked_at IS NULL
         ORDER BY created_at DESC OFFSET $3)`,
      [at, userId, max],
    );
  }

  async prune(now: number, idleBefore: number): Promise<void> {
    await this.pool.query(
      'DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen_at <= $2',
      [now, idleBefore],
    );
  }
}
