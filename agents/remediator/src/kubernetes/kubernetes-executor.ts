import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  setHeaderOptions,
  type ConfigurationOptions,
} from '@kubernetes/client-node';
import type { ApiRequest, KubernetesRequest } from '../actions/requests.js';
import {
  OUTCOME_CODES,
  codeForStatus,
  unsupported,
  type Executor,
  type RequestOutcome,
  type SendContext,
} from '../executors/executor.js';

type Body = Record<string, unknown>;
// The generated client types bodies as its model classes; our bodies are plain JSON of
// the same shape (checked against the Kubernetes schema in tests).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyBody = any;

/**
 * Carries Kubernetes requests out with the official client (`@kubernetes/client-node`
 * 1.4, typed APIs): POST for creates, PATCH with the planned content type
 * (merge-patch or strategic-merge-patch — the client defaults to JSON Patch, so the
 * header is always set), DELETE with `DeleteOptions` (grace period, uid preconditions).
 * API errors become failed outcomes with the HTTP status.
 */
export class KubernetesExecutor implements Executor {
  readonly name = 'kubernetes';
  readonly #core: CoreV1Api;
  readonly #apps: AppsV1Api;
  readonly #net: NetworkingV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#apps = kubeConfig.makeApiClient(AppsV1Api);
    this.#net = kubeConfig.makeApiClient(NetworkingV1Api);
  }

  /** An executor for the default kubeconfig (in-cluster service account, or `~/.kube/config`). */
  static fromDefault(): KubernetesExecutor {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return new KubernetesExecutor(kc);
  }

  supports(request: ApiRequest): boolean {
    return request.kind === 'kubernetes' && this.#call(request) !== undefined;
  }

  async send(request: ApiRequest, _context: SendContext): Promise<RequestOutcome> {
    if (request.kind !== 'kubernetes') return unsupported(this.name, request);
    const call = this.#call(request);
    if (!call) return unsupported(this.name, request);
    try {
      const response = await call();
      return { ok: true, status: request.verb === 'create' ? 201 : 200, response };
    } catch (error) {
      const e = error as { code?: unknown; body?: unknown; message?: string };
      const status = typeof e.code === 'number' ? e.code : undefined;
      return {
        ok: false,
        ...(status === undefined ? {} : { status }),
        code: status === undefined ? OUTCOME_CODES.unreachable : codeForStatus(status),
        reason: statusMessage(e.body) ?? e.message ?? 'request failed',
      };
    }
  }

  #call(r: KubernetesRequest): (() => Promise<unknown>) | undefined {
    const ns = r.namespace ?? '';
    const name = r.name;
    const body = (r.body ?? {}) as Body as AnyBody;
    const patchOptions: ConfigurationOptions | undefined = r.patchType
      ? setHeaderOptions('Content-Type', r.patchType)
      : undefined;
    const key = `${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''}`;
    switch (key) {
      case 'create NetworkPolicy':
        return () =>
          this.#net.createNamespacedNetworkPolicy({ namespace: ns, body: toClientModel(body) });
      case 'patch NetworkPolicy':
        return () =>
          this.#net.patchNamespacedNetworkPolicy({ name, namespace: ns, body }, patchOptions);
      case 'delete NetworkPolicy':
        return () => this.#net.deleteNamespacedNetworkPolicy({ name, namespace: ns, body });
      case 'patch Pod':
        return () => this.#core.patchNamespacedPod({ name, namespace: ns, body }, patchOptions);
      case 'delete Pod':
        return () => this.#core.deleteNamespacedPod({ name, namespace: ns, body });
      case 'patch Node':
        return () => this.#core.patchNode({ name, body }, patchOptions);
      case 'delete Secret':
        return () => this.#core.deleteNamespacedSecret({ name, namespace: ns, body });
      case 'delete ServiceAccount':
        return () => this.#core.deleteNamespacedServiceAccount({ name, namespace: ns, body });
      case 'create ServiceAccount':
        return () => this.#core.createNamespacedServiceAccount({ namespace: ns, body });
      case 'patch Deployment/scale':
        return () =>
          this.#apps.patchNamespacedDeploymentScale({ name, namespace: ns, body }, patchOptions);
      case 'patch StatefulSet/scale':
        return () =>
          this.#apps.patchNamespacedStatefulSetScale({ name, namespace: ns, body }, patchOptions);
      default:
        return undefined;
    }
  }
}

function statusMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 300);
    }
  }
  if (body && typeof body === 'object' && 'message' in body) {
    return String((body as { message: unknown }).message);
  }
  return undefined;
}

/**
 * Typed request bodies go through the client's model serializer, which reads model
 * attribute names: `V1NetworkPolicyIngressRule` calls `from` `_from` (and writes it back
 * as `from`). Given plain API JSON it silently DROPS `from` — turning "allow only from X"
 * into "allow from everywhere". Found by the recording API server test; this renames
 * the key for the serializer. Patch bodies are typed `any` and sent as they are.
 */
function toClientModel(value: unknown): AnyBody {
  if (Array.isArray(value)) return value.map(toClientModel);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k === 'from' ? '_from' : k] = toClientModel(v);
  return out;
}
