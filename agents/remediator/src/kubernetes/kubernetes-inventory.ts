import {
  AppsV1Api,
  CoreV1Api,
  ListWatch,
  NetworkingV1Api,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from '@vigil/core';
import { RemediatorError, REMEDIATOR_ERROR_CODES } from '../errors.js';
import {
  InventorySnapshot,
  type Inventory,
  type InventoryReadOptions,
  type InventorySource,
} from '../inventory/inventory.js';
import type { UserRecord } from '../inventory/schema.js';
import { inventoryDocumentOf, type ClusterObjects } from './inventory-document.js';

type Lister = () => Promise<KubernetesListObject<KubernetesObject>>;

/** One watched resource: where it lives in the API and how it is listed. */
interface Resource {
  readonly path: string;
  readonly fieldSelector?: string;
  readonly list: Lister;
}

/** Per resource: what the watch has done, for status and for tests. */
export interface WatchedResourceStatus {
  readonly resource: keyof ClusterObjects;
  /** The resourceVersion the cache is at; empty while (re)listing. */
  readonly resourceVersion: string;
  /** Full lists so far: the first, and one after every 410 Gone (or failed list). */
  readonly lists: number;
  /** Watches (re)started after an error. */
  readonly reconnects: number;
  readonly connected: boolean;
  readonly lastError?: string;
}

export interface KubernetesInventoryOptions {
  /** Users are not Kubernetes objects: the identity provider's list. */
  readonly users?: readonly UserRecord[];
  /** How long a read waits for the first list of every resource (default 30 s). */
  readonly syncTimeoutMs?: number;
  /**
   * A watch that has been down longer than this no longer answers reads: they list the
   * cluster instead, so blast radius is never computed on a view older than this (default 30 s).
   */
  readonly maxStaleMs?: number;
  /** Reconnect back-off after a failed watch or list: first and maximum delay. */
  readonly reconnectMs?: { readonly initial: number; readonly max: number };
  readonly logger?: Logger;
}

/**
 * The inventory from the Kubernetes API, kept by list + watch: each resource is listed
 * once and then watched from that resourceVersion (the client's ListWatch), a dropped
 * watch reconnects from the last resourceVersion with back-off, and 410 Gone (the
 * server compacted past it) relists. Reads come from the watched caches without a
 * request; `consistent` reads, and reads while a watch has been down longer than
 * `maxStaleMs`, list the cluster as it is now. Needs get/list/watch on namespaces,
 * nodes, Deployments, ReplicaSets, StatefulSets, DaemonSets, pods, service accounts,
 * service-account token Secrets and NetworkPolicies cluster-wide (the remediator's RBAC).
 * Watches start with the first read; {@link close} stops them.
 */
export class KubernetesInventorySource implements InventorySource {
  readonly #resources: Record<keyof ClusterObjects, Resource>;
  readonly #watch: Watch;
  readonly #users: readonly UserRecord[];
  readonly #o: Required<Omit<KubernetesInventoryOptions, 'users' | 'logger'>>;
  readonly #logger: Logger | undefined;
  #reflectors: Map<keyof ClusterObjects, Reflector> | undefined;
  /** The snapshot of the caches, rebuilt only after a change. */
  #snapshot: InventorySnapshot | undefined;
  #closed = false;

  constructor(kubeConfig: KubeConfig, options: KubernetesInventoryOptions = {}) {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const net = kubeConfig.makeApiClient(NetworkingV1Api);
    const tokenSecrets = 'type=kubernetes.io/service-account-token';
    this.#resources = {
      namespaces: { path: '/api/v1/namespaces', list: () => core.listNamespace() },
      nodes: { path: '/api/v1/nodes', list: () => core.listNode() },
      deployments: {
        path: '/apis/apps/v1/deployments',
        list: () => apps.listDeploymentForAllNamespaces(),
      },
      statefulsets: {
        path: '/apis/apps/v1/statefulsets',
        list: () => apps.listStatefulSetForAllNamespaces(),
      },
      daemonsets: {
        path: '/apis/apps/v1/daemonsets',
        list: () => apps.listDaemonSetForAllNamespaces(),
      },
      replicasets: {
        path: '/apis/apps/v1/replicasets',
        list: () => apps.listReplicaSetForAllNamespaces(),
      },
      pods: { path: '/api/v1/pods', list: () => core.listPodForAllNamespaces() },
      serviceaccounts: {
        path: '/api/v1/serviceaccounts',
        list: () => core.listServiceAccountForAllNamespaces(),
      },
      tokenSecrets: {
        path: '/api/v1/secrets',
        fieldSelector: tokenSecrets,
        list: () => core.listSecretForAllNamespaces({ fieldSelector: tokenSecrets }),
      },
      networkpolicies: {
        path: '/apis/networking.k8s.io/v1/networkpolicies',
        list: () => net.listNetworkPolicyForAllNamespaces(),
      },
    };
    this.#watch = new CheckedWatch(kubeConfig, (line) =>
      this.#logger?.warn({ line }, 'inventory watch: an event without an object was ignored'),
    );
    this.#users = options.users ?? [];
    this.#logger = options.logger;
    this.#o = {
      syncTimeoutMs: options.syncTimeoutMs ?? 30_000,
      maxStaleMs: options.maxStaleMs ?? 30_000,
      reconnectMs: options.reconnectMs ?? { initial: 500, max: 30_000 },
    };
  }

  async inventory(options: InventoryReadOptions = {}): Promise<Inventory> {
    if (this.#closed) throw inventoryError('the inventory source is closed');
    if (options.consistent) return this.#listed();
    const reflectors = this.#start();
    const synced = await this.#synced(reflectors);
    if (!synced || [...reflectors.values()].some((r) => r.downForMs() > this.#o.maxStaleMs)) {
      return this.#listed();
    }
    this.#snapshot ??= InventorySnapshot.parse(
      inventoryDocumentOf(this.#fromCaches(reflectors), this.#users),
      'kubernetes API (watched)',
    );
    return this.#snapshot;
  }

  /** What each watch has done so far (empty before the first read). */
  status(): WatchedResourceStatus[] {
    return [...(this.#reflectors?.values() ?? [])].map((r) => r.status());
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...(this.#reflectors?.values() ?? [])].map((r) => r.stop()));
  }

  #start(): Map<keyof ClusterObjects, Reflector> {
    if (this.#reflectors) return this.#reflectors;
    this.#reflectors = new Map();
    for (const [name, resource] of Object.entries(this.#resources) as [
      keyof ClusterObjects,
      Resource,
    ][]) {
      const reflector = new Reflector(name, resource, this.#watch, this.#o.reconnectMs, {
        changed: () => (this.#snapshot = undefined),
        failed: (error) =>
          this.#logger?.warn({ resource: name, error }, 'inventory watch failed; reconnecting'),
      });
      this.#reflectors.set(name, reflector);
      reflector.start();
    }
    return this.#reflectors;
  }

  /** True once every resource was listed; false when that took longer than `syncTimeoutMs`. */
  async #synced(reflectors: Map<keyof ClusterObjects, Reflector>): Promise<boolean> {
    const deadline = Date.now() + this.#o.syncTimeoutMs;
    while ([...reflectors.values()].some((r) => !r.listed())) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  }

  #fromCaches(reflectors: Map<keyof ClusterObjects, Reflector>): ClusterObjects {
    const objects = {} as Record<keyof ClusterObjects, readonly KubernetesObject[]>;
    for (const [name, reflector] of reflectors) objects[name] = reflector.objects();
    return objects;
  }

  /** The cluster as a fresh list of every resource shows it now. */
  async #listed(): Promise<Inventory> {
    try {
      const names = Object.keys(this.#resources) as (keyof ClusterObjects)[];
      const lists = await Promise.all(names.map((n) => this.#resources[n].list()));
      const objects = Object.fromEntries(names.map((n, i) => [n, lists[i]!.items])) as Record<
        keyof ClusterObjects,
        KubernetesObject[]
      >;
      return InventorySnapshot.parse(inventoryDocumentOf(objects, this.#users), 'kubernetes API');
    } catch (cause) {
      if (cause instanceof RemediatorError) throw cause;
      throw inventoryError(
        `cannot read the inventory from the Kubernetes API: ${(cause as Error).message}`,
        cause,
      );
    }
  }
}

/**
 * A Watch that drops events without an object (or, except for ERROR, without metadata)
 * before the client's ListWatch sees them: its handler dereferences `obj.metadata`
 * unguarded, and the rejection it then throws is unhandled — one malformed line from a
 * proxy in front of the API server would take the process down.
 */
class CheckedWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly malformed: (line: string) => void,
  ) {
    super(config);
  }

  override watch(
    ...[path, queryParams, callback, done]: Parameters<Watch['watch']>
  ): Promise<AbortController> {
    return super.watch(
      path,
      queryParams,
      (phase, obj: unknown, raw: unknown) => {
        const object =
          typeof obj === 'object' && obj !== null ? (obj as { metadata?: unknown }) : undefined;
        if (object && (phase === 'ERROR' || typeof object.metadata === 'object'))
          return callback(phase, object, raw);
        this.malformed(JSON.stringify(raw).slice(0, 200));
      },
      done,
    );
  }
}

function inventoryError(message: string, cause?: unknown): RemediatorError {
  return new RemediatorError(
    REMEDIATOR_ERROR_CODES.inventory,
    message,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * One resource's ListWatch, restarted with back-off when its watch or list fails (the
 * client's ListWatch stops on any error but 410 Gone, which it handles by relisting).
 */
class Reflector {
  readonly #informer: ListWatch<KubernetesObject>;
  #lists = 0;
  #reconnects = 0;
  #failures = 0;
  #downSince: number | undefined;
  #lastError: string | undefined;
  #delay: number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    readonly name: keyof ClusterObjects,
    resource: Resource,
    watch: Watch,
    private readonly backoff: { readonly initial: number; readonly max: number },
    private readonly on: { changed(): void; failed(error: string): void },
  ) {
    this.#delay = backoff.initial;
    const list: Lister = async () => {
      this.#lists += 1;
      return resource.list();
    };
    this.#informer = new ListWatch(
      resource.path,
      watch,
      list,
      false,
      undefined,
      resource.fieldSelector,
    );
    this.#informer.on('change', () => on.changed());
    this.#informer.on('error', (error: unknown) => this.#failed(error));
  }

  start(): void {
    const failuresBefore = this.#failures;
    void this.#informer.start().then(
      () => {
        // The ListWatch reports a failed list or watch request through 'error' and resolves.
        if (this.#stopped || this.#failures !== failuresBefore || !this.listed()) return;
        this.#downSince = undefined;
        this.#delay = this.backoff.initial;
        this.on.changed();
      },
      (error: unknown) => this.#failed(error),
    );
  }

  /** True once a list has filled the cache (false again while relisting after 410 Gone). */
  listed(): boolean {
    return this.#lists > 0 && this.#informer.latestResourceVersion() !== '';
  }

  /** How long the watch has been down (0 while it is up). */
  downForMs(): number {
    return this.#downSince === undefined ? 0 : Date.now() - this.#downSince;
  }

  objects(): readonly KubernetesObject[] {
    return this.#informer.list();
  }

  status(): WatchedResourceStatus {
    return {
      resource: this.name,
      resourceVersion: this.#informer.latestResourceVersion(),
      lists: this.#lists,
      reconnects: this.#reconnects,
      connected: this.#downSince === undefined && this.listed(),
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#informer.stop();
  }

  #failed(error: unknown): void {
    if (this.#stopped) return; // stop() aborts the watch, which reports an AbortError
    this.#failures += 1;
    this.#downSince ??= Date.now();
    this.#lastError = error instanceof Error ? error.message : String(error);
    this.on.failed(this.#lastError);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#reconnects += 1;
      this.start();
    }, this.#delay);
    this.#timer.unref();
    this.#delay = Math.min(this.#delay * 2, this.backoff.max);
  }
}
