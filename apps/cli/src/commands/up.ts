import { createWriteStream, mkdirSync, realpathSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { createLogger, VigilError, type Logger } from '@vigil/core';
import { resolveOpaBinary } from '@vigil/policy';
import { loadAgentSystem, type AgentSystem } from '@vigil/registry';
import { OPS_API_SERVICE, passwordFile } from '@vigil/coordinator';
import {
  COMPILED_AGENT_ENTRY_SCRIPT,
  readServiceAddress,
  type DemoContext,
  type DemoDriver,
} from '@vigil/runtime';
import {
  createPodmanLauncher,
  createSupervisor,
  readSupervisorStatus,
  type AgentLauncher,
  type Supervisor,
  type SupervisorEvent,
  type SupervisorStatus,
} from '@vigil/supervisor';
import { globalOptions, UsageError, type GlobalOptions } from '../context.js';
import { agentImageReference, ensureAgentImage } from './agent-image.js';

/** The repository's transpile step (`scripts/build-dist.mjs`). */
const BUILD_DIST_SCRIPT = new URL('../../../../scripts/build-dist.mjs', import.meta.url).href;

const MIB = 1024 * 1024;

function describeEvent(e: SupervisorEvent): string | undefined {
  switch (e.type) {
    case 'supervisor':
      return `supervisor ${e.state}`;
    case 'spawned': {
      const rlimit =
        e.memory.rlimitDataBytes === undefined
          ? 'no rlimit'
          : `RLIMIT_DATA ${Math.round(e.memory.rlimitDataBytes / MIB)} MiB`;
      return (
        `  ↑ ${e.agent}[${e.replica}] pid ${e.pid}  ${e.url}  ${e.spiffeId}  ` +
        `(heap ${e.memory.heapMiB} MiB, rss ≤ ${Math.round(e.memory.rssLimitBytes / MIB)} MiB, ${rlimit})`
      );
    }
    case 'state':
      if (e.to === 'starting') return undefined; // the spawned line says it
      return `  • ${e.agent}[${e.replica}] ${e.from} → ${e.to}${e.reason === undefined ? '' : `  (${e.reason})`}`;
    case 'exited': {
      if (e.code === 0 && e.signal === null && e.error === null) {
        return `  ■ ${e.agent}[${e.replica}] pid ${e.pid} exited cleanly`;
      }
      const how = e.signal !== null ? `killed by ${e.signal}` : `exit code ${String(e.code)}`;
      return `  ✗ ${e.agent}[${e.replica}] pid ${e.pid} ${how}${e.error === null ? '' : `: ${e.error.code} ${e.error.message}`}`;
    }
    case 'restart-scheduled':
      return `  ↻ ${e.agent}[${e.replica}] restart #${e.restarts} in ${(e.delayMs / 1000).toFixed(1)} s`;
    case 'credentials-reloaded':
      return `  🔑 ${e.agent}[${e.replica}] pid ${e.pid} reloaded its certificate (valid until ${e.certificate.notAfter}), no restart`;
    case 'memory-over-limit':
      return (
        `  ! ${e.agent}[${e.replica}] pid ${e.pid} resident memory ${Math.round(e.rssBytes / MIB)} MiB ` +
        `exceeds resources.memory ${Math.round(e.limitBytes / MIB)} MiB${e.action === 'kill' ? ': killed' : ' (warning)'}`
      );
    case 'error':
      return `  ! ${e.code}: ${e.message}`;
  }
}

function summary(status: SupervisorStatus): string {
  const lines = [`system ${status.system}: ${status.agents.length} agent(s)`];
  for (const agent of status.agents) {
    for (const r of agent.replicas) {
      lines.push(
        `  ${r.state === 'ready' ? '✓' : '✗'} ${agent.name}[${r.replica}] ${r.state.padEnd(10)} pid ${String(r.pid ?? '-').padEnd(7)} ${r.url}`,
      );
    }
  }
  return lines.join('\n');
}

async function importModule(specifier: string): Promise<Record<string, unknown>> {
  const target =
    specifier.startsWith('.') || isAbsolute(specifier)
      ? pathToFileURL(resolve(specifier)).href
      : specifier;
  return (await import(target)) as Record<string, unknown>;
}

/**
 * Finds the demo driver: the module named by `--demo <module>`, else the first agent
 * implementation of the declaration (in order) that exports `demo`. The harness itself
 * knows no demo: the agent system brings its own.
 */
async function findDemoDriver(
  system: AgentSystem,
  named: string | undefined,
): Promise<{ driver: DemoDriver; from: string } | undefined> {
  if (named !== undefined) {
    const mod = await importModule(named);
    if (typeof mod['demo'] !== 'function') {
      throw new VigilError(
        'VIGIL_USAGE_DEMO',
        `--demo ${named}: the module does not export \`demo: DemoDriver\``,
      );
    }
    return { driver: mod['demo'] as DemoDriver, from: named };
  }
  const seen = new Set<string>();
  for (const spec of system.agents) {
    if (seen.has(spec.implementation)) continue;
    seen.add(spec.implementation);
    const mod = await importModule(spec.implementation);
    if (typeof mod['demo'] === 'function')
      return { driver: mod['demo'] as DemoDriver, from: spec.implementation };
  }
  return undefined;
}

async function runDemo(
  supervisor: Supervisor,
  system: AgentSystem,
  options: GlobalOptions,
  named: string | undefined,
  signal: AbortSignal,
  logger: Logger,
  out: (line: string) => void,
): Promise<void> {
  const found = await findDemoDriver(system, named);
  if (found === undefined) {
    out(
      'demo: no implementation of this system exports a demo driver (`export const demo: DemoDriver`)',
    );
    return;
  }
  out(`demo: running the driver of ${found.from}`);
  const ctx: DemoContext = {
    system,
    stateDir: options.stateDir,
    logger: logger.child({ demo: found.from }),
    signal,
    print: out,
    invoke: (agent, skill, input, opts) => supervisor.invoke(agent, skill, input, opts),
  };
  await found.driver(ctx);
  out('demo: done (the agents keep running; Ctrl-C to stop)');
}

interface ContainerFlags {
  readonly image?: string;
  readonly network?: string;
  readonly mount: readonly string[];
}

/**
 * The container launcher of `--runtime podman`: the locally built image pinned by digest
 * (or `--image`), the host's `opa` mounted read-only so the reviewer compiles its wasm
 * policy into the state directory (the image carries no opa), `--mount` directories.
 */
function podmanLauncher(
  options: GlobalOptions,
  flags: ContainerFlags,
): { launcher: AgentLauncher; env: Record<string, string> } {
  const env: Record<string, string> = {
    VIGIL_POLICY_CACHE_DIR: join(options.stateDir, 'cache', 'policy-wasm'),
  };
  const mounts = flags.mount.map((m) => resolve(m));
  let opa: string | undefined;
  try {
    opa = realpathSync(resolveOpaBinary());
  } catch {
    // No opa here: a system without a wasm policy needs none; a reviewer says so at start.
  }
  if (opa !== undefined) {
    mounts.push(opa);
    env['VIGIL_OPA_BIN'] = opa;
  }
  const launcher = createPodmanLauncher({
    image: agentImageReference(flags.image),
    stateDir: options.stateDir,
    configPath: options.config,
    ...(flags.network === undefined ? {} : { network: flags.network }),
    mounts,
  });
  return { launcher, env };
}

/** `vigil up [--demo [module]]`: runs the declared system in the foreground until Ctrl-C. */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description(
      'run the agent system locally: one OS process per agent replica, in the foreground (Ctrl-C stops)',
    )
    .option(
      '--demo [module]',
      "after start-up, run the system's demo driver (or the one exported by <module>)",
    )
    .option(
      '--rss-watchdog <mode>',
      'when an agent resident set exceeds resources.memory: kill | warn | off',
      'warn',
    )
    .option(
      '--no-compile',
      'run agents from the TypeScript sources with tsx (more memory per agent)',
    )
    .option(
      '--runtime <runtime>',
      'process: one OS process per replica; podman: one container per replica (docs/containers.md)',
      'process',
    )
    .option(
      '--image <ref>',
      'with --runtime podman: the agent image (default: the one scripts/image/build.sh built, pinned by digest)',
    )
    .option(
      '--network <name>',
      'with --runtime podman: an existing podman network (default: one made for this state directory)',
    )
    .option(
      '--mount <dir>',
      'with --runtime podman: a host directory the agents read, mounted read-only at the same path (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .action(
      async (
        flags: {
          demo?: boolean | string;
          rssWatchdog: string;
          compile?: boolean;
          runtime: string;
        } & ContainerFlags,
        cmd: Command,
      ) => {
        const options = globalOptions(cmd);
        const rssWatchdog = flags.rssWatchdog;
        if (rssWatchdog !== 'kill' && rssWatchdog !== 'warn' && rssWatchdog !== 'off') {
          throw new UsageError(`--rss-watchdog: expected kill, warn or off, got "${rssWatchdog}"`);
        }
        if (flags.runtime !== 'process' && flags.runtime !== 'podman') {
          throw new UsageError(`--runtime: expected process or podman, got "${flags.runtime}"`);
        }
        // The default image follows the sources, as the compiled agents do for processes.
        if (flags.runtime === 'podman' && flags.image === undefined)
          process.stdout.write(`${await ensureAgentImage()}\n`);
        const containers = flags.runtime === 'podman' ? podmanLauncher(options, flags) : undefined;
        const system = await loadAgentSystem(options.config);
        try {
          const previous = readSupervisorStatus(options.stateDir);
          if (previous.supervisorAlive) {
            throw new VigilError(
              'VIGIL_SUPERVISOR_ALREADY_RUNNING',
              `a supervisor (pid ${previous.status.supervisor.pid}) already runs with state directory ${options.stateDir}`,
            );
          }
        } catch (error) {
          if (!(error instanceof VigilError) || error.code !== 'VIGIL_SUPERVISOR_NO_STATUS')
            throw error;
        }

        const out = (line: string): void => void process.stdout.write(`${line}\n`);
        const logPath = join(options.stateDir, 'logs', 'supervisor.log');
        mkdirSync(join(options.stateDir, 'logs'), { recursive: true });
        const logStream = createWriteStream(logPath, { flags: 'a' });
        const logger = createLogger('supervisor', { destination: logStream });
        // Agents run on compiled JavaScript unless --no-compile: transpiling the sources
        // first (about a second) saves each agent process the memory of compiling
        // TypeScript at start-up.
        const compiled = flags.compile !== false && containers === undefined;
        if (compiled) {
          const { buildDist } = (await import(BUILD_DIST_SCRIPT)) as {
            buildDist: (o: { quiet: boolean }) => Promise<void>;
          };
          await buildDist({ quiet: true });
        }
        const supervisor = createSupervisor({
          system,
          configPath: options.config,
          stateDir: options.stateDir,
          logger,
          memory: { rssWatchdog },
          ...(compiled ? { compiled: true, entryScript: COMPILED_AGENT_ENTRY_SCRIPT } : {}),
          ...(containers === undefined
            ? {}
            : { launcher: containers.launcher, env: containers.env }),
        });
        supervisor.on('event', (e) => {
          if (options.json) out(JSON.stringify({ time: new Date().toISOString(), ...e }));
          else {
            const line = describeEvent(e);
            if (line !== undefined) out(line);
          }
        });

        const demoAbort = new AbortController();
        let stopping: Promise<void> | undefined;
        const stop = (signal: string): void => {
          if (stopping !== undefined) {
            if (!options.json)
              out(`(${signal} again: already stopping, waiting for agents to drain)`);
            return;
          }
          if (!options.json)
            out(`\n${signal}: stopping (callers first, draining in-flight calls)…`);
          demoAbort.abort();
          stopping = supervisor.stop();
        };
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGTERM', () => stop('SIGTERM'));

        if (!options.json) {
          out(`vigil up: ${system.metadata.name} (${options.config}), state ${options.stateDir}`);
          out(
            `logs: ${join(options.stateDir, 'logs')}/<agent>-<replica>.log; status: vigil status --state-dir ${options.stateDir}`,
          );
        }
        const status = await supervisor.start();
        if (stopping === undefined && !options.json) {
          out(summary(status));
          const api = readServiceAddress(options.stateDir, OPS_API_SERVICE);
          if (api)
            out(
              `console: ${api.url}/ (sign in as admin, password in ${passwordFile(options.stateDir, 'admin')})`,
            );
        }
        if (flags.demo !== undefined && flags.demo !== false && stopping === undefined) {
          await runDemo(
            supervisor,
            system,
            options,
            typeof flags.demo === 'string' ? flags.demo : undefined,
            demoAbort.signal,
            logger,
            options.json ? (line) => out(JSON.stringify({ type: 'demo', line })) : out,
          ).catch((error: unknown) => out(`demo failed: ${(error as Error).message}`));
        }
        // Run until a signal stops the supervisor.
        await new Promise<void>((resolveStopped) => {
          const check = (e: SupervisorEvent): void => {
            if (e.type === 'supervisor' && e.state === 'stopped') resolveStopped();
          };
          if (supervisor.state === 'stopped') resolveStopped();
          supervisor.on('event', check);
        });
        await stopping;
        await new Promise<void>((done) => logStream.end(done));
        if (!options.json) out('all agents stopped');
      },
    );
}
