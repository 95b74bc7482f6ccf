/**
 * Starts a real Kubernetes API server for tests: `etcd` and `kube-apiserver` (built by
 * scripts/setup.sh into `.tools/bin`) on loopback ports, with a fresh CA and serving
 * certificate, a service-account signing key (so TokenRequest works), the RBAC
 * authorizer and an admin client certificate (group `system:masters`) written into a
 * kubeconfig. No controller-manager, scheduler or kubelet run: objects are stored and
 * validated, admission and authorization are real, but nothing reconciles them (no
 * Pods from Deployments, no `default` ServiceAccounts, namespaces are not finalised).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  dumpYaml,
  loadYaml,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { freePort } from './ports.js';
import { REPOSITORY_ROOT, toolBinary } from './tools.js';

/** A running API server; see {@link startKubeApiServer}. */
export interface KubeApiServer {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** A kubeconfig with the admin (group `system:masters`) client certificate. */
  kubeconfigPath: string;
  /** The CA that signed the serving certificate (and the admin client certificate). */
  caPem: string;
  namespace?: never;
  /** A token for the ServiceAccount, issued with TokenRequest (audience: the API server). */
  tokenFor(namespace: string, serviceAccount: string): Promise<string>;
  /** Server-side apply (as admin, `force`), field manager `vigil-test` unless given. */
  applyManifests(yamlOrObjects: string | object[], fieldManager?: string): Promise<void>;
  /** Stops kube-apiserver, then etcd, and removes their directories. Idempotent. */
  close(): Promise<void>;
}

/** Vendored CRD sets (see tools/crds/README.md for source, version and licence). */
export type VendoredCrds = 'cert-manager' | 'kyverno';

const CRD_DIRS: Record<VendoredCrds, string> = {
  'cert-manager': join(REPOSITORY_ROOT, 'tools', 'crds', 'cert-manager'),
  kyverno: join(REPOSITORY_ROOT, 'tools', 'crds', 'kyverno'),
};
const READY_TIMEOUT_MS = 120_000;
const run = promisify(execFile);

/** Module-private: what only the testkit's own helpers may reach (etcd, for compaction). */
const internals = new WeakMap<KubeApiServer, { etcdUrl: string }>();

/**
 * Starts etcd and kube-apiserver on 127.0.0.1 and resolves once `/readyz` answers 200
 * (and the requested CRDs are Established). Fails, never skips, when a binary is missing
 * or a process does not come up; the error carries the process's last output.
 *
 * The watch cache is off (`--watch-cache=false`): watches are served from etcd, so after
 * {@link compactKubeApiServerStorage} a watch from an older resourceVersion gets
 * 410 Gone deterministically, as clients of a real cluster do after its compaction.
 */
export async function startKubeApiServer(options?: {
  crds?: Array<'cert-manager' | 'kyverno'>;
}): Promise<KubeApiServer> {
  const etcdBin = toolBinary('etcd');
  const apiBin = toolBinary('kube-apiserver');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-kube-'));
  const children: ChildProcess[] = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    // Reverse order: the API server first, so it never sees its storage vanish.
    closing ??= (async () => {
      for (const child of children.reverse()) await terminate(child);
      rmSync(dir, { recursive: true, force: true });
    })();
    return closing;
  };
  try {
    const pki = await makePki(dir);
    const etcd = await startEtcd(etcdBin, dir);
    children.push(etcd.child);
    const api = await startApiServer(apiBin, dir, pki, etcd.url);
    children.push(api.child);
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    writeFileSync(kubeconfigPath, adminKubeconfig(api.url, pki), { mode: 0o600 });
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const core = kc.makeApiClient(CoreV1Api);
    const server: KubeApiServer = {
      url: api.url,
      kubeconfigPath,
      caPem: pki.caPem,
      async tokenFor(namespace, serviceAccount) {
        const response = await core.createNamespacedServiceAccountToken(
          {
            name: serviceAccount,
            namespace,
            body: { spec: { audiences: [], expirationSeconds: 3600 } },
          },
          undefined,
        );
        const token = response.status?.token;
        if (!token) throw new Error(`TokenRequest for ${namespace}/${serviceAccount}: no token`);
        return token;
      },
      async applyManifests(yamlOrObjects, fieldManager = 'vigil-test') {
        for (const object of toApplyObjects(yamlOrObjects)) {
          await objects.patch(
            object,
            undefined,
            undefined,
            fieldManager,
            true,
            PatchStrategy.ServerSideApply,
          );
        }
      },
      close,
    };
    internals.set(server, { etcdUrl: etcd.url });
    for (const set of options?.crds ?? []) await installCrds(server, kc, set);
    return server;
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Compacts the server's etcd at its current revision: every resourceVersion older than
 * that is gone, and a watch that resumes from one gets 410 Gone. Returns the revision.
 */
export async function compactKubeApiServerStorage(server: KubeApiServer): Promise<number> {
  const inner = internals.get(server);
  if (!inner) throw new Error('compactKubeApiServerStorage: not a server of startKubeApiServer');
  // etcd's gRPC gateway (on its client URL): read the head revision, then compact there.
  const range = (await postJson(`${inner.etcdUrl}/v3/kv/range`, { key: 'AA==' })) as {
    header?: { revision?: string };
  };
  const revision = Number(range.header?.revision);
  if (!Number.isSafeInteger(revision)) throw new Error('etcd returned no revision');
  await postJson(`${inner.etcdUrl}/v3/kv/compaction`, {
    revision: String(revision),
    physical: true,
  });
  return revision;
}

/**
 * Plain API JSON becomes the client's typed model (as its `loadAllYaml` does) before
 * `KubernetesObjectApi` serialises it back; the model drops what it does not know
 * (e.g. NetworkPolicy `from` given as plain JSON is read as `_from`), so the round trip
 * is checked and a lossy object refused instead of applied with fields missing.
 */
function toApplyObjects(input: string | object[]): KubernetesObject[] {
  const plain =
    typeof input === 'string'
      ? parseAllDocuments(input)
          .map((d) => d.toJS() as unknown)
          .filter((d) => d !== null && d !== undefined)
      : input.map((o) => JSON.parse(JSON.stringify(o)) as unknown);
  return plain.map((doc, i) => {
    if (!doc || typeof doc !== 'object' || !('apiVersion' in doc) || !('kind' in doc)) {
      throw new Error(`applyManifests: document ${i + 1} is not a Kubernetes object`);
    }
    const model = loadYaml<KubernetesObject>(JSON.stringify(doc));
    const lost = firstDifference(doc, parseYaml(dumpYaml(model)) as unknown, '');
    if (lost !== undefined) {
      const m = model.metadata;
      throw new Error(
        `applyManifests: ${model.kind} ${m?.namespace ? `${m.namespace}/` : ''}${m?.name}: ` +
          `the client model would not send ${lost}`,
      );
    }
    return model;
  });
}

function firstDifference(want: unknown, got: unknown, path: string): string | undefined {
  if (want === null || typeof want !== 'object') {
    return want === got || (want === null && got === undefined) ? undefined : path || '(root)';
  }
  if (got === null || typeof got !== 'object') return path || '(root)';
  for (const [key, value] of Object.entries(want)) {
    const at = Array.isArray(want) ? `${path}[${key}]` : `${path}.${key}`;
    const diff = firstDifference(value, (got as Record<string, unknown>)[key], at);
    if (diff !== undefined) return diff;
  }
  return undefined;
}

interface Pki {
  readonly caPem: string;
  readonly caFile: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly adminCertPem: string;
  readonly adminKeyPem: string;
  readonly saKey: string;
  readonly saPub: string;
}

const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc,IP:10.96.0.1
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

/** A throwaway CA, the serving and admin certificates (openssl) and the SA signing key. */
async function makePki(dir: string): Promise<Pki> {
  const f = (name: string): string => join(dir, name);
  writeFileSync(f('openssl.cnf'), OPENSSL_CONFIG);
  const issue = (name: string, extensions: string, subject: string, signed: boolean) =>
    openssl([
      'req',
      '-x509',
      '-config',
      f('openssl.cnf'),
      '-extensions',
      extensions,
      ...(signed ? ['-CA', f('ca.crt'), '-CAkey', f('ca.key')] : []),
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      subject,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.crt`),
    ]);
  await issue('ca', 'ca', '/CN=vigil-test-kubernetes-ca', false);
  await Promise.all([
    issue('server', 'server', '/CN=kube-apiserver', true),
    issue('admin', 'client', '/O=system:masters/CN=vigil-test-admin', true),
  ]);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(f('sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(f('sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    caPem: readFileSync(f('ca.crt'), 'utf8'),
    caFile: f('ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    adminCertPem: readFileSync(f('admin.crt'), 'utf8'),
    adminKeyPem: readFileSync(f('admin.key'), 'utf8'),
    saKey: f('sa.key'),
    saPub: f('sa.pub'),
  };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (cause) {
    const e = cause as NodeJS.ErrnoException & { stderr?: string };
    throw new Error(
      e.code === 'ENOENT'
        ? 'startKubeApiServer: openssl is not installed (Debian package openssl; scripts/setup.sh installs it)'
        : `startKubeApiServer: openssl ${args[0]} failed: ${e.stderr?.trim() ?? e.message}`,
      { cause },
    );
  }
}

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
}

/** Spawns a tool keeping the tail of its output for error messages. */
function spawnTool(bin: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => tail.trim() };
}

/**
 * Ports are probed free and then bound by the child; another process can take one in
 * between, so a start that fails on "address already in use" is retried on fresh ports.
 */
async function withPortRetry(
  what: string,
  start: (ports: number[]) => Promise<Started | { retry: string }>,
  count: number,
): Promise<Started> {
  for (let attempt = 1; ; attempt += 1) {
    const ports: number[] = [];
    for (let i = 0; i < count; i += 1) ports.push(await freePort());
    const started = await start(ports);
    if ('child' in started) return started;
    if (attempt >= 5)
      throw new Error(`startKubeApiServer: ${what} did not start: ${started.retry}`);
  }
}

async function startEtcd(bin: string, dir: string): Promise<Started> {
  return withPortRetry(
    'etcd',
    async ([clientPort, peerPort]) => {
      const url = `http://127.0.0.1:${clientPort}`;
      const peer = `http://127.0.0.1:${peerPort}`;
      const dataDir = join(dir, `etcd-${clientPort}`);
      const { child, output } = spawnTool(bin, [
        '--name=vigil-test',
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=vigil-test=${peer}`,
        // A test store: durability across power loss is not wanted, speed is.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ]);
      const up = await waitFor(child, () => httpOk(`${url}/health`), output, 'etcd');
      if (up === true) return { child, url };
      return retryOrThrow(up, 'etcd');
    },
    2,
  );
}

async function startApiServer(
  bin: string,
  dir: string,
  pki: Pki,
  etcdUrl: string,
): Promise<Started> {
  return withPortRetry(
    'kube-apiserver',
    async ([port]) => {
      const url = `https://127.0.0.1:${port}`;
      const { child, output } = spawnTool(bin, [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--client-ca-file=${pki.caFile}`,
        `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
        `--service-account-key-file=${pki.saPub}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        // A /16 (kubeadm's default is a /12): a 1,000-agent render holds 1,000 ClusterIP Services.
        '--service-cluster-ip-range=10.96.0.0/16',
        '--authorization-mode=RBAC',
        '--watch-cache=false',
        '--allow-privileged=true',
        '--profiling=false',
        '--v=0',
      ]);
      const up = await waitFor(child, () => readyz(url, pki), output, 'kube-apiserver');
      if (up === true) return { child, url };
      return retryOrThrow(up, 'kube-apiserver');
    },
    1,
  );
}

function retryOrThrow(failure: { output: string }, what: string): { retry: string } {
  if (/address already in use/i.test(failure.output)) return { retry: failure.output };
  throw new Error(
    `startKubeApiServer: ${what} did not become ready: ${failure.output || 'no output'}`,
  );
}

/** Polls `probe` until it holds; `{ output }` when the child exits or the deadline passes. */
async function waitFor(
  child: ChildProcess,
  probe: () => Promise<boolean>,
  output: () => string,
  what: string,
): Promise<true | { output: string }> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  while (Date.now() < deadline) {
    if (spawnError) return { output: `${what}: ${spawnError.message}` };
    if (child.exitCode !== null || child.signalCode !== null) {
      return { output: `${what} exited (${child.exitCode ?? child.signalCode}): ${output()}` };
    }
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  await terminate(child);
  return { output: `${what} not ready after ${READY_TIMEOUT_MS} ms: ${output()}` };
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((done) => {
    const req = httpRequest(url, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on('error', () => done(false));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

function readyz(url: string, pki: Pki): Promise<boolean> {
  return new Promise((done) => {
    const req = request(
      `${url}/readyz`,
      { ca: pki.caPem, cert: pki.adminCertPem, key: pki.adminKeyPem },
      (res) => {
        res.resume();
        done(res.statusCode === 200);
      },
    );
    req.on('error', () => done(false));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

function postJson(url: string, body: unknown): Promise<unknown> {
  return new Promise((done, fail) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () =>
          res.statusCode === 200
            ? done(JSON.parse(text) as unknown)
            : fail(new Error(`etcd ${url}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', fail);
    req.end(JSON.stringify(body));
  });
}

function adminKubeconfig(url: string, pki: Pki): string {
  const b64 = (pem: string): string => Buffer.from(pem).toString('base64');
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'vigil-test',
          cluster: { server: url, 'certificate-authority-data': b64(pki.caPem) },
        },
      ],
      users: [
        {
          name: 'admin',
          user: {
            'client-certificate-data': b64(pki.adminCertPem),
            'client-key-data': b64(pki.adminKeyPem),
          },
        },
      ],
      contexts: [{ name: 'vigil-test', context: { cluster: 'vigil-test', user: 'admin' } }],
      'current-context': 'vigil-test',
    },
    null,
    2,
  );
}

/** Applies the vendored CRD set and waits until every one is Established. */
async function installCrds(
  server: KubeApiServer,
  kc: KubeConfig,
  set: VendoredCrds,
): Promise<void> {
  const dirPath = CRD_DIRS[set];
  const files = readdirSync(dirPath)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort();
  const names: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(dirPath, file), 'utf8');
    await server.applyManifests(text, 'vigil-test');
    for (const doc of parseAllDocuments(text)) {
      const o = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
      if (o?.kind === 'CustomResourceDefinition' && o.metadata?.name) names.push(o.metadata.name);
    }
  }
  if (names.length === 0) throw new Error(`startKubeApiServer: no CRDs found under ${dirPath}`);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + 60_000;
  for (const name of names) {
    for (;;) {
      const crd = await api.readCustomResourceDefinition({ name });
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) {
        break;
      }
      if (Date.now() > deadline) throw new Error(`startKubeApiServer: CRD ${name} not Established`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}
