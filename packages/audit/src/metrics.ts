import type { AuditEntry, AuditKind } from './entry.js';
import type { AuditStore } from './store.js';

/** An RBAC rule as declared in the registry (`permissions.rules`). */
export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/**
 * What the metrics need of an agent declaration; `AgentSpec` from `@vigil/registry`
 * satisfies it structurally.
 */
export interface AgentPermissionView {
  readonly name: string;
  /** The agent class the least agency ratio is grouped by. */
  readonly role: string;
  readonly permissions: { readonly rules: readonly RbacRule[]; readonly tools: readonly string[] };
  readonly autonomy: { readonly autoExecute: readonly string[] };
}

/** Options of {@link computeComplianceMetrics}. */
export interface ComplianceOptions {
  readonly agents: readonly AgentPermissionView[];
  /** The agent's SPIFFE ID (`spiffeIdOf(system, name)` from `@vigil/registry`). */
  readonly spiffeIdOf: (agentName: string) => string;
  /** Window: `since` inclusive, `until` exclusive. */
  readonly since: Date;
  readonly until: Date;
  /**
   * Optional map from tool (action type) to the RBAC permissions it uses, e.g. from the
   * remediator's action catalogue. Without it a write permission counts as autonomous
   * whenever any autonomous tool of the agent could use it (an upper bound).
   */
  readonly toolPermissions?: Readonly<Record<string, readonly RbacRule[]>>;
}

/** Least agency of one agent class. */
export interface LeastAgency {
  readonly agentClass: string;
  readonly agents: readonly string[];
  readonly granted: number;
  /** Granted permissions the agents may exercise with no human approving that use. */
  readonly autonomous: number;
  /** autonomous ÷ granted (lower is better); null when nothing is granted. */
  readonly ratio: number | null;
  /** Granted permissions seen used in execution entries of the window. */
  readonly used: number;
  /** used ÷ granted; null when nothing is granted. */
  readonly usedShare: number | null;
}

/** The five signal domains. */
export const SIGNALS = ['identity', 'execution', 'intent', 'communication', 'health'] as const;
export type Signal = (typeof SIGNALS)[number];

/** Five-signal observation of one agent. */
export interface AgentSignals {
  readonly agent: string;
  readonly signals: Readonly<Record<Signal, boolean>>;
  readonly all: boolean;
}

/** Everything {@link computeComplianceMetrics} returns. */
export interface ComplianceMetrics {
  readonly window: { readonly since: string; readonly until: string };
  readonly entries: number;
  readonly leastAgency: readonly LeastAgency[];
  readonly fiveSignal: {
    readonly agents: readonly AgentSignals[];
    readonly covered: number;
    readonly total: number;
    /** covered ÷ total; null with no agents. */
    readonly coverage: number | null;
    /** Per signal: share of agents observed in it. */
    readonly perSignal: Readonly<Record<Signal, number | null>>;
  };
  readonly mutation: {
    /** Verdicts that were not a plain allow. */
    readonly flagged: number;
    readonly mutate: number;
    readonly deny: number;
    readonly escalate: number;
    /** mutate ÷ flagged; null when nothing was flagged. */
    readonly rate: number | null;
  };
}

const READ_VERBS = new Set(['get', 'list', 'watch']);
/** Kinds that record something an agent did (the execution signal). */
export const EXECUTION_KINDS: readonly AuditKind[] = [
  'event-batch',
  'finding',
  'analysis',
  'proposal',
  'verdict',
  'execution',
  'notification',
];

function atoms(rules: readonly RbacRule[]): string[] {
  const out: string[] = [];
  for (const r of rules)
    for (const g of r.apiGroups)
      for (const res of r.resources)
        for (const v of r.verbs) out.push(`rbac:${g === '' ? 'core' : g}/${res}:${v}`);
  return out;
}

function covers(granted: string, used: string): boolean {
  // `rbac:<group>/<resource>:<verb>` with `*` wildcards in any part.
  if (granted === used) return true;
  const g = /^rbac:([^/]+)\/([^:]+):(.+)$/.exec(granted);
  const u = /^rbac:([^/]+)\/([^:]+):(.+)$/.exec(used);
  if (g === null || u === null) return false;
  return [1, 2, 3].every((i) => g[i] === '*' || g[i] === u[i]);
}

function shareOf(n: number, d: number): number | null {
  return d === 0 ? null : n / d;
}

function nonEmpty(v: unknown): boolean {
  if (typeof v === 'string') return v.trim().length > 0;
  if (Array.isArray(v)) return v.length > 0;
  return false;
}

/**
 * Computes the three compliance metrics (formulas in docs/audit.md) over the entries of
 * `store` in the window. Reads only the audit store and the declarations.
 */
export async function computeComplianceMetrics(
  store: AuditStore,
  options: ComplianceOptions,
): Promise<ComplianceMetrics> {
  const entries: AuditEntry[] = [];
  for await (const e of store.query({ since: options.since, until: options.until }))
    entries.push(e);
  const chains = new Map((await store.chains()).map((c) => [c.chain, c.identity]));
  return complianceFromEntries(entries, options, chains);
}

/** The pure computation behind {@link computeComplianceMetrics}; `chainIdentity` maps chain id → writer SPIFFE ID. */
export function complianceFromEntries(
  entries: readonly AuditEntry[],
  options: ComplianceOptions,
  chainIdentity: ReadonlyMap<string, string>,
): ComplianceMetrics {
  const byActor = new Map<string, AuditEntry[]>();
  for (const e of entries) {
    const list = byActor.get(e.actor) ?? [];
    list.push(e);
    byActor.set(e.actor, list);
  }

  // Least agency, per class.
  const perAgent = options.agents.map((a) => {
    const tools = a.permissions.tools.map((t) => `tool:${t}`);
    const rbac = [...new Set(atoms(a.permissions.rules))];
    const granted = [...new Set([...tools, ...rbac])];
    const wildcard = a.autonomy.autoExecute.includes('*');
    const autoTools = a.permissions.tools.filter(
      (t) => wildcard || a.autonomy.autoExecute.includes(t),
    );
    const autoViaTools = new Set<string>();
    for (const t of autoTools) {
      const mapped = options.toolPermissions?.[t];
      if (mapped !== undefined) for (const x of atoms(mapped)) autoViaTools.add(x);
    }
    const autonomous = granted.filter((p) => {
      if (p.startsWith('tool:')) return autoTools.includes(p.slice(5));
      const verb = p.slice(p.lastIndexOf(':') + 1);
      if (READ_VERBS.has(verb)) return true; // reads are never reviewed
      if (options.toolPermissions === undefined) return autoTools.length > 0;
      return [...autoViaTools].some((x) => covers(p, x) || covers(x, p));
    });
    const id = options.spiffeIdOf(a.name);
    const usedAtoms = new Set<string>();
    for (const e of byActor.get(id) ?? []) {
      if (e.kind !== 'execution' || e.what['phase'] === 'intent') continue;
      if (e.what['status'] === 'failed') continue;
      const action = e.what['action'];
      if (
        typeof action === 'object' &&
        action !== null &&
        typeof (action as { type?: unknown }).type === 'string'
      ) {
        usedAtoms.add(`tool:${(action as { type: string }).type}`);
      }
      const permissionsUsed = e.what['permissionsUsed'];
      if (Array.isArray(permissionsUsed))
        for (const x of atoms(permissionsUsed as RbacRule[])) usedAtoms.add(x);
    }
    const used = granted.filter((p) => [...usedAtoms].some((u) => covers(p, u)));
    return { agent: a, granted: granted.length, autonomous: autonomous.length, used: used.length };
  });
  const classes = new Map<string, typeof perAgent>();
  for (const p of perAgent) classes.set(p.agent.role, [...(classes.get(p.agent.role) ?? []), p]);
  const leastAgency: LeastAgency[] = [...classes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([agentClass, list]) => {
      const granted = list.reduce((s, x) => s + x.granted, 0);
      const autonomous = list.reduce((s, x) => s + x.autonomous, 0);
      const used = list.reduce((s, x) => s + x.used, 0);
      return {
        agentClass,
        agents: list.map((x) => x.agent.name),
        granted,
        autonomous,
        ratio: shareOf(autonomous, granted),
        used,
        usedShare: shareOf(used, granted),
      };
    });

  // Five-signal coverage.
  const agentIds = new Map(options.agents.map((a) => [options.spiffeIdOf(a.name), a.name]));
  const tracesBy = new Map<string, Set<string>>(); // trace id -> agents
  for (const e of entries) {
    if (e.traceId === null || !agentIds.has(e.actor)) continue;
    const set = tracesBy.get(e.traceId) ?? new Set<string>();
    set.add(e.actor);
    tracesBy.set(e.traceId, set);
  }
  const lifecycleAbout = new Set<string>();
  for (const e of entries) {
    if (e.kind !== 'agent-lifecycle') continue;
    if (typeof e.what['agent'] === 'string') lifecycleAbout.add(e.what['agent']);
    const name = agentIds.get(e.actor);
    if (name !== undefined) lifecycleAbout.add(name);
  }
  const agents: AgentSignals[] = options.agents.map((a) => {
    const id = options.spiffeIdOf(a.name);
    const own = byActor.get(id) ?? [];
    const signals: Record<Signal, boolean> = {
      identity: own.some((e) => chainIdentity.get(e.chain) === id),
      execution: own.some((e) => EXECUTION_KINDS.includes(e.kind)),
      intent: own.some(
        (e) =>
          nonEmpty(e.why['rationale']) ||
          nonEmpty(e.why['reasons']) ||
          nonEmpty(e.why['ruleIds']) ||
          nonEmpty(e.why['comment']),
      ),
      communication: own.some(
        (e) => e.traceId !== null && (tracesBy.get(e.traceId)?.size ?? 0) > 1,
      ),
      health: lifecycleAbout.has(a.name),
    };
    return { agent: a.name, signals, all: SIGNALS.every((s) => signals[s]) };
  });
  const covered = agents.filter((a) => a.all).length;
  const perSignal = Object.fromEntries(
    SIGNALS.map((s) => [s, shareOf(agents.filter((a) => a.signals[s]).length, agents.length)]),
  ) as Record<Signal, number | null>;

  // Step mutation intervention rate.
  let mutate = 0;
  let deny = 0;
  let escalate = 0;
  for (const e of entries) {
    if (e.kind !== 'verdict') continue;
    const d = e.what['decision'];
    if (d === 'mutate') mutate++;
    else if (d === 'deny') deny++;
    else if (d === 'escalate') escalate++;
  }
  const flagged = mutate + deny + escalate;
  return {
    window: { since: options.since.toISOString(), until: options.until.toISOString() },
    entries: entries.length,
    leastAgency,
    fiveSignal: {
      agents,
      covered,
      total: agents.length,
      coverage: shareOf(covered, agents.length),
      perSignal,
    },
    mutation: { flagged, mutate, deny, escalate, rate: shareOf(mutate, flagged) },
  };
}

/** The metrics as a fixed-width table for a terminal. */
export function renderComplianceTable(m: ComplianceMetrics): string {
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
  const lines: string[] = [
    `window ${m.window.since} .. ${m.window.until} (${m.entries} entries)`,
    '',
  ];
  lines.push('least agency ratio (autonomous ÷ granted, lower is better)');
  lines.push(
    `  ${'class'.padEnd(16)}${'agents'.padEnd(28)}${'granted'.padStart(8)}${'auton.'.padStart(8)}${'ratio'.padStart(9)}${'used'.padStart(7)}${'used %'.padStart(9)}`,
  );
  for (const l of m.leastAgency) {
    lines.push(
      `  ${l.agentClass.padEnd(16)}${l.agents.join(',').slice(0, 27).padEnd(28)}${String(l.granted).padStart(8)}${String(l.autonomous).padStart(8)}${pct(l.ratio).padStart(9)}${String(l.used).padStart(7)}${pct(l.usedShare).padStart(9)}`,
    );
  }
  lines.push(
    '',
    `five-signal coverage: ${m.fiveSignal.covered}/${m.fiveSignal.total} = ${pct(m.fiveSignal.coverage)}`,
  );
  lines.push(`  ${'agent'.padEnd(16)}${SIGNALS.map((s) => s.padEnd(15)).join('')}`);
  for (const a of m.fiveSignal.agents)
    lines.push(
      `  ${a.agent.padEnd(16)}${SIGNALS.map((s) => (a.signals[s] ? 'yes' : '-').padEnd(15)).join('')}`,
    );
  lines.push(
    `  ${'share'.padEnd(16)}${SIGNALS.map((s) => pct(m.fiveSignal.perSignal[s]).padEnd(15)).join('')}`,
  );
  const mu = m.mutation;
  lines.push(
    '',
    `step mutation intervention rate: ${mu.mutate}/${mu.flagged} = ${pct(mu.rate)} (mutate ${mu.mutate}, deny ${mu.deny}, escalate ${mu.escalate})`,
  );
  return lines.join('\n');
}
