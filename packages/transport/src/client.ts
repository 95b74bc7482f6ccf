import type { PeerCertificate } from 'node:tls';
import { SpanKind, SpanStatusCode, context as otelContext, trace } from '@opentelemetry/api';
import { A2A_PROTOCOL_VERSION, A2A_VERSION_HEADER, AgentCard } from '@a2a-js/sdk';
import { Client, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Logger } from '@vigil/core';
import { spiffeIdFromCertificate } from '@vigil/pki';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './breaker.js';
import { AGENT_CARD_PATH, verifyAgentCard, type AgentCardDocument } from './card.js';
import { TRANSPORT_ERROR_CODES, TransportError, type TransportErrorCode } from './errors.js';
import { delay, fullJitterDelay, type RetryPolicy } from './retry.js';
import { DEADLINE_HEADER, type TransportCredentials } from './server.js';
import type { PeerDirectory } from './peers.js';
import { parseSkillResult, skillRequestMessage } from './skill-rpc.js';
import { agentSpec, mayCall, spiffeIdOf, type TransportSystem } from './system.js';
import { injectTraceContext, transportTracer } from './trace.js';

export interface AgentClientOptions {
  readonly system: TransportSystem;
  /** The calling agent (its `calls` are checked before anything is sent). */
  readonly selfName: string;
  /** The credentials, or a function returning the current ones (re-read on every call, so rotation is picked up). */
  readonly credentials: TransportCredentials | (() => TransportCredentials);
  readonly peers: PeerDirectory;
  /** Default deadline of a call, retries included (default 10 s). */
  readonly deadlineMs?: number;
  readonly logger: Logger;
  /** Retry policy for idempotent calls (default 3 attempts, 50 ms base, 1 s cap). */
  readonly retry?: RetryPolicy;
  /** Per-peer circuit breaker settings (default 5 failures, 10 s open). */
  readonly breaker?: Omit<CircuitBreakerOptions, 'onStateChange'>;
  /** Random source for back-off jitter, in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** How long a verified agent card is reused before it is fetched and verified again (default 5 min). */
  readonly cardTtlMs?: number;
  /** Idle keep-alive time of pooled connections (default 30 s; servers keep 65 s). */
  readonly keepAliveTimeoutMs?: number;
  /** Maximum connections per peer origin (default 32). */
  readonly connectionsPerOrigin?: number;
}

export interface CallSkillOptions {
  /** Overrides the client's default deadline for this call (retries included). */
  readonly deadlineMs?: number;
  /** Only idempotent calls are retried (on connection failures and 5xx). Default false. */
  readonly idempotent?: boolean;
  /** Cancels the call. */
  readonly signal?: AbortSignal;
}

/** Calls skills of other agents over A2A with mutual TLS. */
export interface AgentClient {
  /**
   * Calls `skillId` of `peer` with `input` and resolves with the output as received (the
   * wire level; `T` is the caller's assertion, unchecked). Agents call through a skill
   * contract instead (`createPeerClient` / `callPeer` of `@vigil/runtime`), which types the
   * call and validates the answer.
   * @throws TransportError: `VIGIL_TRANSPORT_CALL_NOT_ALLOWED`, `…_PEER_UNKNOWN`,
   *   `…_CIRCUIT_OPEN`, `…_DEADLINE_EXCEEDED`, `…_UNAVAILABLE`, `…_REFUSED`,
   *   `…_CARD_SIGNATURE_INVALID`, `…_CARD_IDENTITY_MISMATCH`, `…_PEER_IDENTITY_MISMATCH`,
   *   `…_SKILL_NOT_FOUND`, `…_SKILL_FAILED` (remote code in `details.remoteCode`), …
   */
  callSkill<T = unknown>(
    peer: string,
    skillId: string,
    input: unknown,
    options?: CallSkillOptions,
  ): Promise<T>;
  /** The circuit state of `peer` (closed when never called). */
  circuitState(peer: string): CircuitState;
  /** Closes pooled connections (waiting for calls in flight) and refuses new calls. */
  close(): Promise<void>;
}

interface Connection {
  readonly cert: string;
  readonly dispatcher: Agent;
  readonly fetchImpl: typeof fetch;
  readonly clients: Map<string, { client: Promise<Client>; fetchedAt: number }>;
}

interface PeerState {
  readonly breaker: CircuitBreaker;
  connection: Connection | undefined;
  next: number;
}

interface Classified {
  readonly error: TransportError;
  /** Worth another attempt (for idempotent calls). */
  readonly retryable: boolean;
  /** Says the peer is unhealthy (counts towards opening its circuit). */
  readonly peerFault: boolean;
}

const RETRYABLE_HTTP = new Set([502, 503, 504]);

/**
 * Creates the A2A client of agent `selfName`: one undici connection pool per peer
 * (keep-alive, TLS 1.3, client certificate, and the server's SPIFFE ID pinned to the
 * expected peer instead of a host name), the agent card fetched and its JWS verified
 * against the trust bundle before first use, a deadline on every call, retries with
 * exponential back-off and full jitter for idempotent calls only, and a circuit
 * breaker per peer. W3C trace context goes in the headers and the message metadata.
 */
export function createAgentClient(options: AgentClientOptions): AgentClient {
  const { system, selfName, peers } = options;
  if (!agentSpec(system, selfName)) {
    throw new TransportError(
      TRANSPORT_ERROR_CODES.INVALID_OPTIONS,
      `agent "${selfName}" is not declared in the agent system`,
    );
  }
  const log = options.logger.child({ component: 'a2a-client', agent: selfName });
  const currentCredentials =
    typeof options.credentials === 'function'
      ? options.credentials
      : () => options.credentials as TransportCredentials;
  const defaultDeadline = options.deadlineMs ?? 10_000;
  const retry = {
    maxAttempts: options.retry?.maxAttempts ?? 3,
    baseDelayMs: options.retry?.baseDelayMs ?? 50,
    maxDelayMs: options.retry?.maxDelayMs ?? 1_000,
  };
  const cardTtl = options.cardTtlMs ?? 300_000;
  const states = new Map<string, PeerState>();
  const retired = new Set<Promise<void>>();
  let closed = false;
  const tracer = transportTracer();

  const stateOf = (peer: string): PeerState => {
    let state = states.get(peer);
    if (!state) {
      state = {
        breaker: new CircuitBreaker({
          ...options.breaker,
          onStateChange: (from, to) =>
            log[to === 'open' ? 'warn' : 'info'](
              { peer, from, to },
              `circuit ${from} -> ${to} for peer "${peer}"`,
            ),
        }),
        connection: undefined,
        next: 0,
      };
      states.set(peer, state);
    }
    return state;
  };

  /** The pool for `peer` built from the current credentials; rebuilt after a rotation. */
  const connectionFor = (peer: string, state: PeerState): Connection => {
    const credentials = currentCredentials();
    if (state.connection && state.connection.cert === credentials.cert) return state.connection;
    const previous = state.connection;
    const expected = spiffeIdOf(system, peer);
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
    const connection: Connection = {
      cert: credentials.cert,
      dispatcher,
      fetchImpl,
      clients: new Map(),
    };
    state.connection = connection;
    if (previous) {
      // close() lets requests in flight on the old pool finish before its sockets go.
      const done = previous.dispatcher.close().catch(() => undefined);
      retired.add(done);
      void done.finally(() => retired.delete(done));
      log.info({ peer }, 'credentials changed; new connection pool');
    }
    return connection;
  };

  /** A verified SDK client for `baseUrl`: card fetched, signature and identity checked. */
  const clientFor = (
    peer: string,
    connection: Connection,
    baseUrl: string,
    signal: AbortSignal,
  ): Promise<Client> => {
    const cached = connection.clients.get(baseUrl);
    if (cached && Date.now() - cached.fetchedAt < cardTtl) return cached.client;
    const client = (async () => {
      const cardUrl = new URL(AGENT_CARD_PATH, baseUrl);
      const response = await connection.fetchImpl(cardUrl, {
        signal,
        // Ask for the 1.0 card: a peer with the 0.3 compatibility layer serves 0.3 cards to
        // requests that name no version (A2A §3.6.2).
        headers: { accept: 'application/json', [A2A_VERSION_HEADER]: A2A_PROTOCOL_VERSION },
      });
      if (!response.ok) {
        throw Object.assign(
          new Error(`agent card ${cardUrl.toString()}: HTTP ${response.status}`),
          { status: response.status },
        );
      }
      let document: AgentCardDocument;
      try {
        const body: unknown = await response.json();
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new TypeError('the agent card is not a JSON object');
        }
        document = body as AgentCardDocument;
      } catch (cause) {
        throw new TransportError(
          TRANSPORT_ERROR_CODES.CARD_UNAVAILABLE,
          `agent card of "${peer}" is not valid JSON`,
          { cause },
        );
      }
      const expected = spiffeIdOf(system, peer);
      // Verified as received: the signature covers the JSON, not the SDK's decoding of it.
      const verdict = await verifyAgentCard(document, {
        caPem: currentCredentials().ca,
        expectedSpiffeId: expected,
      });
      if (!verdict.ok) {
        log.error(
          { code: verdict.code, peer, expected, url: cardUrl.toString() },
          `agent card of "${peer}" rejected: ${verdict.reason}`,
        );
        throw new TransportError(
          verdict.code as TransportErrorCode,
          `agent card of "${peer}" rejected: ${verdict.reason}`,
          {
            details: { peer, url: cardUrl.toString() },
          },
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
    })();
    connection.clients.set(baseUrl, { client, fetchedAt: Date.now() });
    client.catch(() => {
      if (connection.clients.get(baseUrl)?.client === client) connection.clients.delete(baseUrl);
    });
    return client;
  };

  const classify = (
    error: unknown,
    deadline: AbortSignal,
    external: AbortSignal | undefined,
    peer: string,
  ): Classified => {
    if (external?.aborted) {
      return {
        error: new TransportError(TRANSPORT_ERROR_CODES.CLOSED, `call to "${peer}" cancelled`, {
          cause: error,
        }),
        retryable: false,
        peerFault: false,
      };
    }
    if (deadline.aborted) {
      return {
        error: new TransportError(
          TRANSPORT_ERROR_CODES.DEADLINE_EXCEEDED,
          `call to "${peer}" exceeded its deadline`,
          { cause: error, details: { peer } },
        ),
        retryable: false,
        peerFault: true,
      };
    }
    if (error instanceof TransportError) {
      const peerFault =
        error.code === TRANSPORT_ERROR_CODES.CARD_SIGNATURE_INVALID ||
        error.code === TRANSPORT_ERROR_CODES.CARD_IDENTITY_MISMATCH ||
        error.code === TRANSPORT_ERROR_CODES.CARD_UNAVAILABLE;
      return { error, retryable: false, peerFault };
    }
    const codes = causeCodes(error);
    if (codes.includes(TRANSPORT_ERROR_CODES.PEER_IDENTITY_MISMATCH)) {
      return {
        error: new TransportError(
          TRANSPORT_ERROR_CODES.PEER_IDENTITY_MISMATCH,
          `the server at the address of "${peer}" is not "${peer}"`,
          {
            cause: error,
            details: { peer },
          },
        ),
        retryable: false,
        peerFault: true,
      };
    }
    const status = httpStatusOf(error);
    if (status !== undefined && status >= 500) {
      return {
        error: new TransportError(
          TRANSPORT_ERROR_CODES.UNAVAILABLE,
          `agent "${peer}" answered HTTP ${status}`,
          { cause: error, details: { peer, status } },
        ),
        retryable: RETRYABLE_HTTP.has(status),
        peerFault: true,
      };
    }
    if (codes.length > 0 || (error instanceof TypeError && /fetch failed/.test(error.message))) {
      return {
        error: new TransportError(
          TRANSPORT_ERROR_CODES.UNAVAILABLE,
          `agent "${peer}" is unreachable (${codes.join(', ') || 'connection failed'})`,
          {
            cause: error,
            details: { peer, causes: codes },
          },
        ),
        retryable: true,
        peerFault: true,
      };
    }
    const a2aCode = (error as { code?: unknown }).code;
    return {
      error: new TransportError(
        TRANSPORT_ERROR_CODES.PROTOCOL_ERROR,
        `A2A call to "${peer}" failed: ${(error as Error)?.message ?? String(error)}`,
        {
          cause: error,
          details: { peer, ...(typeof a2aCode === 'number' ? { jsonRpcCode: a2aCode } : {}) },
        },
      ),
      retryable: false,
      peerFault: false,
    };
  };

  const attempt = async (
    peer: string,
    state: PeerState,
    skillId: string,
    input: unknown,
    carrier: Record<string, string>,
    deadlineAt: number,
    signal: AbortSignal,
  ): Promise<unknown> => {
    const urls = peers.resolve(peer);
    if (urls.length === 0) {
      throw new TransportError(
        TRANSPORT_ERROR_CODES.PEER_UNKNOWN,
        `no endpoint known for agent "${peer}"`,
        { details: { peer } },
      );
    }
    const baseUrl = urls[state.next++ % urls.length]!;
    const connection = connectionFor(peer, state);
    const client = await clientFor(peer, connection, baseUrl, signal);
    const result = await client.sendMessage(
      {
        tenant: '',
        message: skillRequestMessage(skillId, input, carrier),
        configuration: undefined,
        metadata: undefined,
      },
      {
        signal,
        serviceParameters: {
          ...carrier,
          [DEADLINE_HEADER]: String(Math.max(1, deadlineAt - Date.now())),
        },
      },
    );
    const parsed = parseSkillResult(result);
    if (parsed.ok) return parsed.output;
    const code =
      parsed.code === TRANSPORT_ERROR_CODES.SKILL_NOT_FOUND ||
      parsed.code === TRANSPORT_ERROR_CODES.BAD_REQUEST ||
      parsed.code === TRANSPORT_ERROR_CODES.BAD_RESPONSE
        ? parsed.code
        : TRANSPORT_ERROR_CODES.SKILL_FAILED;
    throw new TransportError(
      code,
      `skill "${skillId}" of "${peer}" failed: ${parsed.code}: ${parsed.message}`,
      {
        details: { peer, skill: skillId, remoteCode: parsed.code },
      },
    );
  };

  return {
    async callSkill<T>(
      peer: string,
      skillId: string,
      input: unknown,
      callOptions: CallSkillOptions = {},
    ): Promise<T> {
      if (closed)
        throw new TransportError(TRANSPORT_ERROR_CODES.CLOSED, 'the agent client is closed');
      if (!agentSpec(system, peer)) {
        throw new TransportError(
          TRANSPORT_ERROR_CODES.PEER_UNKNOWN,
          `agent "${peer}" is not declared in the agent system`,
          { details: { peer } },
        );
      }
      if (!mayCall(system, selfName, peer)) {
        throw new TransportError(
          TRANSPORT_ERROR_CODES.CALL_NOT_ALLOWED,
          `agent "${selfName}" may not call agent "${peer}" (not in its calls)`,
          { details: { caller: selfName, peer } },
        );
      }
      const state = stateOf(peer);
      const deadlineMs = callOptions.deadlineMs ?? defaultDeadline;
      const deadlineAt = Date.now() + deadlineMs;
      // A controller and a timer cleared on completion, rather than AbortSignal.timeout,
      // whose timer (and signal) would live on for the whole deadline after a fast call.
      const deadlineController = new AbortController();
      const deadline = deadlineController.signal;
      const deadlineTimer = setTimeout(() => {
        deadlineController.abort(
          new TransportError(
            TRANSPORT_ERROR_CODES.DEADLINE_EXCEEDED,
            `deadline of ${deadlineMs} ms passed`,
          ),
        );
      }, deadlineMs);
      const signal = callOptions.signal
        ? AbortSignal.any([deadline, callOptions.signal])
        : deadline;
      const maxAttempts = callOptions.idempotent ? Math.max(1, retry.maxAttempts) : 1;
      const span = tracer.startSpan(
        `a2a.call ${peer}/${skillId}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'rpc.system': 'a2a',
            'rpc.service': peer,
            'rpc.method': skillId,
            'vigil.callee': spiffeIdOf(system, peer),
          },
        },
        otelContext.active(),
      );
      const carrier = injectTraceContext(trace.setSpan(otelContext.active(), span));
      try {
        for (let attemptNo = 1; ; attemptNo++) {
          if (!state.breaker.tryAcquire()) {
            throw new TransportError(
              TRANSPORT_ERROR_CODES.CIRCUIT_OPEN,
              `circuit for agent "${peer}" is open; retry in ${state.breaker.retryAfterMs()} ms`,
              { details: { peer, retryAfterMs: state.breaker.retryAfterMs() } },
            );
          }
          try {
            const output = await attempt(peer, state, skillId, input, carrier, deadlineAt, signal);
            state.breaker.onSuccess();
            span.setStatus({ code: SpanStatusCode.OK });
            return output as T;
          } catch (error) {
            const classified = classify(error, deadline, callOptions.signal, peer);
            if (classified.peerFault) state.breaker.onFailure();
            else state.breaker.onNeutral();
            const backoff = fullJitterDelay(attemptNo - 1, retry, options.random);
            if (
              !classified.retryable ||
              attemptNo >= maxAttempts ||
              Date.now() + backoff >= deadlineAt
            ) {
              throw classified.error;
            }
            log.debug(
              { peer, skill: skillId, attempt: attemptNo, backoff, code: classified.error.code },
              'retrying idempotent call',
            );
            try {
              await delay(backoff, signal);
            } catch {
              throw classify(
                new Error('aborted during back-off'),
                deadline,
                callOptions.signal,
                peer,
              ).error;
            }
          }
        }
      } catch (error) {
        const code = error instanceof TransportError ? error.code : 'UNKNOWN';
        span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        span.setAttribute('vigil.error.code', code);
        throw error;
      } finally {
        clearTimeout(deadlineTimer);
        span.end();
      }
    },
    circuitState: (peer) => states.get(peer)?.breaker.state ?? 'closed',
    async close(): Promise<void> {
      closed = true;
      const pools = [...states.values()].flatMap((state) =>
        state.connection ? [state.connection.dispatcher.close()] : [],
      );
      await Promise.allSettled([...pools, ...retired]);
    },
  };
}

/** Every `code` string along an error's `cause` chain (and AggregateError members). */
function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (!value || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    const code = (value as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    visit((value as { cause?: unknown }).cause);
    const errors = (value as { errors?: unknown }).errors;
    if (Array.isArray(errors)) errors.forEach(visit);
  };
  visit(error);
  return codes;
}

/** The HTTP status of an SDK transport error ("HTTP error for SendMessage! Status: 503 …"), if any. */
function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number') return status;
  const match = /Status: (\d{3})/.exec(error instanceof Error ? error.message : '');
  return match ? Number(match[1]) : undefined;
}
