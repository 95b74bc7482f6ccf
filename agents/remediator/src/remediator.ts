import { canonicalJson, digestOf, type DeepReadonly, type Logger } from '@vigil/core';
import type { Analysis, Finding, UndoProposal as SocUndoProposal } from '@vigil/soc';
import type { Action } from './actions/action.js';
import type { ActionAssessment, ActionRegistry } from './actions/registry.js';
import { unauthorised, type Authorisation, type Authoriser } from './authorisation.js';
import { RemediatorError, REMEDIATOR_ERROR_CODES } from './errors.js';
import { executePlan } from './executors/execute-plan.js';
import type { Executor } from './executors/executor.js';
import type { Inventory, InventorySource } from './inventory/inventory.js';
import { proposeActions, type ProposalSet } from './propose.js';
import type { ExecutionLedger, ExecutionRecord } from './store/execution-store.js';

export interface RemediatorOptions {
  readonly registry: ActionRegistry;
  readonly executor: Executor;
  readonly inventory: InventorySource;
  readonly authoriser: Authoriser;
  readonly store: ExecutionLedger;
  /**
   * With replicas sharing the store, a `pending` row may be another replica's execution in
   * flight rather than a crash: reconcile only rows left `pending` this long (longer than
   * any execution takes). Unset (one process): every `pending` row at start-up crashed.
   */
  readonly pendingStaleAfterMs?: number;
  readonly logger?: Logger;
}

export interface ExecuteOptions {
  /**
   * Defaults to `digestOf({ action digest, authorisation id })`: a retry with the same
   * verdict or approval returns the first result. Pass a key of your own (e.g. incident
   * id + action index) to also deduplicate across re-reviews.
   */
  readonly idempotencyKey?: string;
  /** This execution undoes that one (set by the undo flow). */
  readonly undoOf?: string;
  /**
   * The blast radius `total` the reviewer saw. The verdict binds the action, not the
   * cluster: if the same action now touches more (a Deployment scaled from 3 to 30 since
   * the review), the execution fails with `VIGIL_REMEDIATOR_BLAST_RADIUS_GREW`, nothing is
   * sent, and the action must be reviewed again.
   */
  readonly reviewedBlastRadius?: number;
  readonly signal?: AbortSignal;
}

/** An inverse action ready for review, built by {@link Remediator.prepareUndo}. */
export type UndoProposal = DeepReadonly<SocUndoProposal>;

/** What {@link Remediator.reconcile} concluded about an execution left `pending`. */
export interface ReconcileEntry {
  readonly id: string;
  readonly state: 'done' | 'failed' | 'unknown';
  readonly observation: string;
}

/**
 * The remediator as a library: proposes concrete actions for a finding, assesses their
 * blast radius, executes only with a verdict or approval bound to the exact action,
 * idempotently (the intent is stored before any request is sent), and builds inverse
 * actions for undo (which are reviewed again and executed with their own authorisation).
 */
export class Remediator {
  readonly #o: RemediatorOptions;
  readonly #inFlight = new Map<string, Promise<ExecutionRecord>>();

  constructor(options: RemediatorOptions) {
    this.#o = options;
  }

  get registry(): ActionRegistry {
    return this.#o.registry;
  }

  /** Concrete actions for a finding and its analysis, with blast radius, on the current inventory. */
  async propose(finding: Finding, analysis: Analysis): Promise<ProposalSet> {
    return proposeActions(finding, analysis, await this.#o.inventory.inventory(), this.#o.registry);
  }

  /** The inventory as it stands now (the dry-run state, or the cluster as last read). */
  async currentInventory(): Promise<Inventory> {
    return this.#o.inventory.inventory();
  }

  /** Parses, plans and sizes `action` on the current inventory. */
  async assess(action: unknown): Promise<ActionAssessment> {
    return this.#o.registry.assess(action, await this.#o.inventory.inventory());
  }

  /**
   * Executes `action` if `authorisation` is a valid verdict or approval for exactly this
   * action (its RFC 8785 digest, as presented: it must already be in canonical parsed
   * form, defaults included). Throws `VIGIL_REMEDIATOR_UNAUTHORISED` before anything is
   * recorded or sent otherwise. Resolves with the execution record — `done` or `failed`
   * (a failure is a value) — or, for an idempotency key seen before, the first record.
   */
  async execute(
    action: unknown,
    authorisation: Authorisation,
    options: ExecuteOptions = {},
  ): Promise<ExecutionRecord> {
    const parsed = this.#o.registry.parse(action);
    if (canonicalJson(parsed.action) !== canonicalJson(action)) {
      // A verdict binds the action as reviewed; executing a differently-shaped one
      // (defaults filled in here) would run something nobody reviewed byte for byte.
      throw unauthorised(
        parsed.action,
        new Error('the action is not in canonical form (missing defaults or extra fields)'),
      );
    }
    const grant = await this.#o.authoriser.authorise(authorisation, parsed.action);
    const idempotencyKey =
      options.idempotencyKey ?? digestOf({ action: parsed.digest, authorisation: grant.id });
    const running = this.#inFlight.get(idempotencyKey);
    if (running) return running;
    const work = this.#run(parsed.action, parsed.digest, grant, idempotencyKey, options);
    this.#inFlight.set(idempotencyKey, work);
    try {
      return await work;
    } finally {
      this.#inFlight.delete(idempotencyKey);
    }
  }

  async #run(
    action: Action,
    digest: string,
    grant: Awaited<ReturnType<Authoriser['authorise']>>,
    idempotencyKey: string,
    options: ExecuteOptions,
  ): Promise<ExecutionRecord> {
    const { store, executor, registry, logger } = this.#o;
    const existing = await store.byKey(idempotencyKey);
    if (existing && !(existing.state === 'failed' && existing.retryable)) return existing;
    let assessment: ActionAssessment;
    try {
      assessment = registry.assess(action, await this.#o.inventory.inventory({ consistent: true }));
    } catch (error) {
      // Planning failed (target gone, unsafe): nothing was sent; record it as a failed
      // execution so the caller and `vigil actions list` see why.
      const begun = await store.begin({
        idempotencyKey,
        action,
        actionDigest: digest,
        executor: executor.name,
        authorisation: grant,
        reversible: false,
        memo: null,
        plan: [],
        ...(options.undoOf ? { undoOf: options.undoOf } : {}),
      });
      if (begun.status === 'existing') return begun.record;
      const code = (error as { code?: string }).code ?? 'VIGIL_REMEDIATOR_PLAN_FAILED';
      return await store.finish(begun.record.id, {
        state: 'failed',
        error: { code, message: (error as Error).message },
        retryable: true,
      });
    }
    const unsupported = assessment.plan.requests.find((r) => !executor.supports(r));
    const grew =
      options.reviewedBlastRadius !== undefined &&
      assessment.blastRadius.total > options.reviewedBlastRadius;
    const begun = await store.begin({
      idempotencyKey,
      action,
      actionDigest: digest,
      executor: executor.name,
      authorisation: grant,
      reversible: assessment.reversible,
      memo: assessment.plan.memo,
      plan: assessment.plan.requests.map((r) => r.summary),
      ...(options.undoOf ? { undoOf: options.undoOf } : {}),
    });
    if (begun.status === 'existing') return begun.record;
    const id = begun.record.id;
    if (grew) {
      return await store.finish(id, {
        state: 'failed',
        error: {
          code: 'VIGIL_REMEDIATOR_BLAST_RADIUS_GREW',
          message: `the action now touches ${assessment.blastRadius.total}, more than the ${options.reviewedBlastRadius} reviewed: review it again`,
        },
        result: { blastRadius: assessment.blastRadius },
        retryable: false,
      });
    }
    if (unsupported) {
      return await store.finish(id, {
        state: 'failed',
        error: {
          code: 'VIGIL_REMEDIATOR_UNSUPPORTED_REQUEST',
          message: `the ${executor.name} executor cannot carry out "${unsupported.summary}"`,
        },
        retryable: true,
      });
    }
    logger?.info({ executionId: id, type: action.type, digest }, 'executing action');
    const result = await executePlan(executor, assessment.plan, idempotencyKey, options.signal);
    const firstFailure = result.steps.find((s) => !s.outcome.ok)?.outcome;
    const nothingApplied = !result.ok && result.steps.length === 1;
    return await store.finish(id, {
      state: result.ok ? 'done' : 'failed',
      result,
      ...(firstFailure && !firstFailure.ok
        ? { error: { code: firstFailure.code, message: firstFailure.reason } }
        : {}),
      // The first request failed: nothing changed, a retry may act. A later failure left
      // a partial effect: a retry must not blindly repeat; undo or a new action decides.
      retryable: nothingApplied,
    });
  }

  /**
   * Builds the inverse of a `done`, reversible execution, for review: it is not executed
   * here. Throws `VIGIL_REMEDIATOR_UNKNOWN_EXECUTION` or `VIGIL_REMEDIATOR_NOT_UNDOABLE`
   * (failed, irreversible, already undone, or nothing to undo).
   */
  async prepareUndo(executionId: string): Promise<UndoProposal> {
    const record = await this.#o.store.get(executionId);
    if (!record) {
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.unknownExecution,
        `no execution ${executionId}`,
      );
    }
    const refuse = (why: string) =>
      new RemediatorError(REMEDIATOR_ERROR_CODES.notUndoable, `execution ${executionId}: ${why}`, {
        details: { executionId },
      });
    if (record.state !== 'done') throw refuse(`it is ${record.state}, not done`);
    if (record.undoneBy) throw refuse(`already undone by ${record.undoneBy}`);
    const definition = this.#o.registry.get(record.action.type);
    if (!definition.reversible || !definition.undo) {
      throw refuse(`${record.action.type} is irreversible`);
    }
    const inverse = definition.undo(
      this.#o.registry.parse(record.action).action,
      record.memo as never,
    );
    if (!inverse) throw refuse('nothing to undo (the state was already so before it ran)');
    const assessed = this.#o.registry.assess(
      inverse,
      await this.#o.inventory.inventory({ consistent: true }),
    );
    return {
      undoOf: record.id,
      action: assessed.action,
      digest: assessed.digest,
      blastRadius: assessed.blastRadius,
    };
  }

  /**
   * After a restart: every execution still `pending` crashed between intent and outcome.
   * Each is re-checked against the current inventory with its definition's `observe`:
   * effect present → `done`; absent → `failed`, retryable (a retry with the same key
   * acts); undecidable (a webhook, a vanished target) → `unknown`, surfaced for a human.
   */
  async reconcile(): Promise<ReconcileEntry[]> {
    const { store, registry, logger } = this.#o;
    const stale = this.#o.pendingStaleAfterMs;
    const pending = await store.list({
      state: 'pending',
      ...(stale === undefined ? {} : { updatedBefore: new Date(Date.now() - stale).toISOString() }),
    });
    if (pending.length === 0) return [];
    const inventory = await this.#o.inventory.inventory({ consistent: true });
    const out: ReconcileEntry[] = [];
    for (const record of pending) {
      let observation: string;
      try {
        const parsed = registry.parse(record.action);
        observation = parsed.definition.observe(parsed.action, record.memo as never, inventory);
      } catch (error) {
        observation = `unknown (${(error as Error).message})`;
      }
      const note = { reconciled: true, observation };
      if (observation === 'applied') {
        await store.finish(record.id, { state: 'done', result: note });
        out.push({ id: record.id, state: 'done', observation });
      } else if (observation === 'not-applied') {
        await store.finish(record.id, {
          state: 'failed',
          result: note,
          error: {
            code: 'VIGIL_REMEDIATOR_INTERRUPTED',
            message: 'interrupted before its effect was visible; a retry may act',
          },
          retryable: true,
        });
        out.push({ id: record.id, state: 'failed', observation });
      } else {
        await store.finish(record.id, {
          state: 'unknown',
          result: note,
          error: {
            code: 'VIGIL_REMEDIATOR_OUTCOME_UNKNOWN',
            message: 'interrupted; the outcome cannot be observed: check by hand',
          },
        });
        out.push({ id: record.id, state: 'unknown', observation });
      }
      logger?.warn({ executionId: record.id, observation }, 'reconciled an interrupted execution');
    }
    return out;
  }
}
