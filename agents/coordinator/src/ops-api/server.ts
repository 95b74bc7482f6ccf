import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { VigilError, type Logger } from '@vigil/core';
import { authenticate as authenticateToken, type User } from '../users.js';
import { requireRole } from './access.js';
import { ApiError, createErrorHandler } from './errors.js';
import { registerCoreRoutes, type CoreRouteDeps } from './routes-core.js';

/** The operations API (documented by {@link openApiDocument}), served by the coordinator. */
export interface OpsApi {
  readonly url: string;
  close(): Promise<void>;
}

/** Resolves the caller of a request (bearer token, session cookie), or `undefined`. */
export type Authenticate = (
  request: FastifyRequest,
) => { readonly user: User; readonly by: 'token' | 'session' } | undefined;

export interface OpsAppOptions extends CoreRouteDeps {
  readonly authenticate: Authenticate;
  readonly logger?: Logger;
}

/** Authenticates `Authorization: Bearer <token>` against the users file of `stateDir` (the CLI). */
export function bearerAuthenticator(stateDir: string): Authenticate {
  return (request) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const user = token ? authenticateToken(stateDir, token) : undefined;
    return user ? { user, by: 'token' } : undefined;
  };
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
 * schemas, callers authenticated before their body is read, and every route's least
 * role enforced here. Errors are JSON `{ code, message }` with stable codes.
 */
export async function createOpsApp(options: OpsAppOptions): Promise<FastifyInstance> {
  return buildApp(() => options, options.authenticate, options.logger);
}

async function buildApp(
  deps: () => CoreRouteDeps,
  authenticate: Authenticate,
  logger?: Logger,
): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: BODY_LIMIT, logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(createErrorHandler(logger));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      code: 'VIGIL_API_NOT_FOUND',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );
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
        },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    // No route matched: the not-found handler answers; nothing to authorise.
    if (request.routeOptions.url === undefined) return;
    if (access === 'public') return;
    if (access === undefined)
      throw new ApiError('forbidden', `route ${request.routeOptions.url} declares no access`);
    const caller = authenticate(request);
    if (!caller)
      throw new ApiError('unauthenticated', 'a valid bearer token or console session is required');
    request.user = caller.user;
    request.authenticatedBy = caller.by;
    requireRole(caller.user, access, request.routeOptions.config.forbidden);
  });

  for (const url of ['/v1/openapi.json', '/openapi.json'])
    app.get(url, { config: { access: 'public' }, schema: { hide: true } }, async () =>
      app.swagger(),
    );
  registerCoreRoutes(app, deps);
  await app.ready();
  return app;
}

/**
 * The OpenAPI 3.1 document of the operations API, generated from its route schemas (the
 * same the server validates with). Building it touches no store: handlers never run.
 */
export async function openApiDocument(): Promise<OpenAPIV3_1.Document> {
  const app = await buildApp(
    () => {
      throw new Error('the document-only app serves no requests');
    },
    () => undefined,
  );
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
  const app = await createOpsApp(options);
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
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
