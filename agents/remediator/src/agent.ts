import { dirname } from 'node:path';
import type { AgentContext, AgentDefinition } from '@vigil/runtime';
import { analysisSchema, findingSchema, SKILLS } from '@vigil/soc';
import { z } from 'zod';
import { RemediatorError, REMEDIATOR_ERROR_CODES, formatProblems, problemsOf } from './errors.js';
import type { Remediator } from './remediator.js';
import { openRemediator } from './service.js';
import { parseRemediatorSettings } from './settings.js';

let state: { remediator: Remediator; close(): Promise<void> } | undefined;

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

function ready(): Remediator {
  if (!state)
    throw new RemediatorError(REMEDIATOR_ERROR_CODES.store, 'the remediator has not started');
  return state.remediator;
}

const executeInput = z
  .object({
    action: z.record(z.string(), z.unknown()),
    authorisation: z
      .object({ kind: z.enum(['verdict', 'approval']), jws: z.string().min(1) })
      .strict(),
    idempotencyKey: z.string().min(1).max(512).optional(),
    undoOf: z.string().uuid().optional(),
    reviewedBlastRadius: z.number().int().min(0).optional(),
  })
  .strict();

/**
 * The remediator agent (vigil.yaml `implementation: '@vigil/remediator'`). Skills:
 * `propose-actions` `{ finding, analysis }` → `{ proposals, skipped }`;
 * `execute-action` `{ action, authorisation, idempotencyKey?, undoOf?, reviewedBlastRadius? }` → the execution
 * record; `undo-action` `{ executionId }` → the inverse action to review (not executed).
 * At start it reconciles executions a crash left `pending`.
 */
export const agent: AgentDefinition = {
  skills: {
    [SKILLS.proposeActions]: async (input) => {
      const { finding, analysis } = parse(
        z.object({ finding: findingSchema, analysis: analysisSchema }),
        input,
        SKILLS.proposeActions,
      );
      return ready().propose(finding, analysis);
    },
    [SKILLS.executeAction]: async (input) => {
      const i = parse(executeInput, input, SKILLS.executeAction);
      return ready().execute(i.action, i.authorisation, {
        ...(i.idempotencyKey ? { idempotencyKey: i.idempotencyKey } : {}),
        ...(i.undoOf ? { undoOf: i.undoOf } : {}),
        ...(i.reviewedBlastRadius !== undefined
          ? { reviewedBlastRadius: i.reviewedBlastRadius }
          : {}),
      });
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
    const settings = parseRemediatorSettings(ctx.spec.settings, `agents.${ctx.spec.name}.settings`);
    const trustDomain = ctx.system.trustDomain;
    const opened = await openRemediator({
      settings,
      stateDir: ctx.stateDir,
      baseDir: process.env['VIGIL_CONFIG'] ? dirname(process.env['VIGIL_CONFIG']) : process.cwd(),
      caPem: ctx.credentials().ca,
      reviewer: `spiffe://${trustDomain}/agent/${settings.reviewer}`,
      logger: ctx.logger,
    });
    state = opened;
    const reconciled = await opened.remediator.reconcile();
    if (reconciled.length > 0) ctx.logger.warn({ reconciled }, 'reconciled interrupted executions');
  },
  async stop() {
    await state?.close();
    state = undefined;
  },
};
