import { AuditError } from './errors.js';
import { loadSigner, type AnchorCheckpoint, type AnchorHead, type AuditSigner } from './signing.js';
import type { AuditStore, PruneCriteria } from './store.js';
import { verifyAudit, type AuditVerification } from './verify.js';
import { writeAnchor } from './writer.js';

/** Options of {@link pruneAudit}. */
export interface PruneOptions {
  /** The identity that signs the prune anchor (an operator, `spiffe://<td>/user/<id>`). */
  readonly signer: AuditSigner;
  /** CA bundle: the log is verified before anything is deleted. */
  readonly caPem: string;
}

/** What {@link pruneAudit} did. */
export interface PruneResult {
  readonly deleted: number;
  /** Where each pruned chain now starts (after this position). */
  readonly cuts: readonly AnchorHead[];
  /** The signed anchor written before deleting. */
  readonly anchor: AnchorCheckpoint | undefined;
}

/**
 * Deletes old entries while keeping the log verifiable (issue 5, retention):
 * 1. verifies the whole log, and refuses (`VIGIL_AUDIT_STORE`) to prune a log that does not verify,
 *    since pruning would destroy the evidence;
 * 2. for each chain, chooses the newest position that (a) has only prunable entries at or
 *    before it and (b) carries a valid checkpoint signed by the chain's writer — so a chain
 *    is only ever cut where its writer signed;
 * 3. writes a `prune` anchor, signed by `signer`, committing to every chain head and
 *    recording each cut (the checkpoint written before pruning);
 * 4. deletes entries through each cut (and older checkpoints) in one transaction.
 * Verification then starts each pruned chain from its cut checkpoint.
 */
export async function pruneAudit(
  store: AuditStore,
  criteria: PruneCriteria,
  options: PruneOptions,
): Promise<PruneResult & { verification: AuditVerification }> {
  if (criteria.beforeSequence === undefined && criteria.olderThan === undefined) {
    throw new AuditError('VIGIL_AUDIT_CONFIG', 'prune needs beforeSequence or olderThan');
  }
  const signer = loadSigner(options.signer);
  const verification = await verifyAudit(store, { caPem: options.caPem });
  if (!verification.ok) {
    throw new AuditError(
      'VIGIL_AUDIT_STORE',
      `refusing to prune a log that does not verify: ${verification.firstProblem?.message ?? ''}`,
      {
        details: { firstProblem: verification.firstProblem },
      },
    );
  }
  const [firstKept, checkpoints, chains] = await Promise.all([
    store.firstKept(criteria),
    store.checkpoints(),
    store.chains(),
  ]);
  const cuts: AnchorHead[] = [];
  for (const chain of chains) {
    const head = await store.chainHead(chain.chain);
    if (head === undefined) continue;
    const limit = (firstKept.get(chain.chain) ?? head.chainSeq + 1) - 1;
    const summary = verification.chains.find((c) => c.chain === chain.chain);
    const start = (summary?.from ?? 1) - 1;
    // Newest writer-signed checkpoint at or before the limit (all checkpoints verified above).
    const best = checkpoints
      .filter(
        (c) =>
          c.chain === chain.chain &&
          c.chainSeq <= limit &&
          c.chainSeq > start &&
          c.signer === chain.identity,
      )
      .sort((a, b) => b.chainSeq - a.chainSeq)[0];
    if (best !== undefined)
      cuts.push({ chain: chain.chain, chainSeq: best.chainSeq, headHash: best.headHash });
  }
  if (cuts.length === 0) return { deleted: 0, cuts, anchor: undefined, verification };
  const anchor = await writeAnchor(store, signer, 'prune', cuts);
  const deleted = await store.deleteThrough(cuts);
  return { deleted, cuts, anchor, verification };
}
