import type { AuditEntry } from './entry.js';
import { HARNESS_AUDIT_VOCABULARY, type AuditVocabulary } from './kinds.js';
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
  /**
   * The agent system's audit kinds: those whose describer says `execution` count toward
   * the execution signal. Default: the harness kinds only.
   */
  readonly vocabulary?: AuditVocabulary;
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

/** Declared agents (by SPIFFE ID) that wrote entries under each value of `key`. */
function agentsSharing(
  entries: readonly AuditEntry[],
  agentIds: ReadonlyMap<string, string>,
  key: (e: AuditEntry) => string | null,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const e of entries) {
    const value = key(e);
    if (value === null || !agentIds.has(e.actor)) continue;
    const set = out.get(value) ?? new Set<string>();
    set.add(e.actor);
    out.set(value, set);
  }
  return out;
}

function actionTypeOf(what: AuditEntry['what'] | undefined): string | undefined {
  const action = what?.['action'];
  if (typeof action !== 'object' || action === null) return undefined;
  const type = (action as { type?: unknown }).type;
  return typeof type === 'string' ? type : undefined;
}

function rulesOf(value: unknown): RbacRule[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (r): r is RbacRule =>
      typeof r === 'object' &&
      r !== null &&
      ['apiGroups', 'resources', 'verbs'].every((k) =>
        Array.isArray((r as Record<string, unknown>)[k]),
      ),
  );
}

/**
 * Permission atoms an agent's execution entries show it used: `tool:<action type>` of a
 * succeeded execution (the action is on its intent entry, found by the outcome's
 * `parentEntryId`, or on a one-entry execution), and `what.toolsUsed` / the atoms of
 * `what.permissionsUsed` of any outcome — those list only what succeeded, so a partly
 * failed plan still counts the requests that went through.
 */
function usedAtomsOf(
  own: readonly AuditEntry[],
  byHash: ReadonlyMap<string, AuditEntry>,
): Set<string> {
  const used = new Set<string>();
  for (const e of own) {
    if (e.kind !== 'execution' || e.what['phase'] === 'intent') continue;
    const parentId = e.what['parentEntryId'];
    const intent = typeof parentId === 'string' ? byHash.get(parentId) : undefined;
    const type = actionTypeOf(e.what) ?? actionTypeOf(intent?.what);
    if (type !== undefined && e.what['status'] !== 'failed') used.add(`tool:${type}`);
    const tools = e.what['toolsUsed'];
    if (Array.isArray(tools))
      for (const t of tools) if (typeof t === 'string') used.add(`tool:${t}`);
    for (const x of atoms(rulesOf(e.what['permissionsUsed']))) used.add(x);
  }
  return used;
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
  const byHash = new Map(entries.map((e) => [e.hash, e]));
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
    const usedAtoms = usedAtomsOf(byActor.get(options.spiffeIdOf(a.name)) ?? [], byHash);
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
  // Agents per trace id and per correlation id: an id that two declared agents wrote
  // entries under is an interaction between them (the callee learns either id only from
  // the caller's A2A call: `traceparent`, or the correlation id in the call's input).
  const tracesBy = agentsSharing(entries, agentIds, (e) => e.traceId);
  const correlatedBy = agentsSharing(entries, agentIds, (e) => e.correlationId);
  const vocabulary = options.vocabulary ?? HARNESS_AUDIT_VOCABULARY;
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
      execution: own.some((e) => vocabulary.describe(e.kind).execution === true),
      intent: own.some(
        (e) =>
          nonEmpty(e.why['rationale']) ||
          nonEmpty(e.why['reasons']) ||
          nonEmpty(e.why['ruleIds']) ||
          nonEmpty(e.why['comment']),
      ),
      communication: own.some(
        (e) =>
          (e.traceId !== null && (tracesBy.get(e.traceId)?.size ?? 0) > 1) ||
          (e.correlationId !== null && (correlatedBy.get(e.correlationId)?.size ?? 0) > 1),
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

/** One column of {@link formatColumns}: its header and which side its cells align to. */
interface Column {
  readonly header: string;
  readonly align: 'left' | 'right';
}

/**
 * Lines of a table whose columns are as wide as their widest cell, two spaces apart, so
 * no value of any length runs into its neighbour (a role such as "Response execution").
 */
function formatColumns(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `  ${columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        return c.align === 'left' ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!);
      })
      .join('  ')
      .trimEnd()}`;
  return [line(columns.map((c) => c.header)), ...rows.map(line)];
}

/** The metrics as a table for a terminal (columns sized to their content). */
export function renderComplianceTable(m: ComplianceMetrics): string {
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
  const left = (header: string): Column => ({ header, align: 'left' });
  const right = (header: string): Column => ({ header, align: 'right' });
  const lines: string[] = [
    `window ${m.window.since} .. ${m.window.until} (${m.entries} entries)`,
    '',
    'least agency ratio (autonomous ÷ granted, lower is better)',
    ...formatColumns(
      [
        left('class'),
        left('agents'),
        right('granted'),
        right('auton.'),
        right('ratio'),
        right('used'),
        right('used %'),
      ],
      m.leastAgency.map((l) => [
        l.agentClass,
        l.agents.join(','),
        String(l.granted),
        String(l.autonomous),
        pct(l.ratio),
        String(l.used),
        pct(l.usedShare),
      ]),
    ),
    '',
    `five-signal coverage: ${m.fiveSignal.covered}/${m.fiveSignal.total} = ${pct(m.fiveSignal.coverage)}`,
    ...formatColumns(
      [left('agent'), ...SIGNALS.map(left), left('all')],
      [
        ...m.fiveSignal.agents.map((a) => [
          a.agent,
          ...SIGNALS.map((s) => (a.signals[s] ? 'yes' : '-')),
          a.all ? 'yes' : '-',
        ]),
        [
          'share',
          ...SIGNALS.map((s) => pct(m.fiveSignal.perSignal[s])),
          pct(m.fiveSignal.coverage),
        ],
      ],
    ),
  ];
  const mu = m.mutation;
  lines.push(
    '',
    `step mutation intervention rate: ${mu.mutate}/${mu.flagged} = ${pct(mu.rate)} (mutate ${mu.mutate}, deny ${mu.deny}, escalate ${mu.escalate})`,
  );
  return lines.join('\n');
}
