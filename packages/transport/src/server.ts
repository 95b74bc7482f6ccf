import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import { SpanKind, SpanStatusCode, context as otelContext, trace } from '@opentelemetry/api';
import {
  AgentEvent,
  DefaultRequestHandler,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
  type User,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler } from '@a2a-js/sdk/server/express';
import { A2A_VERSION_HEADER, AgentCard } from '@a2a-js/sdk';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger, SkillSchemas } from '@vigil/core';
import { isVigilError } from '@vigil/core';
import {
  A2A_JSONRPC_PATH,
  AGENT_CARD_PATH,
  agentCardDocument,
  buildAgentCard,
  signAgentCard,
  type AgentCardDocument,
} from './card.js';
import { TRANSPORT_ERROR_CODES, TransportError } from './errors.js';
import { jsonRpcEnvelopeGuard, jsonRpcErrorHandler } from './jsonrpc-errors.js';
import { admit, classifyHandshakeError, peerIdentityOf } from './peer-identity.js';
import { parseSkillRequest, skillFailureTask, skillResponseMessage } from './skill-rpc.js';
import {
  agentSpec,
  defaultSkillOf,
  servesV03,
  spiffeIdOf,
  type TransportSystem,
} from './system.js';
import { BoundedTaskStore } from './task-store.js';
import { extractTraceContext, transportTracer } from './trace.js';

/** PEM credentials of an agent (the shape `@vigil/pki`'s `loadAgentCredentials` returns). */
export interface TransportCredentials {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  readonly spiffeId: string;
}

/** What a skill handler learns about the call it serves. */
export interface SkillCallContext {
  /** The authenticated caller (from its certificate, admitted by the registry). */
  readonly caller: { readonly name: string; readonly spiffeId: string };
  /** Aborted when the caller goes away or its deadline passes. */
  readonly signal: AbortSignal;
  /** A child logger bound to the caller, skill and trace id. */
  readonly logger: Logger;
  readonly skillId: string;
  /** Trace id of the server span the handler runs in (the caller's trace). */
  readonly traceId: string;
}

/** A skill: input (the request DataPart) to output (the response DataPart). */
export type SkillHandler = (input: unknown, ctx: SkillCallContext) => Promise<unknown>;

export interface AgentServerOptions {
  readonly system: TransportSystem;
  readonly agentName: string;
  readonly credentials: TransportCredentials;
  readonly skills: Readonly<Record<string, SkillHandler>>;
  /**
   * JSON Schemas of the skills' inputs and outputs by skill id, published on the agent
   * card (see `SKILL_SCHEMAS_EXTENSION`). Skills without an entry are published without.
   */
  readonly skillSchemas?: Readonly<Record<string, SkillSchemas>>;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  readonly logger: Logger;
  /** The base URL advertised in the agent card (default `https://<host>:<port>`). */
  readonly publicUrl?: string;
  /** Largest accepted request body (default 4 MiB). */
  readonly maxBodyBytes?: number;
  /** How long {@link AgentServer.close} waits for in-flight calls (default 10 s). */
  readonly drainTimeoutMs?: number;
}

/** A running A2A agent server over mutual TLS. */
export interface AgentServer {
  /** `https://<host>:<port>` */
  readonly url: string;
  readonly port: number;
  /**
   * Swaps the TLS context (`server.setSecureContext`) for new connections and re-signs
   * the agent card; established connections and in-flight calls continue untouched.
   * Resolves when the new card is served.
   * @throws TransportError `VIGIL_TRANSPORT_INVALID_OPTIONS` when the SPIFFE ID changes.
   */
  reloadCredentials(credentials: TransportCredentials): Promise<void>;
  /** Number of skill calls being served. */
  inFlight(): number;
  /** The signed agent card being served, in its A2A 1.0 JSON form (byte for byte what is sent). */
  agentCard(): AgentCardDocument;
  /** Stops accepting, waits for in-flight calls (up to the drain timeout), then closes. */
  close(): Promise<void>;
}

/** The A2A `User` the SDK carries to the executor: the admitted caller and its call state. */
class CallerUser implements User {
  constructor(
    readonly caller: { name: string; spiffeId: string },
    readonly signal: AbortSignal,
    readonly headers: Record<string, string | string[] | undefined>,
  ) {}
  get isAuthenticated(): boolean {
    return true;
  }
  get userName(): string {
    return this.caller.spiffeId;
  }
}

/** Header a Vigil client sets with the milliseconds left before its deadline. */
export const DEADLINE_HEADER = 'x-vigil-deadline-ms';

function tlsOptions(credentials: TransportCredentials): SecureContextOptions {
  return { cert: credentials.cert, key: credentials.key, ca: credentials.ca };
}

/**
 * Starts the A2A server of `agentName` (official `@a2a-js/sdk`, JSON-RPC binding at
 * `/a2a/v1`, signed card at `/.well-known/agent-card.json`) on `node:https` with
 * TLS 1.3 only and required client certificates verified against the trust bundle.
 * After the handshake the caller's SPIFFE ID is checked against the registry
 * (`mayCall(caller, self)`); refusals answer 401/403 JSON `{ error: { code, message } }`
 * and are logged with the caller identity. Handshake failures are logged from
 * `tlsClientError` with their own codes. Each skill call runs in a SERVER span whose
 * parent is the caller's span (W3C trace context from headers or message metadata).
 */
export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const { system, agentName, logger } = options;
  const spec = agentSpec(system, agentName);
  if (!spec) {
    throw new TransportError(
      TRANSPORT_ERROR_CODES.INVALID_OPTIONS,
      `agent "${agentName}" is not declared in the agent system`,
    );
  }
  const selfId = spiffeIdOf(system, agentName);
  if (options.credentials.spiffeId !== selfId) {
    throw new TransportError(
      TRANSPORT_ERROR_CODES.INVALID_OPTIONS,
      `credentials are for ${options.credentials.spiffeId}, not ${selfId}`,
    );
  }
  const declared = new Set(spec.skills.map((skill) => skill.id));
  const defaultSkill = defaultSkillOf(spec);
  for (const id of Object.keys(options.skills)) {
    if (!declared.has(id)) {
      throw new TransportError(
        TRANSPORT_ERROR_CODES.INVALID_OPTIONS,
        `skill "${id}" has a handler but is not declared for agent "${agentName}" (declared: ${[...declared].join(', ') || 'none'})`,
      );
    }
  }
  const host = options.host ?? '127.0.0.1';
  const log = logger.child({ component: 'a2a-server', agent: agentName });
  let inFlight = 0;
  let closing = false;
  const drained: (() => void)[] = [];
  const tracer = transportTracer();

  const executor: AgentExecutor = {
    execute: async (request: RequestContext, bus: ExecutionEventBus): Promise<void> => {
      const user = request.context.user;
      if (!(user instanceof CallerUser)) {
        // Unreachable: the admission middleware runs before the SDK handler.
        throw new TransportError(
          TRANSPORT_ERROR_CODES.NO_SPIFFE_ID,
          'unauthenticated call reached the executor',
        );
      }
      const parsed = parseSkillRequest(request.request.message, defaultSkill);
      const fail = (skillId: string | undefined, code: string, message: string): void => {
        bus.publish(
          AgentEvent.task(
            skillFailureTask(request.taskId, request.contextId, skillId, { code, message }),
          ),
        );
        bus.finished();
      };
      if (!parsed.ok) {
        fail(parsed.skillId, TRANSPORT_ERROR_CODES.BAD_REQUEST, parsed.reason);
        return;
      }
      const handler = Object.hasOwn(options.skills, parsed.skillId)
        ? options.skills[parsed.skillId]
        : undefined;
      if (!handler) {
        log.warn(
          {
            code: TRANSPORT_ERROR_CODES.SKILL_NOT_FOUND,
            caller: user.caller.spiffeId,
            skill: parsed.skillId,
          },
          'unknown skill',
        );
        fail(
          parsed.skillId,
          TRANSPORT_ERROR_CODES.SKILL_NOT_FOUND,
          `agent "${agentName}" has no skill "${parsed.skillId}"`,
        );
        return;
      }
      const parent = extractTraceContext(user.headers, request.request.message?.metadata);
      const span = tracer.startSpan(
        `a2a.serve ${parsed.skillId}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'rpc.system': 'a2a',
            'rpc.service': agentName,
            'rpc.method': parsed.skillId,
            'vigil.caller': user.caller.spiffeId,
            'vigil.callee': selfId,
          },
        },
        parent,
      );
      const traceId = span.spanContext().traceId;
      let callLog: Logger | undefined;
      const callLogger = (): Logger =>
        (callLog ??= log.child({ caller: user.caller.spiffeId, skill: parsed.skillId, traceId }));
      inFlight += 1;
      try {
        const output = await otelContext.with(trace.setSpan(parent, span), () =>
          handler(parsed.input, {
            caller: user.caller,
            signal: user.signal,
            // Created on first use: most skills never log, and a pino child per call adds up.
            get logger() {
              return callLogger();
            },
            skillId: parsed.skillId,
            traceId,
          }),
        );
        bus.publish(
          AgentEvent.message(skillResponseMessage(parsed.skillId, request.contextId, output)),
        );
        bus.finished();
        span.setStatus({ code: SpanStatusCode.OK });
      } catch (error) {
        const code = isVigilError(error) ? error.code : 'VIGIL_SKILL_FAILED';
        const message = error instanceof Error ? error.message : String(error);
        span.recordException(error instanceof Error ? error : new Error(message));
        span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        callLogger().warn({ code, err: error }, 'skill failed');
        fail(parsed.skillId, code, message);
      } finally {
        span.end();
        inFlight -= 1;
        if (inFlight === 0) drained.splice(0).forEach((resolve) => resolve());
      }
    },
    cancelTask: async (): Promise<void> => {
      // Skill calls are answered within one request; there is no long-running task to cancel.
    },
  };

  let baseUrl = options.publicUrl ?? '';
  const unsignedCard = (): AgentCardDocument =>
    agentCardDocument(
      buildAgentCard(system, agentName, baseUrl, {
        ...(options.skillSchemas === undefined ? {} : { skillSchemas: options.skillSchemas }),
      }),
    );
  // The served JSON and its SDK form, replaced together when the card is re-signed.
  let signed: { document: AgentCardDocument; body: string; card: AgentCard } | undefined;
  const resign = async (next: TransportCredentials): Promise<void> => {
    const document = await signAgentCard(unsignedCard(), next);
    signed = { document, body: JSON.stringify(document), card: AgentCard.fromJSON(document) };
  };
  let credentials = options.credentials;
  const cardProvider = async (): Promise<AgentCard> => {
    if (!signed)
      throw new TransportError(TRANSPORT_ERROR_CODES.CLOSED, 'the agent card is not ready');
    return signed.card;
  };
  // The card's URL is only known after listen(); the handler keeps this copy for its
  // capability checks and serves the signed card through the override.
  const requestHandler = new SignedCardRequestHandler(
    buildAgentCard(system, agentName, 'https://127.0.0.1/'),
    new BoundedTaskStore(),
    executor,
    cardProvider,
  );

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const refuse = (
    req: Request,
    res: Response,
    status: number,
    code: string,
    reason: string,
    caller?: string,
  ): void => {
    log.warn(
      { code, caller: caller ?? null, remoteAddress: req.socket.remoteAddress, path: req.path },
      `refused ${req.method} ${req.path}: ${reason}`,
    );
    res.status(status).json({ error: { code, message: reason } });
  };
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (closing) {
      res.setHeader('connection', 'close');
    }
    const peer = peerIdentityOf(req.socket as TLSSocket, system);
    const isCard = req.path === AGENT_CARD_PATH;
    const verdict = admit(system, agentName, peer, !isCard);
    if (!verdict.admitted) {
      refuse(req, res, verdict.status, verdict.code, verdict.reason, peer.spiffeId);
      return;
    }
    res.locals['caller'] = verdict.caller;
    next();
  });
  // The card is served as signed (A2A §8.2, §8.4): the JSON whose canonical form the JWS covers.
  const legacy = servesV03(spec);
  app.get(AGENT_CARD_PATH, (req: Request, res: Response, next: NextFunction) => {
    // A request without A2A-Version is a 0.3 client (A2A §3.6.2); with the compatibility
    // layer on, the SDK answers it with its 0.3 card shape (unsigned: 0.3 signs differently).
    if (legacy && /^0\./.test((req.header(A2A_VERSION_HEADER) ?? '0.3').trim())) {
      next();
      return;
    }
    if (!signed) {
      res.status(503).json({ error: { code: TRANSPORT_ERROR_CODES.CLOSED, message: 'not ready' } });
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    if (legacy) res.append('vary', A2A_VERSION_HEADER);
    res.type('application/json').send(signed.body);
  });
  if (legacy) {
    app.use(
      AGENT_CARD_PATH,
      agentCardHandler({ agentCardProvider: cardProvider, legacyCompat: { enabled: true } }),
    );
  }
  app.use(
    A2A_JSONRPC_PATH,
    express.json({ limit: options.maxBodyBytes ?? 4 * 1024 * 1024 }),
    jsonRpcEnvelopeGuard,
  );
  app.use(
    A2A_JSONRPC_PATH,
    jsonRpcHandler({
      requestHandler,
      ...(legacy ? { legacyCompat: { enabled: true } } : {}),
      userBuilder: async (req: Request) => {
        const res = req.res as Response;
        // One controller per call, aborted when the caller goes away (its deadline passed,
        // or it closed) before we answered, or when the deadline it sent passes. (A timer
        // rather than AbortSignal.timeout/any: those cost several signals per call.)
        const controller = new AbortController();
        const deadline = Number(req.header(DEADLINE_HEADER));
        const timer =
          Number.isFinite(deadline) && deadline > 0
            ? setTimeout(
                () =>
                  controller.abort(
                    new TransportError(
                      TRANSPORT_ERROR_CODES.DEADLINE_EXCEEDED,
                      `the caller's deadline of ${deadline} ms passed`,
                    ),
                  ),
                deadline,
              )
            : undefined;
        timer?.unref();
        res.once('close', () => {
          clearTimeout(timer);
          if (!res.writableFinished)
            controller.abort(
              new TransportError(TRANSPORT_ERROR_CODES.CLOSED, 'the caller went away'),
            );
        });
        return new CallerUser(
          res.locals['caller'] as { name: string; spiffeId: string },
          controller.signal,
          req.headers,
        );
      },
    }),
  );
  app.use((req: Request, res: Response) => {
    res.status(404).json({
      error: { code: 'VIGIL_TRANSPORT_NOT_FOUND', message: `no route ${req.method} ${req.path}` },
    });
  });
  app.use(jsonRpcErrorHandler(log));

  const server: Server = createServer(
    {
      ...tlsOptions(credentials),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
    },
    app,
  );
  // Outlive the clients' keep-alive (undici default 4 s; ours 30 s) so the client closes first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
    const { code, reason } = classifyHandshakeError(error, socket.authorizationError);
    log.warn({ code, remoteAddress: remoteOf(socket) }, `TLS handshake refused: ${reason}`);
  });
  // Remember each raw connection's address: a socket destroyed during the handshake no longer has one.
  server.on('connection', (socket: Socket) => {
    addresses.set(socket, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  baseUrl = options.publicUrl ?? url;
  await resign(credentials);
  log.info(
    { url, spiffeId: selfId, skills: Object.keys(options.skills) },
    'A2A server listening (mTLS, TLS 1.3)',
  );

  return {
    url,
    port,
    inFlight: () => inFlight,
    agentCard: () => signed!.document,
    async reloadCredentials(next: TransportCredentials): Promise<void> {
      if (next.spiffeId !== selfId) {
        throw new TransportError(
          TRANSPORT_ERROR_CODES.INVALID_OPTIONS,
          `new credentials are for ${next.spiffeId}, not ${selfId}`,
        );
      }
      // Throws on a broken key/cert pair, before anything changes.
      server.setSecureContext(tlsOptions(next));
      credentials = next;
      await resign(next);
      log.info({ spiffeId: selfId }, 'credentials reloaded (TLS context swapped, card re-signed)');
    },
    async close(): Promise<void> {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => drained.push(resolve)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, options.drainTimeoutMs ?? 10_000);
            timer.unref();
          }),
        ]);
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await closed;
      log.info({ url }, 'A2A server closed');
    },
  };
}

const addresses = new WeakMap<object, string>();

/**
 * The SDK handler, serving the card signed once per credential set. (The SDK's own
 * `agentCardSignatureGenerator` signs on every `getAgentCard()`, which the JSON-RPC
 * transport calls on every request.)
 */
class SignedCardRequestHandler extends DefaultRequestHandler {
  constructor(
    card: AgentCard,
    store: BoundedTaskStore,
    executor: AgentExecutor,
    private readonly signedCard: () => Promise<AgentCard>,
  ) {
    super(card, store, executor);
  }

  override getAgentCard(): Promise<AgentCard> {
    return this.signedCard();
  }
}

function remoteOf(socket: TLSSocket): string | undefined {
  const parent = (socket as unknown as { _parent?: object })._parent;
  return (
    addresses.get(socket) ??
    (parent ? addresses.get(parent) : undefined) ??
    (socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort ?? '?'}` : undefined)
  );
}
