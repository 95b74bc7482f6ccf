/**
 * Detection rules as data. A rule names what it detects (id, title, ATT&CK techniques,
 * severity), decides over the normalised event with a {@link Condition}, says where it came
 * from (`source`), and carries positive and negative fixtures — raw records that run
 * through normalisation and the rule in the tests, so a rule can never silently stop
 * matching what it was written for.
 */
import { z } from 'zod';
import {
  attackTechniqueSchema,
  maxSeverity,
  severitySchema,
  type RuleHit,
  type Severity,
} from '@vigil/soc';
import {
  compileCondition,
  conditionSchema,
  DEFAULT_RULE_CONTEXT,
  type CompiledCondition,
  type Condition,
  type RuleContext,
} from './condition.js';

/**
 * Where a rule came from: `vigil` for Vigil's own rules; `sigma` for a SigmaHQ rule
 * translated by the Sigma loader (its commit and licence recorded); `falco` for a rule
 * Falco evaluated, whose alert Vigil maps through its tags.
 */
export const ruleSourceSchema = z.strictObject({
  kind: z.enum(['vigil', 'sigma', 'falco']),
  /** Upstream id (the Sigma rule's uuid). */
  ref: z.string().optional(),
  /** Upstream repository, path and commit, for vendored rules. */
  repository: z.string().optional(),
  path: z.string().optional(),
  commit: z.string().optional(),
  licence: z.string(),
  references: z.array(z.string()).default([]),
});

export const ruleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lower-case letters, digits, dots and dashes'),
  title: z.string().min(1),
  description: z.string().optional(),
  techniques: z.array(attackTechniqueSchema),
  severity: severitySchema,
  /**
   * `alert`: a hit makes the event a finding whatever the forest says. `annotate`: the hit
   * is evidence on a finding the forest or another rule raised, never a finding alone
   * (hunting-grade rules whose benign rate is too high to page on).
   */
  action: z.enum(['alert', 'annotate']).default('alert'),
  /** Also take ATT&CK ids from the event's `tags` (Falco tags carry `T1611`). */
  techniquesFromTags: z.boolean().default(false),
  /** Raise the hit's severity to the event's own priority when that is higher (Falco). */
  severityFromEvent: z.boolean().default(false),
  source: ruleSourceSchema,
  condition: conditionSchema,
  fixtures: z.strictObject({
    positive: z.array(z.unknown()).min(1),
    negative: z.array(z.unknown()).min(1),
  }),
});

export type Rule = z.infer<typeof ruleSchema>;
export type RuleSource = z.infer<typeof ruleSourceSchema>;

/** A rule ready for the hot path: its condition compiled once. */
export interface CompiledRule {
  readonly rule: Rule;
  readonly matches: CompiledCondition;
  /**
   * What the rule requires of one indexed field (`resource.type`, `classUid` or `format`),
   * when its condition is an `all` with an `equals` / `in` on it: the rule set only runs the
   * rule on events with one of these values.
   */
  readonly guard?: { readonly field: GuardField; readonly values: readonly Scalar[] };
  /** The hit it produces when techniques and severity do not depend on the event. */
  readonly staticHit?: RuleHit;
}

const TECHNIQUE_TAG = /^T\d{4}(\.\d{3})?$/i;
/** OCSF severity_id (0 unknown … 6 fatal) to a finding severity. */
const OCSF_SEVERITY: readonly Severity[] = [
  'low',
  'low',
  'low',
  'medium',
  'high',
  'critical',
  'critical',
];

/** Compiles one validated rule. */
export function compileRule(rule: Rule): CompiledRule {
  const dynamic = rule.techniquesFromTags || rule.severityFromEvent;
  const guard = guardOf(rule.condition);
  return {
    rule,
    matches: compileCondition(rule.condition),
    ...(guard === undefined ? {} : { guard }),
    ...(dynamic ? {} : { staticHit: hitOf(rule, rule.techniques, rule.severity) }),
  };
}

type Scalar = string | number | boolean;
/** Fields the rule set indexes rules by, most selective first. */
const GUARD_FIELDS = ['resource.type', 'classUid', 'format'] as const;
type GuardField = (typeof GUARD_FIELDS)[number];

function guardOf(condition: Condition): CompiledRule['guard'] {
  const parts = 'all' in condition ? condition.all : [condition];
  for (const field of GUARD_FIELDS)
    for (const p of parts) {
      if (!('field' in p) || p.field !== field) continue;
      if (p.equals !== undefined) return { field, values: [p.equals] };
      if (p.in !== undefined) return { field, values: p.in };
    }
  return undefined;
}

function guardValue(event: EventFields, field: GuardField): Scalar | undefined {
  return field === 'resource.type'
    ? event.resource?.type
    : field === 'classUid'
      ? event.classUid
      : event.format;
}

function hitOf(rule: Rule, techniques: readonly string[], severity: Severity): RuleHit {
  return {
    id: rule.id,
    title: rule.title,
    techniques: [...techniques],
    severity,
    source: rule.source.kind === 'sigma' ? `sigma:${rule.source.ref ?? rule.id}` : rule.source.kind,
  };
}

interface EventFields {
  readonly resource?: { readonly type?: string };
  readonly classUid?: number;
  readonly format?: string;
  readonly tags?: readonly string[];
  readonly severityId?: number;
}

/** The hit a matching compiled rule produces for this event. */
export function hitFor(compiled: CompiledRule, event: EventFields): RuleHit {
  if (compiled.staticHit !== undefined) return compiled.staticHit;
  const { rule } = compiled;
  const techniques = rule.techniquesFromTags
    ? [
        ...new Set([
          ...rule.techniques,
          ...(event.tags ?? []).filter((t) => TECHNIQUE_TAG.test(t)).map((t) => t.toUpperCase()),
        ]),
      ]
    : rule.techniques;
  const eventSeverity = OCSF_SEVERITY[event.severityId ?? 0] ?? 'low';
  const severity = rule.severityFromEvent
    ? maxSeverity(rule.severity, eventSeverity)
    : rule.severity;
  return hitOf(rule, techniques, severity);
}

/** What the rules said about one event. */
export interface RuleVerdict {
  readonly hits: readonly RuleHit[];
  /** Whether an `alert` rule fired (the event is a finding whatever the forest says). */
  readonly alert: boolean;
}

const NO_HITS: RuleVerdict = { hits: [], alert: false };

/**
 * A loaded set of rules. `evaluate` runs the rules that can apply to the event: a rule
 * guarded by a resource type, OCSF class or format only on events with that value (indexes
 * built once), the others on every event. Hits come in rule order within each group,
 * unguarded rules first. The common case (nothing fires) allocates nothing.
 */
export class RuleSet {
  readonly rules: readonly CompiledRule[];
  private readonly unguarded: readonly CompiledRule[];
  private readonly indexes: readonly {
    readonly field: GuardField;
    readonly byValue: Map<Scalar, CompiledRule[]>;
  }[];
  private readonly actions = new Map<string, Rule['action']>();

  constructor(rules: readonly CompiledRule[]) {
    this.rules = rules;
    this.unguarded = rules.filter((r) => r.guard === undefined);
    this.indexes = GUARD_FIELDS.map((field) => {
      const byValue = new Map<Scalar, CompiledRule[]>();
      for (const r of rules) {
        if (r.guard?.field !== field) continue;
        for (const v of r.guard.values) byValue.set(v, [...(byValue.get(v) ?? []), r]);
      }
      return { field, byValue };
    });
    for (const r of rules) this.actions.set(r.rule.id, r.rule.action);
  }

  evaluate(event: EventFields, context: RuleContext = DEFAULT_RULE_CONTEXT): RuleVerdict {
    let hits = fire(this.unguarded, event, context, undefined);
    for (const index of this.indexes) {
      const value = guardValue(event, index.field);
      const candidates = value === undefined ? undefined : index.byValue.get(value);
      if (candidates !== undefined) hits = fire(candidates, event, context, hits);
    }
    if (hits === undefined) return NO_HITS;
    return { hits, alert: hits.some((h) => this.actions.get(h.id) === 'alert') };
  }

  /** Whether the rule of that id pages (`alert`) or is evidence only (`annotate`). */
  actionOf(id: string): Rule['action'] | undefined {
    return this.actions.get(id);
  }
}

function fire(
  rules: readonly CompiledRule[],
  event: EventFields,
  context: RuleContext,
  hits: RuleHit[] | undefined,
): RuleHit[] | undefined {
  for (const compiled of rules)
    if (compiled.matches(event, context)) (hits ??= []).push(hitFor(compiled, event));
  return hits;
}

/** The highest severity among hits (the detection's severity). */
export function severityOfHits(hits: readonly RuleHit[]): Severity {
  return hits.reduce<Severity>((s, h) => maxSeverity(s, h.severity), 'low');
}
