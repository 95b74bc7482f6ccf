/**
 * Starts the SOC the way `vigil up` does — compiled agents, `@vigil/supervisor`, one OS
 * process per agent, mTLS A2A between them — from the bench declaration in a temporary
 * state directory, plus what the bench needs around it: the webhook the notifier
 * delivers to, and an A2A client with the bench's own identity.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createLogger } from '@vigil/core';
import { ensureIdentities, loadAgentCredentials } from '@vigil/pki';
import { loadAgentSystem, type AgentSystem } from '@vigil/registry';
import { COMPILED_AGENT_ENTRY_SCRIPT } from '@vigil/runtime';
import { createSupervisor, type Supervisor } from '@vigil/supervisor';
import { createAgentClient, createFilePeerDirectory, type AgentClient } from '@vigil/transport';
import {
  BENCH_CLIENT,
  WEBHOOK_SECRET_ENV,
  writeBenchDeclaration,
  type BenchDeclarationOptions,
} from './declaration.js';

/** The repository's transpile step, as `vigil up` runs it before spawning agents. */
const BUILD_DIST_SCRIPT = new URL('../../scripts/build-dist.mjs', import.meta.url).href;

export interface RunningSoc {
  readonly system: AgentSystem;
  readonly stateDir: string;
  /** The bench's A2A client (identity `bench-client`, allowed to call the coordinator). */
  readonly client: AgentClient;
  /** Notifications the webhook received. */
  readonly delivered: () => number;
  /** Resolves once the webhook has received a notification of `incidentId`. */
  notified(incidentId: string): Promise<void>;
  /** Peak resident memory (VmHWM) of every agent process, MiB. */
  peakRss(): { agent: string; pid: number; mib: number }[];
  /** CPU time (user + system) every agent process has used so far, ms. */
  cpuMs(): Map<string, number>;
  stop(): Promise<void>;
}

/** Starts the SOC; every agent must be ready, else it stops what started and throws. */
export async function startSoc(
  options: Omit<BenchDeclarationOptions, 'webhookUrl'> & {
    /** Extra Node flags for every agent process (e.g. `--cpu-prof`). */
    readonly nodeArgs?: readonly string[];
  },
): Promise<RunningSoc> {
  let delivered = 0;
  const notified = new Set<string>();
  const waiters = new Map<string, () => void>();
  const webhook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      delivered += 1;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        notification?: { incidentId?: string };
      };
      const incidentId = body.notification?.incidentId;
      if (incidentId !== undefined) {
        notified.add(incidentId);
        waiters.get(incidentId)?.();
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => webhook.listen(0, '127.0.0.1', done));
  const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/notifications`;

  const configPath = writeBenchDeclaration({ ...options, webhookUrl });
  const system = await loadAgentSystem(configPath);
  await ensureIdentities(options.stateDir, system);
  const { buildDist } = (await import(BUILD_DIST_SCRIPT)) as {
    buildDist: (o: { quiet: boolean }) => Promise<void>;
  };
  await buildDist({ quiet: true });

  mkdirSync(join(options.stateDir, 'logs'), { recursive: true });
  const logStream = createWriteStream(join(options.stateDir, 'logs', 'supervisor.log'));
  const supervisor: Supervisor = createSupervisor({
    // The bench client is declared (identity, allowed calls) but runs in this process.
    system: { ...system, agents: system.agents.filter((a) => a.name !== BENCH_CLIENT) },
    configPath,
    stateDir: options.stateDir,
    logger: createLogger('supervisor', { destination: logStream }),
    memory: { rssWatchdog: 'warn' },
    compiled: true,
    entryScript: COMPILED_AGENT_ENTRY_SCRIPT,
    nodeArgs: options.nodeArgs ?? [],
    env: { [WEBHOOK_SECRET_ENV]: randomBytes(32).toString('hex') },
  });
  const closeWebhook = (): Promise<void> => closeServer(webhook);
  const status = await supervisor.start();
  const replicas = status.agents.flatMap((a) =>
    a.replicas.map((r) => ({ agent: a.name, pid: r.pid, state: r.state })),
  );
  const notReady = replicas.filter((r) => r.state !== 'ready');
  if (notReady.length > 0) {
    await supervisor.stop();
    await closeWebhook();
    throw new Error(
      `agents not ready: ${notReady.map((r) => `${r.agent} ${r.state}`).join(', ')} (logs in ${options.stateDir}/logs)`,
    );
  }

  const client = createAgentClient({
    system,
    selfName: BENCH_CLIENT,
    credentials: await loadAgentCredentials(options.stateDir, BENCH_CLIENT),
    peers: createFilePeerDirectory(join(options.stateDir, 'run', 'endpoints.json')),
    logger: createLogger('bench-client', { level: 'warn' }),
  });

  return {
    system,
    stateDir: options.stateDir,
    client,
    delivered: () => delivered,
    notified: (incidentId) =>
      notified.has(incidentId)
        ? Promise.resolve()
        : new Promise((done) => waiters.set(incidentId, done)),
    peakRss: () =>
      replicas.map(({ agent, pid }) => ({ agent, pid: pid ?? -1, mib: peakRssMib(pid) })),
    cpuMs: () => new Map(replicas.map(({ agent, pid }) => [agent, cpuMs(pid)])),
    async stop() {
      await client.close();
      await supervisor.stop();
      await closeWebhook();
      await new Promise<void>((done) => logStream.end(done));
    },
  };
}

/** VmHWM (peak resident set) of a live process, MiB; NaN when it is gone. */
function peakRssMib(pid: number | null): number {
  if (pid === null) return NaN;
  try {
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime of a live process (/proc/<pid>/stat fields 14 and 15), ms; NaN when it is gone. */
function cpuMs(pid: number | null): number {
  if (pid === null) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1000;
  } catch {
    return NaN;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}
