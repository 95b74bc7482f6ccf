/**
 * Every call the pages make, one function each, typed by the API's shapes. Pages never
 * build URLs themselves: a route that moves changes here only.
 */
import { api, unwrap } from './client.js';
import type { components } from './schema.js';

/** Who is signed in (`GET /v1/session`), with the CSRF token of the session. */
export type SessionInfo = components['schemas']['Session'];

/** What the login page offers: passwords, and an OIDC provider when one is configured. */
export type SignInMethods = components['schemas']['SignInMethods'];

export const endpoints = {
  session: async () => unwrap(await api.GET('/v1/session')),
  signInMethods: async () => unwrap(await api.GET('/v1/session/methods')),
  signIn: async (user: string, password: string) =>
    unwrap(await api.POST('/v1/session', { body: { user, password } })),
  signOut: async () => {
    unwrap(await api.DELETE('/v1/session'));
  },
  /** A short-lived user certificate for the browser's own key (PKCS#10 CSR, PEM). */
  certificate: async (csr: string) =>
    unwrap(await api.POST('/v1/session/certificate', { body: { csr } })),
  incidents: async () => unwrap(await api.GET('/v1/incidents')),
  incident: async (id: string) =>
    unwrap(await api.GET('/v1/incidents/{id}', { params: { path: { id } } })),
  /** The incident's decision chain rebuilt from the audit trail (`vigil trace`). */
  trace: async (id: string) =>
    unwrap(await api.GET('/v1/incidents/{id}/trace', { params: { path: { id } } })),
  approvals: async () => unwrap(await api.GET('/v1/approvals')),
  approval: async (id: string) =>
    unwrap(await api.GET('/v1/approvals/{id}', { params: { path: { id } } })),
  decide: async (
    id: string,
    decision: 'approve' | 'reject',
    body: { reason: string; approval: string; parameters?: Record<string, unknown> },
  ) =>
    unwrap(
      decision === 'approve'
        ? await api.POST('/v1/approvals/{id}/approve', { params: { path: { id } }, body })
        : await api.POST('/v1/approvals/{id}/reject', { params: { path: { id } }, body }),
    ),
  agents: async () => unwrap(await api.GET('/v1/agents')),
  compliance: async () => unwrap(await api.GET('/v1/compliance')),
  /** Newest first; `before` is the previous page's `next`. */
  audit: async (query: { incident?: string; trace?: string; agent?: string; before?: number }) =>
    unwrap(await api.GET('/v1/audit', { params: { query } })),
  verification: async () => unwrap(await api.GET('/v1/audit/verification')),
  policies: async () => unwrap(await api.GET('/v1/policies')),
};

/** The live incident stream (server-sent events). */
export const INCIDENT_STREAM = '/v1/incidents/events';
