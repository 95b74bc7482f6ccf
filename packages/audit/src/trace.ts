import type { AuditEntry } from './entry.js';
import { AuditError } from './errors.js';
import { HARNESS_AUDIT_VOCABULARY, shortActor, type AuditVocabulary } from './kinds.js';
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
  /** The system's word for a correlation id (`AuditVocabulary.correlation`). */
  readonly correlation: string;
  readonly correlationIds: readonly string[];
  readonly traceIds: readonly string[];
  readonly startedAt: string;
  readonly durationMs: number;
  readonly entries: number;
  readonly roots: readonly TraceNode[];
}

const TRACE_ID = /^[0-9a-f]{32}$/;

/**
 * Rebuilds the decision chain of a correlation id (or of a W3C trace id) from the audit
 * store: every entry under the id and of the traces it touched, plus the entries they
 * name as causes (`what.parentEntryId`, followed up to 16 levels), arranged as a tree.
 *
 * Linking (docs/audit.md, "Linking entries"): an entry's parent is the entry whose id
 * (hash) is in its `what.parentEntryId`. Entries without one are placed after the latest
 * earlier step of the flow — the kinds' `flowRank` in `vocabulary` (for the SOC
 * event-batch → finding → analysis → proposal → verdict → approval-request → approval →
 * execution → notification) — preferring one with the same `what.proposalId`; those
 * links are marked `inferred`. Summaries come from the kinds' describers. Throws
 * `VIGIL_AUDIT_NOT_FOUND` when nothing matches.
 */
export async function reconstructTrace(
  store: AuditStore,
  id: string,
  vocabulary: AuditVocabulary = HARNESS_AUDIT_VOCABULARY,
): Promise<ReconstructedTrace> {
  const byHash = new Map<string, AuditEntry>();
  const add = async (q: Parameters<AuditStore['query']>[0]) => {
    for await (const e of store.query(q)) byHash.set(e.hash, e);
  };
  if (TRACE_ID.test(id)) await add({ traceId: id });
  await add({ correlationId: id });
  // Close over correlations and traces once: a correlation spans traces, a trace may hold
  // entries without a correlation id.
  const correlations = new Set(
    [...byHash.values()].map((e) => e.correlationId).filter((x): x is string => x !== null),
  );
  const traces = new Set(
    [...byHash.values()].map((e) => e.traceId).filter((x): x is string => x !== null),
  );
  for (const c of correlations) if (c !== id) await add({ correlationId: c });
  for (const trace of traces) if (trace !== id) await add({ traceId: trace });
  // Causes outside the correlation (e.g. the event batch a finding came from).
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
    throw new AuditError(
      'VIGIL_AUDIT_NOT_FOUND',
      `no audit entries for ${vocabulary.correlation} or trace ${id}`,
    );
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
      summary: summarize(e, vocabulary),
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
      const inferred = inferParent(e, placed, vocabulary);
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
    correlation: vocabulary.correlation,
    correlationIds: [
      ...new Set(entries.map((e) => e.correlationId).filter((x): x is string => x !== null)),
    ],
    traceIds: [...new Set(entries.map((e) => e.traceId).filter((x): x is string => x !== null))],
    startedAt: entries[0]!.time,
    durationMs: Date.parse(last.time) - t0,
    entries: entries.length,
    roots,
  };
}

function inferParent(
  e: AuditEntry,
  earlier: readonly AuditEntry[],
  vocabulary: AuditVocabulary,
): AuditEntry | undefined {
  const rankOf = (kind: string) => vocabulary.describe(kind).flowRank;
  const rank = rankOf(e.kind);
  if (rank === undefined || rank <= 0) return undefined;
  const key = e.what['proposalId'] ?? e.what['actionId'];
  let best: AuditEntry | undefined;
  // Best first by the same proposal, then by the latest step of the flow, then the latest entry.
  let bestSameKey = false;
  let bestRank = -Infinity;
  for (const c of earlier) {
    const r = rankOf(c.kind);
    if (r === undefined || r >= rank) continue;
    const sameKey = key !== undefined && (c.what['proposalId'] ?? c.what['actionId']) === key;
    if (sameKey > bestSameKey || (sameKey === bestSameKey && r >= bestRank)) {
      best = c;
      bestSameKey = sameKey;
      bestRank = r;
    }
  }
  return best;
}

/**
 * A one-line description of an entry by its kind's describer, or its `what` as JSON
 * (cut at 100 characters) when the kind has none.
 */
export function summarize(
  e: AuditEntry,
  vocabulary: AuditVocabulary = HARNESS_AUDIT_VOCABULARY,
): string {
  const describe = vocabulary.describe(e.kind).summarize;
  if (describe !== undefined) return describe(e);
  const text = JSON.stringify(e.what);
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

/** The trace as an indented tree with `+<ms>` offsets, for a terminal. */
export function renderTraceTree(trace: ReconstructedTrace): string {
  const lines: string[] = [];
  const ids = [
    trace.correlationIds.length > 0
      ? `${trace.correlation} ${trace.correlationIds.join(', ')}`
      : undefined,
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
