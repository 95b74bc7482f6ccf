import {
  defineAuditVocabulary,
  describeAction,
  inline,
  openAgentAuditWriter,
  type AgentAuditWriter,
  type AuditEntry,
  type AuditKindDescriber,
  type AuditVocabulary,
  type JsonObject,
} from '@vigil/audit';
import type { AgentContext } from '@vigil/runtime';

/** `<what.decision> — <why.rationale>` (a review, a check, a denial), for `vigil trace`. */
function decided(e: AuditEntry): string {
  return [inline(e.what['decision']), inline(e.why['rationale'])].filter(Boolean).join(' — ');
}

/** What every credit step shows in `vigil trace`: its rationale. */
const rationale = (e: AuditEntry): string => inline(e.why['rationale']) ?? '';

/**
 * The credit-memo network's own audit kinds, registered with the harness: a source read
 * (or denied) starts the flow, figures come from the entries read, the drafter's memo,
 * the section reviews and the compliance check follow, then the relationship manager's
 * approval and the release. Each kind says how `vigil trace` prints it and whether it is
 * work an agent did (the execution signal of `vigil metrics`).
 */
const CREDIT_KINDS = {
  'source-read': {
    flowRank: 0,
    execution: true,
    summarize: (e) =>
      `${inline(e.what['count']) ?? '?'} entries of ${inline(e.what['source']) ?? 'a source'} — ${rationale(e)}`,
  },
  'source-denied': { flowRank: 0, execution: true, summarize: decided },
  figure: {
    flowRank: 10,
    execution: true,
    summarize: (e) =>
      `${inline(e.what['figureId'])} = ${inline(e.what['value'])}${e.what['unit'] !== undefined ? ` ${inline(e.what['unit'])}` : ''} — ${rationale(e)}`,
  },
  'memo-draft': {
    flowRank: 20,
    execution: true,
    summarize: (e) => `${describeAction(e.what['action'])} — ${rationale(e)}`,
  },
  'section-review': { flowRank: 30, execution: true, summarize: decided },
  'compliance-check': { flowRank: 30, execution: true, summarize: decided },
  'memo-approval-request': { flowRank: 40, summarize: rationale },
  'memo-approval': { flowRank: 50, summarize: decided },
  'memo-release': {
    flowRank: 60,
    execution: true,
    summarize: (e) => `${inline(e.what['result']) ?? 'release'} — ${rationale(e)}`,
  },
} as const satisfies Record<string, AuditKindDescriber>;

/** One of the network's audit kinds. */
export type CreditAuditKind = keyof typeof CREDIT_KINDS;

/** The network's audit vocabulary: its kinds beside the harness's; a memo id correlates. */
export const CREDIT_AUDIT_VOCABULARY: AuditVocabulary = defineAuditVocabulary({
  correlation: 'memo',
  kinds: CREDIT_KINDS,
});

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
    kinds: CREDIT_AUDIT_VOCABULARY.kinds,
  });
  return {
    async record(step) {
      const entry = await audit.writer.append({
        kind: step.kind,
        actor: step.actor ?? ctx.spiffeId,
        correlationId: step.memoId,
        traceId:
          step.traceId !== undefined && TRACE_ID.test(step.traceId) && !/^0+$/.test(step.traceId)
            ? step.traceId
            : undefined,
        what: step.what,
        why: step.why,
      });
      return entry.hash;
    },
    close: () => audit.close(),
  };
}
