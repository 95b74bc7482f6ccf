/**
 * bench/a2a-hop: latency (p50/p99) and calls/s of one A2A skill request/response
 * (a DataPart in, a DataPart out) between two agents, measured in one run for:
 *
 *   1. `vigil mTLS`  — the full `@vigil/transport` path: `startAgentServer` (TLS 1.3,
 *      client certificates, registry admission, trace span) and `createAgentClient`
 *      (SPIFFE-pinned keep-alive pool, verified card, deadline, circuit breaker);
 *   2. `sdk mTLS`    — the same `@a2a-js/sdk` server and client over `node:https` with the
 *      same certificates and TLS settings, without the Vigil layers;
 *   3. `sdk HTTP`    — the same SDK server and client over plain `node:http` (the baseline).
 *
 * Same handler, same message, connections kept alive and warmed up first; the modes
 * are interleaved in rounds so a noisy shared machine hits them alike.
 *
 *   node --import tsx bench/a2a-hop/main.ts [--calls 4000] [--rounds 4] [--warmup 500] [--concurrency 1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AgentCard } from '@a2a-js/sdk';
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  type AgentExecutor,
} from '@a2a-js/sdk/server';
import { Client, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { UserBuilder, jsonRpcHandler } from '@a2a-js/sdk/server/express';
import express from 'express';
import { Agent, fetch as undiciFetch } from 'undici';
import { createLogger } from '@vigil/core';
import { ensureIdentities, loadAgentCredentials, type AgentCredentials } from '@vigil/pki';
import {
  buildAgentCard,
  createAgentClient,
  createStaticPeerDirectory,
  startAgentServer,
  type TransportSystem,
} from '@vigil/transport';
import { randomUUID } from 'node:crypto';

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '4000' },
    rounds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '1' },
  },
});
const CALLS = Number(args.calls);
const ROUNDS = Number(args.rounds);
const WARMUP = Number(args.warmup);
const CONCURRENCY = Number(args.concurrency);

const system: TransportSystem = {
  trustDomain: 'bench.vigil.local',
  agents: [
    {
      name: 'callee',
      description: 'bench callee',
      calls: [],
      skills: [{ id: 'echo', name: 'echo', description: 'returns its input', tags: [] }],
    },
    { name: 'caller', description: 'bench caller', calls: ['callee'], skills: [] },
  ],
};

/** The one handler every mode serves. */
const echo = async (input: unknown): Promise<unknown> => ({ ok: true, input });
const INPUT = { incident: 'inc-42', severity: 'high', indicators: ['10.0.0.7', 'curl | sh'] };

type Call = () => Promise<unknown>;

/** The SDK baseline: the same executor shape (DataPart in, DataPart out) without Vigil. */
function sdkApp(card: AgentCard): express.Express {
  const executor: AgentExecutor = {
    execute: async (ctx, bus) => {
      const part = ctx.userMessage.parts[0];
      const input = part?.content?.$case === 'data' ? (part.content.value as unknown) : undefined;
      const output = await echo(input);
      bus.publish(
        AgentEvent.message({
          messageId: randomUUID(),
          contextId: ctx.contextId,
          taskId: '',
          role: 2,
          parts: [
            {
              content: { $case: 'data', value: output },
              metadata: undefined,
              filename: '',
              mediaType: 'application/json',
            },
          ],
          metadata: { 'vigil.dev/skill': 'echo' },
          extensions: [],
          referenceTaskIds: [],
        }),
      );
      bus.finished();
    },
    cancelTask: async () => {},
  };
  const app = express();
  app.use(
    '/a2a/v1',
    jsonRpcHandler({
      requestHandler: new DefaultRequestHandler(card, new InMemoryTaskStore(), executor),
      userBuilder: UserBuilder.noAuthentication,
    }),
  );
  return app;
}

async function sdkClient(baseUrl: string, card: AgentCard, dispatcher: Agent): Promise<Call> {
  const fetchImpl = ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher } as Parameters<
      typeof undiciFetch
    >[1])) as unknown as typeof fetch;
  const transport = await new JsonRpcTransportFactory({ fetchImpl }).create(
    `${baseUrl}/a2a/v1`,
    card,
  );
  const client = new Client(transport, card);
  return () =>
    client.sendMessage(
      {
        tenant: '',
        message: {
          messageId: randomUUID(),
          contextId: '',
          taskId: '',
          role: 1,
          parts: [
            {
              content: { $case: 'data', value: INPUT },
              metadata: undefined,
              filename: '',
              mediaType: 'application/json',
            },
          ],
          metadata: { 'vigil.dev/skill': 'echo' },
          extensions: [],
          referenceTaskIds: [],
        },
        configuration: undefined,
        metadata: undefined,
      },
      { signal: AbortSignal.timeout(10_000) },
    );
}

async function listen(server: HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.keepAliveTimeout = 65_000;
  return (server.address() as AddressInfo).port;
}

/** Runs `count` calls with `concurrency` workers; returns each call's latency (ms) and the wall time. */
async function measure(
  call: Call,
  count: number,
  concurrency: number,
): Promise<{ latencies: number[]; wallMs: number; cpuMs: number }> {
  const latencies: number[] = [];
  let issued = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < count) {
        issued += 1;
        const t0 = performance.now();
        await call();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return { latencies, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-bench-a2a-'));
  const logger = createLogger('bench', { level: 'warn' });
  const closers: (() => Promise<unknown>)[] = [];
  try {
    await ensureIdentities(stateDir, system);
    const callee: AgentCredentials = await loadAgentCredentials(stateDir, 'callee');
    const caller: AgentCredentials = await loadAgentCredentials(stateDir, 'caller');

    // 1. Vigil transport over mTLS.
    const vigilServer = await startAgentServer({
      system,
      agentName: 'callee',
      credentials: callee,
      logger,
      skills: { echo },
    });
    closers.push(() => vigilServer.close());
    const vigilClient = createAgentClient({
      system,
      selfName: 'caller',
      credentials: caller,
      peers: createStaticPeerDirectory({ callee: [vigilServer.url] }),
      logger,
    });
    closers.push(() => vigilClient.close());

    // 2. SDK over mTLS (same certificates and TLS settings).
    const tlsServer = createHttpsServer(
      {
        cert: callee.cert,
        key: callee.key,
        ca: callee.ca,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
      },
      sdkApp(buildAgentCard(system, 'callee', 'https://127.0.0.1/')),
    );
    const tlsPort = await listen(tlsServer as unknown as HttpServer);
    closers.push(
      () =>
        new Promise((resolve) => {
          tlsServer.close(resolve);
          tlsServer.closeAllConnections();
        }),
    );
    const tlsDispatcher = new Agent({
      keepAliveTimeout: 30_000,
      connect: {
        cert: caller.cert,
        key: caller.key,
        ca: caller.ca,
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        checkServerIdentity: () => undefined,
      },
    });
    closers.push(() => tlsDispatcher.close());
    const tlsUrl = `https://127.0.0.1:${tlsPort}`;

    // 3. SDK over plain HTTP.
    const httpServer = createHttpServer(
      sdkApp(buildAgentCard(system, 'callee', 'http://127.0.0.1/')),
    );
    const httpPort = await listen(httpServer);
    closers.push(
      () =>
        new Promise((resolve) => {
          httpServer.close(resolve);
          httpServer.closeAllConnections();
        }),
    );
    const httpDispatcher = new Agent({ keepAliveTimeout: 30_000 });
    closers.push(() => httpDispatcher.close());
    const httpUrl = `http://127.0.0.1:${httpPort}`;

    const modes: Record<string, Call> = {
      'vigil mTLS': () => vigilClient.callSkill('callee', 'echo', INPUT, { deadlineMs: 10_000 }),
      'sdk mTLS': await sdkClient(tlsUrl, buildAgentCard(system, 'callee', tlsUrl), tlsDispatcher),
      'sdk HTTP': await sdkClient(
        httpUrl,
        buildAgentCard(system, 'callee', httpUrl),
        httpDispatcher,
      ),
    };

    // Check every mode answers the same, then warm up (JIT, connection pools, card verification).
    for (const [name, call] of Object.entries(modes)) {
      const result = await call();
      if (JSON.stringify(result).indexOf('inc-42') < 0)
        throw new Error(`${name} returned ${JSON.stringify(result)}`);
      await measure(call, WARMUP, CONCURRENCY);
    }

    const samples: Record<string, { latencies: number[]; wallMs: number; cpuMs: number }> = {};
    for (let round = 0; round < ROUNDS; round++) {
      const order = Object.keys(modes);
      if (round % 2 === 1) order.reverse();
      for (const name of order) {
        const { latencies, wallMs, cpuMs } = await measure(
          modes[name]!,
          Math.ceil(CALLS / ROUNDS),
          CONCURRENCY,
        );
        const acc = (samples[name] ??= { latencies: [], wallMs: 0, cpuMs: 0 });
        acc.latencies.push(...latencies);
        acc.wallMs += wallMs;
        acc.cpuMs += cpuMs;
      }
    }

    const rows = Object.entries(samples).map(([name, { latencies, wallMs, cpuMs }]) => {
      const sorted = [...latencies].sort((a, b) => a - b);
      return {
        name,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        callsPerSecond: (latencies.length / wallMs) * 1000,
        // Client and server share this process: CPU per call is both ends of the hop.
        cpuUsPerCall: (cpuMs * 1000) / latencies.length,
      };
    });
    const baseline = rows.find((row) => row.name === 'sdk HTTP')!;
    const fmt = (n: number, d = 3): string => n.toFixed(d);
    console.log(
      `a2a-hop: ${CALLS} calls per mode in ${ROUNDS} interleaved rounds, concurrency ${CONCURRENCY}, warm-up ${WARMUP}; node ${process.version}`,
    );
    console.log(
      'mode         p50 ms   p99 ms   calls/s  CPU µs/call  p50 vs HTTP  calls/s vs HTTP  CPU vs HTTP',
    );
    for (const row of rows) {
      console.log(
        `${row.name.padEnd(11)}  ${fmt(row.p50).padStart(7)}  ${fmt(row.p99).padStart(7)}  ${fmt(row.callsPerSecond, 0).padStart(8)}  ${fmt(row.cpuUsPerCall, 0).padStart(11)}  ${`${fmt(row.p50 / baseline.p50, 2)}x`.padStart(11)}  ${`${fmt(baseline.callsPerSecond / row.callsPerSecond, 2)}x`.padStart(15)}  ${`${fmt(row.cpuUsPerCall / baseline.cpuUsPerCall, 2)}x`.padStart(11)}`,
      );
    }
    const vigil = rows.find((row) => row.name === 'vigil mTLS')!;
    console.log(
      `targets: vigil mTLS p50 < 2 ms: ${vigil.p50 < 2 ? 'met' : 'NOT met'} (${fmt(vigil.p50)} ms); ` +
        `mTLS within 1.5x of plain HTTP (p50): ${vigil.p50 / baseline.p50 <= 1.5 ? 'met' : 'NOT met'} (${fmt(vigil.p50 / baseline.p50, 2)}x)`,
    );
    console.log(
      `load average at the end: ${loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')} on ${cpus().length} CPUs`,
    );
    console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB`);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

await main();
