import { TRANSPORT_ERROR_CODES, TransportError } from './errors.js';

/** A failed call attempt, as the retry loop and the circuit breaker see it. */
export interface ClassifiedFailure {
  readonly error: TransportError;
  /** Worth another attempt (for idempotent calls). */
  readonly retryable: boolean;
  /** Says the peer is unhealthy (counts towards opening its circuit). */
  readonly peerFault: boolean;
}

const RETRYABLE_HTTP = new Set([502, 503, 504]);

const CARD_FAULTS: ReadonlySet<string> = new Set([
  TRANSPORT_ERROR_CODES.CARD_SIGNATURE_INVALID,
  TRANSPORT_ERROR_CODES.CARD_IDENTITY_MISMATCH,
  TRANSPORT_ERROR_CODES.CARD_UNAVAILABLE,
]);

/**
 * Maps whatever an attempt threw to a `TransportError` with its retry and breaker
 * meaning: the caller's cancellation first, then the deadline, then our own errors (a
 * bad card is the peer's fault), a server that is not the peer, HTTP 5xx (502/503/504
 * retryable), connection failures (retryable), and anything else as a protocol error.
 */
export function classifyCallFailure(
  error: unknown,
  deadline: AbortSignal,
  external: AbortSignal | undefined,
  peer: string,
): ClassifiedFailure {
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
    return { error, retryable: false, peerFault: CARD_FAULTS.has(error.code) };
  }
  const codes = causeCodes(error);
  if (codes.includes(TRANSPORT_ERROR_CODES.PEER_IDENTITY_MISMATCH)) {
    return {
      error: new TransportError(
        TRANSPORT_ERROR_CODES.PEER_IDENTITY_MISMATCH,
        `the server at the address of "${peer}" is not "${peer}"`,
        { cause: error, details: { peer } },
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
        { cause: error, details: { peer, causes: codes } },
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
