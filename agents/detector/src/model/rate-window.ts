/**
 * Per-entity event counts over a sliding window, in fixed memory.
 *
 * Each tracked entity (a user, a source address, a pod) owns a ring of `windowSeconds`
 * one-second buckets and a running total; recording an event clears the buckets that fell
 * out of the window since the entity was last seen (at most `windowSeconds` of them, so
 * O(1) per event) and increments the current one. Entities live in an LRU of at most
 * `maxEntities` slots backed by typed arrays: when it is full, the least recently seen
 * entity is evicted (its count restarts at 0 if it returns), so memory is bounded by
 * `maxEntities · windowSeconds · 4` bytes plus the key map, whatever the traffic.
 *
 * Time comes from the caller (epoch milliseconds), so training replays a baseline in its
 * own time and tests inject time. An event older than the entity's latest second is
 * counted in the latest bucket (late events are not lost, nor do they rewind the window).
 */
export interface SlidingWindowOptions {
  /** Window length in seconds (default 60: events per minute). */
  readonly windowSeconds?: number;
  /** Most entities tracked at once (default 10,000). */
  readonly maxEntities?: number;
}

const NONE = -1;

/** Counts events per key over the last `windowSeconds` seconds; bounded, O(1) per event. */
export class SlidingWindowCounter {
  readonly windowSeconds: number;
  readonly maxEntities: number;
  private readonly slots = new Map<string, number>();
  private readonly keys: string[];
  private readonly buckets: Int32Array;
  private readonly totals: Int32Array;
  private readonly lastSecond: Float64Array;
  /** LRU list over slots: `newer`/`older` links, `head` most recent, `tail` least. */
  private readonly newer: Int32Array;
  private readonly older: Int32Array;
  private head = NONE;
  private tail = NONE;
  private used = 0;

  constructor(options: SlidingWindowOptions = {}) {
    const windowSeconds = options.windowSeconds ?? 60;
    const maxEntities = options.maxEntities ?? 10_000;
    if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > 3600) {
      throw new RangeError(`windowSeconds must be an integer in [1, 3600], got ${windowSeconds}`);
    }
    if (!Number.isInteger(maxEntities) || maxEntities < 1 || maxEntities > 10_000_000) {
      throw new RangeError(`maxEntities must be an integer in [1, 10^7], got ${maxEntities}`);
    }
    this.windowSeconds = windowSeconds;
    this.maxEntities = maxEntities;
    this.keys = new Array<string>(maxEntities).fill('');
    this.buckets = new Int32Array(maxEntities * windowSeconds);
    this.totals = new Int32Array(maxEntities);
    this.lastSecond = new Float64Array(maxEntities);
    this.newer = new Int32Array(maxEntities).fill(NONE);
    this.older = new Int32Array(maxEntities).fill(NONE);
  }

  /** Entities currently tracked (never more than `maxEntities`). */
  get size(): number {
    return this.used;
  }

  /**
   * Records one event of `key` at `nowMs` and returns the number of events of `key` in
   * the window ending at `nowMs`, this one included.
   */
  record(key: string, nowMs: number): number {
    const second = Math.floor(nowMs / 1000);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.allocate(key, second);
    } else {
      this.touch(slot);
      this.advance(slot, second);
    }
    const w = this.windowSeconds;
    const index = slot * w + mod(Math.max(second, this.lastSecond[slot]!), w);
    this.buckets[index] = this.buckets[index]! + 1;
    const total = this.totals[slot]! + 1;
    this.totals[slot] = total;
    return total;
  }

  /** Events of `key` in the window ending at `nowMs`, without recording one (0 if untracked). */
  count(key: string, nowMs: number): number {
    const slot = this.slots.get(key);
    if (slot === undefined) return 0;
    this.advance(slot, Math.floor(nowMs / 1000));
    return this.totals[slot]!;
  }

  /** Forgets every entity. */
  clear(): void {
    this.slots.clear();
    this.keys.fill('');
    this.buckets.fill(0);
    this.totals.fill(0);
    this.newer.fill(NONE);
    this.older.fill(NONE);
    this.head = NONE;
    this.tail = NONE;
    this.used = 0;
  }

  private allocate(key: string, second: number): number {
    let slot: number;
    if (this.used < this.maxEntities) {
      slot = this.used++;
    } else {
      slot = this.tail;
      this.unlink(slot);
      this.slots.delete(this.keys[slot]!);
    }
    this.keys[slot] = key;
    this.slots.set(key, slot);
    const w = this.windowSeconds;
    this.buckets.fill(0, slot * w, slot * w + w);
    this.totals[slot] = 0;
    this.lastSecond[slot] = second;
    this.pushHead(slot);
    return slot;
  }

  /** Clears the buckets that left the window between the slot's last second and `second`. */
  private advance(slot: number, second: number): void {
    const last = this.lastSecond[slot]!;
    if (second <= last) return;
    const w = this.windowSeconds;
    const base = slot * w;
    if (second - last >= w) {
      this.buckets.fill(0, base, base + w);
      this.totals[slot] = 0;
    } else {
      let total = this.totals[slot]!;
      for (let s = last + 1; s <= second; s++) {
        const i = base + mod(s, w);
        total -= this.buckets[i]!;
        this.buckets[i] = 0;
      }
      this.totals[slot] = total;
    }
    this.lastSecond[slot] = second;
  }

  private touch(slot: number): void {
    if (this.head === slot) return;
    this.unlink(slot);
    this.pushHead(slot);
  }

  private pushHead(slot: number): void {
    this.older[slot] = this.head;
    this.newer[slot] = NONE;
    if (this.head !== NONE) this.newer[this.head] = slot;
    this.head = slot;
    if (this.tail === NONE) this.tail = slot;
  }

  private unlink(slot: number): void {
    const n = this.newer[slot]!;
    const o = this.older[slot]!;
    if (n !== NONE) this.older[n] = o;
    else this.head = o;
    if (o !== NONE) this.newer[o] = n;
    else this.tail = n;
    this.newer[slot] = NONE;
    this.older[slot] = NONE;
  }
}

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}
