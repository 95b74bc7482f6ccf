import type { FastifyRequest } from 'fastify';
import { authenticate as authenticateToken, listUsers, type User } from '../users.js';
import { ApiError } from './errors.js';
import {
  CSRF_HEADER,
  SESSION_COOKIE,
  csrfMatches,
  type Session,
  type SessionStore,
} from './sessions.js';

/** Who made a request, and how: a bearer token (CLI) or a console session cookie. */
export type Caller =
  | { readonly by: 'token'; readonly user: User }
  | {
      readonly by: 'session';
      readonly user: User;
      readonly session: Session;
      readonly token: string;
    };

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set on every route that is not `public`. */
    caller?: Caller;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves the caller: `Authorization: Bearer <token>` against the users file (re-read
 * each time), else the session cookie. A password session's user and role are read
 * afresh from the users file too (a demoted or removed user loses their rights at the
 * next request, not at sign-out); an OIDC session carries the role its claims mapped to
 * at sign-in (there is no local record to read).
 */
export async function authenticateRequest(
  request: FastifyRequest,
  stateDir: string,
  sessions: SessionStore,
): Promise<Caller | undefined> {
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (bearer) {
    const user = authenticateToken(stateDir, bearer);
    return user ? { by: 'token', user } : undefined;
  }
  const token = request.cookies[SESSION_COOKIE];
  const session = token ? await sessions.get(token) : undefined;
  if (!token || !session) return undefined;
  const user =
    session.via === 'oidc'
      ? session.role && { id: session.userId, role: session.role }
      : listUsers(stateDir).find((u) => u.id === session.userId);
  return user ? { by: 'session', user, session, token } : undefined;
}

/**
 * Cross-site request forgery defence for cookie-authenticated requests: every unsafe
 * method must come from one of the console's own origins (`Origin`, which browsers send
 * on every such request) and carry the session's CSRF token in {@link CSRF_HEADER}.
 * Bearer-token callers are not ambient-authenticated and need neither.
 */
export function checkCsrf(
  request: FastifyRequest,
  caller: Caller,
  origins: ReadonlySet<string>,
): void {
  if (caller.by !== 'session' || SAFE_METHODS.has(request.method)) return;
  checkOrigin(request, origins, { required: true });
  const presented = request.headers[CSRF_HEADER];
  if (!csrfMatches(caller.session, typeof presented === 'string' ? presented : undefined))
    throw new ApiError('csrf', `missing or wrong ${CSRF_HEADER} header for this session`);
}

/** Refuses a request whose `Origin` is not one of the console's (when present, or always if `required`). */
export function checkOrigin(
  request: FastifyRequest,
  origins: ReadonlySet<string>,
  { required }: { readonly required: boolean },
): void {
  const origin = request.headers.origin;
  if (origin === undefined && !required) return;
  if (origin === undefined || !origins.has(origin))
    throw new ApiError(
      'csrf',
      `origin ${origin ?? '(none)'} is not this console's (${[...origins].join(', ') || 'none configured'})`,
    );
}
