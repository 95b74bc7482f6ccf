/**
 * Baselines measured in the same run as the incidents — one component at a time, sampled
 * between the one-at-a-time incidents so both see the same machine load — so the ratios
 * say where an incident's time goes. Reaching a verdict takes four A2A hops (bench →
 * coordinator → analyst, → remediator, → reviewer), one policy evaluation and four
 * durable audit appends (finding, analysis, proposal, verdict), plus the coordinator's
 * LangGraph checkpoints and the agents' own work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditWriter, SqliteAuditStore } from '@vigil/audit';
import { createLogger } from '@vigil/core';
import { loadAgentCredentials } from '@vigil/pki';
import { createPolicyEngine } from '@vigil/policy';
import type { AgentSystem } from '@vigil/registry';
import { SOC_POLICY_ENTRYPOINT } from '@vigil/reviewer';
import { ACTION_TYPES, SKILLS, type Finding } from '@vigil/soc';
import { createAgentClient, createStaticPeerDirectory, startAgentServer } from '@vigil/transport';
import { MIX } from '../policy/mix.js';
import { BENCH_CLIENT } from './declaration.js';

/** One baseline operation, timed on demand; `latencies` (ms) grow with every sample. */
export interface Baseline {
  readonly name: string;
  readonly latencies: number[];
  /** Runs the operation once and records its latency. */
  sample(): Promise<void>;
  close(): Promise<void>;
}

const WARMUP = 200;

/** Wraps an operation as a warmed-up {@link Baseline}. */
async function baseline(
  name: string,
  operation: (i: number) => Promise<unknown>,
  close: () => Promise<void>,
): Promise<Baseline> {
  let i = 0;
  for (; i < WARMUP; i += 1) await operation(i);
  const latencies: number[] = [];
  return {
    name,
    latencies,
    async sample() {
      const t0 = performance.now();
      await operation(i++);
      latencies.push(performance.now() - t0);
    },
    close,
  };
}

/**
 * One bare A2A skill hop over mTLS, the same as a finding's first: the bench client calls
 * `handle-finding` with a finding, on an in-process server holding the coordinator's
 * identity and declaration (TLS 1.3, client certificates, registry admission, verified
 * card — bench/a2a-hop's `vigil mTLS` mode), whose handler only returns a small answer.
 */
export async function hopBaseline(
  system: AgentSystem,
  stateDir: string,
  finding: Finding,
): Promise<Baseline> {
  const logger = createLogger('bench-hop', { level: 'warn' });
  const server = await startAgentServer({
    system,
    agentName: 'coordinator',
    credentials: await loadAgentCredentials(stateDir, 'coordinator'),
    logger,
    skills: { [SKILLS.handleFinding]: async () => ({ kind: 'new', incidentId: 'inc-bench' }) },
  });
  const client = createAgentClient({
    system,
    selfName: BENCH_CLIENT,
    credentials: await loadAgentCredentials(stateDir, BENCH_CLIENT),
    peers: createStaticPeerDirectory({ coordinator: [server.url] }),
    logger,
  });
  return baseline(
    'A2A hop over mTLS (handle-finding)',
    () => client.callSkill('coordinator', SKILLS.handleFinding, finding, { deadlineMs: 10_000 }),
    async () => {
      await client.close();
      await server.close();
    },
  );
}

/**
 * One bare policy evaluation: the engine the reviewer builds from the same declaration
 * (`createPolicyEngine`, OPA wasm in-process), on allowed isolate-pod inputs like the
 * bench's (bench/policy's mix).
 */
export async function policyBaseline(system: AgentSystem, baseDir: string): Promise<Baseline> {
  const engine = await createPolicyEngine(system, {
    entrypoint: SOC_POLICY_ENTRYPOINT,
    baseDir,
    knownActionTypes: ACTION_TYPES,
  });
  const isolate = MIX.find((m) => m.kind === 'allow: isolate-pod');
  if (!isolate) throw new Error('bench/policy mix has no isolate-pod entry');
  return baseline(
    'policy evaluation (OPA wasm)',
    (i) => engine.evaluate(isolate.make(i, system.trustDomain)),
    () => engine.close(),
  );
}

/**
 * One durable audit append (SQLite, `synchronous=FULL`, one writer, one entry at a
 * time), signed by the bench client's identity, in a store of its own.
 */
export async function auditAppendBaseline(stateDir: string): Promise<Baseline> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-append-'));
  const store = new SqliteAuditStore(join(dir, 'audit.sqlite'));
  const credentials = await loadAgentCredentials(stateDir, BENCH_CLIENT);
  const writer = createAuditWriter({
    store,
    signer: { id: credentials.spiffeId, privateKeyPem: credentials.key, certPem: credentials.cert },
  });
  return baseline(
    'durable audit append (SQLite)',
    (i) =>
      writer.append({
        kind: 'verdict',
        actor: credentials.spiffeId,
        correlationId: `inc-bench-${i}`,
        what: { proposalId: `p-${i}`, decision: 'allow', action: { type: 'isolate-pod' } },
        why: { reasons: ['contained, reversible action'], rules: ['soc.allow'], confidence: 0.7 },
      }),
    async () => {
      await writer.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  );
}
