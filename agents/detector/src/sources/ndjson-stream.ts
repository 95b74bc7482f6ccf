/**
 * Incremental NDJSON for request bodies: bytes arrive in chunks of any size and lines
 * leave as soon as they are complete, so a body is never held whole. What one line may
 * hold is checked on its bytes before `JSON.parse` sees them:
 *
 * - a UTF-8 byte-order mark is stripped at the start of the body only; one at the start of
 *   any later line is rejected (`INVALID_ENCODING`), as is any byte sequence that is not
 *   UTF-8 — named by line and by byte offset (in the line and in the body), never decoded
 *   to U+FFFD and accepted;
 * - a line over `maxLineBytes` is rejected by number; only its first bytes are kept (for
 *   the dead letter), the rest is counted and dropped as it streams past;
 * - arrays and objects nested deeper than `maxDepth` are rejected (`NESTING_TOO_DEEP`):
 *   `JSON.parse` itself copes with 100,000 levels, but every recursive walk after it
 *   (hashing, `JSON.stringify` for a finding or a dead letter) would throw a RangeError.
 */
import { isUtf8 } from 'node:buffer';
import { REJECTED_TEXT_MAX, parseJsonLine, tooLong, type ParsedLine } from '../events/ndjson.js';

/** Limits of one line. */
export interface LineLimits {
  /** Longest line in bytes, excluding the newline. */
  readonly maxLineBytes: number;
  /** Deepest nesting of arrays and objects accepted. */
  readonly maxDepth: number;
}

/** Nesting deeper than this is refused by default: real events stay far below it. */
export const DEFAULT_MAX_DEPTH = 128;

/** Splits a stream of body bytes into parsed lines; `push` each chunk, then `end`. */
export class NdjsonStream {
  readonly #limits: LineLimits;
  /** Bytes of the current, incomplete line (at most `maxLineBytes` + one chunk's worth). */
  #carry: Buffer[] = [];
  #carryBytes = 0;
  /** The current line is over the limit: its head is kept, the rest only counted. */
  #overBytes = 0;
  #overHead: Buffer | undefined;
  /** 1-based number of the line being read, and where it starts in the body. */
  #line = 1;
  #lineStart = 0;
  /** Body bytes seen so far. */
  #offset = 0;

  constructor(limits: LineLimits) {
    this.#limits = limits;
  }

  /** Lines read so far (complete ones; blank lines included, as an editor counts them). */
  get lines(): number {
    return this.#line - 1;
  }

  /** Body bytes pushed so far. */
  get bytes(): number {
    return this.#offset;
  }

  /** Parses every line that `chunk` completes. */
  *push(chunk: Buffer): Generator<ParsedLine> {
    let start = 0;
    const base = this.#offset;
    this.#offset += chunk.length;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const parsed = this.#complete(chunk.subarray(start, nl));
      start = nl + 1;
      this.#lineStart = base + start;
      if (parsed !== undefined) yield parsed;
    }
    if (start < chunk.length) this.#hold(chunk.subarray(start));
  }

  /** Parses the last line when the body does not end with a newline. */
  *end(): Generator<ParsedLine> {
    if (this.#carryBytes === 0 && this.#overBytes === 0) return;
    const parsed = this.#complete(Buffer.alloc(0));
    if (parsed !== undefined) yield parsed;
  }

  #hold(bytes: Buffer): void {
    if (this.#overBytes > 0) {
      this.#overBytes += bytes.length;
      return;
    }
    if (this.#carryBytes + bytes.length > this.#limits.maxLineBytes) {
      // Over the limit: keep what a dead letter shows, then only count.
      this.#carry.push(bytes);
      const all = Buffer.concat(this.#carry);
      this.#overHead = Buffer.from(all.subarray(0, REJECTED_TEXT_MAX));
      this.#overBytes = all.length;
      this.#carry = [];
      this.#carryBytes = 0;
      return;
    }
    // Copied: the chunk it came from would otherwise stay alive with it.
    this.#carry.push(Buffer.from(bytes));
    this.#carryBytes += bytes.length;
  }

  #complete(tail: Buffer): ParsedLine | undefined {
    const line = this.#line;
    const at = this.#lineStart;
    this.#line += 1;
    if (this.#overBytes > 0) {
      const bytes = this.#overBytes + tail.length;
      const head = this.#overHead as Buffer;
      this.#overBytes = 0;
      this.#overHead = undefined;
      return tooLongHead(line, bytes, this.#limits.maxLineBytes, head);
    }
    let bytes = tail;
    if (this.#carryBytes > 0) {
      this.#carry.push(tail);
      bytes = Buffer.concat(this.#carry, this.#carryBytes + tail.length);
      this.#carry = [];
      this.#carryBytes = 0;
    }
    if (bytes.length > this.#limits.maxLineBytes)
      return tooLongHead(line, bytes.length, this.#limits.maxLineBytes, bytes);
    return parseLineBytes(bytes, line, at, this.#limits.maxDepth);
  }
}

/**
 * Parses one line's bytes (without its newline). `bodyOffset` is where the line starts in
 * the body: a byte-order mark is accepted only at offset 0. Undefined for a blank line.
 */
export function parseLineBytes(
  input: Buffer,
  line: number,
  bodyOffset: number,
  maxDepth: number,
): ParsedLine | undefined {
  let bytes = input;
  if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
  let skip = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    if (bodyOffset !== 0)
      return encodingError(
        line,
        bodyOffset,
        0,
        'a byte-order mark (U+FEFF) is only allowed at the start of the body',
        bytes,
      );
    skip = 3;
  }
  if (skip > 0) bytes = bytes.subarray(skip);
  if (!isUtf8(bytes)) {
    const at = firstInvalidUtf8(bytes);
    return encodingError(
      line,
      bodyOffset + skip + at,
      skip + at,
      `invalid UTF-8 byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')}`,
      bytes,
    );
  }
  if (isBlank(bytes)) return undefined;
  const depth = exceedsDepth(bytes, maxDepth);
  if (depth !== -1)
    return {
      line,
      ok: false,
      code: 'NESTING_TOO_DEEP',
      reason: `arrays and objects nested more than ${maxDepth} deep (at byte ${depth} of the line)`,
      offset: bodyOffset + skip + depth,
      text: bytes.toString('utf8', 0, Math.min(bytes.length, REJECTED_TEXT_MAX)),
    };
  return parseJsonLine(bytes.toString('utf8'), line);
}

function tooLongHead(line: number, bytes: number, max: number, head: Buffer): ParsedLine {
  return tooLong(
    line,
    bytes,
    max,
    head.toString('utf8', 0, Math.min(head.length, REJECTED_TEXT_MAX)),
  );
}

function encodingError(
  line: number,
  bodyOffset: number,
  lineOffset: number,
  what: string,
  bytes: Buffer,
): ParsedLine {
  return {
    line,
    ok: false,
    code: 'INVALID_ENCODING',
    reason: `${what} at byte ${lineOffset} of the line (byte ${bodyOffset} of the body)`,
    offset: bodyOffset,
    // Shown as hex: the bytes are not text, and decoding them would hide the fault.
    text: bytes.toString('hex', 0, Math.min(bytes.length, REJECTED_TEXT_MAX / 2)),
  };
}

function isBlank(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  }
  return true;
}

/**
 * The offset of the first bracket that opens level `max + 1`, or -1. Strings are skipped
 * with `indexOf` (native) from quote to quote, so the loop runs over structure only.
 */
export function exceedsDepth(bytes: Buffer, max: number): number {
  let depth = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b === 0x22 /* " */) {
      let close = bytes.indexOf(0x22, i + 1);
      while (close !== -1 && isEscaped(bytes, close)) close = bytes.indexOf(0x22, close + 1);
      if (close === -1) return -1; // unterminated string: JSON.parse will say so
      i = close;
    } else if (b === 0x5b /* [ */ || b === 0x7b /* { */) {
      depth += 1;
      if (depth > max) return i;
    } else if (b === 0x5d /* ] */ || b === 0x7d /* } */) {
      depth -= 1;
    }
  }
  return -1;
}

/** Whether the quote at `at` is preceded by an odd number of backslashes. */
function isEscaped(bytes: Buffer, at: number): boolean {
  let k = at - 1;
  while (k >= 0 && bytes[k] === 0x5c) k--;
  return (at - 1 - k) % 2 === 1;
}

/** Offset of the first byte that does not begin or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i += 1;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}
