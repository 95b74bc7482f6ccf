/**
 * Turns schema issues into readable {@link ConfigProblem}s, and checks what a schema
 * cannot: references between agents. Both work on the raw YAML data so that every
 * problem is found in one pass, even when parts of the document do not validate.
 */
import type { z } from 'zod';
import type { ConfigProblem } from './errors.js';
import { formatPath, type SourceMap } from './source-map.js';
import { kubernetesAgentReferences } from './kubernetes-schema.js';
import { closestMatch } from './suggest.js';

type Issue = z.core.$ZodIssue;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (Array.isArray(value) && typeof segment === 'number') value = value[segment];
    else if (isRecord(value) && typeof segment === 'string') value = value[segment];
    else return undefined;
  }
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** The minimal view of a zod v4 schema definition that the key walk needs. */
interface WalkableSchema {
  readonly _zod: {
    readonly def: {
      readonly type: string;
      readonly innerType?: WalkableSchema;
      readonly in?: WalkableSchema;
      readonly shape?: Readonly<Record<string, WalkableSchema>>;
      readonly element?: WalkableSchema;
      readonly valueType?: WalkableSchema;
      readonly options?: readonly WalkableSchema[];
      readonly discriminator?: string;
      readonly values?: readonly unknown[];
    };
  };
}

/**
 * The keys the schema allows in the object at `path` (for did-you-mean on unknown keys).
 * Walks wrappers (default, optional, pipe), arrays, records and discriminated unions,
 * choosing the union member by the discriminator found in the data.
 */
export function knownKeysAt(
  schema: z.ZodType,
  data: unknown,
  path: readonly PropertyKey[],
): string[] {
  let current = schema as unknown as WalkableSchema;
  let value = data;
  let index = 0;
  for (let guard = 0; guard < 1000; guard++) {
    const def = current._zod.def;
    const next = def.innerType ?? def.in;
    if (next !== undefined) {
      current = next;
      continue;
    }
    if (def.type === 'union' && def.options !== undefined) {
      const disc = def.discriminator;
      const tag = disc === undefined || !isRecord(value) ? undefined : value[disc];
      const chosen =
        disc === undefined
          ? undefined
          : def.options.find((o) =>
              (o._zod.def.shape?.[disc]?._zod.def.values ?? []).includes(tag),
            );
      if (chosen === undefined) {
        // No member chosen: offer the keys of every member.
        return [
          ...new Set(def.options.flatMap((o) => knownKeysAt(o as never, value, path.slice(index)))),
        ];
      }
      current = chosen;
      continue;
    }
    if (index === path.length) {
      return def.type === 'object' ? Object.keys(def.shape ?? {}) : [];
    }
    const segment = path[index++];
    if (def.type === 'object' && typeof segment === 'string' && def.shape?.[segment]) {
      current = def.shape[segment];
    } else if (def.type === 'array' && def.element !== undefined) {
      current = def.element;
    } else if (def.type === 'record' && def.valueType !== undefined) {
      current = def.valueType;
    } else {
      return [];
    }
    value = valueAt(value, [segment as PropertyKey]);
  }
  return [];
}

/** Keys that look like they hold a secret, and the `…Env` key that should be used instead. */
function secretKeyHint(key: string, known: readonly string[]): string | undefined {
  const envKey = known.find((k) => k.toLowerCase() === `${key.toLowerCase()}env`);
  if (envKey !== undefined) {
    return `secrets never go in vigil.yaml: put the name of the environment variable that holds it in "${envKey}"`;
  }
  return undefined;
}

/** A list of problems and the function that adds one, placed on its line. */
function collector(map: SourceMap) {
  const problems: ConfigProblem[] = [];
  const add = (path: readonly PropertyKey[], message: string, hint?: string) =>
    problems.push({
      path: formatPath(path),
      message,
      line: map.lineOf(path),
      ...(hint === undefined ? {} : { hint }),
    });
  return { problems, add };
}

/** Converts zod issues to problems with paths, lines and suggestions. */
export function issueProblems(
  issues: readonly Issue[],
  raw: unknown,
  schema: z.ZodType,
  map: SourceMap,
): ConfigProblem[] {
  const { problems, add } = collector(map);

  // Required fields that an unknown key right beside them probably misspells: the
  // did-you-mean on the unknown key says it all, so "is required" would be noise.
  const explained = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const known = knownKeysAt(schema, raw, issue.path);
    for (const key of issue.keys) {
      const match = closestMatch(key, known);
      if (match !== undefined) explained.add(formatPath([...issue.path, match]));
    }
  }

  for (const issue of issues) {
    const value = valueAt(raw, issue.path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(schema, raw, issue.path);
        for (const key of issue.keys) {
          const match = closestMatch(key, known);
          const hint =
            secretKeyHint(key, known) ??
            (match !== undefined
              ? `did you mean "${match}"?`
              : known.length > 0
                ? `expected one of: ${known.join(', ')}`
                : undefined);
          add([...issue.path, key], `unknown field "${key}"`, hint);
        }
        break;
      }
      case 'invalid_type':
        if (value === undefined) {
          if (!explained.has(formatPath(issue.path))) add(issue.path, 'is required');
        } else
          add(
            issue.path,
            `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${typeName(value)}`,
          );
        break;
      case 'invalid_value': {
        const allowed = issue.values.map((v) => JSON.stringify(v));
        const match =
          typeof value === 'string' ? closestMatch(value, issue.values.map(String)) : undefined;
        add(
          issue.path,
          allowed.length === 1
            ? `must be ${allowed[0]}, got ${typeName(value)}`
            : `must be one of ${allowed.join(', ')}, got ${typeName(value)}`,
          match === undefined ? undefined : `did you mean "${match}"?`,
        );
        break;
      }
      case 'invalid_union': {
        const unionOptions = (issue as { options?: readonly unknown[] }).options;
        if (issue.discriminator !== undefined && unionOptions !== undefined) {
          const options = unionOptions.map(String);
          const match = typeof value === 'string' ? closestMatch(value, options) : undefined;
          add(
            issue.path,
            value === undefined
              ? `is required (one of ${options.map((o) => JSON.stringify(o)).join(', ')})`
              : `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}, got ${typeName(value)}`,
            match === undefined ? undefined : `did you mean "${match}"?`,
          );
        } else {
          add(issue.path, issue.message);
        }
        break;
      }
      case 'too_small':
        if (issue.origin === 'array')
          add(
            issue.path,
            `needs at least ${issue.minimum} entr${issue.minimum === 1 ? 'y' : 'ies'}`,
          );
        else if (issue.origin === 'string') add(issue.path, 'must not be empty');
        else add(issue.path, `must be at least ${issue.minimum}, got ${typeName(value)}`);
        break;
      case 'too_big':
        if (issue.origin === 'array') add(issue.path, `may have at most ${issue.maximum} entries`);
        else add(issue.path, `must be at most ${issue.maximum}, got ${typeName(value)}`);
        break;
      case 'custom': {
        const hint: unknown = issue.params?.['hint'];
        add(issue.path, issue.message, typeof hint === 'string' ? hint : undefined);
        break;
      }
      default:
        add(issue.path, issue.message);
    }
  }
  return problems;
}

/**
 * Problems in the references between agents: duplicate names, calls to unknown agents
 * (with a did-you-mean), self-calls, repeated callees and call cycles (the call graph must
 * be a DAG: a request never comes back to an agent that is waiting on it). Entries whose
 * shape is wrong are left to the schema, which reports them.
 */
export function crossReferenceProblems(raw: unknown, map: SourceMap): ConfigProblem[] {
  const { problems, add } = collector(map);
  if (!isRecord(raw) || !Array.isArray(raw['agents'])) return problems;
  const agents: unknown[] = raw['agents'];

  // Names: the first declaration of a name is the one that counts.
  const indexOf = new Map<string, number>();
  agents.forEach((agent, i) => {
    if (!isRecord(agent) || typeof agent['name'] !== 'string') return;
    const name = agent['name'];
    const first = indexOf.get(name);
    if (first === undefined) {
      indexOf.set(name, i);
      return;
    }
    const firstLine = map.lineOf(['agents', first, 'name']);
    add(
      ['agents', i, 'name'],
      `duplicate agent name "${name}", first declared at agents[${first}]${firstLine === undefined ? '' : ` (line ${firstLine})`}`,
    );
  });
  const names = [...indexOf.keys()];

  // Calls, and the edges of the call graph they define.
  const edges = new Map<string, { callee: string; at: PropertyKey[] }[]>();
  agents.forEach((agent, i) => {
    if (!isRecord(agent) || !Array.isArray(agent['calls'])) return;
    const caller = typeof agent['name'] === 'string' ? agent['name'] : undefined;
    const own = caller !== undefined && indexOf.get(caller) === i;
    const seen = new Set<string>();
    const calls: unknown[] = agent['calls'];
    calls.forEach((callee, j) => {
      if (typeof callee !== 'string') return; // the schema reports it
      const at: PropertyKey[] = ['agents', i, 'calls', j];
      if (callee === caller) {
        add(at, `agent "${callee}" may not call itself`);
      } else if (!indexOf.has(callee)) {
        const match = closestMatch(callee, names);
        add(
          at,
          `unknown agent "${callee}"`,
          match === undefined ? `declared agents: ${names.join(', ')}` : `did you mean "${match}"?`,
        );
      } else if (seen.has(callee)) {
        add(at, `"${callee}" is listed twice`);
      } else if (own && caller !== undefined) {
        const list = edges.get(caller) ?? [];
        list.push({ callee, at });
        edges.set(caller, list);
      }
      seen.add(callee);
    });
  });

  // Cycles: depth-first search; every back edge closes one cycle, reported where it is declared.
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    for (const { callee, at } of edges.get(name) ?? []) {
      const s = state.get(callee);
      if (s === 'active') {
        const cycle = [...stack.slice(stack.indexOf(callee)), callee];
        add(
          at,
          `call cycle ${cycle.join(' → ')}: the call graph must be acyclic (an agent may not be called back, directly or indirectly, by an agent it calls)`,
        );
      } else if (s === undefined) {
        visit(callee);
      }
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of names) if (!state.has(name)) visit(name);

  // Agent names in the kubernetes: section (egress/ingress entries, state users, OPA clients).
  for (const ref of kubernetesAgentReferences(raw)) {
    if (indexOf.has(ref.name)) continue;
    const match = closestMatch(ref.name, names);
    add(
      ref.path,
      `unknown agent "${ref.name}"`,
      match === undefined ? `declared agents: ${names.join(', ')}` : `did you mean "${match}"?`,
    );
  }

  return problems;
}

/**
 * Problems between the action catalogue (top-level `actions`) and the agents: a type
 * declared twice, and an `autonomy.autoExecute` entry that is not a declared action type
 * (with a did-you-mean). The harness knows no action vocabulary: the system declares it.
 */
export function actionCatalogueProblems(raw: unknown, map: SourceMap): ConfigProblem[] {
  const { problems, add } = collector(map);
  if (!isRecord(raw)) return problems;
  const declared = Array.isArray(raw['actions']) ? (raw['actions'] as unknown[]) : [];
  const types = new Map<string, number>();
  declared.forEach((action, i) => {
    if (!isRecord(action) || typeof action['type'] !== 'string') return;
    const first = types.get(action['type']);
    if (first === undefined) types.set(action['type'], i);
    else
      add(
        ['actions', i, 'type'],
        `duplicate action type "${action['type']}", first declared at actions[${first}]`,
      );
  });
  const known = [...types.keys()];
  const agents = Array.isArray(raw['agents']) ? (raw['agents'] as unknown[]) : [];
  agents.forEach((agent, i) => {
    const autonomy = isRecord(agent) ? agent['autonomy'] : undefined;
    const autoExecute = isRecord(autonomy) ? autonomy['autoExecute'] : undefined;
    if (!Array.isArray(autoExecute)) return;
    autoExecute.forEach((type: unknown, j) => {
      if (typeof type !== 'string' || types.has(type)) return; // the schema reports non-strings
      const at = ['agents', i, 'autonomy', 'autoExecute', j];
      if (known.length === 0) {
        add(
          at,
          `"${type}" is not an action of the system: the declaration has no action catalogue`,
          `declare the actions the agents can take under top-level "actions", e.g. actions: [{ type: ${JSON.stringify(type)} }]`,
        );
        return;
      }
      const match = closestMatch(type, known);
      add(
        at,
        `"${type}" is not an action of the system's catalogue (top-level "actions")`,
        match === undefined ? `declared actions: ${known.join(', ')}` : `did you mean "${match}"?`,
      );
    });
  });
  return problems;
}

/** The stores a stateful agent keeps its state in: every replica must see the same ones. */
const STATE_STORES = ['state', 'checkpoints'] as const;

/**
 * Replicas of a stateful agent need state every replica shares: a stateful agent with
 * `replicas` > 1 while `storage.state` or `storage.checkpoints` is SQLite (a file of one
 * process, or of one pod) would split its incidents between replicas that cannot see each
 * other's. Reported at the agent's `replicas`, naming the stores to move to PostgreSQL.
 */
export function replicaStateProblems(raw: unknown, map: SourceMap): ConfigProblem[] {
  const { problems, add } = collector(map);
  if (!isRecord(raw) || !Array.isArray(raw['agents'])) return problems;
  const storage = isRecord(raw['storage']) ? raw['storage'] : {};
  const local = STATE_STORES.filter((name) => {
    const store = storage[name];
    return !isRecord(store) || store['backend'] !== 'postgres';
  });
  if (local.length === 0) return problems;
  (raw['agents'] as unknown[]).forEach((agent, i) => {
    if (!isRecord(agent) || agent['stateful'] !== true) return;
    const replicas = agent['replicas'];
    if (typeof replicas !== 'number' || replicas <= 1) return;
    const name = typeof agent['name'] === 'string' ? agent['name'] : `agents[${i}]`;
    add(
      ['agents', i, 'replicas'],
      `agent "${name}" is stateful and asks for ${replicas} replicas, but ${local.map((s) => `storage.${s}`).join(' and ')} ${local.length > 1 ? 'are' : 'is'} SQLite (one process's file): its replicas would not share their state`,
      `set ${local.map((s) => `storage.${s}`).join(' and ')} to { backend: postgres, url: postgres://… }, or replicas: 1`,
    );
  });
  return problems;
}

/**
 * csi-driver-spiffe issues `spiffe://<td>/ns/<ns>/sa/<sa>` and nothing else, with the
 * lifetime the driver was installed with: a declaration choosing it must name its agents in
 * that form, and cannot ask for Certificate lifetimes the driver would not honour.
 */
export function identityProblems(raw: unknown, map: SourceMap): ConfigProblem[] {
  const { problems, add } = collector(map);
  if (!isRecord(raw)) return problems;
  const certificates = valueAt(raw, ['kubernetes', 'certificates']);
  if (!isRecord(certificates) || certificates['provider'] !== 'csi-driver-spiffe') return problems;
  const form = valueAt(raw, ['identity', 'spiffeIds']);
  if (form !== 'service-account') {
    add(
      ['kubernetes', 'certificates', 'provider'],
      `csi-driver-spiffe issues spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>, but identity.spiffeIds is ${form === undefined ? 'agent (the default)' : JSON.stringify(form)}: no agent would accept what the driver issues`,
      'set identity: { spiffeIds: service-account }',
    );
  }
  for (const field of ['duration', 'renewBefore'] as const) {
    if (certificates[field] !== undefined) {
      add(
        ['kubernetes', 'certificates', field],
        `csi-driver-spiffe requests every certificate for the duration it was installed with and renews it itself; ${field} applies to cert-manager Certificates only`,
        "remove it, or set the driver's app.certificateRequestDuration when installing it",
      );
    }
  }
  return problems;
}
