/**
 * The `vigil.yaml` schema, `apiVersion: vigil.dev/v1alpha1`, `kind: AgentSystem`.
 *
 * One zod schema, strict everywhere (unknown keys are errors), with every default filled
 * in on parse so the rest of Vigil never guesses. Cross-references between agents (calls
 * to unknown agents, duplicates, self-calls, cycles) are checked by `validate.ts`, which
 * works on the raw document so that they are reported together with the schema problems.
 * docs/registry.md is the field-by-field reference; keep it in step with this file.
 */
import { z } from 'zod';
import { kubernetesSchema } from './kubernetes-schema.js';
import { parseCpuQuantity, parseMemoryQuantity } from './quantity.js';
import { closestMatch } from './suggest.js';

/** The only `apiVersion` this release reads. */
export const API_VERSION = 'vigil.dev/v1alpha1';
/** The only `kind` this release reads. */
export const KIND = 'AgentSystem';

/** A problem found by a field check: the message and, optionally, a hint such as a did-you-mean. */
export interface FieldProblem {
  readonly message: string;
  readonly hint?: string;
}

type Check<T> = (value: T) => FieldProblem | undefined;

/**
 * Refinement options that run a cross-field check even when other fields of the object
 * failed, so that one pass reports everything — but only when the value is at least an
 * object. Such checks must tolerate wrongly typed fields.
 */
const ALWAYS = {
  when: (payload: { value: unknown }) =>
    typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
} as const;
/** {@link ALWAYS} for checks over a list. */
const ALWAYS_LIST = {
  when: (payload: { value: unknown }) => Array.isArray(payload.value),
} as const;

/** A string schema whose value must pass `check`; the hint travels in the issue's params. */
function checkedString(check: Check<string>) {
  return z.string().superRefine((value, ctx) => {
    const problem = check(value);
    if (problem !== undefined) {
      ctx.addIssue({ code: 'custom', message: problem.message, params: { hint: problem.hint } });
    }
  });
}

/** Arrays whose entries must be unique; each repeat is reported at its own index. */
function uniqueArray<T extends z.ZodType>(element: T, describe: (value: unknown) => string) {
  return z.array(element).superRefine((values, ctx) => {
    const seen = new Set<string>();
    values.forEach((value, index) => {
      const key = JSON.stringify(value);
      if (seen.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: `${describe(value)} is listed twice`,
        });
      }
      seen.add(key);
    });
  }, ALWAYS_LIST);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Why `value` is not a DNS-1123 label (RFC 1123, as Kubernetes names require): 1–63
 * lowercase letters, digits and `-`, starting and ending with a letter or digit.
 */
export function dnsLabelProblem(value: string): FieldProblem | undefined {
  if (value.length === 0) return { message: 'must not be empty' };
  if (value.length > 63) {
    return {
      message: `"${value}" is ${value.length} characters long; a DNS-1123 label has at most 63`,
    };
  }
  if (DNS_LABEL.test(value)) return undefined;
  const fixed = value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return {
    message: `"${value}" is not a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)`,
    hint: fixed.length > 0 && fixed.length <= 63 ? `did you mean "${fixed}"?` : undefined,
  };
}

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;

/**
 * Why `value` is not a SPIFFE trust domain name (SPIFFE-ID standard §2.1: lowercase
 * letters, digits, `.`, `-` and `_`; no scheme, port or path; at most 255 characters).
 */
export function trustDomainProblem(value: string): FieldProblem | undefined {
  if (value.startsWith('spiffe://')) {
    return {
      message: `"${value}" includes the spiffe:// scheme; write the trust domain name only`,
      hint: `did you mean "${value.slice('spiffe://'.length).replace(/\/.*$/, '')}"?`,
    };
  }
  if (value.length === 0) return { message: 'must not be empty' };
  if (value.length > 255) return { message: `is ${value.length} characters long; at most 255` };
  if (TRUST_DOMAIN.test(value)) return undefined;
  const lowered = value.toLowerCase();
  return {
    message: `"${value}" is not a SPIFFE trust domain (only lowercase letters, digits, ".", "-" and "_")`,
    hint: TRUST_DOMAIN.test(lowered) ? `did you mean "${lowered}"?` : undefined,
  };
}

const SKILL_ID = /^[a-z][a-z0-9]*(?:[-._][a-z0-9]+)*$/;
const PACKAGE_SPECIFIER =
  /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*(?:\/[A-Za-z0-9._~-]+)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

/** Kubernetes RBAC verbs (k8s.io/api/rbac/v1 PolicyRule). */
export const RBAC_VERBS: readonly string[] = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'impersonate',
  'bind',
  'escalate',
  'use',
  'approve',
  'sign',
  '*',
];

const dnsLabel = checkedString(dnsLabelProblem);

const envName = checkedString((value) =>
  ENV_NAME.test(value)
    ? undefined
    : { message: `"${value}" is not an environment variable name (letters, digits and "_")` },
);

function httpUrl(schemes: readonly string[] = ['http:', 'https:']) {
  return checkedString((value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return { message: 'is not a URL' };
    }
    if (!schemes.includes(url.protocol)) {
      return { message: `must be an ${schemes.map((s) => s.slice(0, -1)).join(' or ')} URL` };
    }
    return undefined;
  });
}

const emailAddress = checkedString((value) =>
  EMAIL.test(value) ? undefined : { message: `"${value}" is not an email address` },
);

const skill = z
  .strictObject({
    /** Stable skill id: what callers put in `vigil.dev/skill`. */
    id: checkedString((value) =>
      SKILL_ID.test(value)
        ? undefined
        : {
            message: `"${value}" is not a skill id (lowercase words joined by "-", "." or "_", e.g. handle-finding)`,
          },
    ),
    /** Display name on the agent card; defaults to the id. */
    name: z.string().min(1).optional(),
    description: z.string().default(''),
    tags: uniqueArray(z.string().min(1), (v) => `tag ${JSON.stringify(v)}`).default([]),
  })
  .transform((s) => ({ id: s.id, name: s.name ?? s.id, description: s.description, tags: s.tags }));

/** A quantity field (YAML may give a number): checked by `parse`, kept as written. */
function quantity(parse: typeof parseCpuQuantity) {
  return z.union([z.string(), z.number()]).superRefine((value, ctx) => {
    const parsed = parse(value);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.message, params: { hint: parsed.hint } });
    }
  });
}

const resources = z
  .strictObject({
    cpu: quantity(parseCpuQuantity).default('250m'),
    memory: quantity(parseMemoryQuantity).default('128Mi'),
  })
  .transform((r) => {
    // Only reached when both fields passed their checks above.
    const cpu = parseCpuQuantity(r.cpu);
    const memory = parseMemoryQuantity(r.memory);
    return {
      cpu: String(r.cpu),
      memory: String(r.memory),
      /** `memory` in bytes: the supervisor's heap and rlimit, the Deployment's limit. */
      memoryBytes: memory.ok ? memory.value : 0,
      /** `cpu` in millicores. */
      cpuMillis: cpu.ok ? cpu.value : 0,
    };
  });

const restartPolicy = z
  .strictObject({
    policy: z.enum(['always', 'on-failure', 'never']).default('always'),
    initialBackoffMs: z.number().int().min(0).default(1000),
    maxBackoffMs: z.number().int().min(0).default(30_000),
    crashLoop: z
      .strictObject({
        restarts: z.number().int().min(1).default(5),
        windowSeconds: z.number().int().min(1).default(60),
      })
      .prefault({}),
  })
  .superRefine((r, ctx) => {
    if (
      typeof r.maxBackoffMs === 'number' &&
      typeof r.initialBackoffMs === 'number' &&
      r.maxBackoffMs < r.initialBackoffMs
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxBackoffMs'],
        message: `must be at least initialBackoffMs (${r.initialBackoffMs})`,
      });
    }
  }, ALWAYS);

const rbacVerb = checkedString((value) => {
  if (RBAC_VERBS.includes(value)) return undefined;
  const match = closestMatch(value, RBAC_VERBS);
  return {
    message: `"${value}" is not a Kubernetes RBAC verb`,
    hint: match === undefined ? undefined : `did you mean "${match}"?`,
  };
});

/** True when an RBAC `apiGroups`, `resources` or `verbs` entry is a wildcard (`*`, or a pattern such as `*` + `/scale`). */
export function isRbacWildcard(value: string): boolean {
  return value.includes('*');
}

const WILDCARD_FIELDS = ['apiGroups', 'resources', 'verbs'] as const;
const WILDCARD_MEANING: Readonly<Record<(typeof WILDCARD_FIELDS)[number], string>> = {
  apiGroups: 'every API group',
  resources: 'every resource',
  verbs: 'every verb',
};

const policyRule = z
  .strictObject({
    /** API groups; `""` is the core group, `"*"` every group. */
    apiGroups: uniqueArray(z.string(), (v) => `API group ${JSON.stringify(v)}`).min(1),
    /** Resources, with subresources as `deployments/scale`. */
    resources: uniqueArray(z.string().min(1), (v) => `resource ${JSON.stringify(v)}`).min(1),
    verbs: uniqueArray(rbacVerb, (v) => `verb ${JSON.stringify(v)}`).min(1),
    /** Optional allow-list of object names (RBAC `resourceNames`). */
    resourceNames: uniqueArray(z.string().min(1), (v) => `name ${JSON.stringify(v)}`).optional(),
    /**
     * Required when the rule has a wildcard (`*` in apiGroups, resources or verbs): a
     * wildcard grants what nobody enumerated, so it must be meant, and say why.
     */
    /**
     * Where namespaced resources are granted on Kubernetes: these namespaces, or `["*"]` for
     * every namespace; the system's own namespace when omitted.
     */
    namespaces: uniqueArray(
      z.string().refine((v) => v === '*' || dnsLabelProblem(v) === undefined, {
        message: 'must be a namespace name (DNS-1123 label) or "*"',
      }),
      (v) => `namespace ${JSON.stringify(v)}`,
    )
      .min(1)
      .optional(),
    wildcard: z
      .strictObject({ reason: z.string().trim().min(1) })
      .optional()
      .describe(
        'Required with a "*" in apiGroups, resources or verbs: { reason: why it is meant }',
      ),
  })
  .superRefine((rule, ctx) => {
    let wildcards = 0;
    for (const field of WILDCARD_FIELDS) {
      const list: unknown = rule[field];
      if (!Array.isArray(list)) continue; // the field's own check reports it
      list.forEach((value: unknown, index) => {
        if (typeof value !== 'string' || !isRbacWildcard(value)) return;
        wildcards++;
        if (rule.wildcard !== undefined) return;
        ctx.addIssue({
          code: 'custom',
          path: [field, index],
          message: `${JSON.stringify(value)} is a wildcard (${value === '*' ? WILDCARD_MEANING[field] : 'a pattern'}, including any added later): list what the agent needs`,
          params: {
            hint: 'or, if the wildcard is meant, say why in the rule: wildcard: { reason: "…" }',
          },
        });
      });
    }
    if (wildcards === 0 && rule.wildcard !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['wildcard'],
        message: 'the rule has no wildcard in apiGroups, resources or verbs: remove "wildcard"',
      });
    }
  }, ALWAYS);

/**
 * One action of the system's catalogue: what its agents can do to the world. The
 * harness knows no action vocabulary; `autonomy.autoExecute` may name only these.
 */
const actionSpec = z.strictObject({
  /** Stable action type, as proposals and policies name it (e.g. `isolate-pod`). */
  type: checkedString((value) =>
    SKILL_ID.test(value)
      ? undefined
      : {
          message: `"${value}" is not an action type (lowercase words joined by "-", "." or "_", e.g. isolate-pod)`,
        },
  ),
  description: z.string().default(''),
});

const agent = z
  .strictObject({
    name: dnsLabel.describe(
      'DNS-1123 label, unique; the SPIFFE ID path, process and Kubernetes names',
    ),
    role: z.string().trim().min(1).describe('One line: what the agent is for'),
    description: z.string().default('').describe('The A2A agent card description'),
    implementation: checkedString((value) =>
      PACKAGE_SPECIFIER.test(value)
        ? undefined
        : {
            message: `"${value}" is not a package name (the workspace package that exports \`agent\`, e.g. "@vigil/echo")`,
          },
    ).describe('Package exporting `agent: AgentDefinition`, e.g. @vigil/echo'),
    skills: z.array(skill).default([]).describe('Skills; the A2A agent card skills'),
    replicas: z.number().int().min(1).max(64).default(1).describe('Processes or pods'),
    stateful: z
      .boolean()
      .default(false)
      .describe(
        'Keeps state of its own in storage.state and storage.checkpoints: replicas > 1 need both on backend postgres (shared by every replica)',
      ),
    resources: resources.prefault({}).describe('Kubernetes quantities: cpu (250m), memory (128Mi)'),
    restartPolicy: restartPolicy
      .prefault({})
      .describe('Restart with back-off; crash-loop detection'),
    /** Agents this one may call; checked against the other agents by validate.ts. */
    calls: z
      .array(z.string())
      .default([])
      .describe('Agents this one may call (mTLS allow-list); the call graph must be acyclic'),
    permissions: z
      .strictObject({
        rules: z.array(policyRule).default([]),
        tools: uniqueArray(z.string().min(1), (v) => `tool ${JSON.stringify(v)}`).default([]),
      })
      .prefault({})
      .describe('Kubernetes RBAC rules and named tools granted to the agent'),
    autonomy: z
      .strictObject({
        autoExecute: uniqueArray(
          z.string().min(1),
          (v) => `action type ${JSON.stringify(v)}`,
        ).default([]),
      })
      .prefault({})
      .describe('autoExecute: action types that may run on a policy allow without a human'),
    settings: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('Agent-specific settings, validated by the agent at start-up'),
    a2a: z
      .strictObject({
        /** Skill that a message without `vigil.dev/skill` metadata calls (any A2A client). */
        defaultSkill: z.string().min(1).optional(),
        /** A2A versions served; "0.3" turns on the SDK's v0.3 compatibility layer. */
        protocolVersions: uniqueArray(
          z.enum(['1.0', '0.3']),
          (v) => `protocol version ${JSON.stringify(v)}`,
        )
          .refine((versions) => versions.includes('1.0'), {
            message: 'protocolVersions must include "1.0" (Vigil agents speak A2A 1.0)',
          })
          .default(['1.0']),
      })
      .prefault({})
      .describe(
        'A2A edge: defaultSkill (called by messages that name none; default: the only skill) and protocolVersions (["1.0"]; add "0.3" for v0.3 peers)',
      ),
  })
  .superRefine((a, ctx) => {
    const defaultSkill = (a.a2a as { defaultSkill?: unknown } | undefined)?.defaultSkill;
    if (
      typeof defaultSkill === 'string' &&
      Array.isArray(a.skills) &&
      !a.skills.some((s: { id?: unknown } | undefined) => s?.id === defaultSkill)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['a2a', 'defaultSkill'],
        message: `default skill "${defaultSkill}" is not one of the agent's skills (${a.skills.map((s: { id?: unknown } | undefined) => String(s?.id)).join(', ') || 'none'})`,
      });
    }
    const seen = new Set<string>();
    if (!Array.isArray(a.skills)) return;
    a.skills.forEach((s: { id?: unknown } | undefined, index) => {
      if (typeof s?.id !== 'string') return;
      if (seen.has(s.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['skills', index, 'id'],
          message: `duplicate skill id "${s.id}"`,
        });
      }
      seen.add(s.id);
    });
  }, ALWAYS);

const store = z
  .strictObject({
    backend: z.enum(['sqlite', 'postgres']).default('sqlite'),
    url: z.string().optional(),
  })
  .superRefine((s, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['url'], message });
    if (s.backend === 'postgres' && s.url === undefined) {
      issue('is required with backend postgres (postgres://user@host:5432/database)');
    }
    if (s.backend === 'sqlite' && s.url !== undefined) {
      issue('applies only to backend postgres; SQLite files live in the state directory');
    }
    if (typeof s.url !== 'string') return;
    let url: URL;
    try {
      url = new URL(s.url);
    } catch {
      issue('is not a URL (postgres://user@host:5432/database)');
      return;
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      issue('must be a postgres:// or postgresql:// URL');
    }
    if (url.password !== '') {
      // Never echo the URL: it holds a secret.
      issue('must not contain a password; set PGPASSWORD or use a .pgpass file instead');
    }
  }, ALWAYS);

const escalation = z
  .strictObject({
    confidenceThreshold: z.number().min(0).max(1).default(0.6),
    maxBlastRadius: z.number().int().min(0).default(10),
    alwaysEscalate: z
      .strictObject({
        namespaces: uniqueArray(dnsLabel, (v) => `namespace ${JSON.stringify(v)}`).default([]),
        kinds: uniqueArray(z.string().min(1), (v) => `kind ${JSON.stringify(v)}`).default([]),
        labels: z
          .array(
            z
              .record(z.string().min(1), z.string())
              .refine(
                (r) => Object.keys(r).length > 0,
                'a label selector needs at least one label',
              ),
          )
          .default([]),
      })
      .prefault({}),
  })
  .prefault({});

const policy = z
  .strictObject({
    engine: z.enum(['wasm', 'server']).default('wasm'),
    serverUrl: httpUrl().optional(),
    bundle: z.string().min(1).default('policies'),
    failClosed: z.enum(['deny', 'escalate']).default('deny'),
    verdictTtlSeconds: z.number().int().min(1).max(86_400).default(300),
    maxReviewRounds: z.number().int().min(1).max(10).default(2),
    escalation,
    approvals: z.strictObject({ ttlSeconds: z.number().int().min(1).default(3600) }).prefault({}),
    /** Policy-specific data passed through to the policy (`data.vigil.config.settings`). */
    settings: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((p, ctx) => {
    if (p.engine === 'server' && p.serverUrl === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['serverUrl'],
        message: 'is required with engine server (e.g. http://127.0.0.1:8181)',
      });
    }
    if (p.engine === 'wasm' && p.serverUrl !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['serverUrl'],
        message: 'applies only to engine server',
      });
    }
  }, ALWAYS);

const model = z
  .strictObject({
    provider: z.enum(['offline', 'openai', 'anthropic']).default('offline'),
    baseUrl: httpUrl().optional(),
    model: z.string().min(1).optional(),
    apiKeyEnv: envName.optional(),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  })
  .superRefine((m, ctx) => {
    if ((m.provider === 'openai' || m.provider === 'anthropic') && m.model === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['model'],
        message: `is required with provider ${m.provider}`,
      });
    }
    if (m.provider === 'anthropic' && m.apiKeyEnv === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiKeyEnv'],
        message: 'is required with provider anthropic (the name of the variable holding the key)',
      });
    }
  }, ALWAYS);

const rateLimit = z.strictObject({
  perMinute: z.number().int().min(1).default(30),
  burst: z.number().int().min(1).default(10),
});

const channelName = { name: dnsLabel, rateLimit: rateLimit.optional() };

const webhookChannel = z.strictObject({
  ...channelName,
  type: z.literal('webhook'),
  url: httpUrl(),
  /** Env var holding the HMAC-SHA256 key that signs each delivery (always signed). */
  secretEnv: envName,
});

const slackChannel = z
  .strictObject({
    ...channelName,
    type: z.literal('slack'),
    url: httpUrl().optional(),
    /** Slack webhook URLs are secrets: prefer naming the variable that holds one. */
    urlEnv: envName.optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.url === undefined) === (c.urlEnv === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'set exactly one of url and urlEnv' });
    }
  }, ALWAYS);

const emailChannel = z.strictObject({
  ...channelName,
  type: z.literal('email'),
  smtp: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535).default(587),
    /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
    secure: z.boolean().default(false),
    userEnv: envName.optional(),
    passwordEnv: envName.optional(),
  }),
  from: emailAddress,
  to: uniqueArray(emailAddress, (v) => `recipient ${JSON.stringify(v)}`).min(1),
});

const pagerdutyChannel = z.strictObject({
  ...channelName,
  type: z.literal('pagerduty'),
  /** The Events API v2 endpoint. */
  url: httpUrl(),
  routingKeyEnv: envName,
});

const notificationChannel = z.discriminatedUnion('type', [
  webhookChannel,
  slackChannel,
  emailChannel,
  pagerdutyChannel,
]);

const notifications = z
  .strictObject({
    channels: z
      .array(notificationChannel)
      .default([])
      .superRefine((channels, ctx) => {
        const seen = new Set<string>();
        channels.forEach((c: { name?: unknown } | undefined, index) => {
          if (typeof c?.name !== 'string') return;
          if (seen.has(c.name)) {
            ctx.addIssue({
              code: 'custom',
              path: [index, 'name'],
              message: `duplicate channel name "${c.name}"`,
            });
          }
          seen.add(c.name);
        });
      }, ALWAYS_LIST),
    retry: z
      .strictObject({
        maxAttempts: z.number().int().min(1).max(20).default(5),
        initialBackoffMs: z.number().int().min(0).default(500),
        maxBackoffMs: z.number().int().min(0).default(30_000),
      })
      .prefault({}),
    rateLimit: rateLimit.prefault({}),
    /**
     * Flood control that never drops: notifications alike (same kind and group) within
     * `similarWindowSeconds` of one sent, or beyond a channel's rate limit, are held back
     * and summarised; held-back summaries are sent every `intervalSeconds` when allowed.
     */
    summaries: z
      .strictObject({
        similarWindowSeconds: z.number().int().min(0).max(86_400).default(300),
        intervalSeconds: z.number().int().min(1).max(3_600).default(10),
      })
      .prefault({}),
    dedupWindowSeconds: z.number().int().min(0).default(600),
    linkBaseUrl: httpUrl().optional(),
  })
  .prefault({});

/**
 * The forms of an agent's SPIFFE ID path: `agent` (`/agent/<name>`, Vigil's own) and
 * `service-account` (`/ns/<namespace>/sa/<name>`, what csi-driver-spiffe issues).
 */
export const SPIFFE_ID_FORMS = ['agent', 'service-account'] as const;
/** One of {@link SPIFFE_ID_FORMS}. */
export type SpiffeIdForm = (typeof SPIFFE_ID_FORMS)[number];

/**
 * The AgentSystem schema. Parsing fills every default; the output is what
 * {@link AgentSystem} describes. Use `parseAgentSystem` rather than this directly: it adds
 * YAML line numbers, the cross-reference checks and deep-freezing.
 */
export const AgentSystemSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: z.strictObject({
    name: dnsLabel.describe('Name of the system (DNS-1123 label)'),
    namespace: dnsLabel.default('vigil').describe('Kubernetes namespace for `vigil k8s render`'),
  }),
  trustDomain: checkedString(trustDomainProblem).describe(
    'SPIFFE trust domain; identities are spiffe://<trustDomain>/agent/<name> (see identity)',
  ),
  identity: z
    .strictObject({
      spiffeIds: z
        .enum(SPIFFE_ID_FORMS)
        .default('agent')
        .describe(
          "The path of every agent's SPIFFE ID, here and on Kubernetes: agent → /agent/<name>; " +
            'service-account → /ns/<metadata.namespace>/sa/<name>, the form csi-driver-spiffe ' +
            "issues from the pod's ServiceAccount (each agent runs as the ServiceAccount of its name)",
        ),
    })
    .prefault({})
    .describe('How agents are named in certificates'),
  agents: z.array(agent).min(1).describe('The agents of the system'),
  vocabulary: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Module of the system's harness vocabulary (a package specifier, or a path relative to this file): " +
        'it exports `auditVocabulary` (audit kinds and their describers) and `policyContext` (the schema of the policy input context)',
    ),
  actions: z
    .array(actionSpec)
    .default([])
    .describe('The action catalogue: the action types agents may propose and autoExecute'),
  storage: z
    .strictObject({
      audit: store.prefault({}),
      checkpoints: store.prefault({}),
      /** Stateful agents' own records (incidents, approvals, executions, leases). */
      state: store.prefault({}),
    })
    .prefault({}),
  policy: policy.prefault({}),
  model: model.prefault({}),
  notifications,
  audit: z
    .strictObject({
      retentionDays: z.number().int().min(1).default(90),
      checkpointEvery: z.number().int().min(1).default(1000),
    })
    .prefault({}),
  telemetry: z.strictObject({ otlpEndpoint: httpUrl().optional() }).prefault({}),
  kubernetes: kubernetesSchema.describe('What `vigil k8s render` needs beyond the agents'),
});

/** Recursively read-only: the loader deep-freezes what it returns. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** A validated, defaulted, deep-frozen AgentSystem declaration. */
export type AgentSystem = DeepReadonly<z.output<typeof AgentSystemSchema>>;
/** What may be written in `vigil.yaml` (before defaults). */
export type AgentSystemInput = z.input<typeof AgentSystemSchema>;
/** One agent of the system. */
export type AgentSpec = AgentSystem['agents'][number];
/** One skill of an agent (becomes an A2A `AgentSkill`). */
export type AgentSkill = AgentSpec['skills'][number];
/** One Kubernetes RBAC rule granted to an agent. */
export type PermissionRule = AgentSpec['permissions']['rules'][number];
/** One action of the system's catalogue (top-level `actions`). */
export type ActionSpec = AgentSystem['actions'][number];
/** An agent's restart policy under the supervisor. */
export type RestartPolicy = AgentSpec['restartPolicy'];
/** An agent's resources, with `memoryBytes` and `cpuMillis` derived. */
export type AgentResources = AgentSpec['resources'];
/** Storage settings of one store (audit or checkpoints). */
export type StoreConfig = AgentSystem['storage']['audit'];
/** Policy settings. */
export type PolicyConfig = AgentSystem['policy'];
/** The `kubernetes:` section, defaults filled. */
export type KubernetesConfig = AgentSystem['kubernetes'];
/** Model settings. */
export type ModelConfig = AgentSystem['model'];
/** Notification settings. */
export type NotificationsConfig = AgentSystem['notifications'];
/** One notification channel, discriminated by `type`. */
export type NotificationChannel = NotificationsConfig['channels'][number];
/** A webhook channel. */
export type WebhookChannel = Extract<NotificationChannel, { type: 'webhook' }>;
/** A Slack incoming-webhook channel. */
export type SlackChannel = Extract<NotificationChannel, { type: 'slack' }>;
/** An email (SMTP) channel. */
export type EmailChannel = Extract<NotificationChannel, { type: 'email' }>;
/** A PagerDuty Events v2 channel. */
export type PagerDutyChannel = Extract<NotificationChannel, { type: 'pagerduty' }>;

/**
 * The JSON Schema (draft 2020-12) of what may be written in `vigil.yaml`, for editors
 * (`# yaml-language-server: $schema=…`). Checks that JSON Schema cannot express (quantities,
 * cross-references, cycles) are only enforced by the loader.
 */
export function agentSystemJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(AgentSystemSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://vigil.dev/schemas/agent-system/v1alpha1.json',
    title: 'Vigil AgentSystem (vigil.dev/v1alpha1)',
  };
}
