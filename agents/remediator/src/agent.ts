import { dirname } from 'node:path';
import { openAgentAuditWriter, type AgentAuditWriter } from '@vigil/audit';
import { digestOf, type DeepReadonly } from '@vigil/core';
import { spiffeIdOf } from '@vigil/registry';
import { implementSkill, type AgentContext, type AgentDefinition } from '@vigil/runtime';
import {
  type ExecutionRecord as SocExecutionRecord,
  SOC_AUDIT_VOCABULARY,
  SOC_SKILLS,
} from '@vigil/soc';
import { z } from 'zod';
import { RemediatorError, REMEDIATOR_ERROR_CODES } from './errors.js';
import type { Remediator } from './remediator.js';
import { exercisedGrants } from './permissions-used.js';
import { openRemediator } from './service.js';
import { parseRemediatorSettings } from './settings.js';
import { signProposals } from './signed-proposals.js';
import type { ExecutionRecord } from './store/execution-store.js';

/**
 * An execution record as `execute-action` answers it: without the undo memo (private to
 * this store), the executor's result checked to be JSON (it came from JSON storage or an
 * executor's JSON answer; anything else is a bug and fails here, not at the caller).
 */
function wireRecord({
  memo: _memo,
  result,
  ...record
}: ExecutionRecord): DeepReadonly<SocExecutionRecord> {
  return { ...record, ...(result === undefined ? {} : { result: jsonValue.parse(result) }) };
}

const jsonValue = z.json();

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
    skills: [
      implementSkill(SOC_SKILLS.proposeActions, async (request) => {
        const remediator = ready();
        const inventory = await remediator.currentInventory();
        if ('action' in request) {
          const a = await remediator.assess(request.action);
          const proposals = await signProposals(
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
          return { proposals, skipped: [] };
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
      }),
      implementSkill(SOC_SKILLS.executeAction, async (i) => {
        const { result } = await audit!.writer.recordStep(
          {
            kind: 'execution',
            actor: context!.spiffeId,
            ...(i.incidentId ? { correlationId: i.incidentId } : {}),
            what: {
              action: i.action,
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
          status: result.state === 'done' ? ('succeeded' as const) : ('failed' as const),
          detail: `${result.action.type} ${result.state} via ${result.executor}: ${result.plan.join('; ')}`,
          record: wireRecord(result),
        };
      }),
      implementSkill(SOC_SKILLS.undoAction, async ({ executionId }) =>
        ready().prepareUndo(executionId),
      ),
    ],
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
        reviewer: spiffeIdOf(ctx.system, settings.reviewer),
        state: ctx.system.storage.state,
        logger: ctx.logger,
      });
      state = opened;
      audit = await openAgentAuditWriter({
        storage: ctx.system.storage.audit,
        stateDir: ctx.stateDir,
        identity: () => ctx.credentials(),
        kinds: SOC_AUDIT_VOCABULARY.kinds,
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
