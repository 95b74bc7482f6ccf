/**
 * The rendered manifests as `podman kube play` runs them on one machine. podman plays
 * Deployments (each replica a pod), ConfigMaps and Secrets; what a cluster adds around
 * them is translated here, each step only where podman lacks the feature
 * (docs/kubernetes.md, "Running the render under podman"):
 *
 * - Services become DNS names: every pod joins the network with the Service names that
 *   select it (`<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc`, `<svc>.<ns>.svc.cluster.local`)
 *   as aliases, which podman's DNS answers with the addresses of all those pods (a
 *   headless Service; no virtual IP, so a Service port must equal its target port).
 * - A projected volume (not a kube play volume type) becomes one ConfigMap per pod
 *   template holding exactly the projected files, with the named volume podman fills
 *   created first with the files' directories (podman 4.3 writes items without them).
 * - Secret volumes name `optional` (podman 4.3 dereferences it unset) and, on a podman
 *   whose reader takes Secret data as plain text (before 4.5), the Secrets are created as
 *   podman secrets in that format instead of through kube play (format `literal`).
 * - Container ports are left out (podman 4.3 would publish each on the host's same port):
 *   pods are reached at their own addresses, as in a cluster.
 * - emptyDir volumes are renamed `<namespace>-<deployment>-<volume>`: podman 4.3 makes
 *   each a named volume of the volume's own name, which pods would otherwise share.
 * - HTTP probes are taken out of the template and returned for the caller to run from
 *   the host, as the kubelet does: podman would run them as `curl` inside the container,
 *   and the agent image has no curl and no shell.
 *
 * Nothing here runs podman or knows an agent system.
 */
import type {
  KubernetesObject,
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1KeyToPath,
  V1Probe,
  V1Secret,
  V1Service,
  V1Volume,
} from '@kubernetes/client-node';
import { posix } from 'node:path';
import { KUBERNETES_ERROR_CODES, KubernetesError } from './errors.js';
import { toYamlStream } from './output.js';

/**
 * How the installed podman reads a Secret it mounts: `kube` decodes `data` as base64 (4.5
 * and later), `literal` takes each `data` value as the file's text (4.3 and 4.4).
 */
export type PodmanSecretFormat = 'kube' | 'literal';

/** podman's version (`4.3.1`) → the Secret format its kube play reader takes. */
export function podmanSecretFormat(version: string): PodmanSecretFormat {
  const match = /^(\d+)\.(\d+)/.exec(version.trim());
  if (match === null) {
    throw new KubernetesError(
      KUBERNETES_ERROR_CODES.renderInvalid,
      `podman version "${version}" is not <major>.<minor>…`,
    );
  }
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 4 || (major === 4 && minor >= 5) ? 'kube' : 'literal';
}

/** A read-only host path added to every pod (the host's `opa` for the wasm reviewer). */
export interface PlayHostMount {
  readonly hostPath: string;
  readonly mountPath: string;
}

export interface PodmanPlayOptions {
  /**
   * Secrets the cluster would hold and the render does not contain: the certificate
   * Secrets cert-manager writes (`kubernetes.io/tls`: tls.crt, tls.key, ca.crt).
   */
  readonly secrets: readonly V1Secret[];
  readonly secretFormat: PodmanSecretFormat;
  /**
   * Files to add to a projected volume, by their path in the container: files the
   * declaration names beside itself that the render does not ship (a demo inventory).
   */
  readonly files?: Readonly<Record<string, string>>;
  readonly hostMounts?: readonly PlayHostMount[];
  /** Environment added to every container (values are not secret). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A readiness check the caller runs from the host against each pod's address. */
export interface PlayProbe {
  readonly container: string;
  readonly scheme: 'http' | 'https';
  readonly port: number;
  readonly path: string;
}

/** One Deployment, played by one `podman kube play` of `yaml`. */
export interface PodmanPlayUnit {
  readonly deployment: string;
  /** The pods podman names for it: `<deployment>-pod-<replica>`. */
  readonly pods: readonly string[];
  /** Network aliases of its pods: the DNS names of the Services that select them. */
  readonly aliases: readonly string[];
  readonly readiness: readonly PlayProbe[];
  /** The ConfigMaps (and, format `kube`, Secrets) it uses, then the Deployment. */
  readonly yaml: string;
}

export interface PodmanPlayPlan {
  readonly units: readonly PodmanPlayUnit[];
  /** Format `literal`: podman secrets to create (`podman secret create NAME -`) before any play. */
  readonly podmanSecrets: readonly { readonly name: string; readonly content: string }[];
  /** Named volumes to create before any play, with these directories inside. */
  readonly volumes: readonly { readonly name: string; readonly directories: readonly string[] }[];
  /** Every podman secret the plays create or use, to remove on teardown. */
  readonly secretNames: readonly string[];
  /** Every named volume the plays make (ConfigMaps', Secrets', emptyDirs'), to remove on teardown. */
  readonly namedVolumes: readonly string[];
  /** Objects of the render podman has no counterpart for, and why. */
  readonly skipped: readonly {
    readonly kind: string;
    readonly name: string;
    readonly reason: string;
  }[];
}

/** Why each kind the render writes is not played. */
const NOT_PLAYED: Record<string, string> = {
  Namespace: 'podman has no namespaces',
  ServiceAccount: 'no API server: no service-account tokens',
  Role: 'no API server to authorise against',
  RoleBinding: 'no API server to authorise against',
  ClusterRole: 'no API server to authorise against',
  ClusterRoleBinding: 'no API server to authorise against',
  NetworkPolicy: 'not enforced by podman: every pod on the network reaches every other',
  PodDisruptionBudget: 'no evictions on one machine',
  Issuer: 'cert-manager: the certificate Secrets are issued from the local CA instead',
  Certificate: 'cert-manager: its Secret is issued from the local CA instead',
  ClusterPolicy: 'Kyverno: no admission control under podman',
  StatefulSet: 'podman kube play does not play StatefulSets',
};

/** The certificate a cert-manager Certificate asks for: what its Secret must hold. */
export interface CertificateRequest {
  readonly secretName: string;
  readonly spiffeId: string;
  readonly dnsNames: readonly string[];
  readonly durationMs: number;
}

/** A Go duration as cert-manager writes them (`24h`, `1h30m`, `90s`) → milliseconds. */
export function parseGoDuration(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
  let total = 0;
  let rest = text.trim();
  if (rest === '') throw new Error('empty duration');
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (match === null) throw new Error(`"${text}" is not a duration such as 24h or 1h30m`);
    total += Number(match[1]) * (units[match[2] as string] as number);
    rest = rest.slice(match[0].length);
  }
  return total;
}

/**
 * The certificates the render's cert-manager Certificates ask for (URI SAN = SPIFFE ID,
 * DNS names, duration; default 90 days, cert-manager's).
 */
export function certificateRequestsOf(objects: readonly KubernetesObject[]): CertificateRequest[] {
  return objects
    .filter((o) => o.kind === 'Certificate')
    .map((o) => {
      const name = o.metadata?.name ?? '?';
      const spec = (o as { spec?: Record<string, unknown> }).spec ?? {};
      const uris = (spec['uris'] as string[] | undefined) ?? [];
      const secretName = spec['secretName'];
      if (typeof secretName !== 'string' || uris.length !== 1) {
        throw new KubernetesError(
          KUBERNETES_ERROR_CODES.renderInvalid,
          `Certificate ${name}: needs spec.secretName and exactly one URI SAN (the SPIFFE ID)`,
        );
      }
      let durationMs = 90 * 86_400_000;
      if (typeof spec['duration'] === 'string') {
        try {
          durationMs = parseGoDuration(spec['duration']);
        } catch (cause) {
          throw new KubernetesError(
            KUBERNETES_ERROR_CODES.renderInvalid,
            `Certificate ${name}: spec.duration ${(cause as Error).message}`,
            { cause },
          );
        }
      }
      return {
        secretName,
        spiffeId: uris[0] as string,
        dnsNames: (spec['dnsNames'] as string[] | undefined) ?? [],
        durationMs,
      };
    });
}

function invalid(where: string, message: string): KubernetesError {
  return new KubernetesError(KUBERNETES_ERROR_CODES.renderInvalid, `${where}: ${message}`);
}

/** A container port by number or name → its number. */
function portNumber(container: V1Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** The DNS names of `services` that select `labels`, after checking podman can serve their ports. */
function aliasesOf(
  services: readonly V1Service[],
  labels: Record<string, string>,
  containers: readonly V1Container[],
  where: string,
): string[] {
  const aliases: string[] = [];
  for (const service of services) {
    const selector = service.spec?.selector;
    if (selector === undefined || !matches(selector, labels)) continue;
    const name = service.metadata?.name ?? '?';
    for (const port of service.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      const numbers = containers.map((c) => portNumber(c, target)).filter((n) => n !== undefined);
      if (!numbers.includes(port.port)) {
        throw invalid(
          `Service ${name} port ${port.port}`,
          `targets ${String(target)} of ${where}, not the same port; podman's DNS names reach a pod's own ports only`,
        );
      }
    }
    const ns = service.metadata?.namespace;
    aliases.push(
      name,
      ...(ns === undefined
        ? []
        : [`${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.cluster.local`]),
    );
  }
  return aliases;
}

/** A ConfigMap key for a file path (keys allow letters, digits, `-`, `_`, `.`). */
function keyOfPath(path: string): string {
  return path
    .split('/')
    .join('__')
    .replace(/[^-._a-zA-Z0-9]/g, '_');
}

interface ProjectedResult {
  readonly volume: V1Volume;
  readonly configMap: V1ConfigMap;
  readonly directories: string[];
}

/**
 * A projected volume of ConfigMap sources as one ConfigMap holding exactly the projected
 * files (items, or every key), plus `extra` files; its items put each file at its path.
 */
function flattenProjected(
  volume: V1Volume,
  configMaps: ReadonlyMap<string, V1ConfigMap>,
  extra: Readonly<Record<string, string>>,
  name: string,
  namespace: string | undefined,
  where: string,
): ProjectedResult {
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  const items: V1KeyToPath[] = [];
  const add = (path: string, text: string | undefined, binary: string | undefined): void => {
    const key = keyOfPath(path);
    if (key in data || key in binaryData) {
      throw invalid(where, `projected volume ${volume.name}: two files map to the key ${key}`);
    }
    if (text !== undefined) data[key] = text;
    else if (binary !== undefined) binaryData[key] = binary;
    items.push({ key, path });
  };
  for (const source of volume.projected?.sources ?? []) {
    const ref = source.configMap;
    if (ref === undefined) {
      throw invalid(
        where,
        `projected volume ${volume.name}: only ConfigMap sources can be played (found ${Object.keys(source).join(', ')})`,
      );
    }
    const cm = configMaps.get(ref.name ?? '');
    if (cm === undefined) {
      if (ref.optional === true) continue;
      throw invalid(
        where,
        `projected volume ${volume.name}: no ConfigMap ${ref.name ?? '?'} in the render`,
      );
    }
    const entries: [string, string][] =
      ref.items?.map((i) => [i.key, i.path]) ??
      [...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})].map((k) => [k, k]);
    for (const [key, path] of entries) add(path, cm.data?.[key], cm.binaryData?.[key]);
  }
  for (const [path, text] of Object.entries(extra)) add(path, text, undefined);
  const directories = [
    ...new Set(items.map((i) => posix.dirname(i.path)).filter((d) => d !== '.')),
  ].sort();
  return {
    volume: { name: volume.name, configMap: { name, items, optional: false } },
    configMap: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
      ...(Object.keys(data).length === 0 ? {} : { data }),
      ...(Object.keys(binaryData).length === 0 ? {} : { binaryData }),
    },
    directories,
  };
}

/** A Secret as podman before 4.5 reads it: `data` values as the files' text. */
function literalSecret(secret: V1Secret): string {
  const name = secret.metadata?.name ?? '?';
  const data: Record<string, string> = { ...(secret.stringData ?? {}) };
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    const bytes = Buffer.from(value, 'base64');
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes)) {
      throw invalid(
        `Secret ${name} key ${key}`,
        'is not text, which this podman (before 4.5) cannot mount; upgrade podman',
      );
    }
    data[key] = text;
  }
  return toYamlStream([
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      ...(secret.type === undefined ? {} : { type: secret.type }),
      data,
    } as KubernetesObject,
  ]);
}

function readinessOf(container: V1Container, probe: V1Probe | undefined): PlayProbe | undefined {
  const get = probe?.httpGet;
  if (get === undefined) return undefined;
  const port = portNumber(container, get.port);
  if (port === undefined) {
    throw invalid(
      `container ${container.name}`,
      `readiness probe port ${String(get.port)} is not one of its ports`,
    );
  }
  return {
    container: container.name,
    scheme: get.scheme === 'HTTPS' ? 'https' : 'http',
    port,
    path: get.path ?? '/',
  };
}

/**
 * The render as `podman kube play` runs it: one unit per Deployment, the podman secrets
 * and volumes to create first, and what is not played.
 * @throws KubernetesError `VIGIL_CONFIG_K8S_RENDER` for what podman cannot play as
 *   rendered (a Service remapping ports, a projected Secret, environment from a Secret on
 *   a podman before 4.5, a file with no projected volume to hold it).
 */
export function planPodmanPlay(
  objects: readonly KubernetesObject[],
  options: PodmanPlayOptions,
): PodmanPlayPlan {
  const configMaps = new Map<string, V1ConfigMap>();
  const secrets = new Map<string, V1Secret>();
  const services: V1Service[] = [];
  const deployments: V1Deployment[] = [];
  const skipped: { kind: string; name: string; reason: string }[] = [];
  for (const o of [...objects, ...options.secrets]) {
    const name = o.metadata?.name ?? '?';
    switch (o.kind) {
      case 'ConfigMap':
        configMaps.set(name, o as V1ConfigMap);
        break;
      case 'Secret':
        secrets.set(name, o as V1Secret);
        break;
      case 'Service':
        services.push(o as V1Service);
        break;
      case 'Deployment':
        deployments.push(o as V1Deployment);
        break;
      default:
        skipped.push({
          kind: o.kind ?? '?',
          name,
          reason: NOT_PLAYED[o.kind ?? ''] ?? 'not a kind podman kube play runs',
        });
    }
  }
  const files = options.files ?? {};
  const placed = new Set<string>();
  const volumesToCreate: { name: string; directories: string[] }[] = [];
  const namedVolumes = new Set<string>();
  const usedSecrets = new Set<string>();
  const units: PodmanPlayUnit[] = deployments.map((deployment) => {
    const name = deployment.metadata?.name ?? '?';
    const where = `Deployment ${name}`;
    const namespace = deployment.metadata?.namespace;
    const template = structuredClone(deployment.spec?.template);
    const pod = template?.spec;
    if (template === undefined || pod === undefined) throw invalid(where, 'has no pod template');
    const ownConfigMaps: V1ConfigMap[] = [];
    const ownSecrets = new Set<string>();
    pod.volumes = (pod.volumes ?? []).map((volume) => {
      if (volume.projected !== undefined) {
        const mountPaths = pod.containers.flatMap((c) =>
          (c.volumeMounts ?? []).filter((m) => m.name === volume.name).map((m) => m.mountPath),
        );
        const extra: Record<string, string> = {};
        for (const [path, text] of Object.entries(files)) {
          const base = mountPaths.find((m) => path.startsWith(`${m.replace(/\/$/, '')}/`));
          if (base !== undefined) extra[posix.relative(base, path)] = text;
        }
        const flat = flattenProjected(
          volume,
          configMaps,
          extra,
          [namespace, name, volume.name].filter((s) => s !== undefined).join('-'),
          namespace,
          where,
        );
        for (const path of Object.keys(files))
          if (mountPaths.some((m) => path.startsWith(`${m.replace(/\/$/, '')}/`))) placed.add(path);
        ownConfigMaps.push(flat.configMap);
        namedVolumes.add(flat.configMap.metadata?.name as string);
        if (flat.directories.length > 0)
          volumesToCreate.push({
            name: flat.configMap.metadata?.name as string,
            directories: flat.directories,
          });
        return flat.volume;
      }
      if (volume.configMap !== undefined) {
        const cm = configMaps.get(volume.configMap.name ?? '');
        if (cm !== undefined) ownConfigMaps.push(cm);
        namedVolumes.add(volume.configMap.name ?? '');
        return volume;
      }
      if (volume.secret !== undefined) {
        const secretName = volume.secret.secretName ?? '';
        if (!secrets.has(secretName) && volume.secret.optional !== true) {
          throw invalid(
            where,
            `volume ${volume.name}: no Secret ${secretName} (neither rendered nor issued)`,
          );
        }
        ownSecrets.add(secretName);
        namedVolumes.add(secretName);
        return {
          ...volume,
          secret: { ...volume.secret, optional: volume.secret.optional ?? false },
        };
      }
      if (volume.emptyDir !== undefined) {
        // podman 4.3 makes an emptyDir a named volume of the volume's name: one name per
        // template, or every pod with a volume `state` would share it.
        const unique = [namespace, name, volume.name].filter((s) => s !== undefined).join('-');
        for (const c of pod.containers)
          for (const m of c.volumeMounts ?? []) if (m.name === volume.name) m.name = unique;
        namedVolumes.add(unique);
        return { ...volume, name: unique };
      }
      if (volume.hostPath !== undefined || volume.persistentVolumeClaim !== undefined)
        return volume;
      throw invalid(
        where,
        `volume ${volume.name}: ${Object.keys(volume)
          .filter((k) => k !== 'name')
          .join(
            ', ',
          )} volumes cannot be played (podman kube play mounts configMap, secret, emptyDir, hostPath and persistentVolumeClaim volumes)`,
      );
    });
    const readiness: PlayProbe[] = [];
    for (const container of pod.containers) {
      const probe = readinessOf(container, container.readinessProbe);
      if (probe !== undefined) readiness.push(probe);
      for (const key of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const)
        if (container[key]?.httpGet !== undefined) delete container[key];
      const fromSecret =
        (container.env ?? []).some((e) => e.valueFrom?.secretKeyRef !== undefined) ||
        (container.envFrom ?? []).some((e) => e.secretRef !== undefined);
      if (fromSecret && options.secretFormat === 'literal') {
        throw invalid(
          `${where} container ${container.name}`,
          'takes environment from a Secret, which this podman (before 4.5) reads in another format than it mounts; upgrade podman',
        );
      }
      for (const e of container.envFrom ?? [])
        if (e.secretRef?.name !== undefined) ownSecrets.add(e.secretRef.name);
      for (const e of container.env ?? [])
        if (e.valueFrom?.secretKeyRef?.name !== undefined)
          ownSecrets.add(e.valueFrom.secretKeyRef.name);
      const added = Object.entries(options.env ?? {});
      container.env = [
        ...(container.env ?? []).filter((e) => !added.some(([k]) => k === e.name)),
        ...added.map(([k, v]) => ({ name: k, value: v })),
      ];
      container.volumeMounts = [
        ...(container.volumeMounts ?? []),
        ...(options.hostMounts ?? []).map((m, i) => ({
          name: `vigil-play-host-${i}`,
          mountPath: m.mountPath,
          readOnly: true,
        })),
      ];
    }
    pod.volumes.push(
      ...(options.hostMounts ?? []).map((m, i) => ({
        name: `vigil-play-host-${i}`,
        hostPath: { path: m.hostPath },
      })),
    );
    // Resolved (Services, probes) before podman sees them: podman 4.3 publishes a
    // containerPort without hostPort on the host's same port; pods are reached at their
    // own addresses instead, as in a cluster.
    const aliases = aliasesOf(services, template.metadata?.labels ?? {}, pod.containers, where);
    for (const container of pod.containers) delete container.ports;
    for (const s of ownSecrets) usedSecrets.add(s);
    const replicas = deployment.spec?.replicas ?? 1;
    const played: V1Deployment = { ...deployment, spec: { ...deployment.spec!, template } };
    return {
      deployment: name,
      pods: Array.from({ length: replicas }, (_, i) => `${name}-pod-${i}`),
      aliases,
      readiness,
      yaml: toYamlStream([
        ...ownConfigMaps,
        ...(options.secretFormat === 'kube'
          ? [...ownSecrets].flatMap((s) => (secrets.has(s) ? [secrets.get(s)!] : []))
          : []),
        played,
      ] as KubernetesObject[]),
    };
  });
  const unplaced = Object.keys(files).filter((f) => !placed.has(f));
  if (unplaced.length > 0) {
    throw invalid(
      unplaced.join(', '),
      'no projected volume of any Deployment is mounted above this path to hold it',
    );
  }
  for (const service of services)
    if (service.spec?.selector === undefined)
      skipped.push({
        kind: 'Service',
        name: service.metadata?.name ?? '?',
        reason: 'selects no pods',
      });
  return {
    units,
    podmanSecrets:
      options.secretFormat === 'literal'
        ? [...usedSecrets]
            .filter((s) => secrets.has(s))
            .map((s) => ({ name: s, content: literalSecret(secrets.get(s)!) }))
        : [],
    secretNames: [...usedSecrets].filter((s) => secrets.has(s)).sort(),
    volumes: volumesToCreate,
    namedVolumes: [...namedVolumes].sort(),
    skipped,
  };
}
