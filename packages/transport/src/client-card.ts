import { A2A_PROTOCOL_VERSION, A2A_VERSION_HEADER, AgentCard } from '@a2a-js/sdk';
import { Client, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import type { Logger } from '@vigil/core';
import { AGENT_CARD_PATH, verifyAgentCard, type AgentCardDocument } from './card.js';
import type { PeerConnection } from './client-connection.js';
import { TRANSPORT_ERROR_CODES, TransportError, type TransportErrorCode } from './errors.js';

/** Settings of {@link createVerifiedClients}. */
export interface VerifiedClientOptions {
  /** The peer's expected SPIFFE ID: its card must be signed by that identity. */
  readonly spiffeIdOf: (peer: string) => string;
  /** The current trust bundle (PEM) the card's signer must chain to. */
  readonly caPem: () => string;
  /** How long a verified card is reused before it is fetched and verified again, ms. */
  readonly cardTtlMs: number;
  readonly logger: Logger;
}

/** SDK clients of peers' endpoints, each made only from a verified agent card. */
export interface VerifiedClients {
  /**
   * The client of `peer` at `baseUrl` over `connection`: its card fetched, its JWS
   * verified against the trust bundle and the peer's SPIFFE ID, reused for the card TTL.
   * A failed fetch or verification is not cached.
   * @throws TransportError `VIGIL_TRANSPORT_CARD_UNAVAILABLE`, `…_CARD_SIGNATURE_INVALID`,
   *   `…_CARD_IDENTITY_MISMATCH`; an Error with `status` when the card's URL answers non-2xx.
   */
  for(
    peer: string,
    connection: PeerConnection,
    baseUrl: string,
    signal: AbortSignal,
  ): Promise<Client>;
}

/** Creates the verified-client cache of one agent client (per pool, so a rotation re-verifies). */
export function createVerifiedClients(options: VerifiedClientOptions): VerifiedClients {
  const byConnection = new WeakMap<
    PeerConnection,
    Map<string, { client: Promise<Client>; fetchedAt: number }>
  >();
  return {
    for(peer, connection, baseUrl, signal): Promise<Client> {
      let clients = byConnection.get(connection);
      if (!clients) byConnection.set(connection, (clients = new Map()));
      const cached = clients.get(baseUrl);
      if (cached && Date.now() - cached.fetchedAt < options.cardTtlMs) return cached.client;
      const client = connect(peer, connection, baseUrl, signal, options);
      const cache = clients;
      cache.set(baseUrl, { client, fetchedAt: Date.now() });
      client.catch(() => {
        if (cache.get(baseUrl)?.client === client) cache.delete(baseUrl);
      });
      return client;
    },
  };
}

async function connect(
  peer: string,
  connection: PeerConnection,
  baseUrl: string,
  signal: AbortSignal,
  options: VerifiedClientOptions,
): Promise<Client> {
  const cardUrl = new URL(AGENT_CARD_PATH, baseUrl);
  const document = await fetchCard(peer, connection, cardUrl, signal);
  const expected = options.spiffeIdOf(peer);
  // Verified as received: the signature covers the JSON, not the SDK's decoding of it.
  const verdict = await verifyAgentCard(document, {
    caPem: options.caPem(),
    expectedSpiffeId: expected,
  });
  if (!verdict.ok) {
    options.logger.error(
      { code: verdict.code, peer, expected, url: cardUrl.toString() },
      `agent card of "${peer}" rejected: ${verdict.reason}`,
    );
    throw new TransportError(
      verdict.code as TransportErrorCode,
      `agent card of "${peer}" rejected: ${verdict.reason}`,
      { details: { peer, url: cardUrl.toString() } },
    );
  }
  const card = AgentCard.fromJSON(document);
  const iface = card.supportedInterfaces.find(
    (candidate) => candidate.protocolBinding === 'JSONRPC',
  );
  if (!iface) {
    throw new TransportError(
      TRANSPORT_ERROR_CODES.CARD_UNAVAILABLE,
      `agent card of "${peer}" offers no JSON-RPC interface`,
    );
  }
  // Talk to the endpoint we resolved (same path as advertised), not to a host the card names.
  const endpoint = new URL(new URL(iface.url).pathname, baseUrl).toString();
  const transport = await new JsonRpcTransportFactory({
    fetchImpl: connection.fetchImpl,
  }).create(endpoint, card);
  return new Client(transport, card);
}

async function fetchCard(
  peer: string,
  connection: PeerConnection,
  cardUrl: URL,
  signal: AbortSignal,
): Promise<AgentCardDocument> {
  const response = await connection.fetchImpl(cardUrl, {
    signal,
    // Ask for the 1.0 card: a peer with the 0.3 compatibility layer serves 0.3 cards to
    // requests that name no version (A2A §3.6.2).
    headers: { accept: 'application/json', [A2A_VERSION_HEADER]: A2A_PROTOCOL_VERSION },
  });
  if (!response.ok) {
    throw Object.assign(new Error(`agent card ${cardUrl.toString()}: HTTP ${response.status}`), {
      status: response.status,
    });
  }
  try {
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new TypeError('the agent card is not a JSON object');
    }
    return body as AgentCardDocument;
  } catch (cause) {
    throw new TransportError(
      TRANSPORT_ERROR_CODES.CARD_UNAVAILABLE,
      `agent card of "${peer}" is not valid JSON`,
      { cause },
    );
  }
}
