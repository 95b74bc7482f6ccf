/**
 * Rule conditions: a small boolean language over a normalised event, parsed by zod and
 * compiled once into closures, so evaluating a rule on the hot path is a few property reads
 * and comparisons (no parsing, no regular-expression construction, no allocation per event
 * beyond what the comparisons need).
 *
 * ```yaml
 * all:
 *   - { field: resource.type, in: [pods] }
 *   - { field: activity, in: [create, update, patch] }
 *   - any:
 *       - { field: container.securityContext.privileged, equals: true }
 *       - { field: podSpec.hostPID, equals: true }
 *   - not: { field: actor.groups, equals: 'system:nodes' }
 *   - some:
 *       path: requestObject.rules
 *       where:
 *         all:
 *           - { field: resources, equals: secrets }
 *           - { field: verbs, in: [get, list] }
 * ```
 *
 * A field predicate holds when ANY value its path reaches satisfies the operator (see
 * `paths.ts`); `exists: false` holds when the path reaches no value. `equals`, `in`,
 * `startsWith`, `endsWith` and `contains` compare exactly (Kubernetes names are
 * case-sensitive); `matches` is a regular expression, case-insensitive; `cidr` holds for
 * an IP address (v4 or v6, IPv4-mapped counted as v4) inside one of the ranges.
 *
 * Because a predicate searches every element, `all` of two predicates over the same array
 * may be satisfied by two different elements. `some` is the element-wise quantifier: it
 * holds when ONE value its `path` reaches satisfies the whole `where` condition, whose
 * fields are read relative to that element (literally: no virtual roots, no
 * `actor.sourceClass`). `some` nests at most {@link MAX_SOME_DEPTH} deep.
 */
import { z } from 'zod';
import { compilePath, compileRelativePath, type PathVisitor } from './paths.js';
import { AddressClassifier, compileCidrSet, type AddressClass } from '../model/address-class.js';

/** The virtual field a rule reads the source address class from. */
const SOURCE_CLASS_FIELD = 'actor.sourceClass';

const scalarSchema = z.union([z.string(), z.number(), z.boolean()]);
type Scalar = z.infer<typeof scalarSchema>;
const oneOrMany = z.union([z.string(), z.array(z.string()).min(1)]);

const OPERATORS = [
  'equals',
  'in',
  'startsWith',
  'endsWith',
  'contains',
  'matches',
  'exists',
  'cidr',
] as const;

const predicateSchema = z
  .strictObject({
    field: z.string().min(1),
    equals: scalarSchema.optional(),
    in: z.array(scalarSchema).min(1).optional(),
    startsWith: oneOrMany.optional(),
    endsWith: oneOrMany.optional(),
    contains: oneOrMany.optional(),
    matches: z.string().refine(isRegExp, { message: 'not a valid regular expression' }).optional(),
    exists: z.boolean().optional(),
    cidr: oneOrMany
      .refine((r) => compileCidrSet(typeof r === 'string' ? [r] : r) !== undefined, {
        message: 'not a list of CIDR ranges',
      })
      .optional(),
  })
  .refine((p) => OPERATORS.filter((op) => p[op] !== undefined).length === 1, {
    message: `a field predicate takes exactly one of ${OPERATORS.join(', ')}`,
  });

export type FieldPredicate = z.infer<typeof predicateSchema>;

/**
 * A condition: a field predicate, `all` / `any` / `not` of conditions, or `some` element
 * reached by a path satisfying one condition.
 */
export type Condition =
  | FieldPredicate
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition }
  | { readonly some: { readonly path: string; readonly where: Condition } };

/** How deep `some` may nest (rules over RBAC rules or containers' ports need two). */
export const MAX_SOME_DEPTH = 3;

const nodeSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(nodeSchema).min(1) }),
    z.strictObject({ any: z.array(nodeSchema).min(1) }),
    z.strictObject({ not: nodeSchema }),
    z.strictObject({
      some: z.strictObject({
        path: z
          .string()
          .min(1)
          .refine((p) => p !== SOURCE_CLASS_FIELD, {
            message: `${SOURCE_CLASS_FIELD} is a single value, not a list to quantify over`,
          }),
        where: nodeSchema,
      }),
    }),
    predicateSchema,
  ]),
);

/** A condition as rules write it: {@link nodeSchema} with `some` nested at most {@link MAX_SOME_DEPTH}. */
export const conditionSchema: z.ZodType<Condition> = nodeSchema.superRefine((condition, ctx) =>
  checkSomeDepth(condition, [], 0, ctx),
);

function checkSomeDepth(
  condition: Condition,
  path: (string | number)[],
  depth: number,
  ctx: z.RefinementCtx,
): void {
  if ('all' in condition || 'any' in condition) {
    const key = 'all' in condition ? 'all' : 'any';
    const parts = 'all' in condition ? condition.all : condition.any;
    parts.forEach((p, i) => checkSomeDepth(p, [...path, key, i], depth, ctx));
  } else if ('not' in condition) {
    checkSomeDepth(condition.not, [...path, 'not'], depth, ctx);
  } else if ('some' in condition) {
    if (depth + 1 > MAX_SOME_DEPTH) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'some'],
        message: `some nests more than ${MAX_SOME_DEPTH} deep`,
      });
      return;
    }
    checkSomeDepth(condition.some.where, [...path, 'some', 'where'], depth + 1, ctx);
  }
}

/**
 * What a rule may know beyond the event: the class of its source address
 * (`actor.sourceClass`: loopback, private, cloud, public, none, other), which needs the
 * cloud providers' ranges the detector's model was given (`vigil detector train
 * --cloud-ranges`), not the event alone.
 */
export interface RuleContext {
  readonly sourceClass: (event: unknown) => AddressClass;
}

const BUILT_IN_ADDRESSES = new AddressClassifier();

/** Without the model's ranges: loopback, private and public only (no address is `cloud`). */
export const DEFAULT_RULE_CONTEXT: RuleContext = contextOf(BUILT_IN_ADDRESSES);

/** The context for a classifier (the live model's `encoder.addresses`). */
export function contextOf(addresses: AddressClassifier): RuleContext {
  return {
    sourceClass: (event) =>
      addresses.classify(
        ((event as { actor?: { sourceIp?: unknown } }).actor?.sourceIp as string | undefined) ??
          undefined,
      ),
  };
}

/** A compiled condition: true when the event satisfies it. */
export type CompiledCondition = (event: unknown, context: RuleContext) => boolean;

/** Compiles a condition (already validated by {@link conditionSchema}). */
export function compileCondition(condition: Condition): CompiledCondition {
  return compileIn(condition, 'event');
}

/** What a condition's paths are read from: the event, or one element a `some` reached. */
type Scope = 'event' | 'element';

function compileIn(condition: Condition, scope: Scope): CompiledCondition {
  const pathOf = (p: string): PathVisitor =>
    scope === 'event' ? compilePath(p) : compileRelativePath(p);
  if ('all' in condition) {
    const parts = condition.all.map((p) => compileIn(p, scope));
    return (e, c) => {
      for (const p of parts) if (!p(e, c)) return false;
      return true;
    };
  }
  if ('any' in condition) {
    const parts = condition.any.map((p) => compileIn(p, scope));
    return (e, c) => {
      for (const p of parts) if (p(e, c)) return true;
      return false;
    };
  }
  if ('not' in condition) {
    const inner = compileIn(condition.not, scope);
    return (e, c) => !inner(e, c);
  }
  if ('some' in condition) {
    const visit = pathOf(condition.some.path);
    const where = compileIn(condition.some.where, 'element');
    return (e, c) => visit(e, where, c);
  }
  if (scope === 'event' && condition.field === SOURCE_CLASS_FIELD) {
    const test = compileTest(condition);
    if (condition.exists !== undefined) {
      const wanted = condition.exists;
      return (e, c) => (c.sourceClass(e) !== 'none') === wanted;
    }
    return (e, c) => test(c.sourceClass(e));
  }
  const visit = pathOf(condition.field);
  if (condition.exists !== undefined) {
    const wanted = condition.exists;
    return (e) => visit(e, found) === wanted;
  }
  const test = compileTest(condition);
  return (e) => visit(e, test);
}

const found = (): boolean => true;

function compileTest(p: FieldPredicate): (value: unknown) => boolean {
  if (p.equals !== undefined) {
    const want = p.equals;
    return (v) => v === want;
  }
  if (p.in !== undefined) {
    const set = new Set<Scalar>(p.in);
    return (v) => set.has(v as Scalar);
  }
  if (p.matches !== undefined) {
    const re = new RegExp(p.matches, 'i');
    return (v) => (typeof v === 'string' || typeof v === 'number') && re.test(String(v));
  }
  const strings = (x: string | readonly string[]): readonly string[] =>
    typeof x === 'string' ? [x] : x;
  if (p.cidr !== undefined) {
    const inside = compileCidrSet(strings(p.cidr))!;
    return (v) => typeof v === 'string' && inside(v);
  }
  if (p.startsWith !== undefined) {
    const xs = strings(p.startsWith);
    return (v) => typeof v === 'string' && xs.some((x) => v.startsWith(x));
  }
  if (p.endsWith !== undefined) {
    const xs = strings(p.endsWith);
    return (v) => typeof v === 'string' && xs.some((x) => v.endsWith(x));
  }
  const xs = strings(p.contains ?? []);
  return (v) => typeof v === 'string' && xs.some((x) => v.includes(x));
}

function isRegExp(source: string): boolean {
  try {
    new RegExp(source, 'i');
    return true;
  } catch {
    return false;
  }
}
