/**
 * Every call the pages make, one function each, typed by the API's shapes. Pages never
 * build URLs themselves: a route that moves changes here only.
 */
import {
  api,
  ApiProblem,
  CSRF_HEADER,
  getCsrfToken,
  unwrap,
  UNAUTHENTICATED_EVENT,
} from './client.js';
import type { components } from './schema.js';
import type { AuditEntry } from './types.js';

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const csrf = getCsrfToken();
  if (method !== 'GET' && csrf) headers[CSRF_HEADER] = csrf;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await response.json().catch(() => ({}))) as T & { code?: string; message?: string };
  if (!response.ok) {
    if (response.status === 401 && !path.startsWith('/v1/session'))
      window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
    throw new ApiProblem(
      response.status,
      json.code ?? `HTTP_${response.status}`,
      json.message ?? response.statusText,
    );
  }
  return json;
}

const q = (params: Record<string, string | undefined>): string => {
  const search = new URLSearchParams(
    Object.entries(params).filter((e): e is [string, string] => Boolean(e[1])),
  ).toString();
  return search ? `?${search}` : '';
};

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
  trace: (id: string) =>
    call<{ entries: AuditEntry[] }>('GET', `/v1/incidents/${encodeURIComponent(id)}/trace`),
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
  agents: () => call<AgentsView>('GET', '/v1/agents'),
  compliance: () => call<ComplianceView>('GET', '/v1/compliance'),
  audit: (filter: { incident?: string; trace?: string; agent?: string }) =>
    call<{ entries: AuditEntry[] }>('GET', `/v1/audit${q(filter)}`),
  verification: () => call<AuditVerification>('GET', '/v1/audit/verification'),
  policies: () => call<PoliciesView>('GET', '/v1/policies'),
};

/** The live incident stream (server-sent events). */
export const INCIDENT_STREAM = '/v1/incidents/events';

export interface AgentView {
  readonly name: string;
  readonly role?: string;
  readonly spiffeId: string;
  readonly certificate?: { readonly notAfter: number | string } | null;
  readonly skills: readonly (string | { id: string; name?: string })[];
  readonly allowedCallers?: readonly string[];
  readonly calls?: readonly string[];
  readonly permissions?: readonly unknown[];
  readonly autonomy?: unknown;
  readonly health?: string;
  readonly restarts?: number;
  readonly memoryBytes?: number | null;
  readonly replicas?: readonly {
    readonly replica: number;
    readonly state: string;
    readonly restarts?: number;
    readonly memoryBytes?: number | null;
  }[];
}
export interface AgentsView {
  readonly agents: readonly AgentView[];
}

export interface MetricPoint {
  readonly at: number;
  readonly leastAgency: number;
  readonly fiveSignalCoverage: number;
  readonly mutationInterventionRate: number | null;
}
export interface ComplianceView {
  readonly current: Omit<MetricPoint, 'at'>;
  readonly history: readonly MetricPoint[];
  readonly signals: readonly {
    readonly agent: string;
    readonly identity: boolean;
    readonly execution: boolean;
    readonly intent: boolean;
    readonly communication: boolean;
    readonly health: boolean;
  }[];
  readonly funnel: {
    readonly events: number;
    readonly findings: number;
    readonly incidents: number;
  };
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly checkedAt: number;
  readonly entries: number;
  readonly firstBad?: { readonly seq: number; readonly reason: string } | null;
}

export interface PoliciesView {
  readonly revision: string;
  readonly rules: readonly {
    readonly id: string;
    readonly decision?: string;
    readonly description?: string;
    readonly tested: boolean;
  }[];
  readonly coverage: { readonly tested: number; readonly total: number };
}
