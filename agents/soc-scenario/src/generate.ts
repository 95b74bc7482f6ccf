/**
 * The scenario generator: a realistic, labelled event stream for the demo estate —
 * control-plane and kubelet traffic, monitoring, CI deploys and builds, humans at work
 * (with rare but legitimate actions that resemble attacks), Falco noise, process and
 * network telemetry — with eight injected attacks. Same seed, same bytes.
 */
import { stringify } from 'yaml';
import { Rng } from './rng.js';
import { buildEstate, type Estate } from './estate.js';
import { ATTACKS } from './attacks.js';
import {
  SINGLETONS,
  singletonWeights,
  ciBuild,
  deployBurst,
  humanSession,
  officeHours,
  diurnal,
  rareBenign,
  type Ctx,
} from './normal.js';

export interface ScenarioOptions {
  /** Default 1. */
  readonly seed?: number;
  /** Total lines (normal + attack). Default 3000; at least 200. */
  readonly events?: number;
  /** Length of the window. Default 1440 (one day, for the diurnal cycle). */
  readonly minutes?: number;
  /** Window start (ISO 8601 or epoch ms). Default 2026-11-20T00:00:00Z. */
  readonly start?: string | number;
  /**
   * Seed of the estate (pod names, uids, addresses). Default 1, whatever `seed` is: a
   * training baseline and an evaluation stream with different traffic seeds describe the
   * same cluster, as they would in production.
   */
  readonly estateSeed?: number;
}

/** One line of the sidecar labels file (`<name>.labels.ndjson`). */
export interface ScenarioLabel {
  /** 1-based line in the events file. */
  readonly line: number;
  readonly attack: string | null;
  readonly technique: string | null;
}

export interface ScenarioSummary {
  readonly seed: number;
  readonly events: number;
  readonly start: string;
  readonly end: string;
  readonly byFormat: Record<string, number>;
  readonly attacks: readonly {
    readonly id: string;
    readonly title: string;
    readonly events: number;
    readonly techniques: readonly string[];
    readonly firstLine: number;
  }[];
  readonly attackEvents: number;
}

export interface Scenario {
  /** NDJSON lines (no trailing newline each). */
  readonly lines: readonly string[];
  readonly labels: readonly ScenarioLabel[];
  /** The estate at the end of the window, in the remediator's inventory format (`vigil.dev/v1alpha1` `Inventory`). */
  readonly inventory: Record<string, unknown>;
  readonly summary: ScenarioSummary;
}

interface Emitted {
  readonly time: number;
  readonly seq: number;
  readonly record: Record<string, unknown>;
  readonly attack?: { readonly id: string; readonly technique: string } | undefined;
  readonly singleton: boolean;
}

const MINUTE = 60_000;

export function generateScenario(options: ScenarioOptions = {}): Scenario {
  const seed = options.seed ?? 1;
  const total = options.events ?? 3000;
  const minutes = options.minutes ?? 1440;
  if (!Number.isInteger(total) || total < 200)
    throw new RangeError(`events must be an integer of at least 200, got ${total}`);
  if (!(minutes >= 60)) throw new RangeError(`minutes must be at least 60, got ${minutes}`);
  const start =
    typeof options.start === 'number'
      ? options.start
      : Date.parse(options.start ?? '2026-11-20T00:00:00Z');
  if (Number.isNaN(start)) throw new RangeError(`start is not a date: ${String(options.start)}`);
  const span = minutes * MINUTE;
  const rng = new Rng(seed);
  const estate = buildEstate(options.estateSeed ?? 1);
  const hourOf = (t: number): number =>
    new Date(t).getUTCHours() + new Date(t).getUTCMinutes() / 60;

  // Sample a time whose acceptance follows `weight(hour)` (0..1).
  const sampleTime = (weight: (h: number) => number, margin = 10 * MINUTE): number => {
    for (let i = 0; i < 1000; i++) {
      const t = start + rng.next() * Math.max(MINUTE, span - margin);
      if (rng.next() < weight(hourOf(t))) return Math.floor(t);
    }
    return Math.floor(start + rng.next() * (span - margin));
  };

  type Job = { time: number; run: (ctx: Ctx, t: number) => void; singleton: boolean };
  const jobs: Job[] = [];
  // Bursts scale with the event density (events per day), so a long window at the same
  // density has the same mix as a short one: a baseline and a live stream must agree.
  const days = minutes / 1440;
  const density = total / days / 3000; // 1 at the default 3000 events per day
  const count = (base: number, perDay: number, linear = false): number =>
    Math.max(base, Math.round(perDay * days * (linear ? density : Math.sqrt(density))));
  for (let i = 0; i < count(2, 8); i++)
    jobs.push({
      time: sampleTime((h) => (officeHours(h) ? 1 : 0.08)),
      run: deployBurst,
      singleton: false,
    });
  for (let i = 0; i < count(2, 14); i++)
    jobs.push({
      time: sampleTime((h) => 0.25 + 0.75 * diurnal(h)),
      run: ciBuild,
      singleton: false,
    });
  for (let i = 0; i < count(4, 50, true); i++)
    jobs.push({
      time: sampleTime((h) => (officeHours(h) ? 1 : 0.03)),
      run: humanSession,
      singleton: false,
    });
  for (let i = 0; i < count(4, 6); i++) {
    const which = i;
    jobs.push({
      time: sampleTime((h) => (officeHours(h) ? 1 : 0.1)),
      run: (ctx, t) => rareBenign(ctx, t, which),
      singleton: false,
    });
  }
  for (const attack of ATTACKS) {
    const jitter = (rng.next() - 0.5) * 0.06;
    const time = Math.floor(start + Math.min(0.95, Math.max(0.01, attack.at + jitter)) * span);
    jobs.push({ time, run: (ctx, t) => attack.run(ctx, t), singleton: false });
  }
  // Singletons fill up to the total: enough of them to reach it even if the bursts emit
  // little, and trimmed at random below (so bursts and attacks always stay whole).
  const singletons = Math.max(50, Math.ceil(total * 1.15));
  const kinds = Object.keys(SINGLETONS);
  for (let i = 0; i < singletons; i++) {
    const time = Math.floor(start + rng.next() * span);
    const weights = singletonWeights(hourOf(time));
    const kind = rng.weighted(
      kinds,
      kinds.map((k) => weights[k] ?? 0),
    );
    jobs.push({ time, run: SINGLETONS[kind] as Job['run'], singleton: true });
  }
  jobs.sort((a, b) => a.time - b.time);

  const emitted: Emitted[] = [];
  let current: Job | undefined;
  const ctx: Ctx = {
    rng,
    estate,
    emit(time, record, attack) {
      emitted.push({
        time,
        seq: emitted.length,
        record,
        attack,
        singleton: current?.singleton === true,
      });
    },
  };
  for (const job of jobs) {
    current = job;
    job.run(ctx, job.time);
  }

  // Trim singletons at random to the exact total (bursts and attacks stay whole).
  let excess = emitted.length - total;
  let kept = emitted;
  if (excess > 0) {
    const removable = emitted.filter((e) => e.singleton);
    const drop = new Set<Emitted>();
    while (excess > 0 && drop.size < removable.length) {
      const e = rng.pick(removable);
      if (!drop.has(e)) {
        drop.add(e);
        excess -= 1;
      }
    }
    kept = emitted.filter((e) => !drop.has(e));
  }
  if (kept.length > total)
    throw new RangeError(
      `events ${total} is too few for ${minutes} minutes: deploys, builds, sessions and attacks alone take ${kept.length}; ask for more events or fewer minutes`,
    );
  kept.sort((a, b) => a.time - b.time || a.seq - b.seq);

  const lines: string[] = [];
  const labels: ScenarioLabel[] = [];
  const byFormat: Record<string, number> = {};
  const attackStats = new Map<string, { events: number; firstLine: number }>();
  kept.forEach((e, i) => {
    lines.push(JSON.stringify(e.record));
    labels.push({
      line: i + 1,
      attack: e.attack?.id ?? null,
      technique: e.attack?.technique ?? null,
    });
    const format =
      'kind' in e.record
        ? 'k8s-audit'
        : 'rule' in e.record
          ? 'falco'
          : `ocsf-${String(e.record['class_uid'])}`;
    byFormat[format] = (byFormat[format] ?? 0) + 1;
    if (e.attack !== undefined) {
      const s = attackStats.get(e.attack.id) ?? { events: 0, firstLine: i + 1 };
      s.events += 1;
      attackStats.set(e.attack.id, s);
    }
  });
  const attacks = ATTACKS.map((a) => ({
    id: a.id,
    title: a.title,
    techniques: a.techniques,
    events: attackStats.get(a.id)?.events ?? 0,
    firstLine: attackStats.get(a.id)?.firstLine ?? 0,
  }));
  return {
    lines,
    labels,
    inventory: inventoryOf(estate),
    summary: {
      seed,
      events: lines.length,
      start: new Date(start).toISOString(),
      end: new Date(kept[kept.length - 1]?.time ?? start).toISOString(),
      byFormat,
      attacks,
      attackEvents: attacks.reduce((n, a) => n + a.events, 0),
    },
  };
}

/** The estate in the remediator's inventory format (agents/remediator/src/inventory/schema.ts). */
export function inventoryOf(estate: Estate): Record<string, unknown> {
  const serviceAccounts = new Map<
    string,
    { namespace: string; name: string; tokenSecrets: string[] }
  >();
  const addSa = (namespace: string, name: string): void => {
    const key = `${namespace}/${name}`;
    if (!serviceAccounts.has(key)) serviceAccounts.set(key, { namespace, name, tokenSecrets: [] });
  };
  for (const ns of estate.namespaces) addSa(ns.name, 'default');
  for (const w of estate.workloads) addSa(w.namespace, w.serviceAccount);
  addSa('ci', 'deployer');
  for (const [key, secret] of estate.tokenSecrets)
    serviceAccounts.get(key)?.tokenSecrets.push(secret);
  return {
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'Inventory',
    metadata: { name: estate.clusterName, generatedBy: 'vigil scenario generate' },
    namespaces: estate.namespaces.map((n) => ({ name: n.name, labels: n.labels })),
    nodes: estate.nodes.map((n) => ({
      name: n.name,
      uid: n.uid,
      labels: n.labels,
      addresses: [n.ip],
      unschedulable: false,
    })),
    workloads: estate.workloads.map((w) => ({
      kind: w.kind,
      namespace: w.namespace,
      name: w.name,
      replicas: w.replicas,
      labels: w.labels,
      selector: { 'app.kubernetes.io/name': w.name },
      serviceAccount: w.serviceAccount,
      uid: w.uid,
    })),
    pods: estate.pods.map((p) => ({
      namespace: p.namespace,
      name: p.name,
      uid: p.uid,
      ...(p.bare === true ? {} : { owner: { kind: p.workload.kind, name: p.workload.name } }),
      node: p.node.name,
      labels: p.workload.labels,
      ips: [p.ip],
      serviceAccount: p.workload.serviceAccount,
      hostNetwork: p.workload.hostNetwork,
      phase: 'Running',
    })),
    serviceAccounts: [...serviceAccounts.values()].map((s) => ({
      namespace: s.namespace,
      name: s.name,
      labels: {},
      tokenSecrets: s.tokenSecrets,
    })),
    users: estate.users.map((u) => ({ name: u.name, groups: [...u.groups], disabled: false })),
    networkPolicies: [
      {
        namespace: 'payments',
        name: 'allow-from-shop',
        labels: {},
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'payments-api' } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } },
            ],
            ports: [{ protocol: 'TCP', port: 8443 }],
          },
        ],
        egress: [],
      },
    ],
  };
}

/** The inventory as YAML, with a header comment. */
export function inventoryYaml(
  inventory: Record<string, unknown>,
  summary: ScenarioSummary,
): string {
  return `# Demo estate for the SOC scenario (seed ${summary.seed}, state at ${summary.end}).\n# Written by \`vigil scenario generate\`; consistent with the events file.\n${stringify(inventory, { lineWidth: 0 })}`;
}
