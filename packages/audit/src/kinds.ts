import { isAuditKind, type AuditEntry, type AuditKind } from './entry.js';
import { AuditError } from './errors.js';

/**
 * What every OCSF event of an entry carries whatever its class (OCSF 1.5 base event):
 * `metadata` (the entry id as `uid`, the correlation id as `correlation_uid`), `actor`,
 * `time` (epoch ms) and `trace`. A describer's `ocsf` builds its class around these.
 */
export interface OcsfCommon {
  readonly time: number;
  readonly metadata: Record<string, unknown>;
  readonly actor: Record<string, unknown>;
  readonly trace: Record<string, unknown> | undefined;
}

/**
 * How the harness's renderers treat one kind of entry. Every member is optional: a kind
 * registered with `{}` is recorded, traced with its `what` as the summary, exported as
 * the plain entry and counts toward no signal.
 */
export interface AuditKindDescriber {
  /** One line for `vigil trace` (default: `what` as JSON, cut at 100 characters). */
  readonly summarize?: (entry: AuditEntry) => string;
  /**
   * Place of the kind in the flow of one correlation, lower first. Used only to place an
   * entry that names no parent (`what.parentEntryId`) after the latest earlier step; a
   * kind at 0 (or below) starts a flow and is never given an inferred parent; a kind without a rank
   * is never placed by inference.
   */
  readonly flowRank?: number;
  /** True when the entry records work an agent did (the execution signal of the metrics). */
  readonly execution?: boolean;
  /** The entry as an OCSF event for `vigil audit export --format ocsf` (default: the plain entry). */
  readonly ocsf?: (entry: AuditEntry, common: OcsfCommon) => Record<string, unknown>;
}

/**
 * The kinds an agent system records and how each is described: what the writer accepts
 * and what the trace, export and metrics renderers read. Built by
 * {@link defineAuditVocabulary}; always includes {@link HARNESS_AUDIT_KINDS}.
 */
export interface AuditVocabulary {
  /** The system's word for what a correlation id names (`incident`, `memo`), for trace headers. */
  readonly correlation: string;
  /** Every registered kind (harness kinds included): pass to a writer as `kinds`. */
  readonly kinds: ReadonlySet<AuditKind>;
  /** The describer of `kind`; `{}` for a kind the vocabulary does not know (an old or foreign entry). */
  describe(kind: AuditKind): AuditKindDescriber;
}

/** What {@link defineAuditVocabulary} takes from the agent system. */
export interface AuditVocabularyDefinition {
  /** Default `correlation`. */
  readonly correlation?: string;
  /**
   * The system's kinds with their describers. A harness kind may be listed to refine its
   * describer (its members replace the harness's, one by one).
   */
  readonly kinds: Readonly<Record<AuditKind, AuditKindDescriber>>;
}

/** Lets a renderer print any value of `what`/`why` in one line. */
export function inline(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** `spiffe://td/agent/name` → `name`; anything else as it is. */
export function shortActor(actor: string): string {
  if (actor.startsWith('spiffe://')) return actor.slice(actor.lastIndexOf('/') + 1);
  return actor;
}

/** `<type> <target key=value…>` of a proposed action (`@vigil/policy`'s shape), for one line. */
export function describeAction(a: unknown): string {
  if (typeof a !== 'object' || a === null) return inline(a) ?? 'action';
  const action = a as Record<string, unknown>;
  const target = action['target'];
  const t =
    typeof target === 'object' && target !== null
      ? Object.entries(target as Record<string, unknown>)
          .map(([k, v]) => `${k}=${inline(v)}`)
          .join(' ')
      : inline(target);
  return [inline(action['type']) ?? 'action', t].filter(Boolean).join(' ');
}

/** ` (intent)` or ` → <status>` for the two entries of a recorded step, else ''. */
export function phaseOf(e: AuditEntry): string {
  const w = e.what;
  if (w['phase'] === 'intent') return ' (intent)';
  if (w['phase'] === 'outcome') return ` → ${inline(w['status']) ?? 'done'}`;
  return '';
}

function listOf(v: unknown, separator: string): string | undefined {
  return Array.isArray(v) ? v.map(String).join(separator) : inline(v);
}

/**
 * The kinds the harness itself records (proposed actions, their review, human approval,
 * execution, and the platform's own lifecycle), with their describers. An agent system
 * adds its own kinds beside these.
 */
export const HARNESS_AUDIT_KINDS: Readonly<Record<AuditKind, AuditKindDescriber>> = {
  proposal: {
    flowRank: 30,
    execution: true,
    summarize: (e) => describeAction(e.what['action'] ?? e.what),
  },
  verdict: {
    flowRank: 40,
    execution: true,
    summarize: (e) => {
      const rules = listOf(e.why['ruleIds'], ', ');
      const reasons = listOf(e.why['reasons'], '; ');
      return [
        inline(e.what['decision']) ?? 'verdict',
        e.what['action'] !== undefined ? `on ${describeAction(e.what['action'])}` : '',
        rules ? `rules ${rules}` : '',
        reasons ? `— ${reasons}` : '',
      ]
        .filter(Boolean)
        .join(' ');
    },
  },
  'approval-request': {
    flowRank: 50,
    summarize: (e) =>
      `awaiting a human${e.what['action'] !== undefined ? ` for ${describeAction(e.what['action'])}` : ''}${e.what['expiresAt'] !== undefined ? ` until ${inline(e.what['expiresAt'])}` : ''}`,
  },
  approval: {
    flowRank: 60,
    summarize: (e) =>
      `${inline(e.what['decision']) ?? 'decided'} by ${shortActor(e.actor)}${inline(e.why['comment']) ? `: "${inline(e.why['comment'])}"` : ''}`,
  },
  execution: {
    flowRank: 70,
    execution: true,
    summarize: (e) =>
      `${describeAction(e.what['action'] ?? e.what)}${phaseOf(e)}${e.what['result'] !== undefined ? ` ${inline(e.what['result'])}` : ''}`,
  },
  'policy-load': {},
  'config-change': {},
  'agent-lifecycle': {},
};

/**
 * Builds the vocabulary of an agent system: the harness kinds plus `definition.kinds`.
 * Throws `VIGIL_AUDIT_INVALID_VOCABULARY` naming every kind that is not a kebab-case word
 * of at most 64 characters or whose flow rank is not a finite number.
 */
export function defineAuditVocabulary(definition: AuditVocabularyDefinition): AuditVocabulary {
  const problems: string[] = [];
  const describers = new Map<AuditKind, AuditKindDescriber>(Object.entries(HARNESS_AUDIT_KINDS));
  for (const [kind, describer] of Object.entries(definition.kinds)) {
    if (!isAuditKind(kind)) {
      problems.push(`kinds.${kind}: not a kebab-case word of at most 64 characters`);
      continue;
    }
    if (describer.flowRank !== undefined && !Number.isFinite(describer.flowRank))
      problems.push(`kinds.${kind}.flowRank: must be a finite number`);
    describers.set(kind, { ...describers.get(kind), ...describer });
  }
  const correlation = definition.correlation ?? 'correlation';
  if (correlation.trim() === '') problems.push('correlation: must not be empty');
  if (problems.length > 0)
    throw new AuditError(
      'VIGIL_AUDIT_INVALID_VOCABULARY',
      `invalid audit vocabulary: ${problems.join('; ')}`,
      { details: { problems } },
    );
  const kinds: ReadonlySet<AuditKind> = new Set(describers.keys());
  return Object.freeze({
    correlation,
    kinds,
    describe: (kind: AuditKind) => describers.get(kind) ?? {},
  });
}

/** The vocabulary of a system that registers no kinds of its own: the harness kinds only. */
export const HARNESS_AUDIT_VOCABULARY: AuditVocabulary = defineAuditVocabulary({ kinds: {} });
