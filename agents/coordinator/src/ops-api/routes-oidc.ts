import { z } from 'zod';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ApiError } from './errors.js';
import { decodePending, encodePending, OIDC_LOGIN_TTL_MS, type OidcLogin } from './oidc-login.js';
import { setSessionCookie } from './routes-session.js';
import { errorSchema } from './schemas.js';
import type { SessionStore } from './sessions.js';

export interface OidcRouteDeps {
  readonly sessions: SessionStore;
  /** Absent when vigil.yaml configures no provider. */
  readonly oidc?: OidcLogin;
  readonly origins: () => ReadonlySet<string>;
}

/** The cookie that carries a sign-in in progress to the callback (see `PendingLogin`). */
export const OIDC_COOKIE = 'vigil_oidc';
const OIDC_PATH = '/v1/session/oidc';
export const OIDC_CALLBACK_PATH = `${OIDC_PATH}/callback`;

const methodsSchema = z
  .object({
    password: z.boolean(),
    oidc: z
      .object({
        name: z.string().describe('Say "Sign in with <name>".'),
        url: z
          .string()
          .describe('Navigate the browser here (not fetch): it leaves for the provider.'),
      })
      .nullable(),
  })
  .meta({ id: 'SignInMethods' });

/**
 * Lax, not Strict: the provider's redirect back is a cross-site navigation, on which a
 * Strict cookie is not sent. Only the OIDC paths see it, and only for ten minutes.
 */
function setPendingCookie(reply: FastifyReply, value: string, maxAge: number): void {
  void reply.setCookie(OIDC_COOKIE, value, {
    httpOnly: true,
    secure: true,
    sameSite: 'lax',
    path: OIDC_PATH,
    maxAge,
  });
}

/** The callback URL: the configured one, else this console origin's (only an origin the CSRF check knows). */
function redirectUriOf(request: FastifyRequest, oidc: OidcLogin, origins: ReadonlySet<string>) {
  if (oidc.settings.redirectUrl) return oidc.settings.redirectUrl;
  const origin = `${request.protocol}://${request.host}`;
  if (!origins.has(origin))
    throw new ApiError(
      'oidcUnavailable',
      `this request's origin ${origin} is not the console's: set console.oidc.redirectUrl to the callback URL registered at ${oidc.settings.name}`,
    );
  return `${origin}${OIDC_CALLBACK_PATH}`;
}

function configured(oidc: OidcLogin | undefined): OidcLogin {
  if (!oidc)
    throw new ApiError(
      'notFound',
      'OIDC sign-in is not configured (agents[coordinator].settings.console.oidc in vigil.yaml)',
    );
  return oidc;
}

/**
 * Console sign-in with an OpenID Connect provider: `GET /v1/session/methods` tells the
 * login page what to offer; `GET /v1/session/oidc` sends the browser to the provider
 * (authorization code, PKCE S256, state, nonce); `GET /v1/session/oidc/callback` takes
 * it back, maps its claims to a role and opens the same session a password opens
 * (cookie, CSRF token, role, then the same certificate route for signing).
 */
export function registerOidcRoutes(app: FastifyInstance, deps: () => OidcRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/session/methods',
    {
      config: { access: 'public' },
      schema: {
        summary: 'How one may sign in to this console',
        tags: ['session'],
        security: [],
        response: { 200: methodsSchema },
      },
    },
    async () => {
      const { oidc } = deps();
      return { password: true, oidc: oidc ? { name: oidc.settings.name, url: OIDC_PATH } : null };
    },
  );

  r.get(
    OIDC_PATH,
    {
      config: { access: 'public' },
      schema: {
        summary: 'Start signing in with the OIDC provider (redirects the browser there)',
        tags: ['session'],
        security: [],
        response: { 303: z.null(), 404: errorSchema, 503: errorSchema },
      },
    },
    async (request, reply) => {
      const { origins } = deps();
      const oidc = configured(deps().oidc);
      const { url, pending } = await oidc.begin(
        redirectUriOf(request, oidc, origins()),
        Date.now(),
      );
      setPendingCookie(reply, encodePending(pending), OIDC_LOGIN_TTL_MS / 1000);
      return reply.code(303).header('location', url.href).send(null);
    },
  );

  r.get(
    OIDC_CALLBACK_PATH,
    {
      config: { access: 'public' },
      schema: {
        summary: 'Where the OIDC provider sends the browser back (opens the session)',
        description:
          'A browser (Accept: text/html) is sent to `/` signed in, or to `/?signin-error=<code>`; other clients get the error as JSON.',
        tags: ['session'],
        security: [],
        // Loose: every parameter the provider adds reaches openid-client's checks.
        querystring: z.looseObject({
          code: z.string().optional(),
          state: z.string().optional(),
          iss: z.string().optional(),
          error: z.string().optional(),
          error_description: z.string().optional(),
        }),
        response: {
          303: z.null(),
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
          404: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { sessions } = deps();
      const oidc = configured(deps().oidc);
      // One use: whatever happens next, this browser's pending sign-in is spent.
      setPendingCookie(reply, '', 0);
      try {
        const query = Object.fromEntries(
          Object.entries(request.query).filter(
            (e): e is [string, string] => typeof e[1] === 'string',
          ),
        );
        const identity = await oidc.complete(
          query,
          decodePending(request.cookies[OIDC_COOKIE], Date.now()),
        );
        const { token, session } = await sessions.create(identity.userId, {
          via: 'oidc',
          role: identity.role,
        });
        setSessionCookie(reply, token, sessions.maxAgeSeconds(session));
        return await reply.code(303).header('location', '/').send(null);
      } catch (error) {
        if (error instanceof ApiError && (request.headers.accept ?? '').includes('text/html'))
          // Only the code travels in the URL: the page shows its own text for it, so a
          // crafted link cannot put words on the login page.
          return reply
            .code(303)
            .header('location', `/?signin-error=${encodeURIComponent(error.code)}`)
            .send(null);
        throw error;
      }
    },
  );
}
