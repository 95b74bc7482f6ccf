import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { createHash, timingSafeEqual } from 'node:crypto';
import { IngestError } from './errors.js';

export interface HttpAuthOptions {
  /** Accepted bearer tokens (e.g. one per shipper). Read them from the environment: {@link bearerTokenFromEnv}. */
  readonly bearerTokens?: readonly string[];
  /**
   * Accept callers whose client certificate the TLS server verified
   * (`socket.authorized`). With `allowedSpiffeIds`, only those URI SANs.
   */
  readonly mtls?: { readonly allowedSpiffeIds?: readonly string[] };
}

/**
 * Reads a bearer token from `env[name]`. Throws a configuration error naming the
 * variable (never the value) when it is unset or shorter than 16 characters.
 */
export function bearerTokenFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const token = env[name];
  if (token === undefined || token.length === 0)
    throw new IngestError(
      'VIGIL_CONFIG_DETECTOR_INGEST',
      `environment variable ${name} (ingest bearer token) is not set`,
    );
  if (token.length < 16)
    throw new IngestError(
      'VIGIL_CONFIG_DETECTOR_INGEST',
      `environment variable ${name} holds a token shorter than 16 characters`,
    );
  return token;
}

/**
 * The intake's authentication, fail closed: true when the request carries one of the
 * bearer tokens (compared as SHA-256 digests in constant time; never logged) or comes
 * over a TLS connection whose client certificate the server verified (and, with
 * `allowedSpiffeIds`, names one of them as a URI SAN).
 *
 * @throws IngestError `VIGIL_CONFIG_DETECTOR_INGEST` when neither tokens nor mTLS are configured.
 */
export function createIntakeAuthenticator(
  auth: HttpAuthOptions,
): (req: IncomingMessage) => boolean {
  const tokenDigests = (auth.bearerTokens ?? []).map((t) =>
    createHash('sha256').update(t).digest(),
  );
  const mtls = auth.mtls;
  if (tokenDigests.length === 0 && mtls === undefined)
    throw new IngestError(
      'VIGIL_CONFIG_DETECTOR_INGEST',
      'HTTP event source needs authentication: auth.bearerTokens and/or auth.mtls',
    );
  const allowedIds =
    mtls?.allowedSpiffeIds === undefined ? undefined : new Set(mtls.allowedSpiffeIds);
  return (req) => {
    const header = req.headers.authorization;
    if (header !== undefined && tokenDigests.length > 0 && header.startsWith('Bearer ')) {
      // Compare digests: equal length always, so timingSafeEqual leaks nothing about length.
      const presented = createHash('sha256').update(header.slice(7)).digest();
      let match = false;
      for (const d of tokenDigests) match = timingSafeEqual(presented, d) || match;
      if (match) return true;
    }
    if (mtls !== undefined) {
      const socket = req.socket as Partial<TLSSocket>;
      if (socket.encrypted === true && socket.authorized === true) {
        if (allowedIds === undefined) return true;
        const san = socket.getPeerCertificate?.().subjectaltname ?? '';
        for (const entry of san.split(', ')) {
          if (entry.startsWith('URI:') && allowedIds.has(entry.slice(4))) return true;
        }
      }
    }
    return false;
  };
}
