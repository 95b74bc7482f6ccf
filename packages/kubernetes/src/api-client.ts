/**
 * A small JSON client for the Kubernetes API: authenticated from a kubeconfig (the
 * client library reads it), requests sent as plain API JSON. Plain JSON on purpose: the
 * client library's typed models rename fields (`from` → `_from`) and drop what they do
 * not know (custom resources), and a server-side apply must send exactly what was rendered.
 */
import { request, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesError, KUBERNETES_ERROR_CODES } from './errors.js';

/** The answer of one API request. */
export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

/** What {@link KubeApiClient.request} sends. */
export interface ApiRequest {
  readonly method: 'GET' | 'PATCH' | 'POST' | 'DELETE';
  /** Path and query, e.g. `/api/v1/namespaces/vigil/pods?limit=1`. */
  readonly path: string;
  readonly body?: unknown;
  /** Defaults to `application/json`. */
  readonly contentType?: string;
}

/** Sends requests to one cluster as one user. */
export interface KubeApiClient {
  /** The API server URL. */
  readonly server: string;
  /**
   * Sends one request; any HTTP status is returned as a value.
   * @throws KubernetesError `VIGIL_K8S_API_REQUEST` when the server cannot be reached.
   */
  request(req: ApiRequest): Promise<ApiResponse>;
}

/**
 * A client for the current context of a kubeconfig (`path`, else `KUBECONFIG` / `~/.kube/config`
 * / in-cluster, as kubectl finds it).
 * @throws KubernetesError `VIGIL_CONFIG_K8S_KUBECONFIG` when no kubeconfig loads or it names no cluster.
 */
export function createKubeApiClient(
  options: { kubeconfig?: string; context?: string } = {},
): KubeApiClient {
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig === undefined) kc.loadFromDefault();
    else kc.loadFromFile(options.kubeconfig);
    if (options.context !== undefined) kc.setCurrentContext(options.context);
  } catch (cause) {
    throw new KubernetesError(
      KUBERNETES_ERROR_CODES.kubeconfig,
      `cannot load kubeconfig ${options.kubeconfig ?? '(default)'}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null) {
    throw new KubernetesError(
      KUBERNETES_ERROR_CODES.kubeconfig,
      `kubeconfig ${options.kubeconfig ?? '(default)'} names no cluster for context "${kc.getCurrentContext()}"`,
    );
  }
  const server = cluster.server.replace(/\/+$/, '');
  return {
    server,
    async request(req) {
      const url = new URL(`${server}${req.path}`);
      const opts: RequestOptions = {
        method: req.method,
        headers: { accept: 'application/json' },
      };
      await kc.applyToHTTPSOptions(opts);
      const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
      if (payload !== undefined) {
        opts.headers = {
          ...opts.headers,
          'content-type': req.contentType ?? 'application/json',
          'content-length': Buffer.byteLength(payload),
        };
      }
      const send = url.protocol === 'http:' ? httpRequest : request;
      return new Promise<ApiResponse>((resolve, reject) => {
        const r = send(url, opts, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = text === '' ? undefined : (JSON.parse(text) as unknown);
            } catch {
              // not JSON (a proxy's error page): keep the text
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        });
        r.on('error', (cause) =>
          reject(
            new KubernetesError(
              KUBERNETES_ERROR_CODES.apiRequest,
              `${req.method} ${server}${req.path}: ${cause.message}`,
              { cause },
            ),
          ),
        );
        r.end(payload);
      });
    },
  };
}

/** The `message` of a Kubernetes `Status` body, or the status code. */
export function statusMessage(response: ApiResponse): string {
  const body = response.body as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : `HTTP ${response.status}`;
}
