/**
 * The Sigma loader: translates a SigmaHQ rule (https://sigmahq.io/docs/basics/rules.html)
 * for `logsource: { product: kubernetes, service: audit }` into a Vigil {@link Rule}, so the
 * community's Kubernetes audit rules run as they are published, with their id, level and
 * ATT&CK tags, beside Vigil's own.
 *
 * Translated: selections as maps (AND of fields) or lists of maps (OR); value lists (OR)
 * and `|all`; the modifiers `contains`, `startswith`, `endswith`, `re`, `exists`, `cidr`;
 * Sigma's `*` / `?` wildcards and case-insensitive string matching; `null`; conditions
 * with `and`, `or`, `not`, parentheses, `1 of x*`, `all of x*`, `1 of them`, `all of them`.
 * Anything else (keyword lists, `base64`, aggregations) is refused with
 * `VIGIL_DETECTOR_RULE_INVALID` naming the rule, never half-translated.
 *
 * `cidr` (Sigma modifiers appendix, "Ip only") as pySigma reads it (`ip_network`, strict):
 * each value is an IPv4 or IPv6 network (`10.0.0.0/8`, `fc00::/7`) or a bare address (one
 * host); a range with host bits set (`10.1.2.3/8`) is refused as pySigma refuses it, not
 * silently widened. A value list is OR, `|cidr|all` AND. The field matches when it holds an
 * address inside a range; text that is not an address never matches. One deliberate
 * difference, Vigil's `cidr` operator's: an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`)
 * is compared as the IPv4 address it carries, so a dual-stack API server's mapped source
 * cannot step around an IPv4 range.
 *
 * Sigma field names are the audit event's own (`objectRef.resource`); {@link SIGMA_FIELDS}
 * maps them onto the normalised event, including the wrapper-independent `requestObject`.
 */
import { RuleError } from './errors.js';
import { isNetworkCidr } from '../model/address-class.js';
import type { Condition } from './condition.js';
import type { Rule } from './rule.js';

/** Sigma Kubernetes audit field → normalised event path. */
export const SIGMA_FIELDS: Readonly<Record<string, string>> = {
  verb: 'activity',
  'objectRef.resource': 'resource.type',
  'objectRef.subresource': 'resource.subresource',
  'objectRef.namespace': 'resource.namespace',
  'objectRef.name': 'resource.name',
  'objectRef.apiGroup': 'resource.apiGroup',
  // Two published rules write the bare name; in an audit event it only exists in objectRef.
  apiGroup: 'resource.apiGroup',
  'user.username': 'actor.user',
  'user.groups': 'actor.groups',
  sourceIPs: 'actor.sourceIp',
  userAgent: 'actor.userAgent',
  'responseStatus.code': 'outcome.code',
  requestURI: 'requestUri',
  // SigmaHQ's pod rules name these as if flattened; they live in the pod spec.
  hostPath: 'podSpec.volumes.hostPath',
  capabilities: 'container.securityContext.capabilities.add',
};

/**
 * Fields whose values the API server defines in lower case (verbs, resource names, API
 * groups): Sigma's case-insensitive match of a wildcard-free value is an exact comparison
 * there, which also lets the rule set index the rule by resource type.
 */
const LOWER_CASE_FIELDS = new Set([
  'activity',
  'resource.type',
  'resource.subresource',
  'resource.apiGroup',
]);

/** How Vigil runs one vendored Sigma rule (the overlay file, per Sigma id). */
export interface SigmaOverlay {
  readonly action: Rule['action'];
  /** Benign cases the upstream rule lists as false positives, excluded as a Vigil condition. */
  readonly except?: Condition;
  readonly fixtures: Rule['fixtures'];
}

/** Provenance recorded on every translated rule. */
export interface SigmaProvenance {
  readonly repository: string;
  readonly path: string;
  readonly commit: string;
  readonly licence: string;
}

const LEVELS: Readonly<Record<string, Rule['severity']>> = {
  informational: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
};

/** Translates one parsed Sigma document. Throws `VIGIL_DETECTOR_RULE_INVALID`. */
export function translateSigma(
  doc: unknown,
  overlay: SigmaOverlay,
  provenance: SigmaProvenance,
): Rule {
  const d = doc as Record<string, unknown>;
  const where = `Sigma rule ${String(d['id'] ?? provenance.path)}`;
  const fail = (message: string): never => {
    throw new RuleError('VIGIL_DETECTOR_RULE_INVALID', `${where}: ${message}`, {
      details: { path: provenance.path },
    });
  };
  if (typeof d['id'] !== 'string' || typeof d['title'] !== 'string')
    fail('id and title are required');
  const logsource = (d['logsource'] ?? {}) as Record<string, unknown>;
  if (logsource['product'] !== 'kubernetes' || logsource['service'] !== 'audit')
    fail('only logsource product kubernetes, service audit is supported');
  const detection = d['detection'] as Record<string, unknown> | undefined;
  if (detection === undefined || typeof detection['condition'] !== 'string')
    fail('detection.condition must be one string');
  const selections = new Map<string, Condition>();
  for (const [name, body] of Object.entries(detection!)) {
    if (name === 'condition' || name === 'timeframe') continue;
    selections.set(name, translateSelection(body, fail));
  }
  const matched = parseCondition(detection!['condition'] as string, selections, fail);
  const level =
    LEVELS[String(d['level'] ?? 'medium')] ?? fail(`unknown level ${String(d['level'])}`);
  const tags = Array.isArray(d['tags']) ? d['tags'].map(String) : [];
  const techniques = tags
    .map((t) => /^attack\.(t\d{4}(?:\.\d{3})?)$/i.exec(t)?.[1]?.toUpperCase())
    .filter((t): t is string => t !== undefined);
  return {
    id: `sigma-${(d['id'] as string).toLowerCase()}`,
    title: d['title'] as string,
    ...(typeof d['description'] === 'string' ? { description: d['description'] } : {}),
    techniques,
    severity: level,
    action: overlay.action,
    techniquesFromTags: false,
    severityFromEvent: false,
    source: {
      kind: 'sigma',
      ref: d['id'] as string,
      repository: provenance.repository,
      path: provenance.path,
      commit: provenance.commit,
      licence: provenance.licence,
      references: Array.isArray(d['references']) ? d['references'].map(String) : [],
    },
    condition: overlay.except === undefined ? matched : { all: [matched, { not: overlay.except }] },
    fixtures: overlay.fixtures,
  };
}

function translateSelection(body: unknown, fail: (m: string) => never): Condition {
  if (Array.isArray(body)) {
    if (!body.every((b) => typeof b === 'object' && b !== null && !Array.isArray(b)))
      fail('keyword selections are not supported');
    return { any: body.map((b) => translateMap(b as Record<string, unknown>, fail)) };
  }
  if (typeof body !== 'object' || body === null)
    fail('a selection must be a map or a list of maps');
  return translateMap(body as Record<string, unknown>, fail);
}

function translateMap(map: Record<string, unknown>, fail: (m: string) => never): Condition {
  const parts = Object.entries(map).map(([key, value]) => {
    const [name, ...modifiers] = key.split('|');
    const field =
      SIGMA_FIELDS[name!] ?? fail(`field ${name} has no mapping onto the normalised event`);
    const all = modifiers.includes('all');
    const mods = modifiers.filter((m) => m !== 'all');
    if (mods.length > 1) fail(`modifier chain ${key} is not supported`);
    const modifier = mods[0];
    if (modifier === 'exists') return { field, exists: value === true };
    const values = Array.isArray(value) ? value : [value];
    if (modifier === 'cidr') return translateCidr(key, field, values, all, fail);
    const each = values.map((v) => translateValue(field, modifier, v, fail));
    if (each.length === 1) return each[0]!;
    if (all) return { all: each };
    // A list of exact values is one set lookup (and indexable by resource type).
    const exact = each.map((c) => ('equals' in c ? c.equals : undefined));
    if (exact.every((v) => v !== undefined)) return { field, in: exact };
    return { any: each };
  });
  return parts.length === 1 ? parts[0]! : { all: parts };
}

function translateValue(
  field: string,
  modifier: string | undefined,
  value: unknown,
  fail: (m: string) => never,
): Condition {
  if (value === null) return { field, exists: false };
  if (typeof value === 'number' && modifier === undefined) return { field, equals: value };
  if (typeof value !== 'string' && typeof value !== 'number')
    fail(`value ${String(value)} of ${field}`);
  const text = String(value);
  if (modifier === 're') return { field, matches: text };
  if (modifier === undefined && text === '*') return { field, exists: true };
  const body = globToRegExp(text);
  const exact = text === text.toLowerCase() && !/[*?\\]/.test(text);
  switch (modifier) {
    case undefined:
      return exact && LOWER_CASE_FIELDS.has(field)
        ? { field, equals: text }
        : { field, matches: `^${body}$` };
    case 'contains':
      return { field, matches: body };
    case 'startswith':
      return { field, matches: `^${body}` };
    case 'endswith':
      return { field, matches: `${body}$` };
    default:
      return fail(`modifier ${modifier} is not supported`);
  }
}

/** `field|cidr` (see the module doc): one predicate over the ranges, or all of them with `|all`. */
function translateCidr(
  key: string,
  field: string,
  values: readonly unknown[],
  all: boolean,
  fail: (m: string) => never,
): Condition {
  const ranges = values.map((v) => {
    if (typeof v !== 'string') return fail(`${key}: ${String(v)} is not a CIDR range`);
    const range = v.trim();
    if (!isNetworkCidr(range))
      fail(`${key}: ${JSON.stringify(v)} is not an IPv4 or IPv6 network (host bits must be zero)`);
    return range;
  });
  if (ranges.length === 0) fail(`${key}: no range`);
  return all && ranges.length > 1
    ? { all: ranges.map((cidr) => ({ field, cidr })) }
    : { field, cidr: ranges.length === 1 ? ranges[0]! : ranges };
}

/** Sigma wildcards: `*` any run, `?` one character, `\` escapes them. */
function globToRegExp(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && (glob[i + 1] === '*' || glob[i + 1] === '?' || glob[i + 1] === '\\')) {
      out += escape(glob[++i]!);
    } else if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else out += escape(c);
  }
  return out;
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Recursive descent over Sigma's condition grammar. */
function parseCondition(
  text: string,
  selections: ReadonlyMap<string, Condition>,
  fail: (m: string) => never,
): Condition {
  const tokens = text.match(/\(|\)|[^\s()]+/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i]?.toLowerCase();
  const named = (pattern: string): Condition[] => {
    const re = new RegExp(`^${globToRegExp(pattern)}$`);
    const found = [...selections].filter(([n]) => pattern === 'them' || re.test(n));
    if (found.length === 0) fail(`condition names no selection matching ${pattern}`);
    return found.map(([, c]) => c);
  };
  const atom = (): Condition => {
    const t = tokens[i++];
    if (t === undefined) return fail(`condition "${text}" ends early`);
    if (t === '(') {
      const inner = or();
      if (tokens[i++] !== ')') fail(`condition "${text}" misses a )`);
      return inner;
    }
    if ((t === '1' || t.toLowerCase() === 'all') && peek() === 'of') {
      i++;
      const target = tokens[i++] ?? fail(`condition "${text}" ends after "of"`);
      const parts = named(target);
      return t === '1' ? { any: parts } : { all: parts };
    }
    if (t.includes('|')) fail(`aggregation in condition "${text}" is not supported`);
    return selections.get(t) ?? fail(`condition names unknown selection ${t}`);
  };
  const not = (): Condition => {
    if (peek() === 'not') {
      i++;
      return { not: not() };
    }
    return atom();
  };
  const and = (): Condition => {
    const parts = [not()];
    while (peek() === 'and') {
      i++;
      parts.push(not());
    }
    return parts.length === 1 ? parts[0]! : { all: parts };
  };
  const or = (): Condition => {
    const parts = [and()];
    while (peek() === 'or') {
      i++;
      parts.push(and());
    }
    return parts.length === 1 ? parts[0]! : { any: parts };
  };
  const result = or();
  if (i !== tokens.length) fail(`condition "${text}" has trailing tokens`);
  return result;
}
