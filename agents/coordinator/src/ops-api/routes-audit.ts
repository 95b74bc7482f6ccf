import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { reconstructTrace, traceSteps, type AuditEntry, type AuditStore } from '@vigil/audit';
import { spiffeIdOf, type AgentSystem } from '@vigil/registry';
import { SOC_AUDIT_VOCABULARY } from '@vigil/soc';
import { ApiError } from './errors.js';
import { readSources } from './read-access.js';
import { auditEntrySchema, auditVerificationSchema, traceSchema } from './read-schemas.js';
import { LatestVerification, type ReadSources } from './read-sources.js';
import { ERROR_RESPONSES } from './routes-core.js';
import { idParamsSchema } from './schemas.js';

/** Entries one page holds at most (and by default). */
export const AUDIT_PAGE_MAX = 500;
const AUDIT_PAGE_DEFAULT = 100;

const auditQuerySchema = z.object({
  incident: z.string().min(1).optional().describe('Entries of this incident (correlation id).'),
  trace: z
    .string()
    .regex(/^[0-9a-f]{32}$/, 'a W3C trace id is 32 lower-case hex digits')
    .optional(),
  agent: z
    .string()
    .min(1)
    .optional()
    .describe('An agent of the registry by name, or any actor as written (`user:ana`).'),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Entries stored before this sequence (the `next` of the previous page).'),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(AUDIT_PAGE_DEFAULT),
});

/** The actor an `agent` filter means: a declared agent's SPIFFE ID, or the text itself. */
function actorOf(system: AgentSystem, agent: string): string {
  return system.agents.some((a) => a.name === agent) ? spiffeIdOf(system, agent) : agent;
}

/**
 * The newest `limit` entries matching `filter` stored before `before`, newest first. The
 * store reads in sequence order, so the page is read from sequence windows going back
 * from `before`, each twice as wide as the last, until it is full or the log's start is
 * reached: a sparse filter costs a few indexed range reads, not a scan of the whole log.
 */
/**
 * An entry as the API answers it: the SOC calls the audit trail's correlation id the
 * incident (`incidentId`), whichever format version sealed the entry.
 */
function incidentEntry(e: AuditEntry): Omit<AuditEntry, 'correlationId'> & {
  incidentId: string | null;
} {
  const { correlationId, ...rest } = e;
  return { ...rest, incidentId: correlationId };
}

async function newestPage(
  audit: AuditStore,
  filter: Omit<Parameters<AuditStore['query']>[0] & object, 'fromSequence' | 'toSequence'>,
  before: number | undefined,
  limit: number,
): Promise<{ entries: AuditEntry[]; next: number | null }> {
  const bounds =
    (await audit.sequenceBounds?.()) ??
    (await audit
      .stats()
      .then((s) =>
        s.firstSequence === null ? undefined : { first: s.firstSequence, last: s.lastSequence! },
      ));
  if (bounds === undefined) return { entries: [], next: null };
  const out: AuditEntry[] = [];
  let hi = Math.min(before === undefined ? bounds.last : before - 1, bounds.last);
  let width = limit * 4;
  while (hi >= bounds.first && out.length < limit) {
    const lo = Math.max(bounds.first, hi - width + 1);
    const window: AuditEntry[] = [];
    for await (const e of audit.query({ ...filter, fromSequence: lo, toSequence: hi }))
      window.push(e);
    out.push(...window.reverse().slice(0, limit - out.length));
    hi = lo - 1;
    width *= 2;
  }
  const last = out.at(-1);
  return {
    entries: out,
    next:
      out.length === limit && last !== undefined && last.sequence > bounds.first
        ? last.sequence
        : null,
  };
}

/**
 * `GET /v1/audit` (search by incident, trace or agent, newest first, paged and capped),
 * `GET /v1/audit/verification` (the latest `vigil audit verify`) and
 * `GET /v1/incidents/{id}/trace` (the `vigil trace` decision chain, as rows).
 */
export function registerAuditRoutes(app: FastifyInstance, deps: () => ReadSources | undefined) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  let verification: LatestVerification | undefined;

  r.get(
    '/v1/audit',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Search the audit trail by incident, trace or agent (newest first, paged)',
        tags: ['audit'],
        querystring: auditQuerySchema,
        response: {
          200: z.object({
            entries: z.array(auditEntrySchema).readonly(),
            next: z
              .number()
              .int()
              .nullable()
              .describe('Pass as `before` for the next (older) page; null on the last.'),
          }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const { system, audit } = readSources(deps);
      const q = request.query;
      const page = await newestPage(
        audit,
        {
          correlationId: q.incident,
          traceId: q.trace,
          actor: q.agent === undefined ? undefined : actorOf(system, q.agent),
        },
        q.before,
        q.limit,
      );
      return { ...page, entries: page.entries.map(incidentEntry) };
    },
  );

  r.get(
    '/v1/audit/verification',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'The latest verification of the audit trail (run at most once a minute)',
        tags: ['audit'],
        response: { 200: auditVerificationSchema, ...ERROR_RESPONSES },
      },
    },
    async () => {
      const sources = readSources(deps);
      verification ??= new LatestVerification(sources, sources.verificationMaxAgeMs ?? 60_000);
      const { result, checkedAt } = await verification.get();
      return { ...result, firstProblem: result.firstProblem ?? null, checkedAt };
    },
  );

  r.get(
    '/v1/incidents/:id/trace',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'The incident’s decision chain rebuilt from the audit trail (`vigil trace`)',
        tags: ['incidents', 'audit'],
        params: idParamsSchema,
        response: { 200: traceSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { audit } = readSources(deps);
      if (request.params.id.length > 200)
        throw new ApiError('badRequest', 'id: longer than 200 characters');
      const trace = await reconstructTrace(audit, request.params.id, SOC_AUDIT_VOCABULARY);
      return {
        id: trace.id,
        incidentIds: trace.correlationIds,
        traceIds: trace.traceIds,
        startedAt: trace.startedAt,
        durationMs: trace.durationMs,
        entries: trace.entries,
        steps: traceSteps(trace).map((step) => ({ ...step, entry: incidentEntry(step.entry) })),
      };
    },
  );
}
