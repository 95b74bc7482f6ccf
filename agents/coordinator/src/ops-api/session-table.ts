import type { Role } from '../users.js';
import type { SignInMethod } from './sessions.js';

/** One stored console session. `key` is the SHA-256 of the cookie token, never the token. */
export interface SessionRow {
  readonly key: string;
  readonly userId: string;
  readonly via: SignInMethod;
  /** The role mapped at an OIDC sign-in; null for a password session (read from the users file). */
  readonly role: Role | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly lastSeenAt: number;
  /** When the session was signed out (or displaced); a revoked row is never live again. */
  readonly revokedAt: number | null;
}

/** A `console_sessions` row as a SQL driver returns it (PostgreSQL's BIGINT may come as text). */
export interface SessionColumns {
  key: string;
  user_id: string;
  via: SessionRow['via'];
  role: SessionRow['role'];
  created_at: number | string;
  expires_at: number | string;
  last_seen_at: number | string;
  revoked_at: number | string | null;
}

/** A row of the SQL tables, in both backends' `console_sessions` schema. */
export function fromColumns(c: SessionColumns): SessionRow {
  return {
    key: c.key,
    userId: c.user_id,
    via: c.via,
    role: c.role,
    createdAt: Number(c.created_at),
    expiresAt: Number(c.expires_at),
    lastSeenAt: Number(c.last_seen_at),
    revokedAt: c.revoked_at === null ? null : Number(c.revoked_at),
  };
}

/** The values of an INSERT, in the column order of `console_sessions`. */
export function toColumns(row: SessionRow): (string | number | null)[] {
  return [
    row.key,
    row.userId,
    row.via,
    row.role,
    row.createdAt,
    row.expiresAt,
    row.lastSeenAt,
    row.revokedAt,
  ];
}

/**
 * Where console sessions are kept. Three backends run the same contract suite
 * (session-table.contract.ts): {@link MemorySessionTable}, `SqliteSessionTable` (the
 * coordinator's own database) and `PostgresSessionTable` (shared by replicas).
 */
export interface SessionTable {
  insert(row: SessionRow): Promise<void>;
  find(key: string): Promise<SessionRow | undefined>;
  /** The user's sessions, newest first (live or not). */
  ofUser(userId: string): Promise<SessionRow[]>;
  touch(key: string, at: number): Promise<void>;
  revoke(key: string, at: number): Promise<void>;
  /** Revokes the user's oldest live sessions beyond `max`. */
  limitPerUser(userId: string, max: number, at: number): Promise<void>;
  /**
   * Deletes rows that can never be live again: expired by `now` or idle since `idleBefore`.
   * A revoked row stays until then, so the table shows when each sign-out happened.
   */
  prune(now: number, idleBefore: number): Promise<void>;
}

/** Sessions in this process only: lost on restart. For tests and document-only apps. */
export class MemorySessionTable implements SessionTable {
  private readonly rows = new Map<string, SessionRow>();

  async insert(row: SessionRow): Promise<void> {
    this.rows.set(row.key, row);
  }
  async find(key: string): Promise<SessionRow | undefined> {
    return this.rows.get(key);
  }
  async ofUser(userId: string): Promise<SessionRow[]> {
    return [...this.rows.values()]
      .filter((r) => r.userId === userId)
      .sort((a, b) => b.createdAt - a.createdAt);
  }
  async touch(key: string, at: number): Promise<void> {
    const row = this.rows.get(key);
    if (row) this.rows.set(key, { ...row, lastSeenAt: at });
  }
  async revoke(key: string, at: number): Promise<void> {
    const row = this.rows.get(key);
    if (row && row.revokedAt === null) this.rows.set(key, { ...row, revokedAt: at });
  }
  async limitPerUser(userId: string, max: number, at: number): Promise<void> {
    const live = (await this.ofUser(userId)).filter((r) => r.revokedAt === null);
    for (const row of live.slice(max)) await this.revoke(row.key, at);
  }
  async prune(now: number, idleBefore: number): Promise<void> {
    for (const [key, row] of this.rows)
      if (row.expiresAt <= now || row.lastSeenAt <= idleBefore) this.rows.delete(key);
  }
}
