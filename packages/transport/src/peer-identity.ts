import type { TLSSocket } from 'node:tls';
import { spiffeIdFromCertificate } from '@vigil/pki';
import { TRANSPORT_ERROR_CODES, type TransportErrorCode } from './errors.js';
import { agentNameFromSpiffeId, mayCall, type TransportSystem } from './system.js';

/** The authenticated peer of a connection. */
export interface PeerIdentity {
  /** The SPIFFE ID from the (verified) client certificate, if it has exactly one. */
  readonly spiffeId: string | undefined;
  /** The agent it names in this system, if any. */
  readonly agentName: string | undefined;
}

const identities = new WeakMap<TLSSocket, PeerIdentity>();

/**
 * The peer identity of a TLS connection whose certificate the handshake verified.
 * Parsed once per connection (keep-alive reuses it for every request).
 */
export function peerIdentityOf(socket: TLSSocket, system: TransportSystem): PeerIdentity {
  const cached = identities.get(socket);
  if (cached) return cached;
  const cert = socket.getPeerCertificate(false);
  const raw = cert && 'raw' in cert ? cert.raw : undefined;
  const spiffeId = raw ? spiffeIdFromCertificate(raw) : undefined;
  const identity = Object.freeze({
    spiffeId,
    agentName: spiffeId ? agentNameFromSpiffeId(system, spiffeId) : undefined,
  });
  identities.set(socket, identity);
  return identity;
}

/** An admission verdict: admitted, or refused with an HTTP status and stable code. */
export type Admission =
  | { readonly admitted: true; readonly caller: { name: string; spiffeId: string } }
  | {
      readonly admitted: false;
      readonly status: 401 | 403;
      readonly code: TransportErrorCode;
      readonly reason: string;
    };

/**
 * Decides whether `peer` may call `self`: it must carry a SPIFFE ID of this trust
 * domain naming a declared agent whose `calls` include `self`. `requireCallPermission:
 * false` admits any declared agent (used for the agent card).
 */
export function admit(
  system: TransportSystem,
  self: string,
  peer: PeerIdentity,
  requireCallPermission = true,
): Admission {
  if (!peer.spiffeId) {
    return {
      admitted: false,
      status: 401,
      code: TRANSPORT_ERROR_CODES.NO_SPIFFE_ID,
      reason: 'the client certificate carries no SPIFFE ID',
    };
  }
  if (!peer.spiffeId.startsWith(`spiffe://${system.trustDomain}/`)) {
    return {
      admitted: false,
      status: 401,
      code: TRANSPORT_ERROR_CODES.FOREIGN_TRUST_DOMAIN,
      reason: `${peer.spiffeId} is not in trust domain ${system.trustDomain}`,
    };
  }
  if (!peer.agentName) {
    return {
      admitted: false,
      status: 403,
      code: TRANSPORT_ERROR_CODES.UNKNOWN_CALLER,
      reason: `${peer.spiffeId} is not an agent of this system`,
    };
  }
  if (requireCallPermission && !mayCall(system, peer.agentName, self)) {
    return {
      admitted: false,
      status: 403,
      code: TRANSPORT_ERROR_CODES.CALLER_NOT_ALLOWED,
      reason: `agent "${peer.agentName}" may not call agent "${self}"`,
    };
  }
  return { admitted: true, caller: { name: peer.agentName, spiffeId: peer.spiffeId } };
}

/**
 * Classifies a `tlsClientError`. Node verifies the client certificate after the
 * handshake and records the OpenSSL verify result in `authorizationError` before
 * destroying the socket, so that, not the (generic) error, tells expired from
 * untrusted.
 */
export function classifyHandshakeError(
  error: Error & { code?: string },
  authorizationError: string | Error | undefined,
): { code: TransportErrorCode; reason: string } {
  const verify =
    typeof authorizationError === 'string' ? authorizationError : authorizationError?.message;
  switch (verify) {
    case undefined:
      break;
    case 'CERT_HAS_EXPIRED':
      return { code: TRANSPORT_ERROR_CODES.TLS_CERT_EXPIRED, reason: verify };
    case 'CERT_NOT_YET_VALID':
      return { code: TRANSPORT_ERROR_CODES.TLS_CERT_NOT_YET_VALID, reason: verify };
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_SIGNATURE_FAILURE':
    case 'CERT_UNTRUSTED':
      return { code: TRANSPORT_ERROR_CODES.TLS_UNTRUSTED_CERT, reason: verify };
    default:
      return { code: TRANSPORT_ERROR_CODES.TLS_CERT_REJECTED, reason: verify };
  }
  const code = error.code ?? '';
  if (code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') {
    return {
      code: TRANSPORT_ERROR_CODES.TLS_NO_CLIENT_CERT,
      reason: 'the client presented no certificate',
    };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(error.message)) {
    return { code: TRANSPORT_ERROR_CODES.TLS_HANDSHAKE_ABORTED, reason: error.message };
  }
  return { code: TRANSPORT_ERROR_CODES.TLS_PROTOCOL, reason: code || error.message };
}
