import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RUNTIME_ERROR_CODES, RuntimeError } from './errors.js';

/** What the health server reports; read on every request. */
export interface HealthState {
  /** `starting` until `start()` completed and the A2A server listens; `draining` after SIGTERM. */
  phase(): 'starting' | 'ready' | 'draining';
  /** Skill calls currently running. */
  inFlight(): number;
  /** Extra facts for the JSON body (agent, replica, certificate expiry…). */
  describe(): Record<string, unknown>;
}

/** A plain-HTTP health endpoint on loopback. */
export interface HealthServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts the health server on `host:port` (default 127.0.0.1, any port).
 *
 * - `GET /livez` → 200 whenever the event loop runs. It is answered on the agent's own
 *   event loop on purpose: an agent stuck in a busy loop cannot answer, so the
 *   supervisor's liveness probe times out and the supervisor restarts it.
 * - `GET /readyz` → 200 once ready, 503 while starting or draining.
 *
 * Plain HTTP, on loopback unless the agent runs in a pod (`VIGIL_HOST`; the NetworkPolicy
 * then admits the probe port only from `kubernetes.network.probeCidrs`): it reveals no secret (state, in-flight count, certificate
 * expiry) and the supervisor needs no client certificate to probe it.
 *
 * @throws RuntimeError `VIGIL_RUNTIME_LISTEN_FAILED` when the port cannot be bound.
 */
export async function startHealthServer(
  state: HealthState,
  opts: { host?: string; port?: number } = {},
): Promise<HealthServer> {
  const host = opts.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let status: number;
    let body: Record<string, unknown>;
    if (path === '/livez') {
      status = 200;
      body = { status: 'ok' };
    } else if (path === '/readyz') {
      const phase = state.phase();
      status = phase === 'ready' ? 200 : 503;
      body = { status: phase, inFlight: state.inFlight(), ...state.describe() };
    } else {
      status = 404;
      body = { error: 'not found', paths: ['/livez', '/readyz'] };
    }
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : text);
  });
  // The probe is frequent; do not let idle probe sockets pile up.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(
        new RuntimeError(
          RUNTIME_ERROR_CODES.LISTEN_FAILED,
          `health server cannot listen on ${host}:${opts.port ?? 0}`,
          { cause },
        ),
      ),
    );
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
