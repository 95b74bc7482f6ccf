import { dirname } from 'node:path';
import { openAgentAuditWriter, type AgentAuditWriter } from '@vigil/audit';
import { digestOf } from '@vigil/core';
import type { AgentContext, AgentDefinition } from '@vigil/runtime';
import { analysisSchema, findingSchema, SKILLS } from '@vigil/soc';
import { z } from 'zod';
import { RemediatorError, REMEDIATOR_ERROR_CODES, formatProblems, problemsOf } from './errors.js';
import type { Remediator } from './remediator.js';
import { exercisedGrants } from './permissions-used.js';
import { openRemediator } from './service.js';
import { parseRemediatorSettings } from './settings.js';
import { signProposals } from './signed-proposals.js';

function parse<T>(schema: z.ZodType<T>, input: unknown, skill: string): T {
  const r = schema.safeParse(input);
  if (!r.success) {
    const problems = problemsOf(r.error.issues, 'input');
    throw new RemediatorError(
      REMEDIATOR_ERROR_CODES.invalid,
      `${skill}: ${formatProblems(problems)}`,
      {
        details: { problems },
      },
    );
  }
  return r.data;
}

const proposeInput = z.union([
  z
    .object({ incidentId: z.string().min(1), finding: findingSchema, analysis: analysisSchema })
    .strict(),
  /** Re-assessment of one (edited) action, e.g. after an approver changed its parameters. */
  z
    .object({
      incidentId: z.string().min(1),
      proposalId: z.string().min(1),
      action: z.record(z.string(), z.unknown()),
    })
    .strict(),
]);

const executeInput = z
  .object({
    incidentId: z.string().min(1).optional(),
    action: z.record(z.string(), z.unknown()),
    authorisation: z
      .object({ kind: z.enum(['verdict', 'approval']), jws: z.string().min(1) })
      .strict(),
    idempotencyKey: z.string().min(1).max(512).optional(),
    undoOf: z.string().uuid().optional(),
    /** The blast radius `total` the reviewer saw; more now → not executed (review again). */
    reviewedBlastRadius: z.number().int().min(0).optional(),
  })
  .strict();

/**
 * The remediator agent (vigil.yaml `implementation: '@vigil/remediator'`). Skills:
 * `propose-actions` `{ incidentId, finding, analysis }` (or `{ incidentId, proposalId,
 * action }` to re-assess one edited action) → `{ proposals, skipped }`, each proposal
 * signed by this agent over its action, target asset and blast radius;
 * `execute-action` `{ incidentId?, action, authorisation, idempotencyKey?, undoOf?,
 * reviewedBlastRadius? }` →
 * `{ executionId, status, detail, record }`, audited as intent before acting and outcome
 * after; `undo-action` `{ executionId }` → the inverse action to review (not executed).
 * At start it reconciles executions a crash left `pending`.
 */
export function createRemediatorAgent(): AgentDefinition {
  let state: { remediator: Remediator; close(): Promise<void> } | undefined;
  let audit: AgentAuditWriter | undefined;
  let context: AgentContext | undefined;
  const ready = (): Remediator => {
    if (!state)
      throw new RemediatorError(REMEDIATOR_ERROR_CODES.store, 'the remediator has not started');
    return state.remediator;
  };
  return {
    skills: {
      [SKILLS.proposeActions]: async (input) => {
        const request = parse(proposeInput, input, SKILLS.proposeActions);
        const remediator = ready();
        const inventory = await remediator.currentInventory();
        if ('action' in request) {
          const a = await remediator.assess(request.action);
          const [proposal] = await signProposals(
            request.incidentId,
            [
              {
                id: request.proposalId,
                action: a.action,
                blastRadius: a.blastRadius,
                reversible: a.reversible,
                basis: 'edited by an approver',
              },
            ],
            inventory,
            context!.credentials(),
          );
          return { proposals: [proposal], skipped: [] };
        }
        const set = await remediator.propose(request.finding, request.analysis);
        return {
          proposals: await signProposals(
            request.incidentId,
            set.proposals,
            inventory,
            context!.credentials(),
          ),
          skipped: set.skipped,
        };
      },
      [SKILLS.executeAction]: async (input) => {
        const i = parse(executeInput, input, SKILLS.executeAction);
        const { result } = await audit!.writer.recordStep(
          {
            kind: 'execution',
            actor: context!.spiffeId,
            ...(i.incidentId ? { incidentId: i.incidentId } : {}),
            what: {
              action: i.action as never,
              authorisation: i.authorisation.kind,
              idempotencyKey: i.idempotencyKey ?? null,
            },
            why: {
              rationale: `authorised by a signed ${i.authorisation.kind}`,
              ...(i.undoOf ? { undoOf: i.undoOf } : {}),
            },
            inputDigest: digestOf(i.action),
          },
          () =>
            ready().execute(i.action, i.authorisation, {
              ...(i.idempotencyKey ? { idempotencyKey: i.idempotencyKey } : {}),
              ...(i.undoOf ? { undoOf: i.undoOf } : {}),
              ...(i.reviewedBlastRadius !== undefined
                ? { reviewedBlastRadius: i.reviewedBlastRadius }
                : {}),
            }),
          (record) => ({
            what: {
              executionId: record.id,
              state: record.state,
              executor: record.executor,
              plan: [...record.plan],
              ...exercisedGrants(record),
            },
            outputDigest: digestOf(record.result ?? null),
          }),
        );
        return {
          executionId: result.id,
          status: result.state === 'done' ? 'succeeded' : 'failed',
          detail: `${result.action.type} ${result.state} via ${result.executor}: ${result.plan.join('; ')}`,
          record: result,
        };
      },
      [SKILLS.undoAction]: async (input) => {
        const { executionId } = parse(
          z.object({ executionId: z.string().min(1) }).strict(),
          input,
          SKILLS.undoAction,
        );
        return ready().prepareUndo(executionId);
      },
    },
    async start(ctx: AgentContext) {
      context = ctx;
      const settings = parseRemediatorSettings(
        ctx.spec.settings,
        `agents.${ctx.spec.name}.settings`,
      );
      const opened = await openRemediator({
        settings,
        stateDir: ctx.stateDir,
        baseDir: process.env['VIGIL_CONFIG'] ? dirname(process.env['VIGIL_CONFIG']) : process.cwd(),
        caPem: ctx.credentials().ca,
        reviewer: `spiffe://${ctx.system.trustDomain}/agent/${settings.reviewer}`,
        state: ctx.system.storage.state,
        logger: ctx.logger,
      });
      state = opened;
      audit = await openAgentAuditWriter({
        storage: ctx.system.storage.audit,
        stateDir: ctx.stateDir,
        identity: () => ctx.credentials(),
      });
      const reconciled = await opened.remediator.reconcile();
      if (reconciled.length > 0)
        ctx.logger.warn({ reconciled }, 'reconciled interrupted executions');
    },
    async stop() {
      await state?.close();
      await audit?.close();
      state = undefined;
    },
  };
}

export const agent: AgentDefinition = createRemediatorAgent();
