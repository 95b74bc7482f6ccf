import { accessSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const MIB = 1024 * 1024;

/** How the memory limit of `resources.memory` is applied to one agent process. */
export interface MemoryPlan {
  /** `resources.memory` in bytes. */
  readonly memoryBytes: number;
  /** V8 old-space limit (`--max-old-space-size`), MiB. */
  readonly heapMiB: number;
  /** RLIMIT_DATA set through `prlimit`, bytes; undefined when not applied. */
  readonly rlimitDataBytes: number | undefined;
  /** Resident-set ceiling checked by the supervisor's watchdog, bytes. */
  readonly rssLimitBytes: number;
}

/** Options of {@link planMemory}. */
export interface MemoryOptions {
  /** Share of `resources.memory` given to the V8 old space. Default 0.75. */
  readonly heapFraction?: number;
  /** Apply RLIMIT_DATA with `prlimit` when available. Default true. */
  readonly rlimit?: boolean;
  /**
   * Floor of RLIMIT_DATA, bytes (default 512 MiB; the limit is max(2 × memory, floor)).
   * RLIMIT_DATA counts private *writable virtual* mappings, and Node reserves more
   * address space than it touches (V8 spaces, glibc per-thread arenas, worker stacks):
   * an agent process under tsx does not start below ~250 MiB (measured, docs/runtime.md),
   * so a data limit equal to a small `resources.memory` would stop it from starting. The
   * limit is a kernel backstop against runaway native allocations (Buffers, addons); the
   * V8 heap limit bounds the JavaScript heap.
   */
  readonly rlimitFloorBytes?: number;
}

/** Derives the limits of one agent process from `resources.memory`. */
export function planMemory(
  memoryBytes: number,
  opts: MemoryOptions & { prlimitAvailable: boolean },
): MemoryPlan {
  const heapMiB = Math.max(16, Math.floor((memoryBytes * (opts.heapFraction ?? 0.75)) / MIB));
  const rlimit = (opts.rlimit ?? true) && opts.prlimitAvailable;
  return {
    memoryBytes,
    heapMiB,
    rlimitDataBytes: rlimit
      ? Math.max(2 * memoryBytes, opts.rlimitFloorBytes ?? 512 * MIB)
      : undefined,
    rssLimitBytes: memoryBytes,
  };
}

let prlimitCache: string | null | undefined;

/** Absolute path of util-linux `prlimit` on PATH, or undefined (Linux only). */
export function findPrlimit(): string | undefined {
  if (prlimitCache !== undefined) return prlimitCache ?? undefined;
  prlimitCache = null;
  if (process.platform === 'linux') {
    const dirs = (process.env['PATH'] ?? '')
      .split(delimiter)
      .concat(['/usr/bin', '/bin', '/usr/sbin']);
    for (const dir of dirs) {
      if (dir === '') continue;
      const candidate = join(dir, 'prlimit');
      try {
        accessSync(candidate, constants.X_OK);
        prlimitCache = candidate;
        break;
      } catch {
        // not here
      }
    }
  }
  return prlimitCache ?? undefined;
}

/**
 * The file URL of tsx's ESM loader, resolved from this package (not from the working
 * directory), so `vigil up` works from any directory.
 */
export function tsxLoaderUrl(): string {
  const require = createRequire(import.meta.url);
  return pathToFileURL(require.resolve('tsx')).href;
}

/**
 * V8 flags every agent process gets before `nodeArgs` (a later flag of the same name wins).
 *
 * `--max-semi-space-size=1` caps each young-generation semi-space at 1 MiB (Node 20's
 * default lets it grow to 16 MiB). Start-up (module loading, TLS, certificate parsing)
 * allocates fast, so the young generation grows and stays committed in every idle agent:
 * measured on the 70-process credit-memo network (bench/network, docs/runtime.md), idle
 * PSS per agent p50 67 → 44 MiB, the network 4.58 → 3.06 GiB. The cost is more frequent
 * scavenges while busy; agents are I/O-bound, and a system that is not can override it in
 * `nodeArgs`.
 */
export const DEFAULT_AGENT_V8_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=1']);

/** The command line of one agent process. */
export interface AgentCommand {
  readonly file: string;
  readonly args: readonly string[];
}

/**
 * `[prlimit --data=N:N --] node --import <tsx> --max-old-space-size=M <DEFAULT_AGENT_V8_FLAGS> [extra] <entry>`.
 * `prlimit` sets the limit on itself and then `exec`s node, so the spawned pid *is* the
 * agent's pid and the IPC descriptor passes through.
 */
export function agentCommand(opts: {
  entryScript: string;
  memory: MemoryPlan;
  prlimitPath: string | undefined;
  nodeArgs?: readonly string[];
  /** Plain Node on compiled JavaScript (`--conditions=vigil-dist`) instead of tsx. */
  compiled?: boolean;
}): AgentCommand {
  const node = [
    ...(opts.compiled === true ? ['--conditions=vigil-dist'] : ['--import', tsxLoaderUrl()]),
    `--max-old-space-size=${opts.memory.heapMiB}`,
    ...DEFAULT_AGENT_V8_FLAGS,
    ...(opts.nodeArgs ?? []),
    opts.entryScript,
  ];
  if (opts.memory.rlimitDataBytes !== undefined && opts.prlimitPath !== undefined) {
    const n = opts.memory.rlimitDataBytes;
    return { file: opts.prlimitPath, args: [`--data=${n}:${n}`, '--', process.execPath, ...node] };
  }
  return { file: process.execPath, args: node };
}

/** Resident set size of `pid` in bytes from `/proc/<pid>/status` (Linux), or undefined. */
export function residentBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}
