/**
 * NDJSON parsing with line numbers. Blank lines are skipped but still counted, so a
 * reported line number is the line an operator sees in an editor (1-based).
 */
import type { RejectCode } from './result.js';

/** One parsed line: the JSON value, or why the line was rejected. */
export type ParsedLine =
  | { readonly line: number; readonly ok: true; readonly value: unknown }
  | {
      readonly line: number;
      readonly ok: false;
      readonly code: RejectCode;
      readonly reason: string;
      /** Byte offset of the fault in the body or file, when the parser knows it. */
      readonly offset?: number;
      /** The offending text (at most the first {@link REJECTED_TEXT_MAX} characters), for dead letters. */
      readonly text: string;
    };

/** How much of a rejected line is kept for the dead-letter file. */
export const REJECTED_TEXT_MAX = 64 * 1024;

export interface NdjsonOptions {
  /** Longest accepted line in bytes (UTF-8), excluding the newline. Default 1 MiB. */
  readonly maxLineBytes?: number;
  /** Number of the first line, for files read in chunks. Default 1. */
  readonly firstLine?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/**
 * Splits `input` (text or UTF-8 bytes) on `\n` (a trailing `\r` is dropped) and parses
 * each non-blank line. Never throws: a malformed or oversized line is yielded as a
 * rejection with its line number and reason.
 */
export function* parseNdjson(
  input: string | Uint8Array,
  options: NdjsonOptions = {},
): Generator<ParsedLine> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let line = (options.firstLine ?? 1) - 1;
  if (typeof input === 'string') {
    let start = 0;
    while (start <= input.length) {
      let end = input.indexOf('\n', start);
      if (end === -1) end = input.length;
      line += 1;
      const text = input.slice(start, end);
      // `text.length` counts UTF-16 units; a line can be up to 3x longer in UTF-8.
      const bytes = text.length * 3 <= maxLineBytes ? text.length : Buffer.byteLength(text);
      const parsed = parseLine(text, line, bytes, maxLineBytes);
      if (parsed !== undefined) yield parsed;
      start = end + 1;
    }
    return;
  }
  const buf = Buffer.isBuffer(input)
    ? input
    : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let start = 0;
  while (start <= buf.length) {
    let end = buf.indexOf(10, start);
    if (end === -1) end = buf.length;
    line += 1;
    const bytes = end - start;
    if (bytes > maxLineBytes) {
      yield tooLong(
        line,
        bytes,
        maxLineBytes,
        buf.toString('utf8', start, start + REJECTED_TEXT_MAX),
      );
    } else {
      const parsed = parseLine(buf.toString('utf8', start, end), line, bytes, maxLineBytes);
      if (parsed !== undefined) yield parsed;
    }
    start = end + 1;
  }
}

/** Parses one line of text; undefined for a blank line. */
export function parseLine(
  text: string,
  line: number,
  bytes: number = Buffer.byteLength(text),
  maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
): ParsedLine | undefined {
  if (bytes > maxLineBytes) return tooLong(line, bytes, maxLineBytes, text);
  const trimmed = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (trimmed.trim().length === 0) return undefined;
  return parseJsonLine(trimmed, line);
}

/** `JSON.parse` of one non-blank line, its failure as a `MALFORMED_JSON` rejection. */
export function parseJsonLine(text: string, line: number): ParsedLine {
  try {
    return { line, ok: true, value: JSON.parse(text) };
  } catch (error) {
    return {
      line,
      ok: false,
      code: 'MALFORMED_JSON',
      reason: `malformed JSON: ${(error as Error).message}`,
      text: text.slice(0, REJECTED_TEXT_MAX),
    };
  }
}

/** The rejection of a line of `bytes` bytes over the `max`-byte limit; `text` is its head. */
export function tooLong(line: number, bytes: number, max: number, text: string): ParsedLine {
  return {
    line,
    ok: false,
    code: 'LINE_TOO_LONG',
    reason: `line is ${bytes} bytes, over the ${max}-byte line limit`,
    text: text.slice(0, REJECTED_TEXT_MAX),
  };
}
