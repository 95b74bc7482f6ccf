/**
 * The console's one HTTP client: openapi-fetch typed by `schema.ts` (generated from the
 * coordinator's OpenAPI document). Same origin, session cookie sent by the browser, the
 * CSRF token added to every state-changing request, a 401 anywhere signs the page out.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema.js';

let csrfToken: string | undefined;

/** The header unsafe requests carry the session's CSRF token in. */
export const CSRF_HEADER = 'x-vigil-csrf';

/** The CSRF token of the current session (from sign-in), sent as {@link CSRF_HEADER}. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** The CSRF token set by {@link setCsrfToken}, if signed in. */
export function getCsrfToken(): string | undefined {
  return csrfToken;
}

/** Fired on `window` when the API answers 401: the session ended or never was. */
export const UNAUTHENTICATED_EVENT = 'vigil:unauthenticated';

const session: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD' && csrfToken)
      request.headers.set(CSRF_HEADER, csrfToken);
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !new URL(request.url).pathname.startsWith('/v1/session'))
      window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
    return response;
  },
};

/** Typed client for every documented route. */
export const api = createClient<paths>({
  baseUrl: window.location.origin,
  credentials: 'same-origin',
});
api.use(session);

/** An API error body (`{ code, message }`) as an Error the pages can show. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Throws the API's `{ code, message }` as an {@link ApiProblem}; returns the data otherwise. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    const body = (result.error ?? {}) as { code?: string; message?: string };
    throw new ApiProblem(
      result.response.status,
      body.code ?? `HTTP_${result.response.status}`,
      body.message ?? result.response.statusText,
    );
  }
  return result.data as T;
}
