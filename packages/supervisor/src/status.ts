import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SUPERVISOR_ERROR_CODES, SupervisorError } from './errors.js';

/** Life-cycle state of one replica. */
export type ReplicaState = 'starting' | 'ready' | 'unready' | 'restarting' | 'failed' | 'stopped';

/** The supervisor's own state. */
export type SupervisorState = 'starting' | 'running' | 'stopping' | 'stopped';

/** One replica in `status.json`. Times are ISO 8601. */
export interface ReplicaStatus {
  readonly replica: number;
  /** Pid of the running process; null when none runs (restarting, failed, stopped). */
  readonly pid: number | null;
  readonly state: ReplicaState;
  readonly url: string;
  readonly port: number;
  readonly healthPort: number;
  /** Restarts since `vigil up` began. */
  readonly restarts: number;
  /** When the current process was spawned; uptime is now − startedAt. */
  readonly startedAt: string | null;
  readonly readyAt: string | null;
  readonly lastExit: {
    readonly code: number | null;
    readonly signal: string | null;
    readonly at: string;
  } | null;
  readonly lastError: {
    readonly code: string;
    readonly message: string;
    readonly at: string;
  } | null;
  /** When the next restart is due (state `restarting`). */
  readonly nextRestartAt: string | null;
  /** Resident set size at the last probe, bytes (Linux `/proc`); null when unknown or in a container. */
  readonly rssBytes: number | null;
  /** The container of this replica (`vigil up --runtime podman`); null for a process. */
  readonly containerId?: string | null;
  /** The container's cgroup memory usage at the last probe (what its limit counts), bytes. */
  readonly cgroupMemoryBytes?: number | null;
  /** The certificate this process serves (reported by the process). */
  readonly certificate: { readonly notAfter: string; readonly fingerprintSha256: string } | null;
}

/** One agent in `status.json`. */
export interface AgentStatus {
  readonly name: string;
  readonly spiffeId: string;
  readonly memoryBytes: number;
  /** The certificate on disk (what the next reload serves). */
  readonly certificate: { readonly notAfter: string; readonly fingerprintSha256: string } | null;
  readonly replicas: readonly ReplicaStatus[];
}

/** The content of `<stateDir>/run/status.json`, rewritten atomically on every change. */
export interface SupervisorStatus {
  readonly version: 1;
  readonly system: string;
  /** How the agents run: OS processes or containers (absent in files of older versions: processes). */
  readonly runtime?: 'process' | 'podman';
  readonly configPath: string;
  readonly supervisor: {
    readonly pid: number;
    readonly state: SupervisorState;
    readonly startedAt: string;
  };
  readonly updatedAt: string;
  readonly agents: readonly AgentStatus[];
}

/** `<stateDir>/run/status.json` */
export function statusPath(stateDir: string): string {
  return join(stateDir, 'run', 'status.json');
}

/** `<stateDir>/run/endpoints.json` (the peer directory read by `@vigil/transport`). */
export function endpointsPath(stateDir: string): string {
  return join(stateDir, 'run', 'endpoints.json');
}

/**
 * Writes `value` as JSON to `path` atomically: a reader sees the old or the new file,
 * never a torn one (write to a temp file in the same directory, then rename).
 */
export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, path);
}

/** True when a process with this pid exists (signal 0; EPERM means it exists too). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Reads `status.json` of a state directory and whether the supervisor that wrote it is
 * still alive (a status file left by a supervisor killed with SIGKILL is stale).
 *
 * @throws SupervisorError `VIGIL_SUPERVISOR_NO_STATUS` when there is no readable file.
 */
export function readSupervisorStatus(stateDir: string): {
  status: SupervisorStatus;
  supervisorAlive: boolean;
} {
  const path = statusPath(stateDir);
  let status: SupervisorStatus;
  try {
    status = JSON.parse(readFileSync(path, 'utf8')) as SupervisorStatus;
  } catch (cause) {
    throw new SupervisorError(
      SUPERVISOR_ERROR_CODES.NO_STATUS,
      `no supervisor status at ${path} (is \`vigil up\` running with this --state-dir?)`,
      { cause },
    );
  }
  const alive = status.supervisor.state !== 'stopped' && isProcessAlive(status.supervisor.pid);
  return { status, supervisorAlive: alive };
}
