/**
 * The declaration the bench runs: the repository's `vigil.yaml` (the SOC as shipped —
 * offline analyser, dry-run executor, OPA wasm reviewer, SQLite audit and checkpoints)
 * with only what a benchmark must change, each for a stated reason:
 *
 * - the coordinator's aggregation window is set by the caller (0 for the latency runs:
 *   the window is a deliberate wait, reported separately) and its API listens on port 0
 *   (other SOCs may run on this machine);
 * - the remediator's dry-run inventory holds one Deployment and pod per bench workload,
 *   so every finding has a real target with blast radius 1;
 * - notifications go to one webhook served by the bench, with a rate limit that lets
 *   every incident's notification through (the shipped 30/min would turn most into
 *   `rate-limited` results and measure the limiter instead of a delivery);
 * - `bench-client` is declared as a caller of the coordinator, so the bench sends
 *   findings with its own identity, admitted by the coordinator like the detector.
 *
 * Relative paths of the shipped file are made absolute, since the copy lives elsewhere.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { BENCH_NAMESPACE, benchPodName } from './findings.js';

/** The name (and SPIFFE ID path) of the bench's own identity. */
export const BENCH_CLIENT = 'bench-client';
/** The environment variable holding the webhook's HMAC key (generated per run). */
export const WEBHOOK_SECRET_ENV = 'VIGIL_BENCH_WEBHOOK_SECRET';

export interface BenchDeclarationOptions {
  /** The shipped declaration to start from. */
  readonly sourcePath: string;
  readonly stateDir: string;
  /** Bench workloads in the inventory (`app-<i>` with pod `app-<i>-0`). */
  readonly workloads: number;
  readonly aggregation: { readonly settleMs: number; readonly maxWaitMs: number };
  readonly webhookUrl: string;
}

interface AgentEntry {
  name: string;
  settings?: Record<string, unknown>;
}

/** Writes `<stateDir>/vigil.yaml` and `<stateDir>/inventory.yaml`; returns the declaration's path. */
export function writeBenchDeclaration(options: BenchDeclarationOptions): string {
  const sourceDir = dirname(resolve(options.sourcePath));
  const doc = parse(readFileSync(options.sourcePath, 'utf8')) as {
    agents: AgentEntry[];
    policy: { bundle: string };
    notifications: Record<string, unknown>;
  };
  const agent = (name: string): AgentEntry => {
    const found = doc.agents.find((a) => a.name === name);
    if (!found) throw new Error(`${options.sourcePath} declares no ${name}`);
    return found;
  };

  const coordinator = agent('coordinator');
  coordinator.settings = {
    ...coordinator.settings,
    api: { host: '127.0.0.1', port: 0 },
    aggregation: options.aggregation,
  };
  const inventoryPath = join(options.stateDir, 'inventory.yaml');
  writeFileSync(inventoryPath, stringify(benchInventory(options.workloads)));
  const remediator = agent('remediator');
  remediator.settings = { ...remediator.settings, inventory: inventoryPath };
  doc.policy.bundle = resolve(sourceDir, doc.policy.bundle);
  doc.notifications = {
    channels: [
      {
        name: 'bench-webhook',
        type: 'webhook',
        url: options.webhookUrl,
        secretEnv: WEBHOOK_SECRET_ENV,
      },
    ],
    rateLimit: { perMinute: 1_000_000, burst: 100_000 },
  };
  doc.agents.push({
    name: BENCH_CLIENT,
    role: 'Benchmark load generator',
    description: 'bench/incident: sends findings to the coordinator (runs in the bench process)',
    implementation: '@vigil/bench',
    calls: ['coordinator'],
  } as AgentEntry);

  const path = join(options.stateDir, 'vigil.yaml');
  writeFileSync(path, stringify(doc));
  return path;
}

/** A dry-run inventory: one node, the bench namespace, `workloads` Deployments of one pod each. */
function benchInventory(workloads: number): Record<string, unknown> {
  const indices = Array.from({ length: workloads }, (_, i) => i);
  return {
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'Inventory',
    metadata: { name: 'bench' },
    namespaces: [
      { name: BENCH_NAMESPACE, labels: { 'kubernetes.io/metadata.name': BENCH_NAMESPACE } },
    ],
    nodes: [
      { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a' }, addresses: ['10.0.1.11'] },
    ],
    workloads: indices.map((i) => ({
      kind: 'Deployment',
      namespace: BENCH_NAMESPACE,
      name: `app-${i}`,
      replicas: 1,
      labels: { app: `app-${i}` },
      selector: { app: `app-${i}` },
      serviceAccount: 'default',
    })),
    pods: indices.map((i) => ({
      namespace: BENCH_NAMESPACE,
      name: benchPodName(i),
      owner: { kind: 'Deployment', name: `app-${i}` },
      node: 'node-a',
      labels: { app: `app-${i}` },
      ips: [`10.42.${(i >> 8) & 255}.${i & 255}`],
      serviceAccount: 'default',
    })),
    serviceAccounts: [
      { namespace: BENCH_NAMESPACE, name: 'default', labels: {}, tokenSecrets: [] },
    ],
    users: [],
    networkPolicies: [],
  };
}
