import Fastify, { type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { VigilError, type Logger } from '@vigil/core';
import { requireRole } from './access.js';
import { CONSOLE_DIST, registerConsoleAssets } from './console-assets.js';
import { authenticateRequest, checkCsrf } from './authenticate.js';
import { ApiError, createErrorHandler } from './errors.js';
import { IncidentFeed, registerIncidentEvents } from './incident-events.js';
import { LoginThrottle } from './login-throttle.js';
import type { OidcLogin } from './oidc-login.js';
import type { ReadSources } from './read-sources.js';
import { registerAgentRoutes } from './routes-agents.js';
import { registerAuditRoutes } from './routes-audit.js';
import { registerCertificateRoutes } from './routes-certificate.js';
import { registerComplianceRoutes } from './routes-compliance.js';
import { registerPolicyRoutes } from './routes-policies.js';
import { registerCoreRoutes, type CoreRouteDeps } from './routes-core.js';
import { registerOidcRoutes } from './routes-oidc.js';
import { registerSessionRoutes } from './routes-session.js';
import { registerUserRoutes } from './routes-users.js';
import { SESSION_COOKIE, SessionStore } from './sessions.js';

/** The operations API (documented by {@link openApiDocument}), served by the coordinator. */
export interface OpsApi {
  readonly url: string;
  close(): Promise<void>;
}

export interface OpsAppOptions extends CoreRouteDeps {
  /** The state directory: its users file authenticates tokens and passwords; its CA certifies persons' keys. */
  readonly stateDir: string;
  /** The SPIFFE trust domain of user certificates. */
  readonly trustDomain: string;
  /** Console sessions (default: in memory, lost on restart — the coordinator passes its store's). */
  readonly sessions?: SessionStore;
  readonly throttle?: LoginThrottle;
  /** Sign-in with an OpenID Connect provider, when vigil.yaml configures one. */
  readonly oidc?: OidcLogin;
  /**
   * Origins the console is served from, for the CSRF Origin check. {@link startOpsApi}
   * adds its own URL (and `http://localhost:<port>` on loopback); a TLS proxy in front
   * adds its `https://` origin here.
   */
  readonly origins?: readonly string[];
  /**
   * What the read routes (agents, compliance, audit, policies, trace) read; without it
   * they answer 503 `VIGIL_API_UNAVAILABLE`.
   */
  readonly reads?: ReadSources;
  /** The console's built files, served at `/` (default {@link CONSOLE_DIST}; absent: not served). */
  readonly consoleDir?: string;
  readonly logger?: Logger;
}

interface AppDeps extends CoreRouteDeps {
  readonly feed: IncidentFeed;
  readonly stateDir: string;
  readonly trustDomain: string;
  readonly sessions: SessionStore;
  readonly throttle: LoginThrottle;
  readonly oidc?: OidcLogin;
  readonly origins: () => ReadonlySet<string>;
  readonly reads?: ReadSources | undefined;
}

/** The largest request body accepted (a decision with edited parameters is far below it). */
export const BODY_LIMIT = 64 * 1024;

const DOCUMENT_INFO = {
  title: 'Vigil operations API',
  version: '1.0.0',
  description:
    'Incidents, approvals and the console of a Vigil SOC, served by its coordinator. Generated from the zod schemas that validate each route.',
};

/**
 * Builds the operations API on Fastify: every route validated and serialised by its zod
 * schemas (fastify-type-provider-zod), the OpenAPI 3.1 document generated from the same
 * schemas, callers authenticated (bearer token or console session) before their body is
 * read, cookie-authenticated unsafe requests checked for CSRF, and every route's least
 * role enforced here. Errors are JSON `{ code, message }` with stable codes.
 */
export async function createOpsApp(options: OpsAppOptions): Promise<FastifyInstance> {
  return (await buildOpsApp(options)).app;
}

async function buildOpsApp(options: OpsAppOptions) {
  const origins = new Set(options.origins ?? []);
  const deps: AppDeps = {
    ...options,
    sessions: options.sessions ?? new SessionStore(),
    throttle: options.throttle ?? new LoginThrottle(),
    feed: new IncidentFeed(options.store),
    origins: () => origins,
  };
  return {
    app: await buildApp(() => deps, options.logger, options.consoleDir ?? CONSOLE_DIST),
    origins,
  };
}

async function buildApp(
  deps: () => AppDeps,
  logger?: Logger,
  consoleDir?: string,
): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: BODY_LIMIT, logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(createErrorHandler(logger));
  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: DOCUMENT_INFO,
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'A local user token (`vigil users add`), for the CLI.',
          },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: SESSION_COOKIE,
            description:
              'The console session (POST /v1/session). Unsafe methods also need the `x-vigil-csrf` header and an Origin of the console.',
          },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  app.addHook('onRequest', async (request) => {
    // No route matched: the not-found handler answers; nothing to authorise.
    if (request.routeOptions.url === undefined) return;
    const access = request.routeOptions.config.access;
    if (access === 'public') return;
    if (access === undefined)
      throw new ApiError('forbidden', `route ${request.routeOptions.url} declares no access`);
    const { stateDir, sessions, origins } = deps();
    const caller = await authenticateRequest(request, stateDir, sessions);
    if (!caller)
      throw new ApiError('unauthenticated', 'a valid bearer token or console session is required');
    checkCsrf(request, caller, origins());
    request.caller = caller;
    requireRole(caller.user, access, request.routeOptions.config.forbidden);
  });

  for (const url of ['/v1/openapi.json', '/openapi.json'])
    app.get(url, { config: { access: 'public' }, schema: { hide: true } }, async () =>
      app.swagger(),
    );
  registerIncidentEvents(app, deps);
  registerCoreRoutes(app, deps);
  registerSessionRoutes(app, deps);
  registerOidcRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerCertificateRoutes(app, deps);
  registerAgentRoutes(app, () => deps().reads);
  registerComplianceRoutes(app, deps);
  registerAuditRoutes(app, () => deps().reads);
  registerPolicyRoutes(app, () => deps().reads);
  const consolePage = consoleDir ? await registerConsoleAssets(app, consoleDir) : undefined;
  app.setNotFoundHandler(async (request, reply) => {
    if (await consolePage?.(request, reply)) return reply;
    return reply.code(404).send({
      code: 'VIGIL_API_NOT_FOUND',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    });
  });
  await app.ready();
  return app;
}

/**
 * The OpenAPI 3.1 document of the operations API, generated from its route schemas (the
 * same the server validates with). Building it touches no store: handlers never run.
 */
export async function openApiDocument(): Promise<OpenAPIV3_1.Document> {
  const app = await buildApp(() => {
    throw new Error('the document-only app serves no requests');
  });
  try {
    return app.swagger() as OpenAPIV3_1.Document;
  } finally {
    await app.close();
  }
}

/**
 * Serves the operations API on loopback (or the host given): see {@link createOpsApp}.
 * @throws VigilError `VIGIL_CONFIG_PORT_IN_USE` when the port is taken.
 */
export async function startOpsApi(
  options: OpsAppOptions & { readonly host?: string; readonly port: number },
): Promise<OpsApi> {
  const { app, origins } = await buildOpsApp(options);
  const host = options.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: options.port });
  } catch (error) {
    await app.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      // A configuration problem, not a crash: restarting would meet the same port.
      throw new VigilError(
        'VIGIL_CONFIG_PORT_IN_USE',
        `the incidents and approvals API cannot listen on ${host}:${options.port}: port ${options.port} is in use (another Vigil system?). Set agents[coordinator].settings.api.port to a free port, or leave it out to take any free port.`,
        { cause: error, details: { host, port: options.port } },
      );
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  origins.add(url);
  if (host === '127.0.0.1' || host === '::1') origins.add(`http://localhost:${port}`);
  return {
    url,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
