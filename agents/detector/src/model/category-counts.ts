/**
 * Baseline counts of one categorical column whose values are tuples of one or three
 * strings (a field, or a combination such as (user, activity, resource)), held in nested
 * maps keyed part by part.
 *
 * Why nested rather than one map keyed by the joined tuple: the detector looks up every
 * column of every event, and the parts are strings the event already holds. Joining them
 * would build a new string per pair per event, which V8 must then flatten and hash in
 * full; a part looked up as it is hashes once (V8 caches a string's hash on the string)
 * and is shared by every column that uses it. The joined form, parts separated by
 * {@link PART_SEPARATOR}, is still what a model file stores.
 */

/** Separates the parts of a tuple value in its joined (model file) form. */
export const PART_SEPARATOR = '\u001f';

/** Number of parts of a tuple value. */
export type Arity = 1 | 3;

type Level = Map<string, number | Level>;

export class CategoryCounts {
  private readonly root: Level = new Map();
  /** Sum of all counts (N in the rarity encoding). */
  total = 0;

  constructor(readonly arity: Arity) {}

  /** Count of the tuple (a, b, c) (b and c ignored for arity 1); 0 if never seen. */
  get(a: string, b: string, c: string): number {
    const first = this.root.get(a);
    if (this.arity === 1 || first === undefined) return (first as number | undefined) ?? 0;
    const second = (first as Level).get(b);
    if (second === undefined) return 0;
    return ((second as Level).get(c) as number | undefined) ?? 0;
  }

  /** Adds `n` to the count of (a, b, c). */
  add(a: string, b: string, c: string, n: number): void {
    this.total += n;
    if (this.arity === 1) {
      this.root.set(a, ((this.root.get(a) as number | undefined) ?? 0) + n);
      return;
    }
    const second = child(this.root, a);
    const third = child(second, b);
    third.set(c, ((third.get(c) as number | undefined) ?? 0) + n);
  }

  /**
   * Adds `n` to a tuple given in its joined form. A joined value with the wrong number of
   * parts (a part that itself contained the separator) can never match an event: it
   * counts towards the total only.
   */
  addJoined(joined: string, n: number): void {
    if (this.arity === 1) return this.add(joined, '', '', n);
    const parts = joined.split(PART_SEPARATOR);
    if (parts.length !== 3) {
      this.total += n;
      return;
    }
    this.add(parts[0]!, parts[1]!, parts[2]!, n);
  }

  /** Every tuple in its joined form with its count. */
  *entries(): Generator<[string, number]> {
    if (this.arity === 1) {
      for (const [a, n] of this.root) yield [a, n as number];
      return;
    }
    for (const [a, second] of this.root)
      for (const [b, third] of second as Level)
        for (const [c, n] of third as Level)
          yield [`${a}${PART_SEPARATOR}${b}${PART_SEPARATOR}${c}`, n as number];
  }
}

function child(level: Level, key: string): Level {
  let next = level.get(key) as Level | undefined;
  if (next === undefined) {
    next = new Map();
    level.set(key, next);
  }
  return next;
}
