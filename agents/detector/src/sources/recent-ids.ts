/**
 * The ids of the events a source took most recently, so a record sent again (a shipper
 * resending a batch whose answer it never saw, or the part of a batch after a 503) is
 * recognised as a duplicate instead of being scored and forwarded twice. Bounded: the
 * oldest id is forgotten when `capacity` is reached (a `Set` iterates in insertion order).
 */
export class RecentIds {
  readonly #ids = new Set<string>();
  readonly #capacity: number;

  /** `capacity` 0 remembers nothing (every record is new). */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    if (this.#capacity === 0 || this.#ids.has(id)) return;
    if (this.#ids.size >= this.#capacity) {
      const oldest = this.#ids.values().next();
      if (oldest.done !== true) this.#ids.delete(oldest.value);
    }
    this.#ids.add(id);
  }

  get size(): number {
    return this.#ids.size;
  }
}
