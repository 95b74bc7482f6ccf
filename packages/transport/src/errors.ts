import { VigilError } from '@vigil/core';

/**
 * Stable error codes of `@vigil/transport`, one per distinct failure so an operator can
 * grep a log and a caller can branch on `error.code`. Codes of refusals by a callee are
 * also sent in its 401/403 JSON body; TLS handshake failures are logged by the callee
 * under their own codes (the caller only sees a closed connection).
 */
export const TRANSPORT_ERROR_CODES = {
  // Callee side, after the handshake (HTTP 401/403 + a log line naming the caller).
  /** The peer certificate carries no (single, valid) SPIFFE URI SAN. 401. */
  NO_SPIFFE_ID: 'VIGIL_TRANSPORT_NO_SPIFFE_ID',
  /** The peer's SPIFFE ID belongs to another trust domain. 401. */
  FOREIGN_TRUST_DOMAIN: 'VIGIL_TRANSPORT_FOREIGN_TRUST_DOMAIN',
  /** The peer's SPIFFE ID names no agent of the registry. 403. */
  UNKNOWN_CALLER: 'VIGIL_TRANSPORT_UNKNOWN_CALLER',
  /** The registry does not let this caller call this agent (`calls`). 403. */
  CALLER_NOT_ALLOWED: 'VIGIL_TRANSPORT_CALLER_NOT_ALLOWED',
  // Callee side, at the TLS handshake (`tlsClientError`), logged only.
  /** The client presented no certificate. */
  TLS_NO_CLIENT_CERT: 'VIGIL_TRANSPORT_TLS_NO_CLIENT_CERT',
  /** The client certificate does not chain to the trust bundle (another CA, self-signed...). */
  TLS_UNTRUSTED_CERT: 'VIGIL_TRANSPORT_TLS_UNTRUSTED_CERT',
  /** The client certificate has expired. */
  TLS_CERT_EXPIRED: 'VIGIL_TRANSPORT_TLS_CERT_EXPIRED',
  /** The client certificate is not valid yet. */
  TLS_CERT_NOT_YET_VALID: 'VIGIL_TRANSPORT_TLS_CERT_NOT_YET_VALID',
  /** The client certificate was rejected for another verification reason. */
  TLS_CERT_REJECTED: 'VIGIL_TRANSPORT_TLS_CERT_REJECTED',
  /** The client offered no TLS 1.3 or another protocol error occurred. */
  TLS_PROTOCOL: 'VIGIL_TRANSPORT_TLS_PROTOCOL',
  /** The client went away during the handshake (often: it rejected our certificate). */
  TLS_HANDSHAKE_ABORTED: 'VIGIL_TRANSPORT_TLS_HANDSHAKE_ABORTED',
  // Caller side.
  /** The local registry does not let this agent call that peer; nothing was sent. */
  CALL_NOT_ALLOWED: 'VIGIL_TRANSPORT_CALL_NOT_ALLOWED',
  /** The peer is not an agent of the registry or has no endpoint in the directory. */
  PEER_UNKNOWN: 'VIGIL_TRANSPORT_PEER_UNKNOWN',
  /** The server's certificate names another SPIFFE ID than the expected peer. */
  PEER_IDENTITY_MISMATCH: 'VIGIL_TRANSPORT_PEER_IDENTITY_MISMATCH',
  /** The agent card's JWS does not verify, is missing, or its x5c does not chain to the CA. */
  CARD_SIGNATURE_INVALID: 'VIGIL_TRANSPORT_CARD_SIGNATURE_INVALID',
  /** The agent card is signed by a valid certificate of another agent than the expected peer. */
  CARD_IDENTITY_MISMATCH: 'VIGIL_TRANSPORT_CARD_IDENTITY_MISMATCH',
  /** The agent card could not be fetched or parsed. */
  CARD_UNAVAILABLE: 'VIGIL_TRANSPORT_CARD_UNAVAILABLE',
  /** The callee refused the call (401/403); `details.remoteCode` holds its code. */
  REFUSED: 'VIGIL_TRANSPORT_REFUSED',
  /** The call did not complete within its deadline. */
  DEADLINE_EXCEEDED: 'VIGIL_TRANSPORT_DEADLINE_EXCEEDED',
  /** The peer's circuit breaker is open; the call was not attempted. */
  CIRCUIT_OPEN: 'VIGIL_TRANSPORT_CIRCUIT_OPEN',
  /** The peer could not be reached (connection refused/reset, TLS failure, 5xx). */
  UNAVAILABLE: 'VIGIL_TRANSPORT_UNAVAILABLE',
  /** The peer has no such skill. */
  SKILL_NOT_FOUND: 'VIGIL_TRANSPORT_SKILL_NOT_FOUND',
  /** The request message is not a skill call (no DataPart or no `vigil.dev/skill`). */
  BAD_REQUEST: 'VIGIL_TRANSPORT_BAD_REQUEST',
  /** The remote skill handler failed; `details.remoteCode` holds its error code. */
  SKILL_FAILED: 'VIGIL_TRANSPORT_SKILL_FAILED',
  /** The peer answered something that is not a skill response. */
  BAD_RESPONSE: 'VIGIL_TRANSPORT_BAD_RESPONSE',
  /** A JSON-RPC / A2A protocol error. */
  PROTOCOL_ERROR: 'VIGIL_TRANSPORT_PROTOCOL_ERROR',
  /** The client or server was closed. */
  CLOSED: 'VIGIL_TRANSPORT_CLOSED',
  /** Options or credentials handed to this package are invalid. */
  INVALID_OPTIONS: 'VIGIL_TRANSPORT_INVALID_OPTIONS',
} as const;

export type TransportErrorCode = (typeof TRANSPORT_ERROR_CODES)[keyof typeof TRANSPORT_ERROR_CODES];

/** The one error class of `@vigil/transport`; `code` is one of {@link TRANSPORT_ERROR_CODES}. */
export class TransportError extends VigilError {
  constructor(
    code: TransportErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
