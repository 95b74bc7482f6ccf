import type { AuditStore, AuditVerification } from '@vigil/audit';
import { verifyAudit } from '@vigil/audit';
import type { AgentSystem } from '@vigil/registry';

/**
 * What the read routes (agents, compliance, audit, policies, trace) read: the declared
 * system, the state directory (the supervisor's status file), the audit store and the CA
 * bundle its writers are checked against. The coordinator passes its own; tests pass a
 * store they wrote.
 */
export interface ReadSources {
  readonly system: AgentSystem;
  readonly stateDir: string;
  /** The audit store, only read here (the coordinator writes through its own writer). */
  readonly audit: AuditStore;
  /** PEM bundle of the CA(s) whose certificates the audit writers hold. */
  readonly caPem: () => string;
  /** How old a verification may be before the next request runs a new one (default 60 s). */
  readonly verificationMaxAgeMs?: number;
  readonly now?: () => number;
}

/** A verification and when it ran. */
export interface TimedVerification {
  readonly result: AuditVerification;
  readonly checkedAt: number;
}

/**
 * The latest `vigil audit verify` of the trail: run on the first request, then kept for
 * `maxAgeMs`; concurrent requests share one run, so a busy console cannot start a
 * verification per page view on a large log.
 */
export class LatestVerification {
  #latest: TimedVerification | undefined;
  #running: Promise<TimedVerification> | undefined;

  constructor(
    private readonly sources: Pick<ReadSources, 'audit' | 'caPem' | 'now'>,
    private readonly maxAgeMs: number,
  ) {}

  async get(): Promise<TimedVerification> {
    const now = this.sources.now?.() ?? Date.now();
    if (this.#latest && now - this.#latest.checkedAt < this.maxAgeMs) return this.#latest;
    this.#running ??= verifyAudit(this.sources.audit, {
      caPem: this.sources.caPem(),
      workers: 'auto',
    })
      .then((result) => (this.#latest = { result, checkedAt: now }))
      .finally(() => (this.#running = undefined));
    return this.#running;
  }
}
