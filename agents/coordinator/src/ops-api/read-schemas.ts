import { z } from 'zod';
import type {
  AuditEntry,
  AuditProblem,
  ChainSummary,
  LeastAgency,
  TraceStep,
  TrendPoint,
} from '@vigil/audit';
import type { PolicyRule } from '@vigil/policy';
import type { PermissionRule } from '@vigil/registry';
import type { Agrees, Assert } from './schemas.js';

/**
 * The zod schemas of the read routes (agents, compliance, audit, policies, trace): the
 * routes serialise through them and the OpenAPI document, hence the console's types, is
 * generated from them. Each is checked against the harness type it carries (bottom of
 * the file), so a change there fails to compile here instead of drifting.
 */

const permissionRuleSchema = z.object({
  apiGroups: z.array(z.string()).readonly(),
  resources: z.array(z.string()).readonly(),
  verbs: z.array(z.string()).readonly(),
  resourceNames: z.array(z.string()).readonly().optional(),
  namespaces: z.array(z.string()).readonly().optional(),
  wildcard: z.object({ reason: z.string() }).optional(),
});

const certificateSchema = z.object({
  notAfter: z.string().describe('ISO 8601.'),
  fingerprintSha256: z.string(),
});

export const replicaViewSchema = z.object({
  replica: z.number().int(),
  state: z.enum(['starting', 'ready', 'unready', 'restarting', 'failed', 'stopped']),
  pid: z.number().int().nullable(),
  restarts: z.number().int(),
  startedAt: z.string().nullable(),
  readyAt: z.string().nullable(),
  memoryBytes: z
    .number()
    .nullable()
    .describe('RSS of the process, or the cgroup usage of its container; null when unknown.'),
  containerId: z.string().nullable(),
  certificate: certificateSchema.nullable().describe('The certificate this replica serves.'),
  lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).nullable(),
});

export const agentHealthSchema = z
  .enum(['healthy', 'degraded', 'down', 'unknown'])
  .describe(
    'healthy: every replica ready; degraded: some; down: none; unknown: no live supervisor report.',
  );

export const agentViewSchema = z
  .object({
    name: z.string(),
    role: z.string(),
    description: z.string(),
    spiffeId: z.string(),
    implementation: z.string(),
    replicas: z.number().int().describe('Declared replicas.'),
    stateful: z.boolean(),
    resources: z.object({ cpu: z.string(), memory: z.string(), memoryBytes: z.number() }),
    skills: z
      .array(z.object({ id: z.string(), name: z.string(), description: z.string() }))
      .readonly(),
    calls: z.array(z.string()).readonly().describe('Agents this one may call.'),
    callers: z.array(z.string()).readonly().describe('Agents that may call this one.'),
    permissions: z.object({
      rules: z.array(permissionRuleSchema).readonly(),
      tools: z.array(z.string()).readonly(),
    }),
    autonomy: z.object({ autoExecute: z.array(z.string()).readonly() }),
    health: agentHealthSchema,
    restarts: z.number().int().describe('Restarts of all replicas since `vigil up`.'),
    memoryBytes: z.number().nullable().describe('Sum over the running replicas; null if unknown.'),
    certificate: certificateSchema
      .nullable()
      .describe('The certificate on disk (what the next reload serves).'),
    instances: z.array(replicaViewSchema).readonly(),
  })
  .meta({
    id: 'AgentView',
    description:
      'One agent: its declaration (as `vigil registry`) and its live state (as `vigil status`).',
  });

export const agentsResponseSchema = z.object({
  system: z.object({ name: z.string(), namespace: z.string(), trustDomain: z.string() }),
  supervisor: z
    .object({
      pid: z.number().int(),
      state: z.enum(['starting', 'running', 'stopping', 'stopped']),
      alive: z.boolean(),
      startedAt: z.string(),
      updatedAt: z.string(),
      runtime: z.enum(['process', 'podman']),
    })
    .nullable()
    .describe('The supervisor report (`vigil status`); null when none was found.'),
  agents: z.array(agentViewSchema).readonly(),
});

export const trendPointSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    entries: z.number().int(),
    leastAgency: z.number().nullable(),
    usedShare: z.number().nullable(),
    fiveSignalCoverage: z.number().nullable(),
    mutationRate: z.number().nullable(),
    verdicts: z.object({ mutate: z.number(), deny: z.number(), escalate: z.number() }),
  })
  .meta({ id: 'TrendPoint', description: 'The metrics of one interval (null: not observed).' });

const leastAgencySchema = z.object({
  agentClass: z.string(),
  agents: z.array(z.string()).readonly(),
  granted: z.number(),
  autonomous: z.number(),
  ratio: z.number().nullable(),
  used: z.number(),
  usedShare: z.number().nullable(),
});

export const complianceSchema = z
  .object({
    window: z.object({ since: z.string(), until: z.string() }),
    entries: z.number().int().describe('Audit entries in the window.'),
    leastAgency: z.array(leastAgencySchema).readonly(),
    fiveSignal: z.object({
      agents: z
        .array(
          z.object({
            agent: z.string(),
            signals: z.object({
              identity: z.boolean(),
              execution: z.boolean(),
              intent: z.boolean(),
              communication: z.boolean(),
              health: z.boolean(),
            }),
            all: z.boolean(),
          }),
        )
        .readonly(),
      covered: z.number(),
      total: z.number(),
      coverage: z.number().nullable(),
    }),
    mutation: z.object({
      flagged: z.number(),
      mutate: z.number(),
      deny: z.number(),
      escalate: z.number(),
      rate: z.number().nullable(),
    }),
    trend: z.array(trendPointSchema).readonly(),
    funnel: z.object({
      events: z
        .number()
        .int()
        .nullable()
        .describe(
          'Events the detectors scored since they started (their live counters); null when none answered.',
        ),
      eventsSince: z.string().nullable().describe('When the earliest counting detector started.'),
      findings: z.number().int().describe('Finding entries of the window.'),
      incidents: z.number().int().describe('Incidents opened in the window.'),
    }),
  })
  .meta({
    id: 'Compliance',
    description:
      'The three compliance metrics of a window (as `vigil metrics`), their trend, and events in → findings → incidents.',
  });

export const auditEntrySchema = z
  .object({
    sequence: z.number().int(),
    chain: z.string(),
    chainSeq: z.number().int(),
    time: z.string(),
    traceId: z.string().nullable(),
    spanId: z.string().nullable(),
    incidentId: z.string().nullable(),
    actor: z.string(),
    kind: z.string(),
    what: z.record(z.string(), z.unknown()),
    why: z.record(z.string(), z.unknown()),
    inputDigest: z.string().nullable(),
    outputDigest: z.string().nullable(),
    prevHash: z.string(),
    hash: z.string().describe('The entry id: SHA-256 of its canonical sealed form.'),
  })
  .meta({ id: 'AuditEntry', description: 'One audit entry, as `vigil audit export` writes it.' });

const auditProblemSchema = z.object({
  code: z.string(),
  message: z.string(),
  chain: z.string().optional(),
  sequence: z.number().optional(),
  chainSeq: z.number().optional(),
  checkpointId: z.number().optional(),
  anchorSeq: z.number().optional(),
});

const chainSummarySchema = z.object({
  chain: z.string(),
  identity: z.string(),
  entries: z.number(),
  from: z.number().nullable(),
  to: z.number().nullable(),
  signedThrough: z.number(),
  unsignedTail: z.number(),
  closed: z.boolean(),
});

export const auditVerificationSchema = z
  .object({
    ok: z.boolean(),
    checkedAt: z.number().describe('When this verification ran (epoch ms).'),
    firstProblem: auditProblemSchema.nullable(),
    problems: z.array(auditProblemSchema).readonly(),
    entries: z.number().int(),
    checkpoints: z.number().int(),
    anchors: z.number().int(),
    chains: z.array(chainSummarySchema).readonly(),
    durationMs: z.number(),
  })
  .meta({
    id: 'AuditVerification',
    description: 'The latest `vigil audit verify` of the whole trail.',
  });

export const traceStepSchema = z.object({
  entry: auditEntrySchema,
  parentId: z.string().nullable(),
  depth: z.number().int(),
  offsetMs: z.number(),
  link: z.enum(['parent', 'inferred', 'root']),
  summary: z.string(),
});

export const traceSchema = z
  .object({
    id: z.string(),
    incidentIds: z.array(z.string()).readonly(),
    traceIds: z.array(z.string()).readonly(),
    startedAt: z.string(),
    durationMs: z.number(),
    entries: z.number().int(),
    steps: z
      .array(traceStepSchema)
      .readonly()
      .describe('The `vigil trace` tree as rows, depth first, each with its parent and depth.'),
  })
  .meta({ id: 'Trace', description: 'An incident’s decision chain rebuilt from the audit trail.' });

export const policyRuleSchema = z.object({
  id: z.string(),
  set: z.string(),
  file: z.string(),
  line: z.number().int(),
  definitions: z.number().int(),
  description: z.string(),
  testedBy: z.array(z.string()).readonly(),
  coverage: z
    .object({
      firedDefinitions: z.number().int(),
      notCoveredLines: z.array(z.number().int()).readonly(),
    })
    .nullable(),
});

export const policiesSchema = z
  .object({
    revision: z
      .string()
      .nullable()
      .describe('The bundle revision the reviewer loaded last (its policy-load entry).'),
    loadedAt: z.string().nullable(),
    backend: z.string().nullable(),
    bundle: z
      .string()
      .describe('The bundle directory (`policy.bundle`, as the registry resolved it).'),
    sourceDigest: z.string().describe('Digest of the Rego modules on disk now.'),
    tests: z
      .object({
        passed: z.number().int(),
        failed: z.number().int(),
        failures: z
          .array(z.object({ name: z.string(), location: z.string(), message: z.string() }))
          .readonly(),
        coveragePercent: z.number(),
      })
      .nullable()
      .describe('`opa test --coverage` of the bundle; null when it could not run.'),
    testError: z.string().nullable(),
    rules: z.array(policyRuleSchema).readonly(),
  })
  .meta({
    id: 'Policies',
    description: 'The policy bundle in force: revision, rules and their test coverage.',
  });

// Compile-time agreement with the harness types each schema carries.
type _SchemasAgree = [
  Assert<Agrees<typeof permissionRuleSchema, PermissionRule>>,
  Assert<Agrees<typeof leastAgencySchema, LeastAgency>>,
  Assert<Agrees<typeof trendPointSchema, TrendPoint>>,
  Assert<Agrees<typeof auditEntrySchema, Omit<AuditEntry, 'v' | 'kind' | 'what' | 'why'>>>,
  Assert<Agrees<typeof auditProblemSchema, Omit<AuditProblem, 'code'>>>,
  Assert<Agrees<typeof chainSummarySchema, ChainSummary>>,
  Assert<Agrees<typeof traceStepSchema, Omit<TraceStep, 'entry'>>>,
  Assert<Agrees<typeof policyRuleSchema, PolicyRule>>,
];
