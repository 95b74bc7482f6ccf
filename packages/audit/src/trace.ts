import type { AuditEntry, AuditKind } from './entry.js';
import { AuditError } from './errors.js';
import type { AuditStore } from './store.js';

/** One step of a reconstructed decision chain. */
export interface TraceNode {
  readonly entry: AuditEntry;
  /** Milliseconds since the first entry of the trace. */
  readonly offsetMs: number;
  /** How this node found its parent: the explicit `what.parentEntryId`, or inferred from the flow. */
  readonly link: 'parent' | 'inferred' | 'root';
  /** One line describing the step (kind-specific). */
  readonly summary: string;
  readonly children: TraceNode[];
}

/** One step of a trace as a flat row: the node, its parent and its depth in the tree. */
export interface TraceStep {
  readonly entry: AuditEntry;
  /** The parent step's entry id (hash); null for a root. */
  readonly parentId: string | null;
  readonly depth: number;
  readonly offsetMs: number;
  readonly link: TraceNode['link'];
  readonly summary: string;
}

/** A decision chain rebuilt from the audit store alone. */
export interface ReconstructedTrace {
  /** What was asked for. */
  readonly id: string;
  readonly incidentIds: readonly string[];
  readonly traceIds: readonly string[];
  readonly startedAt: string;
  readonly durationMs: number;
  readonly entries: number;
  readonly roots: readonly TraceNode[];
}

/** Order of the steps of an incident; used only to place entries with no explicit parent. */
const FLOW_RANK: Partial<Record<AuditKind, number>> = {
  'event-batch': 0,
  finding: 1,
  analysis: 2,
  proposal: 3,
  verdict: 4,
  'approval-request': 5,
  approval: 6,
  execution: 7,
  notification: 8,
};

const TRACE_ID = /^[0-9a-f]{32}$/;

/**
 * Rebuilds the decision chain of an incident (or of a W3C trace id) from the audit store:
 * every entry of the incident and of the traces it touched, plus the entries they name as
 * causes (`what.parentEntryId`, followed up to 16 levels), arranged as a tree.
 *
 * Linking (docs/audit.md, "Linking entries"): an entry's parent is the entry whose id
 * (hash) is in its `what.parentEntryId`. Entries without one are placed after the latest
 * earlier step of the flow (event-batch → finding → analysis → proposal → verdict →
 * approval-request → approval → execution → notification), preferring one with the same
 * `what.proposalId`; those links are marked `inferred`. Throws `VIGIL_AUDIT_NOT_FOUND`
 * when nothing matches.
 */
export async function reconstructTrace(store: AuditStore, id: string): Promise<ReconstructedTrace> {
  const byHash = new Map<string, AuditEntry>();
  const add = async (q: Parameters<AuditStore['query']>[0]) => {
    for await (const e of store.query(q)) byHash.set(e.hash, e);
  };
  if (TRACE_ID.test(id)) await add({ traceId: id });
  await add({ incidentId: id });
  // Close over incidents and traces once: an incident spans traces, a trace may hold entries without an incident id.
  const incidents = new Set(
    [...byHash.values()].map((e) => e.incidentId).filter((x): x is string => x !== null),
  );
  const traces = new Set(
    [...byHash.values()].map((e) => e.traceId).filter((x): x is string => x !== null),
  );
  for (const incident of incidents) if (incident !== id) await add({ incidentId: incident });
  for (const trace of traces) if (trace !== id) await add({ traceId: trace });
  // Causes outside the incident (e.g. the event batch a finding came from).
  for (let depth = 0; depth < 16; depth++) {
    const missing = [...byHash.values()]
      .map((e) => e.what['parentEntryId'])
      .filter((p): p is string => typeof p === 'string' && !byHash.has(p));
    if (missing.length === 0) break;
    const before = byHash.size;
    await add({ hashes: [...new Set(missing)] });
    if (byHash.size === before) break;
  }
  if (byHash.size === 0) {
    throw new AuditError('VIGIL_AUDIT_NOT_FOUND', `no audit entries for incident or trace ${id}`);
  }
  const entries = [...byHash.values()].sort(
    (a, b) => Date.parse(a.time) - Date.parse(b.time) || a.sequence - b.sequence,
  );
  const t0 = Date.parse(entries[0]!.time);
  const nodes = new Map<string, TraceNode>();
  for (const e of entries) {
    nodes.set(e.hash, {
      entry: e,
      offsetMs: Date.parse(e.time) - t0,
      link: 'root',
      summary: summarize(e),
      children: [],
    });
  }
  const roots: TraceNode[] = [];
  const placed: AuditEntry[] = [];
  for (const e of entries) {
    const node = nodes.get(e.hash)!;
    const parentId = e.what['parentEntryId'];
    let parent: TraceNode | undefined;
    let link: TraceNode['link'] = 'root';
    if (typeof parentId === 'string' && nodes.has(parentId) && parentId !== e.hash) {
      parent = nodes.get(parentId);
      link = 'parent';
    } else {
      const inferred = inferParent(e, placed);
      if (inferred !== undefined) {
        parent = nodes.get(inferred.hash);
        link = 'inferred';
      }
    }
    const linked = { ...node, link };
    nodes.set(e.hash, linked);
    // Children arrays are shared between the original and the relinked node object.
    if (parent === undefined) roots.push(linked);
    else nodes.get(parent.entry.hash)!.children.push(linked);
    placed.push(e);
  }
  const last = entries[entries.length - 1]!;
  return {
    id,
    incidentIds: [
      ...new Set(entries.map((e) => e.incidentId).filter((x): x is string => x !== null)),
    ],
    traceIds: [...new Set(entries.map((e) => e.traceId).filter((x): x is string => x !== null))],
    startedAt: entries[0]!.time,
    durationMs: Date.parse(last.time) - t0,
    entries: entries.length,
    roots,
  };
}

function inferParent(e: AuditEntry, earlier: readonly AuditEntry[]): AuditEntry | undefined {
  const rank = FLOW_RANK[e.kind];
  if (rank === undefined || rank === 0) return undefined;
  const key = e.what['proposalId'] ?? e.what['actionId'];
  let best: AuditEntry | undefined;
  let bestScore = -1;
  for (const c of earlier) {
    const r = FLOW_RANK[c.kind];
    if (r === undefined || r >= rank) continue;
    const sameKey =
      key !== undefined && (c.what['proposalId'] ?? c.what['actionId']) === key ? 100 : 0;
    const score = sameKey + r;
    if (score >= bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

function shortActor(actor: string): string {
  if (actor.startsWith('spiffe://')) return actor.slice(actor.lastIndexOf('/') + 1);
  return actor;
}

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function describeAction(a: unknown): string {
  if (typeof a !== 'object' || a === null) return str(a) ?? 'action';
  const action = a as Record<string, unknown>;
  const target = action['target'];
  const t =
    typeof target === 'object' && target !== null
      ? Object.entries(target as Record<string, unknown>)
          .map(([k, v]) => `${k}=${str(v)}`)
          .join(' ')
      : str(target);
  return [str(action['type']) ?? 'action', t].filter(Boolean).join(' ');
}

/** A one-line, kind-specific description of an entry. */
export function summarize(e: AuditEntry): string {
  const w = e.what;
  const y = e.why;
  const rationale = str(y['rationale']);
  const phase =
    w['phase'] === 'intent'
      ? ' (intent)'
      : w['phase'] === 'outcome'
        ? ` → ${str(w['status']) ?? 'done'}`
        : '';
  switch (e.kind) {
    case 'event-batch': {
      const count = w['count'] ?? (Array.isArray(w['events']) ? w['events'].length : undefined);
      return `${count ?? '?'} events${w['source'] !== undefined ? ` from ${str(w['source'])}` : ''}`;
    }
    case 'finding':
      return [
        str(w['title']) ?? str(w['summary']) ?? 'finding',
        w['severity'] !== undefined ? `(${str(w['severity'])})` : '',
        w['score'] !== undefined ? `score ${str(w['score'])}` : '',
      ]
        .filter(Boolean)
        .join(' ');
    case 'analysis': {
      const techniques = Array.isArray(w['techniques'])
        ? (w['techniques'] as unknown[])
            .map((t) =>
              typeof t === 'object' && t !== null ? str((t as { id?: unknown }).id) : str(t),
            )
            .join(',')
        : undefined;
      return [
        w['severity'] !== undefined ? `severity ${str(w['severity'])}` : '',
        w['confidence'] !== undefined ? `confidence ${str(w['confidence'])}` : '',
        techniques ? `ATT&CK ${techniques}` : '',
        rationale ? `— ${rationale}` : '',
        y['model'] !== undefined ? `[model ${str(y['model'])}]` : '',
      ]
        .filter(Boolean)
        .join(' ');
    }
    case 'proposal':
      return `${describeAction(w['action'] ?? w)}${w['blastRadius'] !== undefined ? ` blast radius ${str(w['blastRadius'])}` : ''}`;
    case 'verdict': {
      const rules = Array.isArray(y['ruleIds'])
        ? (y['ruleIds'] as unknown[]).map(String).join(', ')
        : str(y['ruleIds']);
      const reasons = Array.isArray(y['reasons'])
        ? (y['reasons'] as unknown[]).map(String).join('; ')
        : str(y['reasons']);
      return [
        str(w['decision']) ?? 'verdict',
        w['action'] !== undefined ? `on ${describeAction(w['action'])}` : '',
        rules ? `rules ${rules}` : '',
        reasons ? `— ${reasons}` : '',
      ]
        .filter(Boolean)
        .join(' ');
    }
    case 'approval-request':
      return `awaiting a human${w['action'] !== undefined ? ` for ${describeAction(w['action'])}` : ''}${w['expiresAt'] !== undefined ? ` until ${str(w['expiresAt'])}` : ''}`;
    case 'approval':
      return `${str(w['decision']) ?? 'decided'} by ${shortActor(e.actor)}${str(y['comment']) ? `: "${str(y['comment'])}"` : ''}`;
    case 'execution':
      return `${describeAction(w['action'] ?? w)}${phase}${w['result'] !== undefined ? ` ${str(w['result'])}` : ''}`;
    case 'notification':
      return `${str(w['channel']) ?? 'notification'}${w['status'] !== undefined ? ` → ${str(w['status'])}` : phase}`;
    default: {
      const text = JSON.stringify(w);
      return text.length > 100 ? `${text.slice(0, 97)}...` : text;
    }
  }
}

/** The trace as an indented tree with `+<ms>` offsets, for a terminal. */
export function renderTraceTree(trace: ReconstructedTrace): string {
  const lines: string[] = [];
  const ids = [
    trace.incidentIds.length > 0 ? `incident ${trace.incidentIds.join(', ')}` : undefined,
    trace.traceIds.length > 0 ? `trace ${trace.traceIds.join(', ')}` : undefined,
  ].filter(Boolean);
  lines.push(
    `${ids.join(' · ')} — ${trace.entries} entries over ${formatMs(trace.durationMs)} from ${trace.startedAt}`,
  );
  const walk = (nodes: readonly TraceNode[], prefix: string) => {
    nodes.forEach((n, i) => {
      const lastChild = i === nodes.length - 1;
      const mark = n.link === 'inferred' ? '~' : '';
      lines.push(
        `${prefix}${lastChild ? '└─' : '├─'}${mark} +${formatMs(n.offsetMs)}  ${n.entry.kind}  ${shortActor(n.entry.actor)}  ${n.summary}  [${n.entry.hash.slice(0, 12)}]`,
      );
      walk(n.children, `${prefix}${lastChild ? '   ' : '│  '}`);
    });
  };
  walk(trace.roots, '');
  return lines.join('\n');
}

function formatMs(ms: number): string {
  return ms < 10_000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The trace as plain JSON (entries in full, children nested). */
export function traceToJson(trace: ReconstructedTrace): unknown {
  const node = (n: TraceNode): unknown => ({
    id: n.entry.hash,
    offsetMs: n.offsetMs,
    link: n.link,
    kind: n.entry.kind,
    actor: n.entry.actor,
    summary: n.summary,
    entry: n.entry,
    children: n.children.map(node),
  });
  return { ...trace, roots: trace.roots.map(node) };
}

/**
 * The trace's nodes in the order {@link renderTraceTree} prints them (depth first), each
 * with its parent and depth: the tree as rows, for a timeline or a table.
 */
export function traceSteps(trace: ReconstructedTrace): TraceStep[] {
  const out: TraceStep[] = [];
  const walk = (nodes: readonly TraceNode[], parentId: string | null, depth: number) => {
    for (const n of nodes) {
      out.push({
        entry: n.entry,
        parentId,
        depth,
        offsetMs: n.offsetMs,
        link: n.link,
        summary: n.summary,
      });
      walk(n.children, n.entry.hash, depth + 1);
    }
  };
  walk(trace.roots, null, 0);
  return out;
}
