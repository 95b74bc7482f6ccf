import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Memo } from './contracts.js';
import type { releaseAction } from './contracts.js';

/** The state of a memo's release approval (`vigil approvals` reads these rows). */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

/**
 * One approval request in the shape `vigil approvals` shows (the SOC coordinator's
 * rows): the action is the release of exactly `memoDigest`.
 */
export interface MemoApprovalRow {
  readonly id: string;
  /** The memo id (the correlation id of every audit entry of the memo). */
  readonly incidentId: string;
  readonly proposalId: string;
  readonly action: ReturnType<typeof releaseAction>;
  readonly actionDigest: string;
  readonly review: {
    readonly decision: 'escalate';
    readonly confidence: number;
    readonly revision: string;
    readonly reasons: readonly string[];
    readonly rules: readonly string[];
  };
  readonly status: ApprovalStatus;
  readonly requestedAt: number;
  readonly expiresAt: number;
  readonly decision?: {
    readonly decision: 'approve' | 'reject' | 'expired';
    readonly by: string;
    readonly reason: string;
    readonly at: number;
  };
  /** Where the released memo was written, once released. */
  readonly releasedTo?: string;
}

/** A stored memo with its digest and its approval. */
export interface StoredMemo {
  readonly memo: Memo;
  readonly memoDigest: string;
  readonly approval: MemoApprovalRow;
}

/**
 * Memos and their approvals as JSON files under `<stateDir>/credit-memo/memos/`, written
 * atomically, so a restarted orchestrator still knows every memo awaiting approval.
 */
export class MemoStore {
  private readonly dir: string;
  private readonly memos = new Map<string, StoredMemo>();

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'credit-memo', 'memos');
    mkdirSync(this.dir, { recursive: true });
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.json')) continue;
      const stored = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as StoredMemo;
      this.memos.set(stored.memo.memoId, stored);
    }
  }

  put(stored: StoredMemo): void {
    const file = join(this.dir, `${stored.memo.memoId}.json`);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(stored, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
    this.memos.set(stored.memo.memoId, stored);
  }

  memo(memoId: string): StoredMemo | undefined {
    return this.memos.get(memoId);
  }

  /** The memo whose approval has this id. */
  byApproval(approvalId: string): StoredMemo | undefined {
    return [...this.memos.values()].find((m) => m.approval.id === approvalId);
  }

  /** Approval rows, newest first; a pending row past its expiry reads as expired. */
  approvals(status?: ApprovalStatus, now = Date.now()): MemoApprovalRow[] {
    return [...this.memos.values()]
      .map((m) => effective(m.approval, now))
      .filter((a) => status === undefined || a.status === status)
      .sort((a, b) => b.requestedAt - a.requestedAt);
  }
}

/** Expiry is fail-safe: a pending approval past `expiresAt` is expired, never approvable. */
export function effective(row: MemoApprovalRow, now = Date.now()): MemoApprovalRow {
  return row.status === 'pending' && now >= row.expiresAt ? { ...row, status: 'expired' } : row;
}
