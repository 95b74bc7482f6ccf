import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { RESOURCES, type KubernetesRequest } from '../actions/requests.js';

/**
 * Validates Kubernetes request bodies against the Kubernetes 1.34 OpenAPI definitions
 * (JSON Schema, strict: unknown fields fail). Test support: see k8s-schema/README.md.
 *
 * - `create`: the body must be a valid full object of the resource's kind;
 * - `patch`: a merge / strategic-merge patch is a partial object (no `required`, `null`
 *   allowed to delete) of the resource (or `autoscaling/v1 Scale` for `/scale`);
 * - `delete`: the body must be a valid `DeleteOptions`.
 */
export class KubernetesSchema {
  readonly #ajv: Ajv2020;
  readonly #byGvk = new Map<string, string>();
  readonly #cache = new Map<string, ValidateFunction>();
  static readonly ID = 'https://kubernetes.io/api/_definitions.json';
  static #shared: KubernetesSchema | undefined;

  /** One validator per process: loading and compiling the 1.5 MB schema is the slow part. */
  static shared(): KubernetesSchema {
    KubernetesSchema.#shared ??= new KubernetesSchema();
    return KubernetesSchema.#shared;
  }
  static readonly PATCH_ID = 'https://vigil.dev/k8s/_patch_definitions.json';

  constructor() {
    const file = new URL('./k8s-schema/v1.34.0-local-strict-definitions.json.gz', import.meta.url);
    const definitions = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as {
      $defs: Record<string, Record<string, unknown>>;
    };
    this.#ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: true });
    for (const keyword of [
      'x-kubernetes-embedded-resource',
      'x-kubernetes-group-version-kind',
      'x-kubernetes-int-or-string',
      'x-kubernetes-list-map-keys',
      'x-kubernetes-list-type',
      'x-kubernetes-map-type',
      'x-kubernetes-patch-merge-key',
      'x-kubernetes-patch-strategy',
      'x-kubernetes-preserve-unknown-fields',
      'x-kubernetes-unions',
      'x-kubernetes-validations',
    ]) {
      this.#ajv.addKeyword({ keyword, schemaType: ['string', 'boolean', 'array', 'object'] });
    }
    const int = (bits: number) => (n: number) =>
      Number.isInteger(n) && n >= -(2 ** (bits - 1)) && n < 2 ** (bits - 1);
    this.#ajv.addFormat('int32', { type: 'number', validate: int(32) });
    this.#ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    this.#ajv.addFormat('double', { type: 'number', validate: () => true });
    this.#ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
    this.#ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
    this.#ajv.addSchema(definitions, KubernetesSchema.ID);
    this.#ajv.addSchema(
      { ...patchVariant(definitions), $id: KubernetesSchema.PATCH_ID },
      KubernetesSchema.PATCH_ID,
    );
    for (const [name, def] of Object.entries(definitions.$defs)) {
      const gvks = def['x-kubernetes-group-version-kind'] as
        | { group: string; version: string; kind: string }[]
        | undefined;
      if (gvks?.length === 1 && gvks[0]) {
        const { group, version, kind } = gvks[0];
        this.#byGvk.set(`${group ? `${group}/` : ''}${version}/${kind}`, name);
      }
    }
  }

  /** The definition name of an `apiVersion`/`kind`, e.g. `io.k8s.api.core.v1.Pod`. */
  definitionOf(apiVersion: string, kind: string): string {
    const name = this.#byGvk.get(`${apiVersion}/${kind}`);
    if (!name) throw new Error(`no Kubernetes definition for ${apiVersion} ${kind}`);
    return name;
  }

  /** Validation errors of `value` against definition `name` (full or patch variant); [] when valid. */
  errors(name: string, value: unknown, variant: 'object' | 'patch' = 'object'): string[] {
    const id = variant === 'object' ? KubernetesSchema.ID : KubernetesSchema.PATCH_ID;
    const key = `${id}#${name}`;
    let validate = this.#cache.get(key);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: `${id}#/$defs/${name}` });
      this.#cache.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
    );
  }

  /** Validation errors of a planned request's body (see class doc); [] when valid. */
  requestErrors(request: KubernetesRequest): string[] {
    const { apiVersion } = RESOURCES[request.resource];
    switch (request.verb) {
      case 'create': {
        const body = request.body ?? {};
        const problems = this.errors(this.definitionOf(apiVersion, request.resource), body);
        if (body['apiVersion'] !== apiVersion || body['kind'] !== request.resource) {
          problems.push(`apiVersion/kind must be ${apiVersion} ${request.resource}`);
        }
        return problems;
      }
      case 'patch': {
        const name =
          request.subresource === 'scale'
            ? 'io.k8s.api.autoscaling.v1.Scale'
            : this.definitionOf(apiVersion, request.resource);
        const problems = this.errors(name, request.body ?? {}, 'patch');
        if (!request.patchType) problems.push('a patch needs a patch content type');
        return problems;
      }
      case 'delete':
        return this.errors(
          'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
          request.body ?? {},
        );
    }
  }
}

/** The definitions with every `required` removed: a merge patch is any partial object. */
function patchVariant(definitions: { $defs: Record<string, unknown> }): {
  $defs: Record<string, unknown>;
} {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === 'required' && Array.isArray(v)) continue;
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#')) {
        out[k] = v; // stays inside the patch variant
        continue;
      }
      out[k] = strip(v);
    }
    return out;
  };
  return { $defs: strip(definitions.$defs) as Record<string, unknown> };
}
