/**
 * What executing an action asks of the world: Kubernetes API requests and signed
 * webhook calls. Plans are data, so the dry-run executor can record exactly what a
 * cluster would see and tests can check every body against the Kubernetes schema.
 */

export const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  strategicMerge: 'application/strategic-merge-patch+json',
} as const;
export type PatchType = (typeof PATCH_TYPES)[keyof typeof PATCH_TYPES];

/** The Kubernetes kinds the catalogue touches, with their REST coordinates. */
export const RESOURCES = {
  Pod: { apiVersion: 'v1', plural: 'pods', namespaced: true },
  Node: { apiVersion: 'v1', plural: 'nodes', namespaced: false },
  Secret: { apiVersion: 'v1', plural: 'secrets', namespaced: true },
  ServiceAccount: { apiVersion: 'v1', plural: 'serviceaccounts', namespaced: true },
  Namespace: { apiVersion: 'v1', plural: 'namespaces', namespaced: false },
  NetworkPolicy: {
    apiVersion: 'networking.k8s.io/v1',
    plural: 'networkpolicies',
    namespaced: true,
  },
  Deployment: { apiVersion: 'apps/v1', plural: 'deployments', namespaced: true },
  StatefulSet: { apiVersion: 'apps/v1', plural: 'statefulsets', namespaced: true },
  DaemonSet: { apiVersion: 'apps/v1', plural: 'daemonsets', namespaced: true },
  ReplicaSet: { apiVersion: 'apps/v1', plural: 'replicasets', namespaced: true },
} as const;
export type ResourceKind = keyof typeof RESOURCES;

/** One request to the Kubernetes API. */
export interface KubernetesRequest {
  readonly kind: 'kubernetes';
  readonly verb: 'create' | 'patch' | 'delete';
  readonly resource: ResourceKind;
  readonly namespace?: string;
  readonly name: string;
  /** Only `scale` (Deployment, StatefulSet). */
  readonly subresource?: 'scale';
  /** Required for `patch`: the body is a merge or strategic-merge patch document. */
  readonly patchType?: PatchType;
  /**
   * `create`: the full object; `patch`: the patch document; `delete`: a `DeleteOptions`
   * (grace period, preconditions on uid so a same-named replacement is never deleted).
   */
  readonly body?: Readonly<Record<string, unknown>>;
  /** One line for humans: `create NetworkPolicy shop/vigil-quarantine-ab12`. */
  readonly summary: string;
}

/** One signed HTTP POST to a configured webhook endpoint (e.g. the identity provider). */
export interface WebhookRequest {
  readonly kind: 'webhook';
  /** Name of the configured endpoint, never its URL (the URL is deployment configuration). */
  readonly endpoint: string;
  /** Event name, e.g. `user.disable`. */
  readonly event: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly summary: string;
}

export type ApiRequest = KubernetesRequest | WebhookRequest;

/** The HTTP exchange a Kubernetes API server would see for a {@link KubernetesRequest}. */
export interface HttpRequestShape {
  readonly method: 'POST' | 'PATCH' | 'DELETE' | 'GET';
  readonly path: string;
  readonly contentType?: string;
  readonly body?: unknown;
}

/** REST path of a resource collection or object (`/apis/<group>/<version>/namespaces/<ns>/<plural>[/<name>[/<sub>]]`). */
export function resourcePath(
  resource: ResourceKind,
  namespace: string | undefined,
  name?: string,
  subresource?: string,
): string {
  const info = RESOURCES[resource];
  const base = info.apiVersion.includes('/')
    ? `/apis/${info.apiVersion}`
    : `/api/${info.apiVersion}`;
  const ns = info.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? '')}` : '';
  let path = `${base}${ns}/${info.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

/** The exact method, path, content type and body a cluster would receive for `request`. */
export function httpRequestOf(request: KubernetesRequest): HttpRequestShape {
  switch (request.verb) {
    case 'create':
      return {
        method: 'POST',
        path: resourcePath(request.resource, request.namespace),
        contentType: 'application/json',
        body: request.body,
      };
    case 'patch':
      return {
        method: 'PATCH',
        path: resourcePath(request.resource, request.namespace, request.name, request.subresource),
        contentType: request.patchType ?? PATCH_TYPES.merge,
        body: request.body,
      };
    case 'delete':
      return {
        method: 'DELETE',
        path: resourcePath(request.resource, request.namespace, request.name),
        contentType: 'application/json',
        body: request.body,
      };
  }
}

/** The RBAC permission one Kubernetes request exercises, in the registry's rule shape. */
export interface RbacPermission {
  readonly apiGroups: readonly [string];
  readonly resources: readonly [string];
  readonly verbs: readonly [string];
}

/**
 * The RBAC permission `request` exercises (API group, plural[/subresource], verb), as an
 * RBAC rule would grant it; undefined for a webhook call, which needs no cluster RBAC.
 * The audit trail records these per execution, so the "used share" of least agency
 * (docs/audit.md) compares what was granted with what a plan actually needed.
 */
export function permissionOf(request: ApiRequest): RbacPermission | undefined {
  if (request.kind !== 'kubernetes') return undefined;
  const { apiVersion, plural } = RESOURCES[request.resource];
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const resource = request.subresource === undefined ? plural : `${plural}/${request.subresource}`;
  return { apiGroups: [group], resources: [resource], verbs: [request.verb] };
}
