import { z } from 'zod';
import { DECISIONS } from '@vigil/policy';
import { analysisSchema, findingSchema } from '@vigil/soc';
import type { ApprovalRow, IncidentRow, RollupDigest } from '../incident-store.js';
import type { HumanDecision, IncidentSummary, ProposedAction, Review } from '../ports.js';

/**
 * The zod schemas of the operations API: request validation, response serialisation and
 * the generated OpenAPI document all come from these. Each response schema is checked
 * against the store's TypeScript type below, so the two cannot drift apart.
 */

/** Every error body: a stable `VIGIL_*` code and a message naming what and where. */
export const errorSchema = z
  .object({ code: z.string(), message: z.string() })
  .meta({ id: 'Error', description: 'A failed request: stable code and message.' });

export const incidentStatusSchema = z.enum(['open', 'awaiting-approval', 'closed', 'failed']);
export const approvalStatusSchema = z.enum(['pending', 'approved', 'rejected', 'expired']);

export const proposedActionSchema = z
  .object({
    // The catalogue is extendable: any action type the policy knows (`@vigil/policy`'s shape).
    type: z.string().min(1),
    target: z.record(z.string(), z.unknown()).readonly(),
    parameters: z.record(z.string(), z.unknown()).readonly(),
  })
  .meta({ id: 'ProposedAction' });

export const reviewSchema = z
  .object({
    decision: z.enum(DECISIONS),
    action: proposedActionSchema,
    verdict: z
      .string()
      .describe("Compact JWS signed by the reviewer, bound to the action's digest."),
    reasons: z.array(z.string()).readonly(),
    rules: z.array(z.string()).readonly().describe('The policy rules that fired.'),
    revision: z.string().describe('Policy bundle revision.'),
    confidence: z.number(),
    rounds: z.number().int().min(1).describe('Review rounds (a mutation is reviewed again).'),
  })
  .meta({ id: 'Review' });

export const humanDecisionSchema = z
  .object({
    decision: z.enum(['approve', 'reject', 'expired']),
    by: z.string().describe('`user:<id>` of the approver; `system` for expiry.'),
    reason: z.string(),
    editedAction: proposedActionSchema.optional(),
    approval: z.string().optional().describe("The approver's signed decision (compact JWS)."),
    at: z.number(),
  })
  .meta({ id: 'HumanDecision' });

export const approvalSchema = z
  .object({
    id: z.string().describe('`<incident>/<proposal>`: URL-encode it in paths.'),
    incidentId: z.string(),
    proposalId: z.string(),
    action: proposedActionSchema,
    actionDigest: z.string().describe('RFC 8785 (JCS) SHA-256 digest of the action, hex.'),
    review: reviewSchema,
    status: approvalStatusSchema,
    requestedAt: z.number(),
    expiresAt: z.number(),
    decision: humanDecisionSchema.optional(),
  })
  .meta({ id: 'Approval' });

export const rollupDigestSchema = z
  .object({
    storms: z.record(z.string(), z.number()).readonly(),
    count: z.number().describe('Findings rolled up into the incident (a storm is one row).'),
    firstAt: z.number(),
    lastAt: z.number(),
    maxScore: z.number(),
    entities: z.record(z.string(), z.number()).readonly(),
    latest: z.array(z.string()).readonly(),
  })
  .meta({ id: 'RollupDigest' });

export const incidentSchema = z
  .object({
    id: z.string(),
    status: incidentStatusSchema,
    title: z.string(),
    severity: z.string(),
    createdAt: z.number(),
    updatedAt: z.number(),
    findings: z.number(),
    lastError: z.string().optional(),
    rollup: rollupDigestSchema.optional(),
  })
  .meta({ id: 'Incident' });

const proposalSchema = z.object({
  id: z.string(),
  action: proposedActionSchema,
  blastRadius: z.record(z.string(), z.unknown()).readonly(),
  asset: z.record(z.string(), z.unknown()).readonly(),
  signature: z.string().optional(),
});

export const incidentSummarySchema = z
  .object({
    incidentId: z.string(),
    status: z.enum(['closed', 'awaiting-approval']),
    finding: findingSchema,
    analysis: analysisSchema,
    items: z
      .array(
        z.object({
          proposal: proposalSchema,
          review: reviewSchema.optional(),
          outcome: z.enum([
            'executed',
            'execution-failed',
            'denied-by-policy',
            'rejected-by-human',
            'approval-expired',
            'awaiting-approval',
          ]),
          detail: z.string().optional(),
        }),
      )
      .readonly(),
    skipped: z.array(z.object({ type: z.string(), reason: z.string() })).readonly(),
    degraded: z.array(z.string()).readonly(),
    correlation: z
      .object({
        findings: z.number(),
        signatures: z.array(z.string()).readonly(),
        rollup: rollupDigestSchema.optional(),
      })
      .optional(),
  })
  .meta({ id: 'IncidentSummary' });

export const decisionBodySchema = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(1, 'a reason is required')
      .max(2000)
      .describe('Why (mandatory; audited).'),
    approval: z
      .string()
      .min(1, 'the signed decision (compact JWS) is required')
      .describe(
        'Compact JWS signed by the deciding user over the RFC 8785 digest of the exact action (`vigil approvals` and the console sign it).',
      ),
    parameters: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Edited parameters (approve only); the edited action is reviewed again.'),
  })
  .meta({ id: 'DecisionBody' });

export const idParamsSchema = z.object({ id: z.string().min(1) });

// Compile-time agreement of the schemas with the store's types, so no type is kept twice
// by hand without a check: a line here fails to compile when the two drift apart.
/** True when a schema's output is assignable to `T` (compile-time agreement checks). */
export type Agrees<Schema extends z.ZodType, T> = z.output<Schema> extends T ? true : never;
export type Assert<T extends true> = T;
type _SchemasAgree = [
  Assert<Agrees<typeof proposedActionSchema, ProposedAction>>,
  Assert<Agrees<typeof reviewSchema, Review>>,
  Assert<Agrees<typeof humanDecisionSchema, HumanDecision>>,
  Assert<Agrees<typeof approvalSchema, ApprovalRow>>,
  Assert<Agrees<typeof rollupDigestSchema, RollupDigest>>,
  Assert<Agrees<typeof incidentSchema, IncidentRow>>,
  Assert<Agrees<typeof incidentSummarySchema, IncidentSummary>>,
];
