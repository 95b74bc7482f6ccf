import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { agentCredentialPaths, pkiPaths } from '@vigil/pki';
import type { AgentSystem } from '@vigil/registry';
import { SUPERVISOR_ERROR_CODES, SupervisorError } from './errors.js';
import { planMemory } from './launch.js';
import type { AgentLauncher, LaunchedAgent, Placement } from './launcher.js';

const execFileAsync = promisify(execFile);

/** Where the agent finds its certificate in the container: cert-manager's Secret layout. */
export const CONTAINER_TLS_DIR = '/var/run/vigil/tls';

/** The user the image runs as (scripts/image/Containerfile; the rendered pods' runAsUser). */
export const IMAGE_USER = { uid: 10001, gid: 10001 } as const;

/** Label on every container and network a supervisor makes: the hash of its state directory. */
export const STATE_LABEL = 'dev.vigil.state';

/**
 * Host variables that describe the host, not the agent, and stay out of the container (the
 * rest of the supervisor's environment reaches the agent as it does a process: secrets
 * such as `tokenEnv` and `apiKeyEnv` are read from it).
 */
const HOST_ONLY_ENV =
  /^(PATH|HOME|PWD|OLDPWD|SHELL|SHLVL|USER|LOGNAME|HOSTNAME|TERM|TERMCAP|TMPDIR|MAIL|DISPLAY|_|NODE_OPTIONS|NODE_CHANNEL_.*|NODE_UNIQUE_ID|LD_.*|XDG_.*|CONTAINERS_.*|SSH_.*|npm_.*|COLORTERM|LS_COLORS|INVOCATION_ID|JOURNAL_STREAM|TZ)$/;

/** Options of {@link createPodmanLauncher}. */
export interface PodmanLauncherOptions {
  /** The agent image (`localhost/vigil-agent:0.1.0`, or pinned: `…@sha256:…`). */
  readonly image: string;
  readonly stateDir: string;
  readonly configPath: string;
  /**
   * An existing podman network to put the agents on. Default: a bridge network of this
   * state directory (`vigil-<hash>`), created on start and removed on stop.
   */
  readonly network?: string;
  /** Host directories the agents read (policy bundle, inventories), mounted read-only at the same path. */
  readonly mounts?: readonly string[];
  /** The podman executable. Default `podman`. */
  readonly podman?: string;
  /**
   * podman's configuration (`CONTAINERS_CONF`). Default: `CONTAINERS_CONF` of the
   * environment, else the file scripts/setup.sh writes (`<repo>/.tools/containers/containers.conf`)
   * when it exists.
   */
  readonly containersConf?: string;
}

interface Network {
  readonly name: string;
  readonly subnet: string;
  readonly gateway: string;
  /** Made by this launcher (removed on close), not given by `options.network`. */
  readonly owned: boolean;
}

/** `10.89.0.0/24` → the addresses a replica may take, gateway and broadcast excluded. */
export function hostAddresses(subnet: string, gateway: string, count: number): string[] {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  if (match === null) {
    throw new SupervisorError(
      SUPERVISOR_ERROR_CODES.CONTAINER_RUNTIME,
      `network subnet ${subnet}: only IPv4 subnets are supported`,
    );
  }
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  const base = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const size = 2 ** (32 - bits);
  const out: string[] = [];
  for (let offset = 2; offset < size - 1 && out.length < count; offset += 1) {
    const n = (base + offset) >>> 0;
    const ip = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    if (ip !== gateway) out.push(ip);
  }
  if (out.length < count) {
    throw new SupervisorError(
      SUPERVISOR_ERROR_CODES.CONTAINER_RUNTIME,
      `network subnet ${subnet} has room for ${out.length} agent replicas, ${count} are declared`,
    );
  }
  return out;
}

/** Exit status 128 + n of a container whose process died of signal n → that signal. */
export function containerExit(
  code: number | null,
  signal: NodeJS.Signals | null,
): { code: number | null; signal: NodeJS.Signals | null } {
  if (code !== null && code > 128 && code < 128 + 65) {
    const name = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name !== undefined) return { code: null, signal: name as NodeJS.Signals };
  }
  return { code, signal };
}

function repoContainersConf(): string | undefined {
  const file = new URL('../../../.tools/containers/containers.conf', import.meta.url);
  return existsSync(file) ? file.pathname : undefined;
}

/** Copies what tls.crt/tls.key/ca.crt become, atomically, readable by the image's user only. */
function writeCredentials(stateDir: string, agent: string, dir: string, asRoot: boolean): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { cert, key } = agentCredentialPaths(stateDir, agent);
  const files: [string, string][] = [
    [cert, 'tls.crt'],
    [key, 'tls.key'],
    [pkiPaths(stateDir).caCert, 'ca.crt'],
  ];
  for (const [from, name] of files) {
    const aside = join(dir, `.${name}.${process.pid}.tmp`);
    copyFileSync(from, aside);
    chmodSync(aside, name === 'tls.key' ? 0o600 : 0o644);
    if (asRoot) chownSync(aside, IMAGE_USER.uid, IMAGE_USER.gid);
    renameSync(aside, join(dir, name));
  }
  if (asRoot) chownSync(dir, IMAGE_USER.uid, IMAGE_USER.gid);
}

/**
 * Throws unless the image's user can reach `path` (every directory above it searchable by
 * others, or owned by that user): a bind mount keeps the host's permissions.
 */
function assertReachable(path: string): void {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const stat = statSync(dir);
    const searchable = (stat.mode & 0o001) !== 0 || stat.uid === IMAGE_USER.uid;
    if (!searchable) {
      throw new SupervisorError(
        SUPERVISOR_ERROR_CODES.CONTAINER_RUNTIME,
        `the agents run as user ${IMAGE_USER.uid} and cannot reach ${path}: ${dir} is mode ${(stat.mode & 0o777).toString(8)} (make it searchable, chmod o+x, or move the declaration or state directory)`,
      );
    }
    if (dirname(dir) === dir) return;
  }
}

/** Gives the image's user the state directory (the supervisor runs as root: rootful podman). */
function chownTree(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  chownSync(path, IMAGE_USER.uid, IMAGE_USER.gid);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry));
}

/**
 * Agents as containers of the agent image, with podman: one container per replica on a
 * bridge network (its own network namespace and address; peers and the supervisor reach
 * it there), `resources.memory` and `resources.cpu` as cgroup limits the kernel enforces
 * (`--memory`, `--memory-swap`, `--cpus`), read-only root, every capability dropped,
 * no-new-privileges, the image's non-root user, the certificate mounted as `tls.crt`,
 * `tls.key`, `ca.crt` (the layout cert-manager gives a pod). The supervisor's IPC channel
 * is passed into the container (`--preserve-fds`), so readiness, invoke, credential reload
 * and drain work as for processes, and a container whose supervisor died (even by SIGKILL)
 * sees the channel close, drains and exits; `--rm` removes it.
 *
 * The state directory is mounted read-write at its own path, the declaration's directory
 * and `mounts` read-only at theirs, so every path in the declaration means the same inside.
 * The PKI directory is hidden (an empty tmpfs over `<state>/pki`): a container sees its
 * own key only.
 */
export function createPodmanLauncher(options: PodmanLauncherOptions): AgentLauncher {
  const podmanBin = options.podman ?? 'podman';
  const containersConf =
    options.containersConf ?? process.env['CONTAINERS_CONF'] ?? repoContainersConf();
  const podmanEnv = (): NodeJS.ProcessEnv => ({
    ...process.env,
    ...(containersConf === undefined ? {} : { CONTAINERS_CONF: containersConf }),
  });
  const podman = async (args: readonly string[]): Promise<string> => {
    try {
      const { stdout } = await execFileAsync(podmanBin, [...args], {
        env: podmanEnv(),
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    } catch (cause) {
      const e = cause as { stderr?: string; message: string };
      throw new SupervisorError(
        SUPERVISOR_ERROR_CODES.CONTAINER_RUNTIME,
        `podman ${args.slice(0, 2).join(' ')} failed: ${(e.stderr ?? e.message).trim()}`,
        { cause },
      );
    }
  };
  const stateHash = createHash('sha256').update(options.stateDir).digest('hex').slice(0, 10);
  const asRoot = process.getuid?.() === 0;
  const runDir = join(options.stateDir, 'run', 'containers');
  let network: Network | undefined;
  let system: AgentSystem | undefined;
  const tlsDirOf = (agent: string): string => join(runDir, agent, 'tls');

  const removeStale = async (): Promise<void> => {
    const ids = (await podman(['ps', '-aq', '--filter', `label=${STATE_LABEL}=${stateHash}`]))
      .split('\n')
      .filter((id) => id !== '');
    if (ids.length > 0) await podman(['rm', '-f', '-t', '0', ...ids]);
  };

  const openNetwork = async (): Promise<Network> => {
    const name = options.network ?? `vigil-${stateHash}`;
    let inspected: string;
    try {
      inspected = await podman(['network', 'inspect', name]);
    } catch (error) {
      if (options.network !== undefined) throw error;
      await podman(['network', 'create', '--label', `${STATE_LABEL}=${stateHash}`, name]);
      inspected = await podman(['network', 'inspect', name]);
    }
    const info = (
      JSON.parse(inspected) as { subnets?: { subnet: string; gateway: string }[] }[]
    )[0];
    const subnet = info?.subnets?.find((s) => s.subnet.includes('.'));
    if (subnet === undefined) {
      throw new SupervisorError(
        SUPERVISOR_ERROR_CODES.CONTAINER_RUNTIME,
        `podman network ${name} has no IPv4 subnet`,
      );
    }
    // A network of ours left by a supervisor killed with SIGKILL is reused, and removed on close.
    return {
      name,
      subnet: subnet.subnet,
      gateway: subnet.gateway,
      owned: options.network === undefined,
    };
  };

  return {
    kind: 'podman',
    async place(declared) {
      system = declared;
      try {
        await podman(['image', 'exists', options.image]);
      } catch (cause) {
        throw new SupervisorError(
          SUPERVISOR_ERROR_CODES.CONTAINER_RUNTIME,
          `the agent image ${options.image} is not built (scripts/image/build.sh builds it)`,
          { cause },
        );
      }
      await removeStale();
      network = await openNetwork();
      const { a2a, health } = declared.kubernetes.ports;
      const total = declared.agents.reduce((n, a) => n + a.replicas, 0);
      const addresses = hostAddresses(network.subnet, network.gateway, total);
      let next = 0;
      const placements = new Map<string, Placement[]>();
      for (const spec of declared.agents) {
        placements.set(
          spec.name,
          Array.from({ length: spec.replicas }, () => {
            const host = addresses[next++] as string;
            return {
              host,
              port: a2a,
              healthPort: health,
              url: `https://${host}:${a2a}`,
              healthUrl: `http://${host}:${health}`,
            };
          }),
        );
        writeCredentials(options.stateDir, spec.name, tlsDirOf(spec.name), asRoot);
      }
      if (asRoot) {
        for (const path of [options.configPath, options.stateDir, ...(options.mounts ?? [])])
          assertReachable(path);
        chownTree(options.stateDir);
      }
      return placements;
    },
    planMemory(spec, memoryOptions) {
      // The cgroup limit is the ceiling; V8 gets its share of it, and no rlimit is needed.
      return planMemory(spec.resources.memoryBytes, {
        ...memoryOptions,
        rlimit: false,
        prlimitAvailable: false,
      });
    },
    credentialsChanged(agent) {
      writeCredentials(options.stateDir, agent, tlsDirOf(agent), asRoot);
    },
    launch(request) {
      if (network === undefined || system === undefined) {
        throw new SupervisorError(SUPERVISOR_ERROR_CODES.STATE, 'place() must run before launch()');
      }
      const name = `vigil-${stateHash}-${request.spec.name}-${request.replica}`;
      const cidFile = join(runDir, request.spec.name, `${request.replica}.cid`);
      rmSync(cidFile, { force: true });
      const env: Record<string, string> = {
        ...request.env,
        VIGIL_HOST: request.placement.host,
        VIGIL_TLS_DIR: CONTAINER_TLS_DIR,
        NODE_OPTIONS: `--max-old-space-size=${request.memory.heapMiB}`,
        // The supervisor's IPC channel, passed in as descriptor 3 (--preserve-fds).
        NODE_CHANNEL_FD: '3',
        NODE_CHANNEL_SERIALIZATION_MODE: 'json',
      };
      const passed = Object.keys(process.env).filter((k) => !HOST_ONLY_ENV.test(k) && !(k in env));
      const { memoryBytes, cpuMillis } = request.spec.resources;
      const configDir = dirname(options.configPath);
      const user = asRoot
        ? [`--user=${IMAGE_USER.uid}:${IMAGE_USER.gid}`]
        : [`--userns=keep-id`, `--user=${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`];
      const args = [
        'run',
        '--rm',
        '--replace',
        `--name=${name}`,
        `--label=${STATE_LABEL}=${stateHash}`,
        `--label=dev.vigil.agent=${request.spec.name}`,
        `--label=dev.vigil.replica=${request.replica}`,
        `--cidfile=${cidFile}`,
        `--network=${network.name}`,
        `--ip=${request.placement.host}`,
        `--hostname=${request.spec.name}-${request.replica}`,
        '--read-only',
        '--cap-drop=all',
        '--security-opt=no-new-privileges',
        ...user,
        `--memory=${memoryBytes}b`,
        `--memory-swap=${memoryBytes}b`,
        ...(cpuMillis > 0 ? [`--cpus=${cpuMillis / 1000}`] : []),
        '--pids-limit=512',
        '--preserve-fds=1',
        // Output goes to the replica's log file through this process only.
        '--log-driver=none',
        `--volume=${configDir}:${configDir}:ro`,
        ...(options.mounts ?? []).map((m) => `--volume=${m}:${m}:ro`),
        `--volume=${options.stateDir}:${options.stateDir}:rw`,
        `--mount=type=tmpfs,destination=${join(options.stateDir, 'pki')},tmpfs-size=1m`,
        `--volume=${tlsDirOf(request.spec.name)}:${CONTAINER_TLS_DIR}:ro`,
        // `-e NAME` takes the value from podman's environment: no secret on a command line.
        ...Object.keys(env).map((k) => `--env=${k}`),
        ...passed.map((k) => `--env=${k}`),
        options.image,
      ];
      const child = spawn(podmanBin, args, {
        env: { ...podmanEnv(), ...env },
        stdio: ['ignore', request.logFd, request.logFd, 'ipc'],
        serialization: 'json',
        detached: true,
      });
      let id: string | undefined;
      let cgroupFile: Promise<string | undefined> | undefined;
      const containerId = (): string | undefined => {
        if (id === undefined) {
          try {
            id = readFileSync(cidFile, 'utf8').trim() || undefined;
          } catch {
            // not created yet
          }
        }
        return id;
      };
      const findCgroupFile = async (): Promise<string | undefined> => {
        const cid = containerId();
        if (cid === undefined) return undefined;
        const path = (await podman(['inspect', '--format', '{{.State.CgroupPath}}', cid])).trim();
        if (path === '') return undefined;
        for (const file of [
          join('/sys/fs/cgroup/memory', path, 'memory.usage_in_bytes'), // cgroup v1
          join('/sys/fs/cgroup', path, 'memory.current'), // cgroup v2
        ]) {
          if (existsSync(file)) return file;
        }
        return undefined;
      };
      const launched: LaunchedAgent = {
        child,
        command: [podmanBin, ...args],
        containerId,
        // podman run forwards SIGTERM to the container's process (--sig-proxy, the default).
        terminate: () => void child.kill('SIGTERM'),
        kill: () => {
          // SIGKILL to the podman client would leave the container running.
          podman(['kill', '--signal', 'KILL', name]).catch(() => child.kill('SIGKILL'));
        },
        async memoryBytes() {
          cgroupFile ??= findCgroupFile().catch(() => undefined);
          const file = await cgroupFile;
          if (file === undefined) {
            cgroupFile = undefined; // not known yet: look again at the next probe
            return undefined;
          }
          try {
            return Number((await readFile(file, 'utf8')).trim());
          } catch {
            return undefined;
          }
        },
        describeExit: containerExit,
      };
      return launched;
    },
    async close() {
      await removeStale().catch(() => undefined);
      if (network?.owned === true) {
        await podman(['network', 'rm', '-f', network.name]).catch(() => undefined);
      }
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
