import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A readiness probe: true or a reason why not. */
export type ReadinessCheck = () => boolean | string | Promise<boolean | string>;

export interface HealthServer {
  readonly url: string;
  readonly port: number;
  /** Flips readiness (e.g. false while draining). */
  setReady(ready: boolean): void;
  close(): Promise<void>;
}

/**
 * A tiny plain-HTTP health server (Kubernetes probe semantics): `GET /livez` answers 200
 * while the event loop runs; `GET /readyz` answers 200 when `setReady(true)` was called
 * and every check passes, else 503 with the reasons. Loopback by default; no TLS (probes
 * carry no data and kubelets do not present client certificates).
 */
export async function startHealthServer(
  options: {
    host?: string;
    port?: number;
    checks?: Record<string, ReadinessCheck>;
    ready?: boolean;
  } = {},
): Promise<HealthServer> {
  let ready = options.ready ?? false;
  const checks = options.checks ?? {};
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(405, { status: 'method not allowed' });
    if (path === '/livez') return send(200, { status: 'ok' });
    if (path === '/readyz') {
      void (async () => {
        const failing: Record<string, string> = {};
        if (!ready) failing['ready'] = 'not ready';
        for (const [name, check] of Object.entries(checks)) {
          try {
            const result = await check();
            if (result !== true) failing[name] = result === false ? 'failed' : result;
          } catch (error) {
            failing[name] = error instanceof Error ? error.message : String(error);
          }
        }
        if (Object.keys(failing).length === 0) send(200, { status: 'ok' });
        else send(503, { status: 'not ready', failing });
      })();
      return;
    }
    send(404, { status: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    setReady: (value) => void (ready = value),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
