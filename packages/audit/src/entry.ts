import { hash } from 'node:crypto';
import { AuditError } from './errors.js';

/**
 * The kind of a step: an open set. The harness records a few kinds of its own
 * ({@link HARNESS_AUDIT_KINDS}); an agent system registers the rest with their describers
 * (`defineAuditVocabulary` in kinds.ts). A kind is a kebab-case word of at most 64
 * characters, so it reads the same in a query, a trace line and a metric label.
 */
export type AuditKind = string;

const KIND = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const MAX_KIND_LENGTH = 64;

/** True when `value` is written as an audit kind (kebab-case, at most 64 characters). */
export function isAuditKind(value: unknown): value is AuditKind {
  return typeof value === 'string' && value.length <= MAX_KIND_LENGTH && KIND.test(value);
}

/**
 * Versions of the hashed form (docs/audit.md, "Format versions"). Version 1 named the
 * correlation id `incidentId` and took kinds from a closed list; version 2 names it
 * `correlationId` and takes any registered kind. Writers write the current version;
 * verification rebuilds each entry in the version it was sealed with, so a log written
 * before the change, after it, or across it verifies.
 */
export const AUDIT_FORMAT_VERSIONS = [1, 2] as const;
/** One of {@link AUDIT_FORMAT_VERSIONS}. */
export type AuditFormatVersion = (typeof AUDIT_FORMAT_VERSIONS)[number];
/** The version writers seal new entries with. */
export const AUDIT_FORMAT_VERSION = 2 satisfies AuditFormatVersion;

/** True when `value` is a version verification can rebuild. */
export function isAuditFormatVersion(value: unknown): value is AuditFormatVersion {
  return value === 1 || value === 2;
}

/** The key the correlation id has in the hashed form of each version. */
const CORRELATION_KEY: Readonly<Record<AuditFormatVersion, string>> = {
  1: 'incidentId',
  2: 'correlationId',
};

/** A JSON object as recorded in `what` and `why`. */
export type JsonObject = Record<string, unknown>;

/**
 * What a caller records. `what` is the execution record (what was done, to what, with
 * which result); `why` is the intent (rationale, policy reasons and rule ids, model name
 * and prompt digest, approver's comment). By convention (docs/audit.md, "Linking
 * entries") `what.parentEntryId` holds the id (hash) of the entry that caused this one.
 */
export interface AuditEntryInput {
  readonly kind: AuditKind;
  /** Who acted: an agent SPIFFE ID, or `user:<id>` for a human. */
  readonly actor: string;
  readonly traceId?: string | undefined;
  readonly spanId?: string | undefined;
  /**
   * What the step belongs to in the agent system's terms (an incident, a memo, a case):
   * `vigil trace <id>` gathers every entry under it.
   */
  readonly correlationId?: string | undefined;
  readonly what: JsonObject;
  readonly why: JsonObject;
  /** `sha256:<hex>` digest of the step's input (see `digestOf` in `@vigil/core`). */
  readonly inputDigest?: string | undefined;
  readonly outputDigest?: string | undefined;
  /** Defaults to the writer's clock. */
  readonly time?: Date | string | undefined;
}

/**
 * The part of an entry covered by its hash: everything the writer decided. The
 * store-wide `sequence` is assigned by the store at commit and is not hashed (writers
 * commit concurrently); the order that counts is `chainSeq` inside the writer's chain.
 */
export interface SealedEntry {
  /** Format version of the hashed form ({@link AUDIT_FORMAT_VERSIONS}). */
  readonly v: AuditFormatVersion;
  /** The writer chain this entry belongs to. */
  readonly chain: string;
  /** 1-based position in the chain. */
  readonly chainSeq: number;
  /** ISO 8601 UTC time with milliseconds. */
  readonly time: string;
  readonly traceId: string | null;
  readonly spanId: string | null;
  /** Hashed as `incidentId` in version 1, `correlationId` from version 2. */
  readonly correlationId: string | null;
  readonly actor: string;
  readonly kind: AuditKind;
  readonly what: JsonObject;
  readonly why: JsonObject;
  readonly inputDigest: string | null;
  readonly outputDigest: string | null;
  /** Hash of the previous entry of this chain ({@link GENESIS_HASH} for the first). */
  readonly prevHash: string;
}

/** A stored entry: the sealed fields, its own hash (also its id) and the store sequence. */
export interface AuditEntry extends SealedEntry {
  /** Store-wide order of commit, assigned by the store; not hashed. */
  readonly sequence: number;
  /** Lower-case hex SHA-256 of the RFC 8785 canonical JSON of the {@link SealedEntry}. */
  readonly hash: string;
}

/** The `prevHash` of a chain's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/**
 * Validates caller input; throws `VIGIL_AUDIT_INVALID_ENTRY` naming every bad field, so a
 * malformed step is refused before anything is written.
 */
export function validateEntryInput(
  input: AuditEntryInput,
  options: {
    readonly checkJson?: boolean;
    /** The kinds the writer accepts; any well-formed kind when absent. */
    readonly kinds?: ReadonlySet<string> | undefined;
  } = {},
): void {
  const problems: string[] = [];
  if (!isAuditKind(input.kind))
    problems.push(
      `kind: ${JSON.stringify(input.kind)} is not a kebab-case word of at most ${MAX_KIND_LENGTH} characters`,
    );
  else if (options.kinds !== undefined && !options.kinds.has(input.kind))
    problems.push(
      `kind: ${input.kind} is not registered (known: ${[...options.kinds].sort().join(', ')})`,
    );
  if (typeof input.actor !== 'string' || input.actor.length === 0)
    problems.push('actor: required (SPIFFE ID or user:<id>)');
  else if (!/^(spiffe:\/\/|user:)/.test(input.actor))
    problems.push(`actor: ${input.actor} is neither a SPIFFE ID nor user:<id>`);
  if (!isPlainObject(input.what)) problems.push('what: must be an object');
  if (!isPlainObject(input.why)) problems.push('why: must be an object');
  if (input.traceId != null && !TRACE_ID.test(input.traceId))
    problems.push('traceId: must be 32 lower-case hex digits (W3C trace id)');
  if (input.spanId != null && !SPAN_ID.test(input.spanId))
    problems.push('spanId: must be 16 lower-case hex digits (W3C span id)');
  if (
    input.correlationId != null &&
    (typeof input.correlationId !== 'string' ||
      input.correlationId.length === 0 ||
      input.correlationId.length > 200)
  )
    problems.push('correlationId: must be a non-empty string of at most 200 characters');
  for (const field of ['inputDigest', 'outputDigest'] as const) {
    const value = input[field];
    if (value != null && (typeof value !== 'string' || !DIGEST.test(value)))
      problems.push(`${field}: must be sha256:<64 hex digits>`);
  }
  if (input.time !== undefined && Number.isNaN(new Date(input.time).getTime()))
    problems.push('time: not a valid date');
  if (problems.length === 0 && options.checkJson !== false) {
    // Canonical JSON refuses what JSON cannot carry faithfully (NaN, bigint, functions).
    try {
      canonicalText(input.what, '$.what');
      canonicalText(input.why, '$.why');
    } catch (error) {
      problems.push((error as Error).message.replace(/^invalid audit entry: /, ''));
    }
  }
  if (problems.length > 0) {
    throw new AuditError(
      'VIGIL_AUDIT_INVALID_ENTRY',
      `invalid audit entry: ${problems.join('; ')}`,
      {
        details: { problems },
      },
    );
  }
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The fields {@link sealedCanonical} embeds besides `what` and `why`. */
export type SealedHeader = Omit<SealedEntry, 'what' | 'why' | 'kind'> & { readonly kind: string };

/**
 * RFC 8785 canonical JSON of a sealed entry, built from already-canonical `what`/`why`
 * texts, in the form of the entry's version `v`. This is what the hash covers; it equals
 * `canonicalJson` of the entry with the correlation id under its version's key (tested),
 * but needs no re-encoding of `what`/`why` — which keeps verification of a million
 * entries within seconds, because the store keeps `what`/`why` in canonical form.
 */
export function sealedCanonical(s: SealedHeader, whatJson: string, whyJson: string): string {
  // Keys in RFC 8785 order (UTF-16 code units): actor, chain, chainSeq, correlationId
  // (version 1: incidentId — both sort between chainSeq and inputDigest), inputDigest,
  // kind, outputDigest, prevHash, spanId, time, traceId, v, what, why.
  return (
    `{"actor":${JSON.stringify(s.actor)},"chain":${JSON.stringify(s.chain)},"chainSeq":${s.chainSeq}` +
    `,"${CORRELATION_KEY[s.v]}":${str(s.correlationId)},"inputDigest":${str(s.inputDigest)},"kind":${JSON.stringify(s.kind)}` +
    `,"outputDigest":${str(s.outputDigest)},"prevHash":${JSON.stringify(s.prevHash)},"spanId":${str(s.spanId)}` +
    `,"time":${JSON.stringify(s.time)},"traceId":${str(s.traceId)},"v":${s.v},"what":${whatJson},"why":${whyJson}}`
  );
}

/**
 * The object whose RFC 8785 form an entry's hash covers: the sealed fields with the
 * correlation id under the key of the entry's version.
 */
export function hashedForm(entry: SealedEntry): Record<string, unknown> {
  const { correlationId, ...rest } = entry;
  return { ...rest, [CORRELATION_KEY[entry.v]]: correlationId };
}

/**
 * The canonical text of a stored entry from its columns, for verification; a text that
 * no stored hash matches when `why` is not JSON. `what` and `why` are embedded as stored,
 * so bytes moved from one to the other across a `,"why":` inside either rebuild the very
 * same text — but such a move always leaves `why` invalid JSON (what follows a key inside
 * a JSON object cannot be a whole JSON value), so checking `why` alone closes it.
 */
export function storedCanonical(
  s: Omit<SealedHeader, 'v'> & { readonly v: unknown },
  whatJson: string,
  whyJson: string,
): string {
  // A version no writer seals with (a tampered `v`) rebuilds no stored hash.
  if (!isAuditFormatVersion(s.v)) return NOT_JSON;
  try {
    JSON.parse(whyJson);
  } catch {
    return NOT_JSON;
  }
  return sealedCanonical(s as SealedHeader, whatJson, whyJson);
}

/** Hashes to no entry's hash: a canonical text always begins with `{`. */
const NOT_JSON = 'why is not JSON, or v is no known version';

function str(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}

/**
 * Lower-case hex SHA-256 of the UTF-8 bytes of `text`. One-shot `crypto.hash` (Node ≥
 * 20.12): about half the cost of `createHash().update().digest()` for an entry-sized text,
 * which matters once per append and once per verified entry.
 */
export function sha256OfText(text: string): string {
  return hash('sha256', text, 'hex');
}

/** Hex SHA-256 of a sealed entry given its canonical `what`/`why` texts. */
export function hashSealed(
  s: Omit<SealedEntry, 'what' | 'why'>,
  whatJson: string,
  whyJson: string,
): string {
  return sha256OfText(sealedCanonical(s, whatJson, whyJson));
}

/** Hex SHA-256 of an entry (recomputed from its fields). */
export function entryHash(entry: SealedEntry): string {
  return hashSealed(entry, canonicalText(entry.what), canonicalText(entry.why));
}

/** The hashed part of an entry, without `sequence` and `hash`. */
export function sealedPart(entry: AuditEntry): SealedEntry {
  const { sequence: _sequence, hash: _hash, ...sealed } = entry;
  return sealed;
}

/**
 * RFC 8785 canonical JSON, as `canonicalJson` in `@vigil/core` (same output — tested on
 * generated values), written for the append hot path: one pass, string concatenation, no
 * intermediate arrays. Throws `VIGIL_AUDIT_INVALID_ENTRY` naming the path of a value JSON
 * cannot carry (non-finite number, bigint, function, symbol); `path` names the root.
 */
export function canonicalText(value: unknown, path = '$'): string {
  const out: string[] = [];
  writeCanonical(value, [path], out);
  // One join into a flat string rather than concatenation, which builds a tree of dozens
  // of pieces in V8: an append keeps the text until its batch commits, and a tree that
  // lives that long is copied by every young-generation collection meanwhile (about a
  // third more scavenge time and several µs more CPU per append, measured with 512 appends
  // in flight).
  return out.join('');
}

/**
 * `trail` holds the keys and indexes leading to `value`, pushed and popped as the walk
 * goes: the path is rendered only for an error, never built on the way (building a path
 * string for every member cost more than the serialisation itself).
 */
function writeCanonical(value: unknown, trail: (string | number)[], out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw invalidValue(trail, `${value} has no JSON form`);
      out.push(JSON.stringify(value));
      return;
    case 'object': {
      if (Array.isArray(value)) {
        out.push('[');
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(',');
          const item: unknown = value[i];
          if (item === undefined) out.push('null');
          else {
            trail.push(i);
            writeCanonical(item, trail, out);
            trail.pop();
          }
        }
        out.push(']');
        return;
      }
      const withToJson = value as { toJSON?: () => unknown };
      if (typeof withToJson.toJSON === 'function') {
        writeCanonical(withToJson.toJSON(), trail, out);
        return;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let first = true;
      out.push('{');
      for (const k of keys) {
        const v = record[k];
        if (v === undefined) continue;
        out.push(first ? `${JSON.stringify(k)}:` : `,${JSON.stringify(k)}:`);
        first = false;
        trail.push(k);
        writeCanonical(v, trail, out);
        trail.pop();
      }
      out.push('}');
      return;
    }
    default:
      throw invalidValue(trail, `a ${typeof value} has no JSON form`);
  }
}

function renderTrail(trail: readonly (string | number)[]): string {
  return trail.map((k, i) => (i === 0 ? k : typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
}

function invalidValue(trail: readonly (string | number)[], message: string): AuditError {
  const path = renderTrail(trail);
  return new AuditError('VIGIL_AUDIT_INVALID_ENTRY', `invalid audit entry: ${path}: ${message}`, {
    details: { path },
  });
}

/**
 * An entry read back from JSON (`vigil audit export`, a recorded fixture), in any format
 * version: a version 1 entry exported before the change names its correlation id
 * `incidentId`. Throws `VIGIL_AUDIT_INVALID_ENTRY` naming every field that is missing or of
 * the wrong type; the hash is not checked here (see {@link entryHash}).
 */
export function entryFromJson(value: unknown): AuditEntry {
  const problems: string[] = [];
  if (!isPlainObject(value)) problems.push('entry: must be an object');
  const o = (isPlainObject(value) ? value : {}) as Record<string, unknown>;
  const text = (key: string): string => {
    const v = o[key];
    if (typeof v !== 'string') problems.push(`${key}: must be a string`);
    return v as string;
  };
  const nullable = (key: string): string | null => {
    const v = o[key] ?? null;
    if (v !== null && typeof v !== 'string') problems.push(`${key}: must be a string or null`);
    return v as string | null;
  };
  const integer = (key: string): number => {
    const v = o[key];
    if (!Number.isSafeInteger(v)) problems.push(`${key}: must be an integer`);
    return v as number;
  };
  const object = (key: string): JsonObject => {
    const v = o[key];
    if (!isPlainObject(v)) problems.push(`${key}: must be an object`);
    return v as JsonObject;
  };
  if (!isAuditFormatVersion(o['v']))
    problems.push(`v: ${JSON.stringify(o['v'])} is not one of ${AUDIT_FORMAT_VERSIONS.join(', ')}`);
  const v = o['v'] as AuditFormatVersion;
  // Version 1 entries exported before the rename carry the old key; any later export uses the new.
  const correlationKey = v === 1 && !('correlationId' in o) ? CORRELATION_KEY[1] : 'correlationId';
  const entry: AuditEntry = {
    v,
    sequence: integer('sequence'),
    chain: text('chain'),
    chainSeq: integer('chainSeq'),
    time: text('time'),
    traceId: nullable('traceId'),
    spanId: nullable('spanId'),
    correlationId: nullable(correlationKey),
    actor: text('actor'),
    kind: text('kind'),
    what: object('what'),
    why: object('why'),
    inputDigest: nullable('inputDigest'),
    outputDigest: nullable('outputDigest'),
    prevHash: text('prevHash'),
    hash: text('hash'),
  };
  if (problems.length > 0)
    throw new AuditError(
      'VIGIL_AUDIT_INVALID_ENTRY',
      `invalid audit entry: ${problems.join('; ')}`,
      {
        details: { problems },
      },
    );
  return entry;
}
