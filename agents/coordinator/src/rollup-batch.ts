import type { RollupItem } from './incident-store.js';

/**
 * Group commit for a storm's repeats: items added while a batch is being written wait and
 * go together in the next one, so a flood costs one audit entry per incident and one store
 * transaction per batch instead of one of each per finding. `add` resolves only once its
 * item is durable (audited and stored), so a finding is never acknowledged before it is
 * kept; it rejects with the batch's error, and the sender redelivers.
 */
export class RollupBatcher {
  private pending: { item: RollupItem; settle: (error?: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;

  /**
   * @param write persists one batch (at most `maxBatch` items); throws to fail them all.
   * @param maxBatch bound on one batch, so one audit entry lists a bounded number of ids.
   */
  constructor(
    private readonly write: (items: readonly RollupItem[]) => Promise<void>,
    private readonly maxBatch = 1_000,
  ) {}

  add(item: RollupItem): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({
        item,
        settle: (error) => (error === undefined ? resolve() : reject(error)),
      });
      this.writing ??= this.drain();
    });
  }

  /** Resolves when nothing is waiting or being written. */
  async idle(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  private async drain(): Promise<void> {
    // Let the callers of this turn of the event loop join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      let failure: unknown;
      try {
        await this.write(batch.map((p) => p.item));
      } catch (error) {
        failure = error ?? new Error('rollup batch failed');
      }
      for (const p of batch) p.settle(failure);
    }
    this.writing = undefined;
  }
}
