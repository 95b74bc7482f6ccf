import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Coordinator } from '../coordinator.js';
import type { IncidentRecords } from '../incident-records.js';
import { userOf } from './access.js';
import { ApiError } from './errors.js';
import {
  approvalSchema,
  approvalStatusSchema,
  decisionBodySchema,
  errorSchema,
  idParamsSchema,
  incidentSchema,
  incidentStatusSchema,
  incidentSummarySchema,
} from './schemas.js';

/** What the incident and approval routes read and call. */
export interface CoreRouteDeps {
  readonly coordinator: Pick<Coordinator, 'decide' | 'summary'>;
  readonly store: IncidentRecords;
}

const errors = Object.fromEntries(
  [400, 401, 403, 404, 409, 410, 429, 503].map((status) => [status, errorSchema]),
) as Record<400 | 401 | 403 | 404 | 409 | 410 | 429 | 503, typeof errorSchema>;

/** The error responses every authenticated route documents. */
export const ERROR_RESPONSES = errors;

/**
 * `/v1/incidents` and `/v1/approvals`: what the CLI (`vigil approvals`) and the console
 * read, and the signed human decisions. Approval ids contain a slash
 * (`<incident>/<proposal>`): clients URL-encode them (`%2F`).
 */
export function registerCoreRoutes(app: FastifyInstance, deps: () => CoreRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/incidents',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'List incidents',
        tags: ['incidents'],
        querystring: z.object({ status: incidentStatusSchema.optional() }),
        response: { 200: z.object({ incidents: z.array(incidentSchema) }), ...errors },
      },
    },
    async (request) => ({
      incidents: await deps().store.incidents(
        request.query.status ? { status: request.query.status } : {},
      ),
    }),
  );

  r.get(
    '/v1/incidents/:id',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'One incident with its graph summary and approvals',
        tags: ['incidents'],
        params: idParamsSchema,
        response: {
          200: z.object({
            incident: incidentSchema,
            summary: incidentSummarySchema.nullable(),
            approvals: z.array(approvalSchema),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { store, coordinator } = deps();
      const incident = await store.incident(request.params.id);
      if (!incident) throw new ApiError('incidentNotFound', `no incident "${request.params.id}"`);
      return {
        incident,
        summary: (await coordinator.summary(incident.id)) ?? null,
        approvals: await store.approvals({ incidentId: incident.id }),
      };
    },
  );

  r.get(
    '/v1/approvals',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'List approval requests',
        tags: ['approvals'],
        querystring: z.object({ status: approvalStatusSchema.optional() }),
        response: { 200: z.object({ approvals: z.array(approvalSchema) }), ...errors },
      },
    },
    async (request) => ({
      approvals: await deps().store.approvals(
        request.query.status ? { status: request.query.status } : {},
      ),
    }),
  );

  r.get(
    '/v1/approvals/:id',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'One approval request',
        tags: ['approvals'],
        params: idParamsSchema,
        response: { 200: z.object({ approval: approvalSchema }), ...errors },
      },
    },
    async (request) => {
      const approval = await deps().store.approval(request.params.id);
      if (!approval)
        throw new ApiError('approvalNotFound', `no approval request "${request.params.id}"`);
      return { approval };
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    r.post(
      `/v1/approvals/:id/${decision}`,
      {
        config: { access: 'analyst', forbidden: 'approvalForbidden' },
        schema: {
          summary: `${decision === 'approve' ? 'Approve' : 'Reject'} an escalated action (analyst or admin), signed by the person`,
          tags: ['approvals'],
          params: idParamsSchema,
          body: decisionBodySchema,
          response: { 200: z.object({ approval: approvalSchema }), ...errors },
        },
      },
      async (request) => {
        const user = userOf(request);
        const approval = await deps().coordinator.decide(request.params.id, {
          decision,
          by: `user:${user.id}`,
          reason: request.body.reason,
          approval: request.body.approval,
          ...(request.body.parameters ? { parameters: request.body.parameters } : {}),
        });
        return { approval };
      },
    );
  }
}
