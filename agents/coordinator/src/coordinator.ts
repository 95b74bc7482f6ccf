import { randomUUID } from 'node:crypto';
import { Command, type BaseCheckpointSaver } from '@langchain/langgraph';
import { isVigilError, VigilError, type Logger } from '@vigil/core';
import {
  maxSeverity,
  severityOfEvent,
  type Analysis,
  type DetectionEvidence,
  type Finding,
  type Severity,
} from '@vigil/soc';
import { withAuditedSpan } from '@vigil/telemetry';
import {
  Correlator,
  DEFAULT_CORRELATION,
  type Assignment,
  type CorrelationSettings,
} from './correlator.js';
import {
  buildIncidentGraph,
  summarise,
  type ApprovalResume,
  type IncidentStateValue,
} from './incident-graph.js';
import { createLocalOwnership, type IncidentOwnership } from './incident-leases.js';
import type { IncidentRecords } from './incident-records.js';
import type { ApprovalRow, RollupItem } from './incident-store.js';
import type { IncidentPorts, IncidentSummary, ProposedAction } from './ports.js';
import { RollupBatcher } from './rollup-batch.js';
import { signatureOf } from './storm-key.js';

export interface CoordinatorOptions {
  readonly ports: IncidentPorts;
  readonly store: IncidentRecords;
  /**
   * Which incidents this replica drives (default: all of them, one process). With
   * replicas, PostgreSQL leases; pass the checkpointer fenced by the same ownership
   * (`fencedCheckpointer`).
   */
  readonly ownership?: IncidentOwnership;
  readonly checkpointer: BaseCheckpointSaver;
  readonly approvalTtlMs: number;
  readonly verifyApproval: ApprovalVerifier;
  readonly correlation?: CorrelationSettings;
  /** Graph runs in flight at once; further runs queue. */
  readonly concurrency?: number;
  /**
   * Runs waiting for a slot at most (default 256): beyond it `handleFinding` refuses with
   * `VIGIL_COORDINATOR_BUSY` before recording anything, and the sender retries later.
   */
  readonly maxQueuedRuns?: number;
  /**
   * Aggregation window: an incident's graph starts once no finding has joined it for
   * `settleMs`, and at the latest `maxWaitMs` after it opened, so its analysis sees the
   * burst of related findings (a shell, then the miner it starts). Default 0 (at once).
   */
  readonly aggregation?: { readonly settleMs: number; readonly maxWaitMs: number };
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** A human's decision as the approvals API receives it. */
export interface ApprovalInput {
  readonly decision: 'approve' | 'reject';
  /** `user:<id>` of an authenticated analyst or admin. */
  readonly by: string;
  readonly reason: string;
  /** Edited parameters; the edited action is reviewed again before anything runs. */
  readonly parameters?: Record<string, unknown>;
  /**
   * The decision signed by the human (`signApproval` of `@vigil/policy`) over the exact
   * action decided on — the edited one when parameters changed. Required.
   */
  readonly approval: string;
}

/**
 * Checks a signed human decision: signature chained to the trust bundle, signer = the
 * authenticated user `by` with a role that may decide, bound to exactly `action`, not
 * expired, and saying `decision`. Throws a coded error otherwise.
 */
export type ApprovalVerifier = (
  approval: string,
  expected: { action: ProposedAction; by: string; decision: 'approve' | 'reject' },
) => Promise<void>;

/**
 * Runs incidents: correlates each finding into an incident, drives the incident's
 * graph run (one LangGraph thread per incident), resumes in-flight incidents after a
 * restart, and turns human decisions (or expiry, which rejects: fail safe) into graph
 * resumptions. Graph runs are serialised per incident and bounded overall.
 */
export class Coordinator {
  readonly graph: ReturnType<typeof buildIncidentGraph>;
  private readonly correlator: Correlator;
  private readonly now: () => number;
  private readonly running = new Map<string, Promise<void>>();
  private readonly aggregating = new Map<string, Aggregation>();
  /** Findings correlated into an incident and not yet recorded, per incident: its analysis waits for them. */
  private readonly recording = new Map<string, number>();
  private readonly queue: (() => Promise<void>)[] = [];
  private active = 0;
  private readonly rollups = new RollupBatcher((items) => this.writeRollups(items));
  private readonly ownership: IncidentOwnership;
  /** Incidents whose approval resume is scheduled here and has not started yet. */
  private readonly resumeQueued = new Set<string>();

  constructor(private readonly options: CoordinatorOptions) {
    this.now = options.now ?? Date.now;
    this.ownership = options.ownership ?? createLocalOwnership();
    // Approval requests are persisted here, before the graph pauses, so the approvals
    // API sees them even if the process dies right after the interrupt.
    const ports: IncidentPorts = {
      ...options.ports,
      // An incident's analysis covers every finding correlated into it before the
      // analysis ran (e.g. the shell in a pod and the miner it started), most anomalous first.
      analyse: async (finding, ctx) => {
        const findings = await options.store.findings(ctx.incidentId, MAX_FINDINGS_ANALYSED);
        if (findings.length <= 1) return options.ports.analyse(finding, ctx);
        const analyses: Analysis[] = [];
        for (const f of findings) analyses.push(await options.ports.analyse(f, ctx));
        return mergeAnalyses(analyses);
      },
      // Responses target the most anomalous finding that names a workload (the miner's
      // pod rather than the API call that preceded it), else the incident's first.
      propose: async (finding, analysis, ctx) => {
        const target =
          (await options.store.findings(ctx.incidentId, MAX_FINDINGS_ANALYSED)).find(
            (f) => f.entities.workload,
          ) ?? finding;
        return options.ports.propose(target, analysis, ctx);
      },
      // The notifier summarises notifications alike (one storm's incidents, say): it is
      // told what the incident covers and which signatures fired, so news unlike the
      // flood is never summarised with it.
      notify: async (summary, ctx) => {
        const incident = await options.store.incident(ctx.incidentId);
        const signatures = (
          await options.store.findings(ctx.incidentId, MAX_FINDINGS_ANALYSED)
        ).map(signatureOf);
        return options.ports.notify(
          {
            ...summary,
            correlation: {
              findings: incident?.findings ?? 1,
              signatures: [...new Set(signatures)].sort(),
              ...(incident?.rollup ? { rollup: incident.rollup } : {}),
            },
          },
          ctx,
        );
      },
      requestApprovals: async (requests, ctx) => {
        await options.store.addApprovals(requests, this.now(), options.approvalTtlMs);
        await options.ports.requestApprovals(requests, ctx);
      },
    };
    this.graph = buildIncidentGraph(ports, options.checkpointer);
    this.correlator = new Correlator(
      options.correlation,
      () => `inc-${randomUUID().slice(0, 8)}`,
      this.now,
    );
  }

  /** Accepts a finding: opens or joins an incident, rolls it up into its storm's, or rate-limits it. Returns at once; the graph runs in the background. */
  async handleFinding(finding: Finding): Promise<Assignment> {
    const seenIn = await this.options.store.incidentOfFinding(finding.id);
    if (seenIn !== undefined) return { kind: 'duplicate', incidentId: seenIn };
    const maxQueued = this.options.maxQueuedRuns ?? 256;
    if (this.queue.length >= maxQueued)
      throw new VigilError(
        'VIGIL_COORDINATOR_BUSY',
        `${this.queue.length} incident runs are waiting for a slot (at most ${maxQueued}): finding ${finding.id} was not recorded; retry later`,
      );
    const assignment = this.correlator.assign(finding);
    const at = this.now();
    if (assignment.kind === 'rate-limited') {
      this.options.logger?.warn(
        { findingId: finding.id, entity: assignment.entity },
        'finding rate-limited',
      );
      await this.options.ports.record(
        'finding',
        {
          findingId: finding.id,
          disposition: 'rate-limited',
          entity: assignment.entity,
          score: finding.score,
        },
        {
          rationale: `more findings about ${assignment.entity} than the per-entity rate limit allows`,
        },
        { incidentId: 'rate-limited' },
      );
      return assignment;
    }
    if (assignment.kind === 'rolled-up') {
      await this.rollups.add({
        incidentId: assignment.incidentId,
        stormKey: assignment.stormKey,
        finding,
        at,
      });
      return assignment;
    }
    const incidentId = assignment.incidentId;
    this.recording.set(incidentId, (this.recording.get(incidentId) ?? 0) + 1);
    try {
      const duplicateOf = await this.recordFinding(finding, assignment, at);
      if (duplicateOf !== undefined) return { kind: 'duplicate', incidentId: duplicateOf };
    } finally {
      this.recorded(incidentId);
    }
    return assignment;
  }

  /**
   * A storm's repeats, a batch at a time: one audit entry per incident naming every
   * finding id rolled up, then one store transaction that counts and digests them all.
   */
  private async writeRollups(items: readonly RollupItem[]): Promise<void> {
    const byIncident = new Map<string, RollupItem[]>();
    for (const item of items) {
      const group = byIncident.get(item.incidentId) ?? [];
      group.push(item);
      byIncident.set(item.incidentId, group);
    }
    for (const [incidentId, group] of byIncident)
      await this.options.ports.record(
        'finding',
        {
          disposition: 'rolled-up',
          count: group.length,
          findingIds: group.map((i) => i.finding.id),
          stormKeys: [...new Set(group.map((i) => i.stormKey))],
          maxScore: Math.max(...group.map((i) => i.finding.score)),
        },
        {
          rationale:
            'same rule or technique on the same entity class as a finding of this incident, within the rollup window: counted in it, not a new incident',
        },
        { incidentId },
      );
    await this.options.store.recordRollups(items);
  }

  /**
   * Audits and stores a finding of a new or joined incident. A new incident is leased to
   * this replica before its row exists, so no other replica ever sees it unowned. Returns
   * the incident that already holds the finding when another replica recorded it first.
   */
  private async recordFinding(
    finding: Finding,
    assignment: Extract<Assignment, { kind: 'new' | 'joined' }>,
    at: number,
  ): Promise<string | undefined> {
    if (assignment.kind === 'new' && !(await this.ownership.claim(assignment.incidentId))) {
      this.correlator.forget(assignment.incidentId);
      throw new VigilError(
        'VIGIL_COORDINATOR_LEASE_LOST',
        `incident ${assignment.incidentId} is held by another replica; finding ${finding.id} was not recorded, retry`,
      );
    }
    await this.options.ports.record(
      'finding',
      {
        findingId: finding.id,
        disposition: assignment.kind,
        score: finding.score,
        eventId: finding.event.id,
        entities: assignment.entities,
      },
      {
        rationale:
          assignment.kind === 'joined'
            ? 'shares an entity with an open incident within the correlation window'
            : 'anomalous event with no open incident for its entities',
      },
      { incidentId: assignment.incidentId },
    );
    // Whichever of an incident's first findings is recorded first opens it: audit appends
    // of concurrent findings may complete out of order.
    const joins = (await this.options.store.incident(assignment.incidentId)) !== undefined;
    const duplicateOf = await this.options.store.recordFinding(
      assignment.incidentId,
      finding,
      at,
      joins
        ? undefined
        : {
            title: `${finding.event.activity} (score ${finding.score.toFixed(2)})`,
            severity: 'unknown',
          },
    );
    if (typeof duplicateOf === 'string') {
      // Recorded by another replica (a redelivery that reached it first): undo this
      // replica's claim on the incident it was about to open.
      if (!joins) {
        this.correlator.forget(assignment.incidentId);
        await this.ownership.release(assignment.incidentId);
      }
      return duplicateOf;
    }
    if (joins) this.extendAggregation(assignment.incidentId);
    else this.startAggregation(assignment.incidentId, finding);
    return undefined;
  }

  /** A finding of the incident is recorded (or failed to be): an analysis it held back may start. */
  private recorded(incidentId: string): void {
    const left = (this.recording.get(incidentId) ?? 1) - 1;
    if (left > 0) {
      this.recording.set(incidentId, left);
      return;
    }
    this.recording.delete(incidentId);
    const pending = this.aggregating.get(incidentId);
    if (pending?.due) pending.fire();
  }

  private startAggregation(incidentId: string, finding: Finding): void {
    const { settleMs, maxWaitMs } = this.options.aggregation ?? { settleMs: 0, maxWaitMs: 0 };
    const aggregation: Aggregation = {
      timer: setTimeout(() => aggregation.fire(), settleMs),
      deadline: Date.now() + maxWaitMs,
      due: false,
      fire: () => {
        if (this.aggregating.get(incidentId) !== aggregation) return;
        // A finding correlated into it is still being recorded: the window ends when it is.
        if (this.recording.has(incidentId)) {
          aggregation.due = true;
          return;
        }
        clearTimeout(aggregation.timer);
        this.aggregating.delete(incidentId);
        // The analysis is about to read the incident's findings: later evidence about its
        // entities opens a new incident with an analysis of its own, instead of joining one
        // whose analysis will never see it.
        this.correlator.forget(incidentId);
        this.schedule(incidentId, { incidentId, finding });
      },
    };
    this.aggregating.set(incidentId, aggregation);
  }

  private extendAggregation(incidentId: string): void {
    const pending = this.aggregating.get(incidentId);
    if (!pending) return;
    clearTimeout(pending.timer);
    const settleMs = this.options.aggregation?.settleMs ?? 0;
    pending.timer = setTimeout(
      pending.fire,
      Math.max(0, Math.min(settleMs, pending.deadline - Date.now())),
    );
  }

  /**
   * Resumes, from their last checkpoint, every incident a previous process left open or
   * whose last run failed (not those waiting for a human) — those this replica can lease:
   * with replicas, a live replica's incidents stay with it.
   */
  async resumeInFlight(): Promise<string[]> {
    // Storms outlive their incidents' runs: their repeats keep rolling up after a restart.
    this.correlator.restoreStorms(
      await this.options.store.storms(
        (this.options.correlation ?? DEFAULT_CORRELATION).maxEntities,
      ),
    );
    const open = [
      ...(await this.options.store.incidents({ status: 'open' })),
      ...(await this.options.store.incidents({ status: 'failed' })),
    ].map((i) => i.id);
    return this.adopt(open);
  }

  /**
   * Takes over the incidents whose owner stopped renewing its lease (killed, partitioned)
   * and resumes each from its last checkpoint. Run it periodically on every replica;
   * returns the incidents taken over.
   */
  async adoptOrphans(limit = 100): Promise<string[]> {
    return this.adopt(await this.ownership.orphans(limit));
  }

  private async adopt(ids: readonly string[]): Promise<string[]> {
    const adopted: string[] = [];
    for (const id of ids) {
      if (this.running.has(id) || this.aggregating.has(id)) continue;
      if (!(await this.ownership.claim(id))) continue;
      adopted.push(id);
      await this.resumeIncident(id);
    }
    return adopted;
  }

  /** Resumes one leased incident from where its checkpoint stands. */
  private async resumeIncident(id: string): Promise<void> {
    const snapshot = await this.graph.getState({ configurable: { thread_id: id } });
    const first = (await this.options.store.findings(id, 1))[0];
    // An incident that died while still gathering findings has no checkpoint yet: the
    // correlator (it lived in memory) learns it back, and it gathers again for its
    // window (the detector is redelivering what piled up during the outage), then runs.
    if (Object.keys(snapshot.values as object).length === 0 && first) {
      this.correlator.restore(id, await this.options.store.findings(id, 1_000));
      this.startAggregation(id, first);
    } else if (snapshot.next.includes('await_approval')) {
      // Its owner died after the humans decided and before it resumed the graph.
      if (!(await this.resumeIfDecided(id))) {
        await this.options.store.setStatus(id, 'awaiting-approval', this.now());
        await this.ownership.release(id);
      }
    } else this.schedule(id, null);
  }

  /** Records a human decision; when every pending approval of the incident is decided, resumes its graph. */
  async decide(approvalId: string, input: ApprovalInput): Promise<ApprovalRow> {
    const pending = await this.options.store.approval(approvalId);
    if (!pending)
      throw new VigilError('VIGIL_APPROVAL_NOT_FOUND', `no approval request "${approvalId}"`);
    if (pending.status === 'pending' && pending.expiresAt <= this.now()) {
      await this.expire(pending);
      throw new VigilError(
        'VIGIL_APPROVAL_EXPIRED',
        `approval "${approvalId}" expired at ${new Date(pending.expiresAt).toISOString()}; it was rejected`,
      );
    }
    if (pending.status !== 'pending') {
      throw new VigilError(
        'VIGIL_APPROVAL_NOT_PENDING',
        `approval "${approvalId}" is already ${pending.status}`,
      );
    }
    if (!input.reason.trim())
      throw new VigilError('VIGIL_APPROVAL_REASON_REQUIRED', 'a decision needs a reason');
    const decidedAction: ProposedAction = input.parameters
      ? { ...pending.action, parameters: input.parameters }
      : pending.action;
    await this.options.verifyApproval(input.approval, {
      action: decidedAction,
      by: input.by,
      decision: input.decision,
    });
    const editedAction = input.parameters ? decidedAction : undefined;
    const row = await this.options.store.decide(
      approvalId,
      input.decision === 'approve' ? 'approved' : 'rejected',
      {
        decision: input.decision,
        by: input.by,
        reason: input.reason,
        at: this.now(),
        approval: input.approval,
        ...(editedAction ? { editedAction } : {}),
      },
    );
    await this.recordApprovalWait(row, (span) =>
      this.options.ports.record(
        'approval',
        {
          approvalId,
          proposalId: row.proposalId,
          decision: input.decision,
          actionDigest: row.actionDigest,
          edited: editedAction !== undefined,
        },
        { approver: input.by, comment: input.reason },
        { incidentId: row.incidentId, actor: input.by, ...span },
      ),
    );
    await this.resumeIfDecided(row.incidentId);
    return (await this.options.store.approval(approvalId))!;
  }

  /** Rejects every pending approval past its expiry (fail safe) and resumes their incidents. */
  async sweepExpired(): Promise<number> {
    const due = (await this.options.store.approvals({ status: 'pending' })).filter(
      (a) => a.expiresAt <= this.now(),
    );
    let expired = 0;
    for (const approval of due) {
      try {
        await this.expire(approval);
        expired++;
      } catch (error) {
        // Another replica's sweep (or a human) decided it first.
        if (!isVigilError(error, 'VIGIL_APPROVAL_NOT_PENDING')) throw error;
      }
    }
    return expired;
  }

  /** The incident's state as its graph checkpoint holds it. */
  async summary(incidentId: string): Promise<IncidentSummary | undefined> {
    const snapshot = await this.graph.getState({ configurable: { thread_id: incidentId } });
    const values = snapshot.values as IncidentStateValue;
    return values.finding && values.analysis ? summarise(values) : undefined;
  }

  /** Resolves when no graph run is in flight or queued (for shutdown and tests). */
  async idle(): Promise<void> {
    await this.rollups.idle();
    while (this.running.size > 0 || this.aggregating.size > 0) {
      if (this.running.size === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await Promise.allSettled([...this.running.values()]);
    }
  }

  private async expire(approval: ApprovalRow): Promise<void> {
    const row = await this.options.store.decide(approval.id, 'expired', {
      decision: 'expired',
      by: 'system',
      reason: `no decision before ${new Date(approval.expiresAt).toISOString()}`,
      at: this.now(),
    });
    await this.recordApprovalWait(row, (span) =>
      this.options.ports.record(
        'approval',
        {
          approvalId: row.id,
          proposalId: row.proposalId,
          decision: 'expired',
          actionDigest: row.actionDigest,
        },
        { rationale: 'escalations expire and are rejected (fail safe)' },
        { incidentId: row.incidentId, ...span },
      ),
    );
    await this.resumeIfDecided(row.incidentId);
  }

  /**
   * The approval wait as a span from the request to the decision (or expiry), carrying
   * the id of the approval entry recorded inside it. Started at `requestedAt`, since the
   * wait may have begun in an earlier coordinator process.
   */
  private recordApprovalWait(
    row: ApprovalRow,
    record: (span: {
      traceId: string | undefined;
      spanId: string | undefined;
    }) => Promise<{ readonly hash: string } | void>,
  ): Promise<void> {
    return withAuditedSpan(
      'approval.wait',
      {
        'vigil.incident_id': row.incidentId,
        'vigil.approval_id': row.id,
        'vigil.approval.decision': row.decision?.decision ?? row.status,
      },
      async (span) => {
        const entry = await record({ traceId: span.traceId, spanId: span.spanId });
        if (entry) span.recordAuditEntry(entry);
      },
      { startTime: row.requestedAt },
    );
  }

  /**
   * Resumes the incident's graph once none of its approvals is pending, on whichever
   * replica took the last decision: it leases the paused incident first (a concurrent
   * decider on another replica that lost the race leaves it to the winner). Returns
   * whether the graph was resumed here.
   */
  private async resumeIfDecided(incidentId: string): Promise<boolean> {
    if (this.resumeQueued.has(incidentId)) return true;
    const all = await this.options.store.approvals({ incidentId });
    if (all.length === 0 || all.some((a) => a.status === 'pending')) return false;
    // Held by the replica still finishing the run that paused it: that replica looks again
    // once it has released the lease (see `run`), and sees this decision.
    if (!(await this.ownership.claim(incidentId))) return false;
    const resume: ApprovalResume = Object.fromEntries(all.map((a) => [a.proposalId, a.decision!]));
    await this.options.store.setStatus(incidentId, 'open', this.now());
    this.resumeQueued.add(incidentId);
    this.schedule(incidentId, new Command({ resume }));
    return true;
  }

  private schedule(incidentId: string, input: Parameters<Coordinator['graph']['invoke']>[0]): void {
    const previous = this.running.get(incidentId) ?? Promise.resolve();
    const run = previous.then(() => this.throttled(() => this.run(incidentId, input)));
    this.running.set(incidentId, run);
    void run.finally(() => {
      if (this.running.get(incidentId) === run) this.running.delete(incidentId);
    });
  }

  private async run(
    incidentId: string,
    input: Parameters<Coordinator['graph']['invoke']>[0],
  ): Promise<void> {
    const config = { configurable: { thread_id: incidentId } };
    if (input instanceof Command) this.resumeQueued.delete(incidentId);
    try {
      const state = (await this.graph.invoke(input, config)) as IncidentStateValue;
      if (state.analysis)
        await this.options.store.setTitle(
          incidentId,
          state.analysis.summary.slice(0, 200),
          state.analysis.severity,
        );
      const snapshot = await this.graph.getState(config);
      const waiting = snapshot.next.includes('await_approval');
      await this.options.store.setStatus(
        incidentId,
        waiting ? 'awaiting-approval' : 'closed',
        this.now(),
      );
      // Closed, or paused for a human: whichever replica takes the decision resumes it.
      await this.ownership.release(incidentId);
      // A decision taken on another replica while this run held the lease could not
      // resume the incident there: it is resumed here (or by whoever leases it first).
      if (waiting) await this.resumeIfDecided(incidentId);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (isVigilError(error, 'VIGIL_COORDINATOR_LEASE_LOST')) {
        // Another replica holds the incident now and resumes it from the checkpoint.
        this.options.logger?.warn({ incidentId, error: message }, 'incident handed over');
        return;
      }
      // The checkpoint keeps the incident resumable: `resumeInFlight` retries failed runs
      // (the lease stays here; another replica takes it over only if this one dies).
      this.options.logger?.error({ incidentId, error: message }, 'incident graph run failed');
      await this.options.store.setStatus(incidentId, 'failed', this.now(), message);
      await this.notifyFailure(incidentId, message);
    }
  }

  /**
   * A failed run is never silent: people are told why, with the analysis' severity or,
   * before any analysis, the detection's own — and the incident row carries it too
   * instead of `unknown`.
   */
  private async notifyFailure(incidentId: string, reason: string): Promise<void> {
    try {
      const snapshot = await this.graph.getState({ configurable: { thread_id: incidentId } });
      const values = snapshot.values as Partial<IncidentStateValue>;
      const finding = values.finding ?? (await this.options.store.findings(incidentId, 1))[0];
      if (!finding) throw new Error('the incident has no finding');
      const progress =
        values.analysis && values.finding ? summarise(values as IncidentStateValue) : undefined;
      const severity = progress?.analysis.severity ?? detectionSeverity(finding);
      const row = await this.options.store.incident(incidentId);
      if (row) await this.options.store.setTitle(incidentId, row.title, severity);
      await this.options.ports.notifyFailure(
        { incidentId, finding, severity, reason, ...(progress ? { progress } : {}) },
        { incidentId },
      );
    } catch (error) {
      this.options.logger?.error(
        { incidentId, error: error instanceof Error ? error.message : String(error) },
        'could not notify the failure of an incident',
      );
    }
  }

  private async throttled(task: () => Promise<void>): Promise<void> {
    const limit = this.options.concurrency ?? 4;
    if (this.active >= limit)
      await new Promise<void>((resolve) => this.queue.push(async () => resolve()));
    this.active++;
    try {
      await task();
    } finally {
      this.active--;
      void this.queue.shift()?.();
    }
  }
}

/** An incident gathering findings before its analysis. */
interface Aggregation {
  timer: NodeJS.Timeout;
  readonly deadline: number;
  /** The window ended while a finding was still being recorded. */
  due: boolean;
  /** Ends the window and starts the analysis, unless a finding is still being recorded. */
  readonly fire: () => void;
}

/** Findings of one incident analysed at most (the most anomalous). */
const MAX_FINDINGS_ANALYSED = 5;

/**
 * One analysis for an incident from the analyses of its findings: the union of
 * techniques and recommended responses, the highest severity, the confidence and summary
 * of the most confident analysis, every rationale, and every degradation. The detection
 * evidence is the strongest of the findings' (highest rule confidence, highest floor); an
 * analysis without evidence contributes none.
 */
export function mergeAnalyses(analyses: readonly Analysis[]): Analysis {
  const lead = [...analyses].sort((a, b) => b.confidence - a.confidence)[0]!;
  const degraded = [...new Set(analyses.flatMap((a) => (a.degraded ? [a.degraded] : [])))];
  const evidence = analyses.flatMap((a) => (a.evidence ? [a.evidence] : []));
  return {
    techniques: [...new Set(analyses.flatMap((a) => a.techniques))].slice(0, 10),
    severity: analyses.map((a) => a.severity).reduce(maxSeverity),
    confidence: lead.confidence,
    summary:
      `${lead.summary}${analyses.length > 1 ? ` (+${analyses.length - 1} correlated finding${analyses.length > 2 ? 's' : ''})` : ''}`.slice(
        0,
        2000,
      ),
    rationale: analyses
      .map((a, i) => `Finding ${i + 1}: ${a.rationale}`)
      .join('\n\n')
      .slice(0, 8000),
    recommendedResponses: [...new Set(analyses.flatMap((a) => a.recommendedResponses))],
    source: analyses.some((a) => a.source === 'model') ? 'model' : 'rule-based',
    ...(lead.model ? { model: lead.model } : {}),
    ...(degraded.length ? { degraded: degraded.join('; ') } : {}),
    ...(evidence.length
      ? {
          evidence: {
            ruleConfidence: Math.max(...evidence.map((e) => e.ruleConfidence)),
            severityFloor: evidence.map((e) => e.severityFloor).reduce(maxSeverity),
            ...riskScoreOfEvidence(evidence),
          },
        }
      : {}),
    ...(lead.advice ? { advice: lead.advice } : {}),
  };
}

/** An incident's risk: the highest of its findings' detector risk scores (none: absent). */
function riskScoreOfEvidence(evidence: readonly DetectionEvidence[]): { riskScore?: number } {
  const scores = evidence.flatMap((e) => (e.riskScore === undefined ? [] : [e.riskScore]));
  return scores.length === 0 ? {} : { riskScore: Math.max(...scores) };
}

/** What the detection itself said: the rule tier's severity and the event's own priority. */
function detectionSeverity(finding: Finding): Severity {
  return maxSeverity(
    finding.detection?.severity ?? 'low',
    severityOfEvent(finding.event.severityId),
  );
}
