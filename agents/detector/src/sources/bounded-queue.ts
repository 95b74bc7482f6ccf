/**
 * A bounded FIFO drained by one consumer (`onItem`), one item at a time. Producers
 * either fit a whole batch or are refused: the queue never grows past `capacity`
 * (except that an empty queue always takes one batch, so a batch larger than the
 * capacity is not refused forever; the body limit bounds it).
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  private running = false;
  private waiters: (() => void)[] = [];
  onItem: (item: T) => Promise<void> = async () => {};

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('queue capacity must be a positive integer');
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Queues every item of `batch`, or none (returns false) when they do not fit. */
  tryPushAll(batch: readonly T[]): boolean {
    if (this.size > 0 && this.size + batch.length > this.capacity) return false;
    for (const item of batch) this.items.push(item);
    if (!this.running) void this.run();
    return true;
  }

  /** Resolves when the queue is empty and the consumer is not running. */
  idle(): Promise<void> {
    if (!this.running && this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.head < this.items.length) {
        const item = this.items[this.head] as T;
        this.items[this.head] = undefined as T; // let the event be collected
        this.head += 1;
        if (this.head >= 4096 && this.head * 2 >= this.items.length) {
          this.items = this.items.slice(this.head);
          this.head = 0;
        }
        await this.onItem(item);
      }
    } finally {
      this.items = [];
      this.head = 0;
      this.running = false;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    }
  }
}
