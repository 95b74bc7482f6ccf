import type { SecurityEvent } from './security-event.js';

/**
 * Why a record was rejected, as a stable low-cardinality code for counters; the
 * `reason` beside it is the precise, human message (`missing required field "verb"`).
 */
export type RejectCode =
  | 'MALFORMED_JSON'
  | 'UNRECOGNISED_FORMAT'
  | 'INVALID_EVENT'
  /** An audit record with no verb: what was done cannot be attributed. */
  | 'NO_VERB'
  /** An audit record with no user (and not a failed authentication): who did it cannot be attributed. */
  | 'NO_USER'
  | 'UNSUPPORTED_CLASS'
  | 'LINE_TOO_LONG'
  /** Bytes that are not UTF-8, or a byte-order mark anywhere but the start of a body. */
  | 'INVALID_ENCODING'
  /** Arrays and objects nested deeper than the intake's limit. */
  | 'NESTING_TOO_DEEP';

/** The outcome of normalising one record: a value, never an exception. */
export type NormaliseResult =
  | { readonly ok: true; readonly event: SecurityEvent }
  | {
      readonly ok: false;
      readonly code: RejectCode;
      readonly reason: string;
      /** The field at fault (dotted path), when one field is. */
      readonly field?: string;
    };

export function reject(code: RejectCode, reason: string, field?: string): NormaliseResult {
  return field === undefined ? { ok: false, code, reason } : { ok: false, code, reason, field };
}

export function missing(field: string, format: string): NormaliseResult {
  return reject('INVALID_EVENT', `${format}: missing required field "${field}"`, field);
}

export function invalid(field: string, expected: string, format: string): NormaliseResult {
  return reject('INVALID_EVENT', `${format}: field "${field}" must be ${expected}`, field);
}

/**
 * A record that is recognisably an audit event but cannot be attributed to an action or an
 * actor. `path` is the field at fault in this format (GKE: `protoPayload.methodName`).
 */
export function unattributable(
  field: 'verb' | 'user',
  format: string,
  path: string = field,
): NormaliseResult {
  return reject(
    field === 'verb' ? 'NO_VERB' : 'NO_USER',
    `${format}: cannot attribute the event: missing "${field}"`,
    path,
  );
}
