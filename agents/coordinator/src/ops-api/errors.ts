import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isVigilError, type Logger } from '@vigil/core';

/** HTTP status of each domain error code the API passes through (edge mapping only). */
export const STATUS_FOR_CODE: Readonly<Record<string, number>> = {
  VIGIL_APPROVAL_NOT_FOUND: 404,
  VIGIL_APPROVAL_NOT_PENDING: 409,
  VIGIL_APPROVAL_EXPIRED: 410,
  VIGIL_APPROVAL_FORBIDDEN: 403,
  VIGIL_APPROVAL_REASON_REQUIRED: 400,
  VIGIL_PKI_CSR_INVALID: 400,
  VIGIL_PKI_INVALID_NAME: 400,
  VIGIL_PKI_CA_MISSING: 503,
  VIGIL_AUDIT_NOT_FOUND: 404,
};

/** The API's own error codes, each with its HTTP status. */
export const API_ERRORS = {
  badRequest: { code: 'VIGIL_API_BAD_REQUEST', status: 400 },
  unauthenticated: { code: 'VIGIL_API_UNAUTHENTICATED', status: 401 },
  forbidden: { code: 'VIGIL_API_FORBIDDEN', status: 403 },
  approvalForbidden: { code: 'VIGIL_APPROVAL_FORBIDDEN', status: 403 },
  csrf: { code: 'VIGIL_API_CSRF', status: 403 },
  badCredentials: { code: 'VIGIL_API_BAD_CREDENTIALS', status: 401 },
  notFound: { code: 'VIGIL_API_NOT_FOUND', status: 404 },
  incidentNotFound: { code: 'VIGIL_INCIDENT_NOT_FOUND', status: 404 },
  approvalNotFound: { code: 'VIGIL_APPROVAL_NOT_FOUND', status: 404 },
  bodyTooLarge: { code: 'VIGIL_API_BODY_TOO_LARGE', status: 413 },
  throttled: { code: 'VIGIL_API_THROTTLED', status: 429 },
  /** No OIDC sign-in in progress in this browser, or a state or nonce that is not its own. */
  oidcState: { code: 'VIGIL_API_OIDC_STATE', status: 400 },
  /** The identity provider refused (an error redirect, an expired or reused code, a bad ID token). */
  oidcRefused: { code: 'VIGIL_API_OIDC_REFUSED', status: 401 },
  /** The provider vouched for the person, but their claims map to no role or the allow-lists exclude them. */
  oidcNotAllowed: { code: 'VIGIL_API_OIDC_NOT_ALLOWED', status: 403 },
  oidcUnavailable: { code: 'VIGIL_API_OIDC_UNAVAILABLE', status: 503 },
  internal: { code: 'VIGIL_API_INTERNAL', status: 500 },
  unavailable: { code: 'VIGIL_API_UNAVAILABLE', status: 503 },
} as const;

export type ApiErrorKind = keyof typeof API_ERRORS;

/** An error the API answers as `{ code, message }` with its status; headers go with it (Retry-After). */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(
    kind: ApiErrorKind,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.code = API_ERRORS[kind].code;
    this.status = API_ERRORS[kind].status;
  }
}

/** Maps anything thrown by a route to `{ code, message }` and a status; internals are logged, never sent. */
export function createErrorHandler(logger?: Logger) {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError)
      return reply
        .code(error.status)
        .headers(error.headers)
        .send({ code: error.code, message: error.message });
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext ?? 'body';
      const message = error.validation
        .map((issue) => {
          const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
          return `${path || where}: ${issue.message ?? 'invalid'}`;
        })
        .join('; ');
      return reply.code(400).send({ code: API_ERRORS.badRequest.code, message });
    }
    if (isVigilError(error))
      return reply
        .code(STATUS_FOR_CODE[error.code] ?? (error.code.startsWith('VIGIL_APPROVAL') ? 400 : 500))
        .send({ code: error.code, message: error.message });
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply
        .code(413)
        .send({ code: API_ERRORS.bodyTooLarge.code, message: 'request body over 64 KiB' });
    // Fastify's own client errors (malformed JSON, wrong content type): the client's fault.
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500)
      return reply
        .code(error.statusCode)
        .send({ code: API_ERRORS.badRequest.code, message: `body: ${error.message}` });
    logger?.error({ error: String(error) }, 'ops API failure');
    return reply.code(500).send({ code: API_ERRORS.internal.code, message: 'internal error' });
  };
}
