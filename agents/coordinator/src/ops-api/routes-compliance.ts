import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { complianceFromEntries, complianceTrend, type AuditEntry } from '@vigil/audit';
import { spiffeIdOf } from '@vigil/registry';
import { SOC_AUDIT_VOCABULARY } from '@vigil/soc';
import type { IncidentRecords } from '../incident-records.js';
import { ApiError } from './errors.js';
import { scoredEvents } from './event-counters.js';
import { readSources } from './read-access.js';
import { complianceSchema } from './read-schemas.js';
import type { ReadSources } from './read-sources.js';
import { supervisorReport } from './routes-agents.js';
import { ERROR_RESPONSES } from './routes-core.js';

const DAY_MS = 86_400_000;
/** The longest window one request computes (every entry of it is read). */
const MAX_WINDOW_MS = 31 * DAY_MS;

/** Findings a `finding` entry stands for: a rolled-up storm counts each finding in it. */
function findingsOf(e: AuditEntry): number {
  const count = e.what['count'];
  return e.what['disposition'] === 'rolled-up' && typeof count === 'number' ? count : 1;
}

/**
 * `GET /v1/compliance[?from=&to=]`: `vigil metrics` over the window (least agency,
 * five-signal coverage, step mutation intervention rate — `complianceFromEntries`), its
 * trend in the report's buckets (`complianceTrend`), and the pre-filter's reduction:
 * events the detectors scored → findings → incidents. Without `from`, the window starts
 * at the trail's first entry, at most a day back, so a young system's chart is not one
 * point.
 */
export function registerComplianceRoutes(
  app: FastifyInstance,
  deps: () => { readonly reads?: ReadSources | undefined; readonly store: IncidentRecords },
): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/compliance',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Compliance metrics, their trend, the five-signal matrix and the reduction',
        tags: ['compliance'],
        querystring: z.object({
          from: z.iso.datetime({ offset: true }).optional().describe('Window start (ISO 8601).'),
          to: z.iso.datetime({ offset: true }).optional().describe('Window end, exclusive.'),
        }),
        response: { 200: complianceSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const sources = readSources(() => deps().reads);
      const { system, audit } = sources;
      const now = sources.now?.() ?? Date.now();
      const to = request.query.to === undefined ? now : Date.parse(request.query.to);
      let from: number;
      if (request.query.from !== undefined) from = Date.parse(request.query.from);
      else {
        const [first] = await collect(audit.query({ limit: 1, since: new Date(to - DAY_MS) }));
        from = first === undefined ? to - 60_000 : Math.min(Date.parse(first.time), to - 60_000);
      }
      if (from >= to)
        throw new ApiError(
          'badRequest',
          `from (${new Date(from).toISOString()}) must be before to`,
        );
      if (to - from > MAX_WINDOW_MS)
        throw new ApiError('badRequest', 'the window is longer than 31 days');
      const window = { from: new Date(from), to: new Date(to) };
      const entries = await collect(audit.query({ since: window.from, until: window.to }));
      const chainIdentity = new Map((await audit.chains()).map((c) => [c.chain, c.identity]));
      const options = {
        agents: system.agents,
        spiffeIdOf: (name: string) => spiffeIdOf(system, name),
        vocabulary: SOC_AUDIT_VOCABULARY,
      };
      const metrics = complianceFromEntries(
        entries,
        { ...options, since: window.from, until: window.to },
        chainIdentity,
      );
      const report = supervisorReport(sources.stateDir);
      const events = report?.alive ? await scoredEvents(system, report.status) : null;
      const incidents = (await deps().store.incidents()).filter(
        (i) => i.createdAt >= from && i.createdAt < to,
      ).length;
      return {
        window: metrics.window,
        entries: metrics.entries,
        leastAgency: metrics.leastAgency,
        fiveSignal: metrics.fiveSignal,
        mutation: metrics.mutation,
        trend: complianceTrend(entries, window, options, chainIdentity),
        funnel: {
          events: events?.events ?? null,
          eventsSince: events?.since ?? null,
          findings: entries
            .filter((e) => e.kind === 'finding')
            .reduce((n, e) => n + findingsOf(e), 0),
          incidents,
        },
      };
    },
  );
}

async function collect(entries: AsyncIterable<AuditEntry>): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of entries) out.push(e);
  return out;
}
