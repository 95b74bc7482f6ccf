import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The console's session cookie: HttpOnly, Secure, SameSite=Strict, Path=/. */
export const SESSION_COOKIE = 'vigil_session';
/** The header carrying the session's CSRF token on every unsafe request. */
export const CSRF_HEADER = 'x-vigil-csrf';

export interface SessionOptions {
  /** A session unused this long ends (default 30 min). */
  readonly idleMs: number;
  /** A session ends this long after sign-in, used or not (default 8 h). */
  readonly absoluteMs: number;
  /** At most this many live sessions; the oldest is dropped past it. */
  readonly maxSessions: number;
  readonly now: () => number;
}

export const DEFAULT_SESSIONS: Omit<SessionOptions, 'now'> = Object.freeze({
  idleMs: 30 * 60_000,
  absoluteMs: 8 * 3_600_000,
  maxSessions: 10_000,
});

/** A signed-in console user's session. The role is not kept: it is read afresh on each request. */
export interface Session {
  readonly userId: string;
  /** Sent with unsafe requests in {@link CSRF_HEADER}; bound to this session only. */
  readonly csrfToken: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  lastSeenAt: number;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Console sessions in memory, keyed by the SHA-256 of the cookie's random token (so a
 * dump of the table holds no usable cookie). Sessions end when the coordinator restarts:
 * the user signs in again.
 */
export class SessionStore {
  private readonly options: SessionOptions;
  private readonly sessions = new Map<string, Session>();

  constructor(options: Partial<SessionOptions> = {}) {
    this.options = { ...DEFAULT_SESSIONS, now: Date.now, ...options };
  }

  /** Opens a session; returns the cookie token (256 random bits) and the session. */
  create(userId: string): { readonly token: string; readonly session: Session } {
    const now = this.options.now();
    const token = randomBytes(32).toString('base64url');
    const session: Session = {
      userId,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now,
      expiresAt: now + this.options.absoluteMs,
      lastSeenAt: now,
    };
    this.sessions.set(digest(token), session);
    while (this.sessions.size > this.options.maxSessions)
      this.sessions.delete(this.sessions.keys().next().value!);
    return { token, session };
  }

  /** The live session of a cookie token (refreshing its idle time), or `undefined`. */
  get(token: string): Session | undefined {
    const key = digest(token);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    const now = this.options.now();
    if (now >= session.expiresAt || now - session.lastSeenAt >= this.options.idleMs) {
      this.sessions.delete(key);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  /** Ends the session of a cookie token (sign-out). */
  destroy(token: string): void {
    this.sessions.delete(digest(token));
  }

  /** When the session's cookie should expire (its absolute end, in seconds from now). */
  maxAgeSeconds(session: Session): number {
    return Math.max(0, Math.floor((session.expiresAt - this.options.now()) / 1000));
  }
}

/** True when `presented` is the session's CSRF token (constant-time). */
export function csrfMatches(session: Session, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}
