import { z } from 'zod';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { MAX_PASSWORD_LENGTH } from '../password-hash.js';
import { authenticatePassword, ROLES } from '../users.js';
import { checkOrigin } from './authenticate.js';
import { ApiError } from './errors.js';
import type { LoginThrottle } from './login-throttle.js';
import { errorSchema } from './schemas.js';
import { SESSION_COOKIE, type Session, type SessionStore } from './sessions.js';

export interface SessionRouteDeps {
  readonly stateDir: string;
  readonly sessions: SessionStore;
  readonly throttle: LoginThrottle;
  readonly origins: () => ReadonlySet<string>;
}

export const userSchema = z
  .object({ id: z.string(), role: z.enum(ROLES) })
  .meta({ id: 'User', description: 'A local user and the role the server enforces.' });

const sessionSchema = z
  .object({
    user: userSchema,
    csrfToken: z
      .string()
      .nullable()
      .describe(
        'Send it as the `x-vigil-csrf` header on every POST/PUT/PATCH/DELETE (null for a token caller).',
      ),
    expiresAt: z.number().nullable().describe('Epoch ms when the session ends, whatever its use.'),
  })
  .meta({ id: 'Session' });

const loginSchema = z
  .strictObject({
    user: z.string().min(1).max(63),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  })
  .meta({ id: 'Login' });

/**
 * Cookie attributes of the session: HttpOnly (no script reads it), Secure (sent over
 * HTTPS only — browsers treat http://127.0.0.1 and http://localhost as potentially
 * trustworthy and keep Secure cookies there, so plain-http loopback works; any other
 * host needs TLS in front), SameSite=Strict (never sent on a cross-site request).
 */
export function setSessionCookie(reply: FastifyReply, token: string, maxAge: number): void {
  void reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: '/',
    maxAge,
  });
}

function view(user: { id: string; role: (typeof ROLES)[number] }, session?: Session) {
  return {
    user,
    csrfToken: session?.csrfToken ?? null,
    expiresAt: session?.expiresAt ?? null,
  };
}

/** `/v1/session`: console sign-in with a password (throttled), the current session, sign-out. */
export function registerSessionRoutes(app: FastifyInstance, deps: () => SessionRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/session',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Sign in to the console (sets the session cookie)',
        description:
          'Throttled per user and per address: past the limit the answer is 429 with Retry-After (seconds).',
        tags: ['session'],
        security: [],
        body: loginSchema,
        response: {
          200: sessionSchema,
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
          429: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { stateDir, sessions, throttle, origins } = deps();
      // A login form posted from another site (login CSRF) is refused like any other.
      checkOrigin(request, origins(), { required: false });
      const keys = { user: request.body.user, address: request.ip };
      const wait = throttle.retryAfterMs(keys);
      if (wait > 0)
        throw new ApiError(
          'throttled',
          `too many failed sign-ins for this user or address; retry in ${Math.ceil(wait / 1000)} s`,
          { 'retry-after': String(Math.ceil(wait / 1000)) },
        );
      const user = await authenticatePassword(stateDir, request.body.user, request.body.password);
      if (!user) {
        throttle.fail(keys);
        throw new ApiError('badCredentials', 'wrong user or password');
      }
      throttle.succeed(keys);
      const { token, session } = await sessions.create(user.id);
      setSessionCookie(reply, token, sessions.maxAgeSeconds(session));
      return view(user, session);
    },
  );

  r.get(
    '/v1/session',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Who is signed in, and the CSRF token of the session',
        tags: ['session'],
        response: { 200: sessionSchema, 401: errorSchema },
      },
    },
    async (request) => {
      const caller = request.caller!;
      return view(caller.user, caller.by === 'session' ? caller.session : undefined);
    },
  );

  r.delete(
    '/v1/session',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Sign out (ends the session, clears the cookie)',
        tags: ['session'],
        response: { 204: z.null(), 401: errorSchema, 403: errorSchema },
      },
    },
    async (request, reply) => {
      const caller = request.caller!;
      if (caller.by === 'session') await deps().sessions.destroy(caller.token);
      setSessionCookie(reply, '', 0);
      return reply.code(204).send(null);
    },
  );
}
