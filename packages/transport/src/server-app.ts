import type { TLSSocket } from 'node:tls';
import type { DefaultRequestHandler } from '@a2a-js/sdk/server';
import { jsonRpcHandler } from '@a2a-js/sdk/server/express';
import express, {
  type Express,
  type NextFunction,
  type Request,
  type Response,
  type Router,
} from 'express';
import type { Logger } from '@vigil/core';
import { A2A_JSONRPC_PATH, AGENT_CARD_PATH } from './card.js';
import { callerSignal, DEADLINE_HEADER } from './deadline.js';
import { jsonRpcEnvelopeGuard, jsonRpcErrorHandler } from './jsonrpc-errors.js';
import { admit, peerIdentityOf } from './peer-identity.js';
import { CallerUser } from './server-executor.js';
import type { TransportSystem } from './system.js';

/** What {@link createAgentApp} serves. */
export interface AgentAppOptions {
  readonly system: TransportSystem;
  readonly agentName: string;
  /** The signed card's route (see `CardPublisher.router`). */
  readonly cardRoutes: Router;
  readonly requestHandler: DefaultRequestHandler;
  /** Serve the v0.3 compatibility layer too. */
  readonly legacy: boolean;
  readonly maxBodyBytes: number;
  /** While true, every answer asks the client to close its connection (the server drains). */
  readonly closing: () => boolean;
  readonly logger: Logger;
}

/**
 * The HTTP edge of an agent server: every request admitted by the caller's SPIFFE ID
 * (`admit`: the registry must let it call this agent; the card is open to any
 * authenticated peer), refusals answered 401/403 `{ error: { code, message } }` and
 * logged with the caller identity; the card route; JSON-RPC at `/a2a/v1` with the
 * envelope guarded and each call's signal tied to its caller and deadline; JSON 404s
 * and JSON-RPC errors for the rest.
 */
export function createAgentApp(options: AgentAppOptions): Express {
  const { system, agentName, logger: log } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (options.closing()) res.setHeader('connection', 'close');
    const peer = peerIdentityOf(req.socket as TLSSocket, system);
    const verdict = admit(system, agentName, peer, req.path !== AGENT_CARD_PATH);
    if (!verdict.admitted) {
      log.warn(
        {
          code: verdict.code,
          caller: peer.spiffeId ?? null,
          remoteAddress: req.socket.remoteAddress,
          path: req.path,
        },
        `refused ${req.method} ${req.path}: ${verdict.reason}`,
      );
      res.status(verdict.status).json({ error: { code: verdict.code, message: verdict.reason } });
      return;
    }
    res.locals['caller'] = verdict.caller;
    next();
  });
  app.use(options.cardRoutes);
  app.use(A2A_JSONRPC_PATH, express.json({ limit: options.maxBodyBytes }), jsonRpcEnvelopeGuard);
  app.use(
    A2A_JSONRPC_PATH,
    jsonRpcHandler({
      requestHandler: options.requestHandler,
      ...(options.legacy ? { legacyCompat: { enabled: true } } : {}),
      userBuilder: async (req: Request) => {
        const res = req.res as Response;
        return new CallerUser(
          res.locals['caller'] as { name: string; spiffeId: string },
          callerSignal(req.header(DEADLINE_HEADER), res),
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
  return app;
}
