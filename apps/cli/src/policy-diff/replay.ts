import { canonicalJson } from '@vigil/core';
import type { AuditEntry } from '@vigil/audit';
import {
  reviewAction,
  type Decision,
  type PolicyEngine,
  type ProposedAction,
  type ReviewOptions,
  type Verdict,
} from '@vigil/policy';

/** A verdict entry of the audit trail whose policy input was recorded, ready to replay. */
export interface RecordedDecision {
  /** The verdict entry's id (its hash). */
  readonly entryId: string;
  readonly time: string;
  readonly incidentId: string | null;
  readonly proposalId: string | null;
  /** What the reviewer decided when the entry was written, under `revision`. */
  readonly decision: string;
  readonly revision: string | null;
  /** The exact first-round policy input (`what.policyInput`). */
  readonly input: Record<string, unknown>;
}

/** One side of a replayed decision. */
export interface ReplayedSide {
  readonly decision: Decision;
  readonly rules: readonly string[];
  readonly reasons: readonly string[];
  readonly mutatedAction?: ProposedAction | undefined;
}

/** A recorded decision that the two bundles decide differently. */
export interface DecisionChange {
  readonly entryId: string;
  readonly time: string;
  readonly incidentId: string | null;
  readonly proposalId: string | null;
  readonly action: ProposedAction;
  readonly recorded: { readonly decision: string; readonly revision: string | null };
  readonly a: ReplayedSide;
  readonly b: ReplayedSide;
  /** `allow → escalate`; `mutate → mutate` when only the rewrite differs. */
  readonly transition: string;
}

export interface PolicyDiff {
  readonly revisions: { readonly a: string; readonly b: string };
  /** Verdict entries replayed through both bundles. */
  readonly replayed: number;
  /** Verdict entries without a recorded input (written before inputs were recorded). */
  readonly notReplayable: number;
  /** Decisions that stay the same but with a different set of rules firing. */
  readonly sameDecisionOtherRules: number;
  readonly changes: readonly DecisionChange[];
  /** Count of each transition, e.g. `{ "allow → escalate": 3 }`. */
  readonly transitions: Readonly<Record<string, number>>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The replayable decision of a verdict entry, or undefined when the entry recorded no
 * policy input (entries written before the reviewer recorded it).
 */
export function recordedDecisionOf(entry: AuditEntry): RecordedDecision | undefined {
  if (entry.kind !== 'verdict') return undefined;
  const input = entry.what['policyInput'];
  if (!isObject(input)) return undefined;
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    entryId: entry.hash,
    time: entry.time,
    incidentId: entry.correlationId,
    proposalId: text(entry.what['proposalId']),
    decision: text(entry.what['decision']) ?? 'unknown',
    revision: text(entry.why['revision']),
    input,
  };
}

function sideOf(verdict: Verdict): ReplayedSide {
  return {
    decision: verdict.decision,
    rules: verdict.rules,
    reasons: verdict.reasons,
    ...(verdict.mutatedAction === undefined ? {} : { mutatedAction: verdict.mutatedAction }),
  };
}

function sameRules(a: readonly string[], b: readonly string[]): boolean {
  return canonicalJson([...a].sort()) === canonicalJson([...b].sort());
}

/**
 * Replays every recorded decision through bundle `a` and bundle `b` (the full bounded
 * mutate-and-review loop of the reviewer, with the recorded time, so time-dependent rules
 * decide as they would have) and lists the decisions they make differently: another
 * decision, or for two mutations another rewritten action. Evaluation failures fail
 * closed on each side exactly as in the reviewer, and show as such a change.
 */
export async function diffPolicies(
  entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>,
  engines: { readonly a: PolicyEngine; readonly b: PolicyEngine },
  options: ReviewOptions,
): Promise<PolicyDiff> {
  let replayed = 0;
  let notReplayable = 0;
  let sameDecisionOtherRules = 0;
  const changes: DecisionChange[] = [];
  const transitions: Record<string, number> = {};
  for await (const entry of entries) {
    if (entry.kind !== 'verdict') continue;
    const recorded = recordedDecisionOf(entry);
    if (recorded === undefined) {
      notReplayable++;
      continue;
    }
    replayed++;
    const a = await reviewAction(engines.a, recorded.input, options);
    const b = await reviewAction(engines.b, recorded.input, options);
    const rewriteDiffers =
      a.decision === 'mutate' &&
      b.decision === 'mutate' &&
      canonicalJson(a.mutatedAction) !== canonicalJson(b.mutatedAction);
    if (a.decision === b.decision && !rewriteDiffers) {
      if (!sameRules(a.rules, b.rules)) sameDecisionOtherRules++;
      continue;
    }
    const transition = `${a.decision} → ${b.decision}`;
    transitions[transition] = (transitions[transition] ?? 0) + 1;
    changes.push({
      entryId: recorded.entryId,
      time: recorded.time,
      incidentId: recorded.incidentId,
      proposalId: recorded.proposalId,
      action: a.action,
      recorded: { decision: recorded.decision, revision: recorded.revision },
      a: sideOf(a),
      b: sideOf(b),
      transition,
    });
  }
  return {
    revisions: { a: engines.a.revision, b: engines.b.revision },
    replayed,
    notReplayable,
    sameDecisionOtherRules,
    changes,
    transitions,
  };
}

/** `production/checkout-7d9f-abcde`: the target's namespace, then its other scalar fields. */
function targetOf(action: ProposedAction): string {
  const { namespace, ...rest } = action.target;
  const names = Object.values(rest)
    .filter((v) => typeof v === 'string' || typeof v === 'number')
    .join(',');
  return typeof namespace === 'string' ? `${namespace}/${names}` : names;
}

/** The human table of a diff: one row per changed decision, rules of each side under it. */
export function renderPolicyDiff(diff: PolicyDiff): string {
  const lines = [
    `bundle a ${diff.revisions.a}`,
    `bundle b ${diff.revisions.b}`,
    `${diff.replayed} recorded decisions replayed, ${diff.changes.length} would change` +
      (diff.notReplayable > 0 ? ` (${diff.notReplayable} without a recorded input skipped)` : '') +
      (diff.sameDecisionOtherRules > 0
        ? `; ${diff.sameDecisionOtherRules} keep their decision with other rules firing`
        : ''),
  ];
  if (diff.changes.length === 0) return lines.join('\n');
  lines.push(
    ...Object.entries(diff.transitions).map(([t, n]) => `  ${t}: ${n}`),
    '',
    `${'TIME'.padEnd(24)}  ${'INCIDENT'.padEnd(24)}  ${'ACTION'.padEnd(40)}  CHANGE`,
  );
  for (const c of diff.changes) {
    const action = `${c.action.type} ${targetOf(c.action)}`;
    lines.push(
      `${c.time.padEnd(24)}  ${(c.incidentId ?? '-').padEnd(24)}  ${action.padEnd(40)}  ${c.transition}`,
      `${''.padEnd(28)}a: ${c.a.rules.join(', ') || '(no rule)'}`,
      `${''.padEnd(28)}b: ${c.b.rules.join(', ') || '(no rule)'}`,
    );
  }
  return lines.join('\n');
}
