/**
 * The real SOC for end-to-end tests: the repository's vigil.yaml, pointed at this test's
 * ports, started with `vigil up` (six agents, mTLS A2A) in either runtime — OS processes
 * on loopback, or containers of the agent image on a podman network this harness makes
 * (`vigil up --runtime podman`) — plus what a test reads back: the CLI against that state,
 * the coordinator's incidents API, the detector's findings outbox, a webhook receiver for
 * notifications and the audit trail.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { entryFromJson } from '@vigil/audit';
import { readSupervisorStatus, type SupervisorStatus } from '@vigil/supervisor';
import { REPO_ROOT, runVigil, type VigilRun } from '../testing/run-vigil.js';
import { startVigilUp, type VigilUp } from '../testing/vigil-up.js';

/** An exported audit entry as the SOC reads it: its correlation id is the incident. */
export interface AuditEntry {
  readonly kind: string;
  readonly actor: string;
  readonly incidentId: string | null;
  readonly what: Record<string, unknown>;
  readonly why: Record<string, unknown> | null;
}

export interface IncidentRow {
  readonly id: string;
  readonly status: string;
  readonly severity: string;
}

/** How the SOC's agents run: `vigil up` (processes) or `vigil up --runtime podman`. */
export type SocRuntime = 'process' | 'podman';

/**
 * The runtimes this machine can run the SOC in, each with why not when it cannot (podman
 * and the agent image come from scripts/setup.sh).
 */
export function socRuntimes(): { runtime: SocRuntime; unavailable?: string }[] {
  let podman: string | undefined;
  try {
    execFileSync('podman', ['--version'], { stdio: 'ignore' });
  } catch {
    podman = 'podman is not installed (scripts/setup.sh installs it)';
  }
  return [
    { runtime: 'process' },
    { runtime: 'podman', ...(podman === undefined ? {} : { unavailable: podman }) },
  ];
}

const CONTAINERS_CONF = join(REPO_ROOT, '.tools/containers/containers.conf');

function podman(...args: string[]): string {
  return execFileSync('podman', args, {
    encoding: 'utf8',
    env: { ...process.env, CONTAINERS_CONF: process.env['CONTAINERS_CONF'] ?? CONTAINERS_CONF },
  });
}

/** A podman bridge network of this test's own: the host is its gateway. */
function createTestNetwork(): { name: string; gateway: string; remove(): void } {
  const name = `vigil-e2e-${randomBytes(4).toString('hex')}`;
  podman('network', 'create', name);
  const [info] = JSON.parse(podman('network', 'inspect', name)) as {
    subnets: { gateway: string }[];
  }[];
  const gateway = info?.subnets[0]?.gateway;
  assert.ok(gateway !== undefined, `network ${name} has a gateway`);
  return { name, gateway, remove: () => void podman('network', 'rm', '-f', name) };
}

export interface Soc {
  readonly runtime: SocRuntime;
  readonly up: VigilUp;
  readonly ingestUrl: string;
  /** The coordinator's operations API (and the console it serves), `http://127.0.0.1:<port>`. */
  readonly apiUrl: string;
  /** The bootstrap admin's API token (`<state>/users/admin.token`). */
  readonly adminToken: string;
  /** Bodies of every notification the webhook channel delivered. */
  readonly notifications: readonly string[];
  cli(...args: string[]): Promise<VigilRun>;
  /** Pushes an NDJSON file into the detector with `vigil replay` (asserts it was all accepted). */
  replay(file: string): Promise<number>;
  incidents(): Promise<IncidentRow[]>;
  /** Findings the detector holds that the coordinator has not acknowledged yet. */
  undelivered(): number;
  /** Waits until every finding is delivered and every incident closed or awaiting a human. */
  settled(): Promise<IncidentRow[]>;
  audit(): Promise<AuditEntry[]>;
  status(): SupervisorStatus;
  /** Kills one replica of `agent` with SIGKILL: its process, or its container's process. */
  kill(agent: string): void;
  waitUntil<T>(what: string, probe: () => Promise<T | undefined>): Promise<T>;
}

export interface SocOptions {
  /** An OpenAI-compatible endpoint for the analyst instead of the offline analyser. */
  readonly modelBaseUrl?: string;
  /** How long an escalation waits for a human before it expires (vigil.yaml's is an hour). */
  readonly approvalTtlSeconds?: number;
  /** Default `process`. */
  readonly runtime?: SocRuntime;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The repository's vigil.yaml as the e2e tests run it: on the given loopback ports, paths
 * absolute, short notification summaries, and — with `modelBaseUrl` — the analyst on an
 * OpenAI-compatible endpoint (in tests, the scripted server of `@vigil/testkit`: a test
 * double standing at the edge of what this machine reaches, since no real model is).
 */
export function socDeclaration(
  ports: { api: number; ingest: number; webhook: number; smtp: number },
  options: SocOptions,
  /** Where the agents reach this test's webhook receiver. */
  webhookHost = '127.0.0.1',
): string {
  // In a container the detector's intake listens on the container's own network
  // namespace, and the API on the coordinator's address (its default, VIGIL_HOST).
  const inContainer = options.runtime === 'podman';
  let yaml = readFileSync(join(REPO_ROOT, 'vigil.yaml'), 'utf8');
  const replace = (from: string, to: string): void => {
    assert.ok(yaml.includes(from), `vigil.yaml no longer contains ${JSON.stringify(from)}`);
    yaml = yaml.replace(from, to);
  };
  replace(
    '# http: { host: 127.0.0.1, port: 7400, tokenEnv: VIGIL_INGEST_TOKEN }',
    `http: { host: ${inContainer ? '0.0.0.0' : '127.0.0.1'}, port: ${ports.ingest}, tokenEnv: VIGIL_INGEST_TOKEN }`,
  );
  // A longer gathering window than the shipped 2 s: on a loaded test machine the findings
  // of one attack can arrive seconds apart, and the verdicts expected below assume each
  // attack is analysed as one incident.
  replace(
    'api: { port: 0 }',
    `api: { ${inContainer ? '' : 'host: 127.0.0.1, '}port: ${ports.api} }\n      aggregation: { settleMs: 5000, maxWaitMs: 30000 }`,
  );
  replace('bundle: policies/soc', `bundle: ${join(REPO_ROOT, 'policies/soc')}`);
  replace(
    'inventory: examples/soc-demo/inventory.yaml',
    `inventory: ${join(REPO_ROOT, 'examples/soc-demo/inventory.yaml')}`,
  );
  replace(
    'http://127.0.0.1:9494/notifications',
    `http://${webhookHost}:${ports.webhook}/notifications`,
  );
  // Nothing listens here: a failing channel must never hold an incident back.
  replace('port: 2525', `port: ${ports.smtp}`);
  // Summaries of what was held back as alike, within seconds rather than the shipped five
  // minutes, so a test sees every incident reach the webhook.
  replace(
    'summaries: { similarWindowSeconds: 300, intervalSeconds: 10 }',
    'summaries: { similarWindowSeconds: 3, intervalSeconds: 1 }',
  );
  if (options.approvalTtlSeconds !== undefined)
    replace('ttlSeconds: 3600', `ttlSeconds: ${options.approvalTtlSeconds}`);
  if (options.modelBaseUrl !== undefined)
    replace(
      'model:\n  provider: offline',
      `model:\n  provider: openai\n  baseUrl: ${options.modelBaseUrl}\n  model: scripted\n  apiKeyEnv: OPENAI_API_KEY`,
    );
  return yaml;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  context: () => string,
  timeoutMs = 180_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The supervisor also reports "running" when an agent failed to start: say which, and why. */
function assertEveryAgentReady(up: VigilUp): void {
  const notReady = readSupervisorStatus(up.stateDir).status.agents.flatMap((a) =>
    a.replicas.filter((r) => r.state !== 'ready').map((r) => ({ agent: a.name, replica: r })),
  );
  if (notReady.length === 0) return;
  const logs = notReady.map(({ agent, replica }) => {
    let tail = '(no log)';
    try {
      tail = readFileSync(
        join(up.stateDir, 'logs', `${agent}-${replica.replica}.log`),
        'utf8',
      ).slice(-4000);
    } catch {
      // the agent never wrote one
    }
    return `--- ${agent} ---\n${tail}`;
  });
  assert.fail(
    `agents not ready after start: ${JSON.stringify(notReady)}\n${logs.join('\n')}\n${up.output().slice(-4000)}`,
  );
}

/** Starts the SOC and waits until every agent is up; everything stops when the test ends. */
export async function startSoc(t: TestContext, options: SocOptions = {}): Promise<Soc> {
  const runtime = options.runtime ?? 'process';
  const network = runtime === 'podman' ? createTestNetwork() : undefined;
  const notifications: string[] = [];
  const webhook = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      notifications.push(body);
      res.writeHead(204).end();
    });
  });
  // Containers reach the host on their network's gateway address, processes on loopback.
  const webhookHost = network?.gateway ?? '127.0.0.1';
  const listen = (port: number): Promise<void> =>
    new Promise<void>((resolve) => webhook.listen(port, webhookHost, resolve));
  // The gateway address exists once the first container joined the network: there the
  // receiver listens when the system is up (the notifier has nothing to send before).
  if (network === undefined) await listen(0);
  t.after(() => new Promise<void>((resolve) => webhook.close(() => resolve())));
  const ports = {
    api: await freePort(),
    ingest: await freePort(),
    webhook: network === undefined ? (webhook.address() as AddressInfo).port : await freePort(),
    smtp: await freePort(),
  };
  const env = {
    VIGIL_INGEST_TOKEN: randomBytes(24).toString('hex'),
    VIGIL_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
    OPENAI_API_KEY: randomBytes(16).toString('hex'),
  };
  const args =
    network === undefined
      ? []
      : [
          '--runtime',
          'podman',
          '--network',
          network.name,
          // The declaration names these by absolute path: the agents read them in place.
          '--mount',
          join(REPO_ROOT, 'policies/soc'),
          '--mount',
          join(REPO_ROOT, 'examples/soc-demo'),
        ];
  const up = startVigilUp(
    t,
    socDeclaration(ports, { ...options, runtime }, webhookHost),
    args,
    env,
  );
  // Registered after vigil up's own stop, so it runs once the containers are gone.
  if (network !== undefined) t.after(() => network.remove());
  await up.waitFor(/supervisor running/, 240_000);
  assertEveryAgentReady(up);
  if (network !== undefined) await listen(ports.webhook);
  const token = readFileSync(join(up.stateDir, 'users', 'admin.token'), 'utf8').trim();
  // A container's servers are at its own address (the one its replica URL names).
  const hostOf = (agent: string): string => {
    if (network === undefined) return '127.0.0.1';
    const url = readSupervisorStatus(up.stateDir).status.agents.find((a) => a.name === agent)
      ?.replicas[0]?.url;
    assert.ok(url !== undefined, `${agent} has a replica`);
    return new URL(url).hostname;
  };
  const ingestUrl = `http://${hostOf('detector')}:${ports.ingest}/v1/events`;
  const apiUrl = `http://${hostOf('coordinator')}:${ports.api}`;
  const cli = (...args: string[]) =>
    runVigil(['-f', up.configPath, '--state-dir', up.stateDir, ...args], env);
  const waitUntil = <T>(what: string, probe: () => Promise<T | undefined>) =>
    until(what, probe, () => up.output().slice(-6000));
  const incidents = async (): Promise<IncidentRow[]> => {
    const response = await fetch(`${apiUrl}/v1/incidents`, {
      headers: { authorization: `Bearer ${token}` },
    }).catch(() => undefined);
    if (!response?.ok) return [];
    return ((await response.json()) as { incidents: IncidentRow[] }).incidents;
  };
  const undelivered = (): number => {
    const db = new Database(join(up.stateDir, 'data', 'findings-outbox.sqlite'), {
      readonly: true,
    });
    try {
      return (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  return {
    runtime,
    up,
    ingestUrl,
    apiUrl: `http://127.0.0.1:${ports.api}`,
    adminToken: token,
    notifications,
    cli,
    incidents,
    undelivered,
    waitUntil,
    status: () => readSupervisorStatus(up.stateDir).status,
    kill(agent) {
      const replica = readSupervisorStatus(up.stateDir).status.agents.find((a) => a.name === agent)
        ?.replicas[0];
      if (runtime === 'process') {
        assert.ok(replica?.pid, `${agent} runs`);
        process.kill(replica.pid, 'SIGKILL');
      } else {
        assert.ok(replica?.containerId, `${agent} runs in a container`);
        // The agent's own process in its container, not the podman client.
        podman('kill', '--signal', 'KILL', replica.containerId);
      }
    },
    async replay(file) {
      const run = await cli(
        '--json',
        'replay',
        file,
        '--to',
        ingestUrl,
        '--token-env',
        'VIGIL_INGEST_TOKEN',
      );
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout) as { sent: number; accepted: number };
      assert.equal(report.accepted, report.sent, 'the detector accepted every event');
      return report.accepted;
    },
    settled: () =>
      waitUntil('every finding delivered and every incident settled', async () => {
        if (undelivered() > 0) return undefined;
        const rows = await incidents();
        return rows.length > 0 &&
          rows.every((i) => i.status === 'closed' || i.status === 'awaiting-approval')
          ? rows
          : undefined;
      }),
    async audit() {
      const exported = await cli('audit', 'export', '--format', 'jsonl');
      assert.equal(exported.code, 0, exported.stderr);
      return exported.stdout
        .trimEnd()
        .split('\n')
        .map((l): AuditEntry => {
          const entry = entryFromJson(JSON.parse(l));
          return { ...entry, incidentId: entry.correlationId };
        });
    },
  };
}
