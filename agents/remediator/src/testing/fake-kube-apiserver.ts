import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { RESOURCES, type ResourceKind } from '../actions/requests.js';
import type { InventoryDocument } from '../inventory/schema.js';
import { KubernetesSchema } from './k8s-schema.js';

/**
 * TEST DOUBLE AT THE EDGE: a recording fake of the few Kubernetes API endpoints the
 * remediator uses, because no cluster (nor kube-apiserver binary) can run on this
 * machine. It is driven by the real `@kubernetes/client-node`, so what it records is
 * what that client really sends: method, path, query, Content-Type, body. Like a real
 * API server with `fieldValidation=Strict` it rejects bodies that fail the Kubernetes
 * 1.34 schema (422 Invalid), JSON-Patch content types given an object (400), unknown
 * paths (404), a wrong bearer token (401), existing names (409 AlreadyExists) and uid
 * preconditions that do not match (409 Conflict). Merge and strategic-merge patches are
 * applied with RFC 7386 semantics, which equal strategic merge for the maps and scalars
 * the catalogue patches (the server refuses a strategic patch that contains a list).
 */
export interface RecordedApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly contentType: string | undefined;
  readonly body: unknown;
  readonly status: number;
}

export interface FakeKubeApiServer {
  readonly url: string;
  /** The CA of the server certificate (HTTPS, the default). */
  readonly caPem?: string;
  readonly token: string;
  requests(): RecordedApiRequest[];
  /** Requests that changed state (not GET). */
  writes(): RecordedApiRequest[];
  object(path: string): Record<string, unknown> | undefined;
  close(): Promise<void>;
}

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };

const PLURALS = new Map<string, ResourceKind>(
  Object.entries(RESOURCES).map(([kind, info]) => [
    `${info.apiVersion}/${info.plural}`,
    kind as ResourceKind,
  ]),
);

/**
 * Starts the fake on 127.0.0.1, port 0. By default over HTTPS with a fresh self-signed
 * certificate for IP 127.0.0.1 (made with `openssl` once per process, or per server with
 * `freshCertificate`), as a real API server; `tls: false`
 * serves plain HTTP.
 */
export async function startFakeKubeApiServer(
  seed: InventoryDocument,
  options: { tls?: boolean; freshCertificate?: boolean } = {},
): Promise<FakeKubeApiServer> {
  const schema = KubernetesSchema.shared();
  const token = randomUUID();
  const store = new Map<string, Obj>();
  const recorded: RecordedApiRequest[] = [];
  let rv = 1;
  const put = (kind: ResourceKind, o: Obj): void => {
    const info = RESOURCES[kind];
    const m = o.metadata;
    m['uid'] ??= randomUUID();
    m['resourceVersion'] = String(rv++);
    store.set(objectPath(kind, m['namespace'] as string | undefined, m['name'] as string), {
      apiVersion: info.apiVersion,
      kind,
      ...o,
    });
  };
  seedObjects(seed, put);

  const tls =
    (options.tls ?? true)
      ? options.freshCertificate
        ? makeCertificate()
        : selfSignedCertificate()
      : undefined;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res);
  };
  const server: Server = tls
    ? createTlsServer({ cert: tls.cert, key: tls.key }, onRequest)
    : createServer(onRequest);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const contentType = req.headers['content-type']?.split(';')[0]?.trim();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const reply = (status: number, payload: unknown): void => {
      recorded.push({
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType,
        body,
        status,
      });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const status = (code: number, reason: string, message: string) =>
      reply(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

    if (req.headers.authorization !== `Bearer ${token}`)
      return status(401, 'Unauthorized', 'Unauthorized');
    const route = parsePath(url.pathname);
    if (!route) return status(404, 'NotFound', `the server could not find ${url.pathname}`);
    const { kind, namespace, name, subresource } = route;
    const info = RESOURCES[kind];

    if (req.method === 'GET' && name === undefined) {
      const fieldSelector = url.searchParams.get('fieldSelector');
      const items = [...store.values()].filter(
        (o) =>
          o['kind'] === kind &&
          (namespace === undefined || o.metadata['namespace'] === namespace) &&
          (fieldSelector === null || matchesField(o, fieldSelector)),
      );
      return reply(200, {
        apiVersion: info.apiVersion,
        kind: `${kind}List`,
        metadata: { resourceVersion: String(rv) },
        items,
      });
    }
    const path = objectPath(kind, namespace, name ?? '');
    if (req.method === 'GET') {
      const o = store.get(path);
      return o ? reply(200, o) : status(404, 'NotFound', `${info.plural} "${name}" not found`);
    }
    if (req.method === 'POST' && name === undefined) {
      if (contentType !== 'application/json')
        return status(415, 'UnsupportedMediaType', `unsupported ${contentType}`);
      const errors = schema.errors(schema.definitionOf(info.apiVersion, kind), body);
      if (errors.length > 0) return status(422, 'Invalid', errors.join('; '));
      const o = body as Obj;
      const n = o.metadata['name'] as string;
      if (
        info.namespaced &&
        o.metadata['namespace'] !== undefined &&
        o.metadata['namespace'] !== namespace
      ) {
        return status(
          400,
          'BadRequest',
          'the namespace of the object does not match the namespace on the request',
        );
      }
      if (store.has(objectPath(kind, namespace, n))) {
        return status(409, 'AlreadyExists', `${info.plural} "${n}" already exists`);
      }
      put(kind, { ...o, metadata: { ...o.metadata, namespace } });
      return reply(201, store.get(objectPath(kind, namespace, n)));
    }
    if (req.method === 'PATCH' && name !== undefined) {
      if (contentType === 'application/json-patch+json') {
        if (!Array.isArray(body)) {
          return status(
            400,
            'BadRequest',
            'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
          );
        }
        return status(415, 'UnsupportedMediaType', 'JSON Patch is not implemented by this fake');
      }
      if (
        contentType !== 'application/merge-patch+json' &&
        contentType !== 'application/strategic-merge-patch+json'
      ) {
        return status(415, 'UnsupportedMediaType', `unsupported patch type ${contentType}`);
      }
      if (contentType === 'application/strategic-merge-patch+json' && containsList(body)) {
        return status(
          415,
          'UnsupportedMediaType',
          'this fake applies strategic merge patches without lists only',
        );
      }
      const o = store.get(path);
      if (!o) return status(404, 'NotFound', `${info.plural} "${name}" not found`);
      if (subresource === 'scale') {
        const errors = schema.errors('io.k8s.api.autoscaling.v1.Scale', body, 'patch');
        if (errors.length > 0) return status(422, 'Invalid', errors.join('; '));
        const replicas = (body as { spec?: { replicas?: number } }).spec?.replicas;
        if (typeof replicas === 'number')
          (o['spec'] as Record<string, unknown>)['replicas'] = replicas;
        o.metadata['resourceVersion'] = String(rv++);
        return reply(200, {
          apiVersion: 'autoscaling/v1',
          kind: 'Scale',
          metadata: { name, namespace },
          spec: { replicas: (o['spec'] as { replicas: number }).replicas },
        });
      }
      if (subresource !== undefined)
        return status(404, 'NotFound', `no subresource ${subresource}`);
      const errors = schema.errors(schema.definitionOf(info.apiVersion, kind), body, 'patch');
      if (errors.length > 0) return status(422, 'Invalid', errors.join('; '));
      const next = mergePatch(o, body) as Obj;
      const result = schema.errors(schema.definitionOf(info.apiVersion, kind), next);
      if (result.length > 0) return status(422, 'Invalid', result.join('; '));
      next.metadata['resourceVersion'] = String(rv++);
      store.set(path, next);
      return reply(200, next);
    }
    if (req.method === 'DELETE' && name !== undefined) {
      if (body !== undefined) {
        const errors = schema.errors('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', body);
        if (errors.length > 0) return status(422, 'Invalid', errors.join('; '));
      }
      const o = store.get(path);
      if (!o) return status(404, 'NotFound', `${info.plural} "${name}" not found`);
      const uid = (body as { preconditions?: { uid?: string } } | undefined)?.preconditions?.uid;
      if (uid !== undefined && uid !== o.metadata['uid']) {
        return status(
          409,
          'Conflict',
          `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${String(o.metadata['uid'])}`,
        );
      }
      store.delete(path);
      return reply(200, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Success',
        details: { name, kind: info.plural },
      });
    }
    return status(405, 'MethodNotAllowed', `${req.method} ${url.pathname}`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    ...(tls ? { caPem: tls.cert } : {}),
    token,
    requests: () => [...recorded],
    writes: () => recorded.filter((r) => r.method !== 'GET'),
    object: (path) => store.get(path),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

function objectPath(kind: ResourceKind, namespace: string | undefined, name: string): string {
  return `${kind}/${RESOURCES[kind].namespaced ? (namespace ?? '') : ''}/${name}`;
}

function parsePath(
  pathname: string,
): { kind: ResourceKind; namespace?: string; name?: string; subresource?: string } | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1]) {
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts[1] && parts[2]) {
    version = `${parts[1]}/${parts[2]}`;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const kind = PLURALS.get(`${version}/${rest[0] ?? ''}`);
  if (!kind) return undefined;
  return {
    kind,
    ...(namespace === undefined ? {} : { namespace }),
    ...(rest[1] === undefined ? {} : { name: rest[1] }),
    ...(rest[2] === undefined ? {} : { subresource: rest[2] }),
  };
}

function matchesField(o: Obj, selector: string): boolean {
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    if (k === 'type') return o['type'] === v;
    return true;
  });
}

function containsList(v: unknown): boolean {
  if (Array.isArray(v)) return true;
  if (v && typeof v === 'object') return Object.values(v).some(containsList);
  return false;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The inventory as the API objects a cluster would hold. */
function seedObjects(doc: InventoryDocument, put: (kind: ResourceKind, o: Obj) => void): void {
  for (const n of doc.namespaces)
    put('Namespace', { metadata: { name: n.name, labels: n.labels } });
  for (const n of doc.nodes) {
    put('Node', {
      metadata: { name: n.name, labels: n.labels, ...(n.uid ? { uid: n.uid } : {}) },
      spec: { unschedulable: n.unschedulable },
      status: { addresses: n.addresses.map((address) => ({ type: 'InternalIP', address })) },
    });
  }
  for (const w of doc.workloads) {
    const template = {
      metadata: { labels: w.selector },
      spec: {
        containers: [{ name: 'app', image: 'example/app:1' }],
        ...(w.serviceAccount ? { serviceAccountName: w.serviceAccount } : {}),
      },
    };
    put(w.kind, {
      metadata: {
        name: w.name,
        namespace: w.namespace,
        labels: w.labels,
        ...(w.uid ? { uid: w.uid } : {}),
      },
      spec: {
        ...(w.kind === 'DaemonSet' ? {} : { replicas: w.replicas }),
        selector: { matchLabels: w.selector },
        template,
        ...(w.kind === 'StatefulSet' ? { serviceName: w.name } : {}),
      },
      ...(w.kind === 'DaemonSet'
        ? {
            status: {
              desiredNumberScheduled: w.replicas,
              currentNumberScheduled: w.replicas,
              numberMisscheduled: 0,
              numberReady: w.replicas,
            },
          }
        : {}),
    });
    if (w.kind === 'Deployment') {
      put('ReplicaSet', {
        metadata: {
          name: `${w.name}-rs`,
          namespace: w.namespace,
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name: w.name, uid: 'x', controller: true },
          ],
        },
        spec: { replicas: w.replicas, selector: { matchLabels: w.selector }, template },
      });
    }
  }
  for (const p of doc.pods) {
    const owner =
      p.owner?.kind === 'Deployment'
        ? {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: `${p.owner.name}-rs`,
            uid: 'x',
            controller: true,
          }
        : p.owner
          ? {
              apiVersion: 'apps/v1',
              kind: p.owner.kind,
              name: p.owner.name,
              uid: 'x',
              controller: true,
            }
          : undefined;
    put('Pod', {
      metadata: {
        name: p.name,
        namespace: p.namespace,
        labels: p.labels,
        ...(p.uid ? { uid: p.uid } : {}),
        ...(owner ? { ownerReferences: [owner] } : {}),
      },
      spec: {
        containers: [{ name: 'app', image: 'example/app:1' }],
        serviceAccountName: p.serviceAccount,
        ...(p.node ? { nodeName: p.node } : {}),
        ...(p.hostNetwork ? { hostNetwork: true } : {}),
      },
      status: { phase: p.phase, podIPs: p.ips.map((ip) => ({ ip })) },
    });
  }
  for (const s of doc.serviceAccounts) {
    put('ServiceAccount', {
      metadata: {
        name: s.name,
        namespace: s.namespace,
        labels: s.labels,
        ...(s.uid ? { uid: s.uid } : {}),
      },
    });
    for (const secret of s.tokenSecrets) {
      put('Secret', {
        metadata: {
          name: secret,
          namespace: s.namespace,
          annotations: { 'kubernetes.io/service-account.name': s.name },
        },
        type: 'kubernetes.io/service-account-token',
      });
    }
  }
  for (const n of doc.networkPolicies) {
    put('NetworkPolicy', {
      metadata: { name: n.name, namespace: n.namespace, labels: n.labels },
      spec: {
        podSelector: n.podSelector,
        policyTypes: n.policyTypes,
        ...(n.ingress.length > 0 ? { ingress: n.ingress } : {}),
        ...(n.egress.length > 0 ? { egress: n.egress } : {}),
      },
    });
  }
}

/** A throwaway self-signed P-256 certificate for 127.0.0.1 (the API server's serving cert). */
let certificate: { cert: string; key: string } | undefined;

function selfSignedCertificate(): { cert: string; key: string } {
  certificate ??= makeCertificate();
  return certificate;
}

function makeCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-fake-apiserver-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'key.pem',
        '-out',
        'cert.pem',
        '-days',
        '1',
        '-subj',
        '/CN=kube-apiserver',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { cwd: dir, stdio: 'pipe' },
    );
    return {
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    };
  } catch (cause) {
    throw new Error(
      'openssl is needed to make the fake API server certificate (Debian package openssl)',
      { cause },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
