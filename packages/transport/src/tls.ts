import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { RequestListener } from 'node:http';
import type { Logger } from '@vigil/core';
import { classifyHandshakeError } from './peer-identity.js';

/** PEM credentials of an agent (the shape `@vigil/pki`'s `loadAgentCredentials` returns). */
export interface TransportCredentials {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  readonly spiffeId: string;
}

/** The TLS context options of `credentials` (certificate, key, trust bundle). */
export function tlsOptions(credentials: TransportCredentials): SecureContextOptions {
  return { cert: credentials.cert, key: credentials.key, ca: credentials.ca };
}

/**
 * An HTTPS server over `app` that speaks TLS 1.3 only and requires a client certificate
 * verified against the trust bundle. Handshake failures are logged from `tlsClientError`
 * with their own codes and the remote address. Keep-alive outlives the clients' (undici
 * default 4 s; ours 30 s) so the client closes first.
 */
export function createMtlsServer(
  credentials: TransportCredentials,
  app: RequestListener,
  log: Logger,
): Server {
  const server = createServer(
    {
      ...tlsOptions(credentials),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
    },
    app,
  );
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
  return server;
}

/** Listens on `host:port` (0: an ephemeral port); resolves with the bound port. */
export async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

const addresses = new WeakMap<object, string>();

function remoteOf(socket: TLSSocket): string | undefined {
  const parent = (socket as unknown as { _parent?: object })._parent;
  return (
    addresses.get(socket) ??
    (parent ? addresses.get(parent) : undefined) ??
    (socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort ?? '?'}` : undefined)
  );
}
