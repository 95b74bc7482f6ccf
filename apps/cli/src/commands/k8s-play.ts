/**
 * `vigil k8s play [--down]`: the rendered manifests run by `podman kube play` on this
 * machine (docs/kubernetes.md, "Running the render under podman"). The render is the one
 * `vigil k8s render` writes; `@vigil/kubernetes` plans what podman cannot take as rendered
 * (planPodmanPlay); this module does what cert-manager and the kubelet would around it:
 * issues each Certificate's Secret from the local CA, makes the network the pods share,
 * plays each Deployment with its Service names as DNS aliases, probes readiness from the
 * host, and records everything it made so that `--down` (or a failed start) removes it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { VigilError } from '@vigil/core';
import {
  MOUNTS,
  certificateRequestsOf,
  loadRenderInputs,
  planPodmanPlay,
  podmanSecretFormat,
  renderSystem,
  type PodmanPlayPlan,
  type PodmanPlayUnit,
} from '@vigil/kubernetes';
import { ensureCertificateAuthority, issueLeafCertificate } from '@vigil/pki';
import { REPO_ROOT, resolveOpaBinary } from '@vigil/policy';
import { loadAgentSystem } from '@vigil/registry';
import { UsageError, type GlobalOptions } from '../context.js';
import { agentImageReference, ensureAgentImage } from './agent-image.js';

const execFileAsync = promisify(execFile);

/** Error codes of `vigil k8s play`. */
export const PLAY_ERROR_CODES = {
  /** podman failed a step; the message has its output. */
  podman: 'VIGIL_K8S_PLAY_PODMAN',
  /** A pod did not become ready in time; the message has its log tail. */
  notReady: 'VIGIL_K8S_PLAY_NOT_READY',
  /** A play of this state directory is still up (`vigil k8s play --down` first). */
  alreadyUp: 'VIGIL_K8S_PLAY_ALREADY_UP',
} as const;

/** Label on the network `vigil k8s play` makes: the hash of the state directory. */
const PLAY_LABEL = 'dev.vigil.kube-play';

/** What a play made, in `<state>/kube-play.json`: what `--down` removes. */
export interface PlayRecord {
  readonly network: string;
  readonly ownedNetwork: boolean;
  pods: string[];
  secrets: string[];
  volumes: string[];
}

/** A played pod as `vigil k8s play --json` reports it. */
export interface PlayedPod {
  readonly pod: string;
  readonly deployment: string;
  readonly address: string;
  readonly aliases: readonly string[];
}

export interface PlayOptions {
  readonly image?: string;
  readonly network?: string;
  /**
   * Environment variables (of this process) every container gets: the secrets the
   * declaration names by variable (`tokenEnv`, `secretEnv`, `apiKeyEnv`), which the render
   * does not carry.
   */
  readonly env?: readonly string[];
  /** Files of the declaration's directory (relative paths) to project beside it. */
  readonly files?: readonly string[];
  readonly readyTimeoutMs?: number;
  readonly podman?: string;
}

/** `<state>/kube-play/`: the record and the YAML each play was given (0600: Secrets may be in it). */
function playDir(stateDir: string): string {
  return join(stateDir, 'kube-play');
}

function recordPath(stateDir: string): string {
  return join(playDir(stateDir), 'record.json');
}

/** A file podman reads (it takes stdin only from a pipe, which Node's stdio is not). */
function writePrivate(stateDir: string, name: string, content: string): string {
  mkdirSync(playDir(stateDir), { recursive: true, mode: 0o700 });
  const path = join(playDir(stateDir), name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

function readRecord(stateDir: string): PlayRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(stateDir), 'utf8')) as PlayRecord;
  } catch {
    return undefined;
  }
}

function writeRecord(stateDir: string, record: PlayRecord): void {
  writePrivate(stateDir, 'record.json', `${JSON.stringify(record, null, 2)}\n`);
}

/** podman with the configuration scripts/setup.sh writes (runc, no default ulimits). */
function podmanRunner(bin = 'podman') {
  const conf = join(REPO_ROOT, '.tools', 'containers', 'containers.conf');
  const env = {
    ...process.env,
    ...(process.env['CONTAINERS_CONF'] === undefined && existsSync(conf)
      ? { CONTAINERS_CONF: conf }
      : {}),
  };
  return async (args: readonly string[]): Promise<string> => {
    try {
      const { stdout } = await execFileAsync(bin, [...args], { env, maxBuffer: 32 << 20 });
      return stdout;
    } catch (cause) {
      const e = cause as { stderr?: string; message: string };
      throw new VigilError(
        PLAY_ERROR_CODES.podman,
        `podman ${args.slice(0, 2).join(' ')} failed: ${(e.stderr ?? e.message).trim()}`,
        { cause },
      );
    }
  };
}

type Podman = ReturnType<typeof podmanRunner>;

/**
 * The Secret cert-manager's CA Issuer writes for each Certificate of the render, issued
 * here from the state directory's CA: `kubernetes.io/tls` with `tls.crt`, `tls.key`
 * (PKCS#8 P-256) and `ca.crt`, the SPIFFE ID as URI SAN and the Certificate's DNS names.
 */
async function issueCertificateSecrets(
  objects: readonly KubernetesObject[],
  stateDir: string,
  trustDomain: string,
): Promise<V1Secret[]> {
  const ca = await ensureCertificateAuthority(stateDir, trustDomain);
  const now = new Date();
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  return Promise.all(
    certificateRequestsOf(objects).map(async (request) => {
      const leaf = await issueLeafCertificate(ca, {
        spiffeId: request.spiffeId,
        commonName: request.spiffeId.split('/').pop() ?? request.secretName,
        dnsNames: request.dnsNames,
        now,
        notAfter: new Date(now.getTime() + request.durationMs),
      });
      return {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: request.secretName },
        type: 'kubernetes.io/tls',
        data: {
          'tls.crt': b64(leaf.certPem),
          'tls.key': b64(leaf.keyPem),
          'ca.crt': b64(ca.certPem),
        },
      };
    }),
  );
}

/** Which of `names` a listing (`podman <noun> ls --format {{.Name}}`) still shows. */
async function present(podman: Podman, noun: string, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const listed = new Set(
    (await podman([noun, noun === 'pod' ? 'ps' : 'ls', '--format', '{{.Name}}'])).split('\n'),
  );
  return names.filter((n) => listed.has(n));
}

/**
 * Removes what `record` names, one podman call per kind (a loaded machine makes each call
 * slow); each kind is attempted whatever the others do.
 */
async function teardown(podman: Podman, record: PlayRecord): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (args: string[]): Promise<void> => {
    await podman(args).catch((error: Error) => problems.push(error.message));
  };
  const pods = await present(podman, 'pod', record.pods);
  if (pods.length > 0) await attempt(['pod', 'rm', '-f', '-t', '0', ...pods]);
  // Without -f: podman 4.3's forced removal can deadlock with the cleanup of a container
  // that is restarting; the pods are gone by now, so nothing uses these any more.
  const volumes = await present(podman, 'volume', record.volumes);
  if (volumes.length > 0) await attempt(['volume', 'rm', ...volumes]);
  const secrets = await present(podman, 'secret', record.secrets);
  if (secrets.length > 0) await attempt(['secret', 'rm', ...secrets]);
  if (record.ownedNetwork && (await present(podman, 'network', [record.network])).length > 0)
    await attempt(['network', 'rm', '-f', record.network]);
  return problems;
}

/** Each pod's address on `network`: its infra container's (one inspect for all of them). */
async function podAddresses(
  podman: Podman,
  pods: readonly string[],
  network: string,
): Promise<Map<string, string>> {
  const infra = new Map<string, string>();
  for (const pod of pods)
    infra.set(
      (await podman(['pod', 'inspect', pod, '--format', '{{.InfraContainerID}}'])).trim(),
      pod,
    );
  const inspected = JSON.parse(await podman(['inspect', ...infra.keys()])) as {
    Id: string;
    NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
  }[];
  const addresses = new Map<string, string>();
  for (const c of inspected) {
    const pod = infra.get(c.Id);
    const address = c.NetworkSettings?.Networks?.[network]?.IPAddress;
    if (pod !== undefined && address) addresses.set(pod, address);
  }
  return addresses;
}

async function waitReady(
  podman: Podman,
  unit: PodmanPlayUnit,
  pods: readonly PlayedPod[],
  deadline: number,
): Promise<void> {
  for (const pod of pods) {
    for (const probe of unit.readiness) {
      const url = `${probe.scheme}://${pod.address}:${probe.port}${probe.path}`;
      for (;;) {
        const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline) {
          const logs = await podman(['logs', '--tail', '5', `${pod.pod}-${probe.container}`]).then(
            (text) =>
              text
                .split('\n')
                .map((l) => l.slice(0, 600))
                .join('\n'),
            (e: Error) => e.message,
          );
          throw new VigilError(
            PLAY_ERROR_CODES.notReady,
            `pod ${pod.pod} is not ready (${url}); it is left running for inspection, \`vigil k8s play --down\` removes it. Its log:\n${logs}`,
          );
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

/** Plays the render of `options.config`; resolves once every pod answers its readiness probe. */
export async function playRender(
  global: GlobalOptions,
  options: PlayOptions,
): Promise<{ network: string; pods: PlayedPod[]; plan: PodmanPlayPlan }> {
  const podman = podmanRunner(options.podman);
  const stateDir = resolve(global.stateDir);
  if (readRecord(stateDir) !== undefined) {
    throw new VigilError(
      PLAY_ERROR_CODES.alreadyUp,
      `a play of ${stateDir} is up (${recordPath(stateDir)}): \`vigil k8s play --down\` first`,
    );
  }
  const system = await loadAgentSystem(global.config);
  // The image built from these sources, as `vigil up --runtime podman` runs it (a no-op
  // when nothing changed).
  if (options.image === undefined) await ensureAgentImage();
  const image = agentImageReference(options.image);
  const objects = renderSystem(system, await loadRenderInputs(system, global.config, { image }));
  const version = (await podman(['version', '--format', '{{.Client.Version}}'])).trim();
  const configDir = dirname(resolve(global.config));
  const files: Record<string, string> = {};
  for (const file of options.files ?? [])
    files[join(MOUNTS.config, file)] = readFileSync(resolve(configDir, file), 'utf8');
  // The image has no opa: the reviewer compiles its wasm policy with the host's, as under
  // `vigil up --runtime podman`, into the pod's writable /tmp.
  let opa: string | undefined;
  try {
    opa = realpathSync(resolveOpaBinary());
  } catch {
    // none here: a system without a wasm policy needs none
  }
  const passed: Record<string, string> = {};
  for (const name of options.env ?? []) {
    const value = process.env[name];
    if (value === undefined || value === '')
      throw new UsageError(`--env ${name}: the variable is not set in this environment`);
    passed[name] = value;
  }
  const plan = planPodmanPlay(objects, {
    secrets: await issueCertificateSecrets(objects, stateDir, system.trustDomain),
    secretFormat: podmanSecretFormat(version),
    files,
    hostMounts: opa === undefined ? [] : [{ hostPath: opa, mountPath: opa }],
    env: {
      ...passed,
      VIGIL_POLICY_CACHE_DIR: '/tmp/policy-wasm',
      ...(opa === undefined ? {} : { VIGIL_OPA_BIN: opa }),
    },
  });

  const hash = createHash('sha256').update(stateDir).digest('hex').slice(0, 10);
  const record: PlayRecord = {
    network: options.network ?? `vigil-play-${hash}`,
    ownedNetwork: options.network === undefined,
    pods: [],
    secrets: [...plan.secretNames],
    volumes: [...plan.namedVolumes],
  };
  writeRecord(stateDir, record);
  const played: PlayedPod[] = [];
  try {
    if (record.ownedNetwork)
      await podman(['network', 'create', '--label', `${PLAY_LABEL}=${hash}`, record.network]);
    for (const volume of plan.volumes) await podman(['volume', 'create', volume.name]);
    if (plan.volumes.length > 0) {
      const inspected = JSON.parse(
        await podman(['volume', 'inspect', ...plan.volumes.map((v) => v.name)]),
      ) as { Name: string; Mountpoint: string }[];
      for (const volume of plan.volumes) {
        const mountpoint = inspected.find((v) => v.Name === volume.name)?.Mountpoint;
        if (mountpoint === undefined)
          throw new VigilError(PLAY_ERROR_CODES.podman, `volume ${volume.name} has no mountpoint`);
        for (const dir of volume.directories)
          mkdirSync(join(mountpoint, dir), { recursive: true, mode: 0o755 });
      }
    }
    const stale = await present(
      podman,
      'secret',
      plan.podmanSecrets.map((s) => s.name),
    );
    if (stale.length > 0) await podman(['secret', 'rm', ...stale]);
    for (const secret of plan.podmanSecrets) {
      const file = writePrivate(stateDir, `secret-${secret.name}.yaml`, secret.content);
      try {
        await podman(['secret', 'create', secret.name, file]);
      } finally {
        rmSync(file, { force: true });
      }
    }
    const deadline = Date.now() + (options.readyTimeoutMs ?? 240_000);
    for (const unit of plan.units) {
      record.pods.push(...unit.pods);
      writeRecord(stateDir, record);
      const network = [
        record.network,
        ...unit.aliases.map((a, i) => `${i === 0 ? ':' : ','}alias=${a}`),
      ].join('');
      const file = writePrivate(stateDir, `${unit.deployment}.yaml`, unit.yaml);
      await podman(['kube', 'play', '--network', network, '--log-driver', 'k8s-file', file]);
    }
    const addresses = await podAddresses(podman, record.pods, record.network);
    for (const unit of plan.units)
      for (const pod of unit.pods) {
        const address = addresses.get(pod);
        if (address === undefined)
          throw new VigilError(
            PLAY_ERROR_CODES.podman,
            `pod ${pod} has no address on ${record.network}`,
          );
        played.push({ pod, deployment: unit.deployment, address, aliases: unit.aliases });
      }
    // Every pod is started before any is awaited: agents wait for their peers themselves.
    for (const unit of plan.units)
      await waitReady(
        podman,
        unit,
        played.filter((p) => p.deployment === unit.deployment),
        deadline,
      );
  } catch (error) {
    if (!(error instanceof VigilError && error.code === PLAY_ERROR_CODES.notReady)) {
      await teardown(podman, record);
      rmSync(playDir(stateDir), { recursive: true, force: true });
    }
    throw error;
  }
  return { network: record.network, pods: played, plan };
}

/** `vigil k8s play --down`: removes what the play of this state directory made. */
export async function downRender(
  global: GlobalOptions,
  options: { podman?: string } = {},
): Promise<PlayRecord | undefined> {
  const stateDir = resolve(global.stateDir);
  const record = readRecord(stateDir);
  if (record === undefined) return undefined;
  const problems = await teardown(podmanRunner(options.podman), record);
  if (problems.length > 0) {
    throw new VigilError(PLAY_ERROR_CODES.podman, `teardown incomplete:\n${problems.join('\n')}`);
  }
  rmSync(playDir(stateDir), { recursive: true, force: true });
  return record;
}
