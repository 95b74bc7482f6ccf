import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { VigilError } from '@vigil/core';
import { openAuditStore, type AuditEntry } from '@vigil/audit';
import { replayToHttp } from '@vigil/detector';
import type { AgentSystem } from '@vigil/registry';
import { readSupervisorStatus } from '@vigil/supervisor';

/** Which analyst a run uses: the offline rule-based one, or the model vigil.yaml declares. */
export type AnalystKind = 'offline' | 'model';

export interface LiveRunOptions {
  /** The declaration file (its directory anchors every relative path in it). */
  readonly configPath: string;
  readonly system: AgentSystem;
  readonly analyst: AnalystKind;
  /** Raw events, one JSON object each, in order. */
  readonly events: readonly Record<string, unknown>[];
  /** The dry-run executor's inventory; default the declared one. */
  readonly inventory?: string | undefined;
  /** Give up waiting for the system to settle after this long. */
  readonly timeoutMs: number;
  /** Keep the run's state directory (certificates, databases, logs) instead of removing it. */
  readonly keepState?: boolean;
  readonly log?: (line: string) => void;
}

export interface LiveRun {
  readonly entries: AuditEntry[];
  readonly eventsIn: number;
  readonly notifications: number;
  readonly wallMs: number;
  /** Present when kept. */
  readonly stateDir?: string | undefined;
}

type Raw = Record<string, unknown>;

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function agentSettings(doc: Raw, name: string): Raw {
  const agents = Array.isArray(doc['agents']) ? (doc['agents'] as unknown[]) : [];
  const agent = agents.find((a): a is Raw => isRecord(a) && a['name'] === name);
  if (agent === undefined)
    throw new VigilError(
      'VIGIL_CONFIG_EVAL',
      `vigil eval needs a ${name} agent in the declaration`,
    );
  if (!isRecord(agent['settings'])) agent['settings'] = {};
  return agent['settings'] as Raw;
}

/**
 * The declaration of an evaluation run: the user's, with the detector's HTTP source and
 * the coordinator's API on free loopback ports, the remediator forced to `dry-run` (an
 * evaluation never acts on a cluster), every notification channel replaced by a local
 * sink (it never pages anyone), and the analyst chosen by `analyst`.
 */
export function evalDeclaration(
  yamlText: string,
  options: {
    readonly analyst: AnalystKind;
    readonly ports: { readonly ingest: number; readonly api: number; readonly sink: number };
    readonly inventory?: string | undefined;
  },
): string {
  const doc = parseYaml(yamlText) as unknown;
  if (!isRecord(doc)) throw new VigilError('VIGIL_CONFIG_EVAL', 'the declaration is not a mapping');
  agentSettings(doc, 'detector')['http'] = {
    host: '127.0.0.1',
    port: options.ports.ingest,
    tokenEnv: 'VIGIL_EVAL_INGEST_TOKEN',
  };
  const coordinator = agentSettings(doc, 'coordinator');
  coordinator['api'] = { host: '127.0.0.1', port: options.ports.api };
  const remediator = agentSettings(doc, 'remediator');
  remediator['executor'] = 'dry-run';
  if (options.inventory !== undefined) remediator['inventory'] = options.inventory;
  const model = isRecord(doc['model']) ? doc['model'] : { provider: 'offline' };
  if (options.analyst === 'offline') {
    doc['model'] = {
      provider: 'offline',
      ...(model['timeoutMs'] === undefined ? {} : { timeoutMs: model['timeoutMs'] }),
    };
  } else if (model['provider'] === 'offline' || model['provider'] === undefined) {
    throw new VigilError(
      'VIGIL_USAGE',
      '--analyst model needs a language model in vigil.yaml (model.provider openai or anthropic)',
    );
  }
  const notifications = isRecord(doc['notifications']) ? doc['notifications'] : {};
  notifications['channels'] = [
    {
      name: 'eval-sink',
      type: 'webhook',
      url: `http://127.0.0.1:${options.ports.sink}/notifications`,
      secretEnv: 'VIGIL_EVAL_WEBHOOK_SECRET',
    },
  ];
  doc['notifications'] = notifications;
  return stringifyYaml(doc);
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `events` through the live system — `vigil up` as a child process, one OS process
 * per agent, mTLS A2A — in a fresh state directory, waits until every incident is closed
 * or waiting for a human and the audit trail has been quiet for a while, stops the system
 * and returns its whole audit trail.
 */
export async function runLiveSystem(options: LiveRunOptions): Promise<LiveRun> {
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  let notifications = 0;
  const sink = createServer((req, res) => {
    req.resume().on('end', () => {
      notifications++;
      res.writeHead(204).end();
    });
  });
  const ports = { sink: await listen(sink), ingest: await freePort(), api: await freePort() };
  const stateDir = await mkdtemp(join(tmpdir(), 'vigil-eval-'));
  // Beside the user's file, so relative paths in it (policy bundle, inventory) resolve the same.
  const derived = join(
    dirname(options.configPath),
    `.${basename(options.configPath)}.eval-${randomBytes(4).toString('hex')}.yaml`,
  );
  await writeFile(
    derived,
    evalDeclaration(await readFile(options.configPath, 'utf8'), {
      analyst: options.analyst,
      ports,
      inventory: options.inventory,
    }),
    { mode: 0o600 },
  );
  const env = {
    ...process.env,
    VIGIL_EVAL_INGEST_TOKEN: randomBytes(24).toString('hex'),
    VIGIL_EVAL_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
  };
  let output = '';
  let child: ChildProcess | undefined;
  try {
    child = spawn(
      process.execPath,
      [...process.execArgv, process.argv[1] ?? '', '-f', derived, '--state-dir', stateDir, 'up'],
      { stdio: ['ignore', 'pipe', 'pipe'], env },
    );
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    const deadline = Date.now() + options.timeoutMs;
    const alive = (what: string): void => {
      if (child!.exitCode !== null || child!.signalCode !== null)
        throw new VigilError(
          'VIGIL_EVAL_SYSTEM',
          `vigil up exited while ${what}:\n${output.slice(-4000)}`,
        );
      if (Date.now() > deadline)
        throw new VigilError(
          'VIGIL_EVAL_TIMEOUT',
          `timed out while ${what}:\n${output.slice(-4000)}`,
        );
    };
    log(`eval: starting the system (${options.analyst} analyst) in ${stateDir}`);
    for (;;) {
      alive('starting the agents');
      const agents = (() => {
        try {
          return readSupervisorStatus(stateDir).status.agents;
        } catch {
          return [];
        }
      })();
      const replicas = agents.flatMap((a) => a.replicas);
      if (
        agents.length === options.system.agents.length &&
        replicas.every((r) => r.state === 'ready')
      )
        break;
      await pause(250);
    }

    const eventsFile = join(stateDir, 'eval-events.ndjson');
    await writeFile(eventsFile, options.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    log(`eval: replaying ${options.events.length} events`);
    const replay = await replayToHttp({
      file: eventsFile,
      url: `http://127.0.0.1:${ports.ingest}/v1/events`,
      token: env.VIGIL_EVAL_INGEST_TOKEN,
      batch: 500,
    });

    const token = readFileSync(join(stateDir, 'users', 'admin.token'), 'utf8').trim();
    const store = await openAuditStore(options.system.storage.audit, stateDir);
    try {
      // Settled: every incident closed or awaiting a human, and nothing new audited for 3 polls.
      let last = '';
      let quiet = 0;
      while (quiet < 3) {
        alive('waiting for the incidents to settle');
        await pause(2000);
        const response = await fetch(`http://127.0.0.1:${ports.api}/v1/incidents`, {
          headers: { authorization: `Bearer ${token}` },
        }).catch(() => undefined);
        const incidents = response?.ok
          ? ((await response.json()) as { incidents: { id: string; status: string }[] }).incidents
          : undefined;
        const stats = await store.stats();
        const now = JSON.stringify([incidents, stats]);
        const settled =
          incidents !== undefined &&
          incidents.every((i) => i.status === 'closed' || i.status === 'awaiting-approval');
        quiet = settled && now === last ? quiet + 1 : 0;
        last = now;
      }
    } finally {
      await store.close();
    }
    child.kill('SIGINT');
    await exited;
    const reader = await openAuditStore(options.system.storage.audit, stateDir);
    const entries: AuditEntry[] = [];
    try {
      for await (const e of reader.query()) entries.push(e);
    } finally {
      await reader.close();
    }
    return {
      entries,
      eventsIn: replay.accepted,
      notifications,
      wallMs: performance.now() - started,
      ...(options.keepState === true ? { stateDir } : {}),
    };
  } finally {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGINT');
      await gone;
    }
    await new Promise<void>((resolve) => sink.close(() => resolve()));
    await rm(derived, { force: true });
    if (options.keepState !== true) await rm(stateDir, { recursive: true, force: true });
  }
}
