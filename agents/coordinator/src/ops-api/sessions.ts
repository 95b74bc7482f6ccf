import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../users.js';
import { MemorySessionTable, type SessionRow, type SessionTable } from './session-table.js';

/** The console's session cookie: HttpOnly, Secure, SameSite=Strict, Path=/. */
export const SESSION_COOKIE = 'vigil_session';
/** The header carrying the session's CSRF token on every unsafe request. */
export const CSRF_HEADER = 'x-vigil-csrf';

export interface SessionOptions {
  /** A session unused this long ends (default 30 min). */
  readonly idleMs: number;
  /** A session ends this long after sign-in, used or not (default 8 h). */
  readonly absoluteMs: number;
  /** At most this many live sessions per user; the oldest is revoked past it. */
  readonly maxPerUser: number;
  readonly now: () => number;
}

export const DEFAULT_SESSIONS: Omit<SessionOptions, 'now'> = Object.freeze({
  idleMs: 30 * 60_000,
  absoluteMs: 8 * 3_600_000,
  maxPerUser: 20,
});

/** How a person signed in. */
export type SignInMethod = 'password' | 'oidc';

/**
 * A signed-in console user's session. A password user's role is not kept: it is read
 * afresh from the users file on each request. An OIDC user has no local record: their
 * role is the one the claim mapping gave at sign-in, kept with the session.
 */
export interface Session {
  readonly userId: string;
  readonly via: SignInMethod;
  /** The role mapped from the identity provider's claims (`via: 'oidc'` only). */
  readonly role?: Role;
  /** Sent with unsafe requests in {@link CSRF_HEADER}; bound to this session only. */
  readonly csrfToken: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly lastSeenAt: number;
}

/** The table key of a cookie token: its SHA-256, so the table holds no usable cookie. */
const keyOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The CSRF token of a cookie token, derived rather than stored: any replica answers it,
 * and the table (which holds only {@link keyOf}) cannot produce it. A different prefix
 * from the key, so neither value gives the other.
 */
const csrfOf = (token: string) =>
  createHash('sha256').update(`vigil-csrf\0${token}`).digest('base64url');

/**
 * Console sessions over a {@link SessionTable}: in memory for tests, the coordinator's
 * SQLite or PostgreSQL store in a running system (so sessions survive a restart and every
 * replica on one PostgreSQL accepts them). The table keeps the SHA-256 of each cookie
 * token, never the token; sign-out revokes the row; idle and absolute ends are checked
 * on every read. The idle clock is written at most every `idleMs / 10` (≤ 1 min), so a
 * busy console does not write on every request.
 */
export class SessionStore {
  private readonly options: SessionOptions;
  private readonly touchEveryMs: number;

  constructor(
    private readonly table: SessionTable = new MemorySessionTable(),
    options: Partial<SessionOptions> = {},
  ) {
    this.options = { ...DEFAULT_SESSIONS, now: Date.now, ...options };
    this.touchEveryMs = Math.min(60_000, Math.floor(this.options.idleMs / 10));
  }

  /** Opens a session; returns the cookie token (256 random bits) and the session. */
  async create(
    userId: string,
    signIn: { readonly via: 'password' } | { readonly via: 'oidc'; readonly role: Role } = {
      via: 'password',
    },
  ): Promise<{ readonly token: string; readonly session: Session }> {
    const now = this.options.now();
    const token = randomBytes(32).toString('base64url');
    const row: SessionRow = {
      key: keyOf(token),
      userId,
      via: signIn.via,
      role: signIn.via === 'oidc' ? signIn.role : null,
      createdAt: now,
      expiresAt: now + this.options.absoluteMs,
      lastSeenAt: now,
      revokedAt: null,
    };
    await this.table.insert(row);
    await this.table.limitPerUser(userId, this.options.maxPerUser, now);
    await this.table.prune(now, now - this.options.idleMs);
    return { token, session: toSession(row, token) };
  }

  /** The live session of a cookie token (refreshing its idle time), or `undefined`. */
  async get(token: string): Promise<Session | undefined> {
    const row = await this.table.find(keyOf(token));
    const now = this.options.now();
    if (!row || !this.live(row, now)) return undefined;
    if (now - row.lastSeenAt >= this.touchEveryMs) await this.table.touch(row.key, now);
    return toSession({ ...row, lastSeenAt: now }, token);
  }

  /** Revokes the session of a cookie token (sign-out): it is refused from then on, on every replica. */
  async destroy(token: string): Promise<void> {
    await this.table.revoke(keyOf(token), this.options.now());
  }

  /**
   * The role of an OIDC user who has a live session (the role mapped at sign-in), for
   * checks made outside a request, such as the coordinator verifying their approval.
   */
  async oidcRole(userId: string): Promise<Role | undefined> {
    const now = this.options.now();
    const rows = await this.table.ofUser(userId);
    return (
      rows.find((r) => r.via === 'oidc' && r.role !== null && this.live(r, now))?.role ?? undefined
    );
  }

  /** When the session's cookie should expire (its absolute end, in seconds from now). */
  maxAgeSeconds(session: Session): number {
    return Math.max(0, Math.floor((session.expiresAt - this.options.now()) / 1000));
  }

  private live(row: SessionRow, now: number): boolean {
    return (
      row.revokedAt === null && now < row.expiresAt && now - row.lastSeenAt < this.options.idleMs
    );
  }
}

function toSession(row: SessionRow, token: string): Session {
  return {
    userId: row.userId,
    via: row.via,
    ...(row.role !== null ? { role: row.role } : {}),
    csrfToken: csrfOf(token),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastSeenAt: row.lastSeenAt,
  };
}

/** True when `presented` is the session's CSRF token (constant-time). */
export function csrfMatches(session: Session, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}
