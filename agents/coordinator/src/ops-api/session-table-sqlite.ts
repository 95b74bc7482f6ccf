import Database from 'better-sqlite3';
import {
  fromColumns,
  toColumns,
  type SessionColumns,
  type SessionRow,
  type SessionTable,
} from './session-table.js';

/**
 * Console sessions in the coordinator's SQLite database (its own connection to the file
 * the incident store uses, WAL): a restarted coordinator keeps its users signed in.
 */
export class SqliteSessionTable implements SessionTable {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS console_sessions (
        key TEXT PRIMARY KEY, user_id TEXT NOT NULL, via TEXT NOT NULL, role TEXT,
        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL,
        revoked_at INTEGER);
      CREATE INDEX IF NOT EXISTS console_sessions_user ON console_sessions (user_id, created_at);
      CREATE INDEX IF NOT EXISTS console_sessions_expiry ON console_sessions (expires_at);`);
  }

  async insert(row: SessionRow): Promise<void> {
    this.db
      .prepare('INSERT INTO console_sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(...toColumns(row));
  }

  async find(key: string): Promise<SessionRow | undefined> {
    const raw = this.db.prepare('SELECT * FROM console_sessions WHERE key = ?').get(key) as
      | SessionColumns
      | undefined;
    return raw && fromColumns(raw);
  }

  async ofUser(userId: string): Promise<SessionRow[]> {
    const raw = this.db
      .prepare('SELECT * FROM console_sessions WHERE user_id = ? ORDER BY created_at DESC')
      .all(userId) as SessionColumns[];
    return raw.map(fromColumns);
  }

  async touch(key: string, at: number): Promise<void> {
    this.db
      .prepare('UPDATE console_sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE key = ?')
      .run(at, key);
  }

  async revoke(key: string, at: number): Promise<void> {
    this.db
      .prepare('UPDATE console_sessions SET revoked_at = ? WHERE key = ? AND revoked_at IS NULL')
      .run(at, key);
  }

  async limitPerUser(userId: string, max: number, at: number): Promise<void> {
    this.db
      .prepare(
        `UPDATE console_sessions SET revoked_at = ? WHERE key IN (
           SELECT key FROM console_sessions WHERE user_id = ? AND revoked_at IS NULL
           ORDER BY created_at DESC LIMIT -1 OFFSET ?)`,
      )
      .run(at, userId, max);
  }

  async prune(now: number, idleBefore: number): Promise<void> {
    this.db
      .prepare('DELETE FROM console_sessions WHERE expires_at <= ? OR last_seen_at <= ?')
      .run(now, idleBefore);
  }

  close(): void {
    this.db.close();
  }
}
