import { createHash } from 'node:crypto';
import { VigilError } from './errors.js';

/**
 * JSON Canonicalization Scheme, RFC 8785: object members sorted by their UTF-16 code
 * units, no whitespace, numbers in ECMAScript `Number.prototype.toString` form (which
 * `JSON.stringify` already produces for finite numbers, RFC 8785 §3.2.2.3), strings
 * escaped as `JSON.stringify` does (RFC 8785 §3.2.2.2).
 *
 * Throws `VIGIL_CANONICAL_JSON` for values JSON cannot represent faithfully
 * (non-finite numbers, bigint, functions, symbols), rather than silently dropping them:
 * a digest over a lossy encoding would bind an approval to the wrong action.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

function encode(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new VigilError('VIGIL_CANONICAL_JSON', `${path}: ${value} has no JSON form`);
      }
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => encode(item === undefined ? null : item, `${path}[${i}]`)).join(',')}]`;
      }
      const withToJson = value as { toJSON?: () => unknown };
      if (typeof withToJson.toJSON === 'function') return encode(withToJson.toJSON(), path);
      const keys = Object.keys(value)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort();
      const members = keys.map(
        (k) =>
          `${JSON.stringify(k)}:${encode((value as Record<string, unknown>)[k], `${path}.${k}`)}`,
      );
      return `{${members.join(',')}}`;
    }
    default:
      throw new VigilError('VIGIL_CANONICAL_JSON', `${path}: a ${typeof value} has no JSON form`);
  }
}

/** Lower-case hex SHA-256 of a string or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256:<hex>` digest of the RFC 8785 canonical form of `value`. */
export function digestOf(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}
