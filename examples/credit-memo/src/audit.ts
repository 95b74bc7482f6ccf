import {
  openAgentAuditWriter,
  type AgentAuditWriter,
  type AuditKind,
  type JsonObject,
} from '@vigil/audit';
import type { AgentContext } from '@vigil/runtime';

/**
 * The network's own audit kinds. Until the harness takes kinds registered by the agent
 * system (issue 15, part 2), each is recorded under the closest harness kind with the
 * credit kind in `what.creditKind`: this map is the whole bridge.
 */
export const CREDIT_AUDIT_KINDS = {
  'source-read': 'event-batch',
  'source-denied': 'verdict',
  figure: 'analysis',
  'memo-draft': 'proposal',
  'section-review': 'verdict',
  'compliance-check': 'verdict',
  'memo-approval-request': 'approval-request',
  'memo-approval': 'approval',
  'memo-release': 'execution',
} as const satisfies Record<string, AuditKind>;
export type CreditAuditKind = keyof typeof CREDIT_AUDIT_KINDS;

/** One step of a memo as an agent records it. */
export interface CreditStep {
  readonly kind: CreditAuditKind;
  readonly memoId: string;
  readonly traceId?: string | undefined;
  readonly what: JsonObject;
  /** `rationale` is what `vigil trace` prints for the step. */
  readonly why: JsonObject & { rationale: string };
  /** A user (`user:<id>`) when a person acted; default the agent. */
  readonly actor?: string;
}

/** An agent's audit chain for memo steps; the memo id is the correlation id. */
export interface CreditAudit {
  record(step: CreditStep): Promise<string>;
  close(): Promise<void>;
}

const TRACE_ID = /^[0-9a-f]{32}$/;

/** Opens the declared audit store with a chain signed by this agent's identity. */
export async function openCreditAudit(ctx: AgentContext): Promise<CreditAudit> {
  const audit: AgentAuditWriter = await openAgentAuditWriter({
    storage: ctx.system.storage.audit,
    stateDir: ctx.stateDir,
    identity: () => ctx.credentials(),
  });
  return {
    async record(step) {
      const entry = await audit.writer.append({
        kind: CREDIT_AUDIT_KINDS[step.kind],
        actor: step.actor ?? ctx.spiffeId,
        incidentId: step.memoId,
        traceId:
          step.traceId !== undefined && TRACE_ID.test(step.traceId) && !/^0+$/.test(step.traceId)
            ? step.traceId
            : undefined,
        what: { creditKind: step.kind, ...step.what },
        why: step.why,
      });
      return entry.hash;
    },
    close: () => audit.close(),
  };
}
