import { createHash } from 'node:crypto';
/**
 * Small, allocation-light readers for untrusted JSON records. Each returns `undefined`
 * when the value is absent or of the wrong type; the format mappers turn that into a
 * precise rejection reason (`missing required field "verb"`).
 */

/** A plain JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(o: JsonObject | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** A non-empty string field. */
export function nonEmpty(o: JsonObject | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export function num(o: JsonObject | undefined, key: string): number | undefined {
  const v = o?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function int(o: JsonObject | undefined, key: string): number | undefined {
  const v = o?.[key];
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

export function obj(o: JsonObject | undefined, key: string): JsonObject | undefined {
  const v = o?.[key];
  return isObject(v) ? v : undefined;
}

/** A string array field; non-string members are dropped. */
export function strings(o: JsonObject | undefined, key: string): string[] | undefined {
  const v = o?.[key];
  if (!Array.isArray(v)) return undefined;
  const out: string[] = [];
  for (const x of v) if (typeof x === 'string') out.push(x);
  return out;
}

/** A port number from a number or numeric string (Falco sends `fd.sport` as a number, some shippers as text). */
export function port(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.length > 0 ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

/** Parses an RFC 3339 timestamp (nanosecond fractions allowed) to epoch milliseconds. */
export function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.length === 0) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Copies `o` without the keys whose value is `undefined`, so normalised events stay
 * compact and deep-equal-able. Builds a fresh object rather than `delete`-ing keys, which
 * would drop V8 into slow dictionary mode on the hot path.
 */
export function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const k in o) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}

/**
 * `sha256:<hex>` of the record's JSON text: the id of a record that has none of its own
 * (Falco without Falcosidekick, OCSF without `metadata.uid`). Deterministic for the same
 * record as parsed from the same text; cheaper than RFC 8785 canonicalisation on the hot path.
 */
export function recordDigest(raw: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(raw)).digest('hex')}`;
}
