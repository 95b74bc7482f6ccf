/**
 * `vigil k8s apply` and `vigil k8s diff`: server-side apply (field manager `vigil`) of a
 * render, and the same apply as a server-side dry run compared with what the cluster holds.
 * Resource paths come from API discovery, so custom resources (cert-manager, Kyverno) are
 * applied like built-in ones once their CRDs are installed.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { statusMessage, type KubeApiClient } from './api-client.js';
import { KubernetesError, KUBERNETES_ERROR_CODES } from './errors.js';

/** The field manager of every apply (kubectl's `--field-manager`). */
export const FIELD_MANAGER = 'vigil';

interface ResourceInfo {
  readonly name: string;
  readonly namespaced: boolean;
}

/** Maps `apiVersion` + `kind` to a resource path, from API discovery (cached per group version). */
export interface ResourceResolver {
  /**
   * The collection path of `object`'s kind and the object's own path.
   * @throws KubernetesError `VIGIL_K8S_API_REQUEST` when the server does not serve the kind.
   */
  pathsOf(object: KubernetesObject): Promise<{ collection: string; item: string }>;
}

function describe(o: KubernetesObject): string {
  const m = o.metadata;
  return `${o.kind ?? '?'} ${m?.namespace === undefined ? '' : `${m.namespace}/`}${m?.name ?? '?'}`;
}

/** A resolver over `client`'s discovery endpoints. */
export function createResourceResolver(client: KubeApiClient): ResourceResolver {
  const cache = new Map<string, Promise<Map<string, ResourceInfo>>>();
  const discover = (apiVersion: string): Promise<Map<string, ResourceInfo>> => {
    let found = cache.get(apiVersion);
    if (found === undefined) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      found = client.request({ method: 'GET', path }).then((res) => {
        const kinds = new Map<string, ResourceInfo>();
        if (res.status !== 200) return kinds;
        const list = (
          res.body as { resources?: { name: string; kind: string; namespaced: boolean }[] }
        ).resources;
        for (const r of list ?? []) {
          if (!r.name.includes('/')) kinds.set(r.kind, { name: r.name, namespaced: r.namespaced });
        }
        return kinds;
      });
      // A failed discovery (CRDs installed meanwhile) is retried on the next call.
      found.catch(() => cache.delete(apiVersion));
      cache.set(apiVersion, found);
    }
    return found;
  };
  return {
    async pathsOf(object) {
      const apiVersion = object.apiVersion ?? '';
      const info = (await discover(apiVersion)).get(object.kind ?? '');
      if (info === undefined) {
        cache.delete(apiVersion);
        throw new KubernetesError(
          KUBERNETES_ERROR_CODES.apiRequest,
          `${describe(object)}: the server does not serve kind ${object.kind ?? '?'} of ${apiVersion} (CRD not installed?)`,
        );
      }
      const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const ns = object.metadata?.namespace;
      const collection =
        info.namespaced && ns !== undefined
          ? `${base}/namespaces/${ns}/${info.name}`
          : `${base}/${info.name}`;
      return {
        collection,
        item: `${collection}/${encodeURIComponent(object.metadata?.name ?? '')}`,
      };
    },
  };
}

/** The result of applying one object. */
export interface AppliedObject {
  readonly object: KubernetesObject;
  /** What the server holds after the apply (or would hold, for a dry run). */
  readonly live: KubernetesObject;
}

/**
 * Server-side applies `objects` in order (they come in install order from the render),
 * `force` taking over fields other managers own, as `kubectl apply --server-side
 * --force-conflicts` does. With `dryRun` nothing is persisted.
 * @throws KubernetesError `VIGIL_K8S_API_REQUEST` naming the first object the server refused.
 */
export async function applyObjects(
  client: KubeApiClient,
  objects: readonly KubernetesObject[],
  options: { dryRun?: boolean; fieldManager?: string; resolver?: ResourceResolver } = {},
): Promise<AppliedObject[]> {
  const resolver = options.resolver ?? createResourceResolver(client);
  const query = new URLSearchParams({
    fieldManager: options.fieldManager ?? FIELD_MANAGER,
    force: 'true',
  });
  if (options.dryRun === true) query.set('dryRun', 'All');
  const out: AppliedObject[] = [];
  for (const object of objects) {
    const { item } = await resolver.pathsOf(object);
    const res = await client.request({
      method: 'PATCH',
      path: `${item}?${query.toString()}`,
      body: object,
      contentType: 'application/apply-patch+yaml',
    });
    if (res.status !== 200 && res.status !== 201) {
      throw new KubernetesError(
        KUBERNETES_ERROR_CODES.apiRequest,
        `${describe(object)}: apply refused (${res.status}): ${statusMessage(res)}`,
        { details: { status: res.status } },
      );
    }
    out.push({ object, live: res.body as KubernetesObject });
  }
  return out;
}

/**
 * Reads `object` back from the server; undefined when it does not exist.
 * @throws KubernetesError `VIGIL_K8S_API_REQUEST` on any other failure.
 */
export async function readObject(
  client: KubeApiClient,
  object: KubernetesObject,
  resolver: ResourceResolver = createResourceResolver(client),
): Promise<KubernetesObject | undefined> {
  const { item } = await resolver.pathsOf(object);
  const res = await client.request({ method: 'GET', path: item });
  if (res.status === 404) return undefined;
  if (res.status !== 200) {
    throw new KubernetesError(
      KUBERNETES_ERROR_CODES.apiRequest,
      `${describe(object)}: read failed (${res.status}): ${statusMessage(res)}`,
    );
  }
  return res.body as KubernetesObject;
}

/** Server-maintained metadata that differs between any two reads; left out of diffs. */
const VOLATILE_METADATA = [
  'managedFields',
  'resourceVersion',
  'generation',
  'uid',
  'creationTimestamp',
];

function comparable(object: KubernetesObject): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(object)) as Record<string, unknown>;
  const metadata = copy['metadata'] as Record<string, unknown> | undefined;
  for (const key of VOLATILE_METADATA) delete metadata?.[key];
  delete copy['status'];
  return copy;
}

/** One difference: a JSON path and the values before and after. */
export interface FieldChange {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** Field-level differences from `before` to `after` (leaves; arrays compared by index). */
export function diffFields(before: unknown, after: unknown, path = ''): FieldChange[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (!isObj(before) || !isObj(after) || Array.isArray(before) !== Array.isArray(after)) {
    return JSON.stringify(before) === JSON.stringify(after)
      ? []
      : [{ path: path || '.', before, after }];
  }
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.flatMap((k) =>
    diffFields(before[k], after[k], Array.isArray(before) ? `${path}[${k}]` : `${path}.${k}`),
  );
}

/** What `vigil k8s diff` reports for one object. */
export interface ObjectDiff {
  readonly object: string;
  readonly change: 'create' | 'update' | 'unchanged';
  readonly fields: readonly FieldChange[];
}

/**
 * For each object: would the apply create it, change it (which fields), or leave it as is —
 * decided by a server-side dry-run apply, so defaults and admission are the server's own.
 */
export async function diffObjects(
  client: KubeApiClient,
  objects: readonly KubernetesObject[],
  options: { fieldManager?: string } = {},
): Promise<ObjectDiff[]> {
  const resolver = createResourceResolver(client);
  const out: ObjectDiff[] = [];
  for (const object of objects) {
    const live = await readObject(client, object, resolver);
    let applied: AppliedObject | undefined;
    try {
      [applied] = await applyObjects(client, [object], { ...options, dryRun: true, resolver });
    } catch (error) {
      // A new object in a namespace the same apply creates first: the dry run cannot see
      // the namespace, the real apply will.
      const notFound = error instanceof KubernetesError && error.details['status'] === 404;
      if (!(live === undefined && notFound)) throw error;
    }
    if (live === undefined) {
      out.push({ object: describe(object), change: 'create', fields: [] });
      continue;
    }
    const fields = diffFields(comparable(live), comparable(applied?.live ?? object));
    out.push({
      object: describe(object),
      change: fields.length === 0 ? 'unchanged' : 'update',
      fields,
    });
  }
  return out;
}
