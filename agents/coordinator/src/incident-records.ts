import type { Finding } from '@vigil/soc';
import type { StormRecord } from './correlator.js';
import type {
  ApprovalRow,
  ApprovalStatus,
  IncidentRow,
  IncidentStatus,
  RollupItem,
} from './incident-store.js';
import type { ApprovalRequest, HumanDecision } from './ports.js';

/** A value now (the embedded SQLite store) or later (PostgreSQL). */
export type Awaitable<T> = T | Promise<T>;

/**
 * The coordinator's bookkeeping — incidents, their findings, storms and approval requests —
 * as the coordinator, its API and the CLI use it. Two backends: {@link IncidentStore}
 * (SQLite, one process) and `PostgresIncidentStore` (shared by coordinator replicas). The
 * coordinator awaits every call, so the synchronous SQLite store fits unchanged.
 */
export interface IncidentRecords {
  /**
   * Keeps a finding and opens or joins its incident, in one transaction. Returns the id of
   * the incident that already holds this finding id when a backend shared by replicas finds
   * it there (a redelivery that reached another replica): then nothing was written.
   */
  recordFinding(
    incidentId: string,
    finding: Finding,
    at: number,
    opens?: { readonly title: string; readonly severity: string },
  ): Awaitable<string | undefined | void>;
  recordRollups(items: readonly RollupItem[]): Awaitable<void>;
  storms(limit: number): Awaitable<StormRecord[]>;
  incidentOfFinding(findingId: string): Awaitable<string | undefined>;
  findings(incidentId: string, limit?: number): Awaitable<Finding[]>;
  setStatus(id: string, status: IncidentStatus, at: number, error?: string): Awaitable<void>;
  setTitle(id: string, title: string, severity: string): Awaitable<void>;
  incident(id: string): Awaitable<IncidentRow | undefined>;
  incidents(filter?: { status?: IncidentStatus; limit?: number }): Awaitable<IncidentRow[]>;
  addApprovals(requests: readonly ApprovalRequest[], at: number, ttlMs: number): Awaitable<void>;
  approval(id: string): Awaitable<ApprovalRow | undefined>;
  approvals(filter?: { status?: ApprovalStatus; incidentId?: string }): Awaitable<ApprovalRow[]>;
  /** Records a decision on a pending request; throws `VIGIL_APPROVAL_NOT_PENDING` otherwise (one decider wins). */
  decide(
    id: string,
    status: Exclude<ApprovalStatus, 'pending'>,
    decision: HumanDecision,
  ): Awaitable<ApprovalRow>;
  close(): Awaitable<void>;
}
