import type { PeerCertificate } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Logger } from '@vigil/core';
import { spiffeIdFromCertificate } from '@vigil/pki';
import { TRANSPORT_ERROR_CODES, TransportError } from './errors.js';
import type { TransportCredentials } from './tls.js';

/** One peer's connection pool, built from one set of credentials. */
export interface PeerConnection {
  /** The client certificate the pool presents (a rotation builds a new pool). */
  readonly cert: string;
  readonly dispatcher: Agent;
  /** `fetch` over this pool; 401/403 answers become `VIGIL_TRANSPORT_REFUSED`. */
  readonly fetchImpl: typeof fetch;
}

/** Pool settings of {@link createPeerConnections}. */
export interface PeerConnectionOptions {
  /** The peer's expected SPIFFE ID, pinned instead of a host name. */
  readonly spiffeIdOf: (peer: string) => string;
  readonly credentials: () => TransportCredentials;
  readonly logger: Logger;
  /** Idle keep-alive time of pooled connections (default 30 s; servers keep 65 s). */
  readonly keepAliveTimeoutMs?: number;
  /** Maximum connections per peer origin (default 32). */
  readonly connectionsPerOrigin?: number;
}

/** The pools of one client, one per peer, rebuilt when the credentials rotate. */
export interface PeerConnections {
  /** The pool for `peer` with the current credentials. */
  for(peer: string): PeerConnection;
  /** Closes every pool, waiting for requests in flight. */
  close(): Promise<void>;
}

/**
 * Keeps one undici pool per peer — keep-alive, TLS 1.3 only, the client certificate,
 * and the server authenticated by its SPIFFE ID (`checkServerIdentity`) — and replaces a
 * peer's pool once the credentials change, letting requests in flight on the old one finish.
 */
export function createPeerConnections(options: PeerConnectionOptions): PeerConnections {
  const pools = new Map<string, PeerConnection>();
  const retired = new Set<Promise<void>>();
  return {
    for(peer: string): PeerConnection {
      const credentials = options.credentials();
      const previous = pools.get(peer);
      if (previous && previous.cert === credentials.cert) return previous;
      const connection = openPeerConnection(peer, options.spiffeIdOf(peer), credentials, options);
      pools.set(peer, connection);
      if (previous) {
        // close() lets requests in flight on the old pool finish before its sockets go.
        const done = previous.dispatcher.close().catch(() => undefined);
        retired.add(done);
        void done.finally(() => retired.delete(done));
        options.logger.info({ peer }, 'credentials changed; new connection pool');
      }
      return connection;
    },
    async close(): Promise<void> {
      const open = [...pools.values()].map((pool) => pool.dispatcher.close());
      await Promise.allSettled([...open, ...retired]);
    },
  };
}

function openPeerConnection(
  peer: string,
  expected: string,
  credentials: TransportCredentials,
  options: PeerConnectionOptions,
): PeerConnection {
  const dispatcher = new Agent({
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    connections: options.connectionsPerOrigin ?? 32,
    connect: {
      cert: credentials.cert,
      key: credentials.key,
      ca: credentials.ca,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      rejectUnauthorized: true,
      // SPIFFE authentication: the server is whoever its SVID says, not a host name.
      checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined => {
        const actual = cert.raw ? spiffeIdFromCertificate(cert.raw) : undefined;
        if (actual === expected) return undefined;
        return Object.assign(
          new Error(`server certificate names ${actual ?? 'no SPIFFE ID'}, expected ${expected}`),
          { code: TRANSPORT_ERROR_CODES.PEER_IDENTITY_MISMATCH },
        );
      },
    },
  });
  const fetchImpl = (async (input: string | URL, init?: RequestInit) => {
    const response = await undiciFetch(input, { ...(init as object), dispatcher } as Parameters<
      typeof undiciFetch
    >[1]);
    if (response.status === 401 || response.status === 403) {
      const body = (await response.json().catch(() => undefined)) as
        | { error?: { code?: string; message?: string } }
        | undefined;
      const remoteCode = body?.error?.code ?? `HTTP_${response.status}`;
      throw new TransportError(
        TRANSPORT_ERROR_CODES.REFUSED,
        `agent "${peer}" refused the call: ${remoteCode}: ${body?.error?.message ?? response.statusText}`,
        { details: { peer, status: response.status, remoteCode } },
      );
    }
    return response;
  }) as unknown as typeof fetch;
  return { cert: credentials.cert, dispatcher, fetchImpl };
}
