import { spawn, type ChildProcess } from 'node:child_process';
import type { AgentSpec, AgentSystem } from '@vigil/registry';
import {
  agentCommand,
  findPrlimit,
  planMemory,
  residentBytes,
  type MemoryOptions,
  type MemoryPlan,
} from './launch.js';
import { allocateLoopbackPorts } from './ports.js';

/**
 * Where one agent replica listens, as the supervisor and its peers reach it. The
 * supervisor publishes `url` in `endpoints.json` and probes `healthUrl`.
 */
export interface Placement {
  /** The address the agent binds (`VIGIL_HOST`). */
  readonly host: string;
  readonly port: number;
  readonly healthPort: number;
  readonly url: string;
  readonly healthUrl: string;
}

/** What the supervisor asks a launcher to start: one life of one replica. */
export interface LaunchRequest {
  readonly spec: AgentSpec;
  readonly replica: number;
  readonly placement: Placement;
  readonly memory: MemoryPlan;
  /** The `VIGIL_*` contract of `@vigil/runtime` plus the supervisor's extra environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Descriptor of the replica's log file: stdout and stderr go there. */
  readonly logFd: number;
}

/**
 * One running life of a replica. `child` is the process the supervisor spawned: its exit
 * is the replica's exit, its IPC channel is the agent's (a container runtime passes the
 * channel's descriptor into the container).
 */
export interface LaunchedAgent {
  readonly child: ChildProcess;
  /** The command line, for the replica's log. */
  readonly command: readonly string[];
  /** Container id once known (container runtimes). */
  containerId(): string | undefined;
  /** Asks the agent to drain and exit (SIGTERM to the agent, not to a wrapper). */
  terminate(): void;
  /** Stops the agent now (SIGKILL to the agent, or its container). */
  kill(): void;
  /**
   * Memory in use, bytes: the resident set of a process, the cgroup's usage of a
   * container (what the kernel limit counts). Undefined when not readable.
   */
  memoryBytes(): Promise<number | undefined>;
  /** Exit facts as the agent saw them (a container runtime reports 128 + n for signal n). */
  describeExit(
    code: number | null,
    signal: NodeJS.Signals | null,
  ): {
    code: number | null;
    signal: NodeJS.Signals | null;
  };
}

/**
 * How the supervisor runs agents: as OS processes ({@link createProcessLauncher}) or as
 * containers (`createPodmanLauncher`). Everything else — readiness, liveness, restarts,
 * crash loops, drain order, status — is the supervisor's and the same for both.
 */
export interface AgentLauncher {
  readonly kind: 'process' | 'podman';
  /** Where every replica of `system` listens; called once, before any launch. */
  place(system: AgentSystem): Promise<Map<string, Placement[]>>;
  /** How `resources.memory` becomes limits for this runtime. */
  planMemory(spec: AgentSpec, options: MemoryOptions | undefined): MemoryPlan;
  /** The agent's certificate on disk changed (renewal): make it what its replicas see. */
  credentialsChanged?(agent: string): void;
  /** Starts one life of one replica. Synchronous: the child exists when it returns. */
  launch(request: LaunchRequest): LaunchedAgent;
  /** Releases what `place` set up (networks); called once every replica has exited. */
  close(): Promise<void>;
}

/** Options of {@link createProcessLauncher}. */
export interface ProcessLauncherOptions {
  readonly entryScript: string;
  readonly nodeArgs?: readonly string[];
  readonly compiled?: boolean;
}

/**
 * Agents as OS processes on loopback ports: `[prlimit --data …] node --max-old-space-size
 * … <entry>`, in a process group of their own, with the IPC channel on descriptor 3.
 */
export function createProcessLauncher(options: ProcessLauncherOptions): AgentLauncher {
  const prlimitPath = findPrlimit();
  return {
    kind: 'process',
    async place(system) {
      const total = system.agents.reduce((n, a) => n + a.replicas, 0);
      const ports = await allocateLoopbackPorts(total * 2);
      let next = 0;
      return new Map(
        system.agents.map((spec) => [
          spec.name,
          Array.from({ length: spec.replicas }, () => {
            const port = ports[next++] as number;
            const healthPort = ports[next++] as number;
            return {
              host: '127.0.0.1',
              port,
              healthPort,
              url: `https://127.0.0.1:${port}`,
              healthUrl: `http://127.0.0.1:${healthPort}`,
            };
          }),
        ]),
      );
    },
    planMemory(spec, memoryOptions) {
      return planMemory(spec.resources.memoryBytes, {
        ...memoryOptions,
        prlimitAvailable: prlimitPath !== undefined,
      });
    },
    launch(request) {
      const command = agentCommand({
        entryScript: options.entryScript,
        memory: request.memory,
        prlimitPath,
        ...(options.nodeArgs === undefined ? {} : { nodeArgs: options.nodeArgs }),
        compiled: options.compiled === true,
      });
      // detached: its own process group, so a terminal's Ctrl-C reaches the supervisor
      // only and shutdown follows the callers-first order. An orphan (supervisor killed)
      // still exits: the runtime drains when the IPC channel disconnects.
      const child = spawn(command.file, command.args, {
        env: { ...(process.env as Record<string, string>), ...request.env },
        stdio: ['ignore', request.logFd, request.logFd, 'ipc'],
        serialization: 'json',
        detached: true,
      });
      return {
        child,
        command: [command.file, ...command.args],
        containerId: () => undefined,
        terminate: () => void child.kill('SIGTERM'),
        kill: () => void child.kill('SIGKILL'),
        memoryBytes: () =>
          Promise.resolve(child.pid === undefined ? undefined : residentBytes(child.pid)),
        describeExit: (code, signal) => ({ code, signal }),
      };
    },
    close: () => Promise.resolve(),
  };
}
