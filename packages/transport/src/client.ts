import {
  SpanKind,
  SpanStatusCode,
  context as otelContext,
  trace,
  type Span,
} from '@opentelemetry/api';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './breaker.js';
import { createVerifiedClients, type VerifiedClients } from './client-card.js';
import { createPeerConnections, type PeerConnections } from './client-connection.js';
import { classifyCallFailure } from './client-failure.js';
import { DEADLINE_HEADER, startCallDeadline } from './deadline.js';
import { TRANSPORT_ERROR_CODES, TransportError } from './errors.js';
import type { PeerDirectory } from './peers.js';
import { delay, fullJitterDelay, type RetryPolicy } from './retry.js';
import { parseSkillResult, skillRequestMessage } from './skill-rpc.js';
import { agentSpec, mayCall, spiffeIdOf, type TransportSystem } from './system.js';
import type { TransportCredentials } from './tls.js';
import { injectTraceContext, transportTracer } from './trace.js';
import type { Logger } from '@vigil/core';

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

interface PeerState {
  readonly breaker: CircuitBreaker;
  next: number;
}

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
  const expectedId = (peer: string): string => spiffeIdOf(system, peer);
  const connections = createPeerConnections({
    spiffeIdOf: expectedId,
    credentials: currentCredentials,
    logger: log,
    ...(options.keepAliveTimeoutMs === undefined
      ? {}
      : { keepAliveTimeoutMs: options.keepAliveTimeoutMs }),
    ...(options.connectionsPerOrigin === undefined
      ? {}
      : { connectionsPerOrigin: options.connectionsPerOrigin }),
  });
  const clients = createVerifiedClients({
    spiffeIdOf: expectedId,
    caPem: () => currentCredentials().ca,
    cardTtlMs: options.cardTtlMs ?? 300_000,
    logger: log,
  });
  const states = new Map<string, PeerState>();
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
        next: 0,
      };
      states.set(peer, state);
    }
    return state;
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
      assertMayCall(system, selfName, peer);
      const state = stateOf(peer);
      const deadline = startCallDeadline(
        callOptions.deadlineMs ?? defaultDeadline,
        callOptions.signal,
      );
      const span = tracer.startSpan(
        `a2a.call ${peer}/${skillId}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'rpc.system': 'a2a',
            'rpc.service': peer,
            'rpc.method': skillId,
            'vigil.callee': expectedId(peer),
          },
        },
        otelContext.active(),
      );
      const call: Call = {
        peer,
        skillId,
        input,
        carrier: injectTraceContext(trace.setSpan(otelContext.active(), span)),
        deadline: deadline.deadline,
        deadlineAt: deadline.at,
        signal: deadline.signal,
        external: callOptions.signal,
        maxAttempts: callOptions.idempotent ? Math.max(1, retry.maxAttempts) : 1,
      };
      const send = (): Promise<unknown> => sendOnce(call, state, { peers, connections, clients });
      try {
        const output = await withRetries(call, state.breaker, send, {
          retry,
          log,
          ...(options.random === undefined ? {} : { random: options.random }),
        });
        span.setStatus({ code: SpanStatusCode.OK });
        return output as T;
      } catch (error) {
        markFailed(span, error);
        throw error;
      } finally {
        deadline.dispose();
        span.end();
      }
    },
    circuitState: (peer) => states.get(peer)?.breaker.state ?? 'closed',
    async close(): Promise<void> {
      closed = true;
      await connections.close();
    },
  };
}

/**
 * @throws TransportError `VIGIL_TRANSPORT_PEER_UNKNOWN` (not declared) or
 *   `…_CALL_NOT_ALLOWED` (not in the caller's `calls`), before anything is sent.
 */
function assertMayCall(system: TransportSystem, selfName: string, peer: string): void {
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
}

/** One call as its attempts see it. */
interface Call {
  readonly peer: string;
  readonly skillId: string;
  readonly input: unknown;
  /** W3C trace context of the client span. */
  readonly carrier: Record<string, string>;
  readonly deadline: AbortSignal;
  readonly deadlineAt: number;
  /** Aborted by the deadline or the caller. */
  readonly signal: AbortSignal;
  /** The caller's own signal. */
  readonly external: AbortSignal | undefined;
  readonly maxAttempts: number;
}

/**
 * Runs `send` under the peer's circuit breaker, retrying what {@link classifyCallFailure}
 * calls retryable with full-jitter back-off while attempts and the deadline allow.
 * @throws TransportError `VIGIL_TRANSPORT_CIRCUIT_OPEN`, or the last attempt's classified error.
 */
async function withRetries(
  call: Call,
  breaker: CircuitBreaker,
  send: () => Promise<unknown>,
  policy: {
    retry: Required<RetryPolicy>;
    log: Logger;
    random?: () => number;
  },
): Promise<unknown> {
  const { peer } = call;
  for (let attemptNo = 1; ; attemptNo++) {
    if (!breaker.tryAcquire()) {
      throw new TransportError(
        TRANSPORT_ERROR_CODES.CIRCUIT_OPEN,
        `circuit for agent "${peer}" is open; retry in ${breaker.retryAfterMs()} ms`,
        { details: { peer, retryAfterMs: breaker.retryAfterMs() } },
      );
    }
    try {
      const output = await send();
      breaker.onSuccess();
      return output;
    } catch (error) {
      const classified = classifyCallFailure(error, call.deadline, call.external, peer);
      if (classified.peerFault) breaker.onFailure();
      else breaker.onNeutral();
      const backoff = fullJitterDelay(attemptNo - 1, policy.retry, policy.random);
      if (
        !classified.retryable ||
        attemptNo >= call.maxAttempts ||
        Date.now() + backoff >= call.deadlineAt
      ) {
        throw classified.error;
      }
      policy.log.debug(
        { peer, skill: call.skillId, attempt: attemptNo, backoff, code: classified.error.code },
        'retrying idempotent call',
      );
      try {
        await delay(backoff, call.signal);
      } catch {
        throw classifyCallFailure(
          new Error('aborted during back-off'),
          call.deadline,
          call.external,
          peer,
        ).error;
      }
    }
  }
}

/**
 * One attempt: the next endpoint of the peer (round-robin), its verified client over the
 * current pool, the skill request with the time left, and the answer parsed.
 * @throws TransportError `VIGIL_TRANSPORT_PEER_UNKNOWN`, `…_SKILL_NOT_FOUND`, `…_BAD_REQUEST`,
 *   `…_BAD_RESPONSE`, `…_SKILL_FAILED`; whatever the connection or the SDK threw.
 */
async function sendOnce(
  call: Call,
  state: PeerState,
  via: { peers: PeerDirectory; connections: PeerConnections; clients: VerifiedClients },
): Promise<unknown> {
  const { peer, skillId } = call;
  const urls = via.peers.resolve(peer);
  if (urls.length === 0) {
    throw new TransportError(
      TRANSPORT_ERROR_CODES.PEER_UNKNOWN,
      `no endpoint known for agent "${peer}"`,
      { details: { peer } },
    );
  }
  const baseUrl = urls[state.next++ % urls.length]!;
  const client = await via.clients.for(peer, via.connections.for(peer), baseUrl, call.signal);
  const result = await client.sendMessage(
    {
      tenant: '',
      message: skillRequestMessage(skillId, call.input, call.carrier),
      configuration: undefined,
      metadata: undefined,
    },
    {
      signal: call.signal,
      serviceParameters: {
        ...call.carrier,
        [DEADLINE_HEADER]: String(Math.max(1, call.deadlineAt - Date.now())),
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
    { details: { peer, skill: skillId, remoteCode: parsed.code } },
  );
}

function markFailed(span: Span, error: unknown): void {
  const code = error instanceof TransportError ? error.code : 'UNKNOWN';
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.setAttribute('vigil.error.code', code);
}
