/**
 * A request body as parsed lines, read incrementally: the body is never held whole, and
 * reading waits while the caller processes what it was given (the socket is paused, so
 * TCP pushes back on the sender). Decompresses gzip as it reads; counts bytes after
 * decompression against the body limit (a zip bomb stops at the limit).
 *
 * Bodies are NDJSON, except with `Content-Type: application/json`: a JSON array (its
 * elements are the records, `line` = position) or one JSON document (a pretty-printed
 * webhook object), either held up to `maxDocumentBytes` — JSON that is not NDJSON cannot
 * be split before it is parsed. A `{…}` body over that size is read as NDJSON (Fluent
 * Bit's `json_lines` is sent as application/json too); a `[…]` body over it is refused.
 */
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ParsedLine } from '../events/ndjson.js';
import { NdjsonStream, parseLineBytes, type LineLimits } from './ndjson-stream.js';

export interface BodyLimits extends LineLimits {
  /** Bytes after decompression. */
  readonly maxBodyBytes: number;
  /** A JSON array or one JSON document body, held whole to parse it. */
  readonly maxDocumentBytes: number;
}

/** How reading a body ended. */
export type BodyEnd =
  | { readonly kind: 'complete'; readonly lines: number }
  | { readonly kind: 'too-large'; readonly lines: number; readonly message: string }
  | { readonly kind: 'bad-gzip'; readonly lines: number; readonly message: string }
  | { readonly kind: 'aborted'; readonly lines: number };

/**
 * Yields the body's parsed lines in batches (one per chunk read; blank lines skipped,
 * still counted), and returns how the body ended. The caller may stop early with
 * `return()`: the request is then left paused for the caller to answer and close.
 */
export async function* bodyLines(
  req: IncomingMessage,
  options: BodyLimits & { readonly gzip: boolean; readonly json: boolean },
): AsyncGenerator<ParsedLine[], BodyEnd> {
  const input = options.gzip
    ? pipeline(req, createGunzip(), () => {
        // The error reaches the iteration below.
      })
    : req;
  const ndjson = new NdjsonStream(options);
  /** Bytes held while the body's kind is not known yet, or while it is a document. */
  let held: Buffer[] = [];
  let heldBytes = 0;
  let mode: 'undecided' | 'ndjson' | 'document' | 'array' = 'undecided';
  let size = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > options.maxBodyBytes)
        return {
          kind: 'too-large',
          lines: ndjson.lines,
          message: `request body exceeds the ${options.maxBodyBytes}-byte limit`,
        };
      if (mode === 'ndjson') {
        yield [...ndjson.push(chunk)];
        continue;
      }
      held.push(chunk);
      heldBytes += chunk.length;
      if (mode === 'undecided') mode = kindOf(Buffer.concat(held), options.json);
      if (mode === 'undecided' || (mode !== 'ndjson' && heldBytes <= options.maxDocumentBytes))
        continue;
      if (mode === 'array')
        return {
          kind: 'too-large',
          lines: 0,
          message: `a JSON array body is limited to ${options.maxDocumentBytes} bytes; send NDJSON (one record per line) for more`,
        };
      // NDJSON, or too big for one document: NDJSON sent as application/json.
      mode = 'ndjson';
      const out: ParsedLine[] = [];
      for (const c of held) out.push(...ndjson.push(c));
      held = [];
      yield out;
    }
  } catch (error) {
    if (options.gzip && req.complete)
      return { kind: 'bad-gzip', lines: ndjson.lines, message: (error as Error).message };
    return { kind: 'aborted', lines: ndjson.lines };
  }
  if (mode === 'ndjson' || mode === 'undecided') {
    const out: ParsedLine[] = [];
    for (const c of held) out.push(...ndjson.push(c));
    out.push(...ndjson.end());
    yield out;
    return { kind: 'complete', lines: ndjson.lines };
  }
  const body = Buffer.concat(held, heldBytes);
  held = [];
  const parsed = parseLineBytes(body, 1, 0, options.maxDepth);
  if (mode === 'document' && (parsed === undefined || !parsed.ok)) {
    // Not one document: NDJSON after all.
    yield [...ndjson.push(body), ...ndjson.end()];
    return { kind: 'complete', lines: ndjson.lines };
  }
  if (parsed === undefined) return { kind: 'complete', lines: 0 };
  if (!parsed.ok || mode === 'document' || !Array.isArray(parsed.value)) {
    yield [parsed.ok ? parsed : { ...parsed, reason: `JSON array body: ${parsed.reason}` }];
    return { kind: 'complete', lines: 1 };
  }
  const items = parsed.value as unknown[];
  yield items.map((value, k) => ({ line: k + 1, ok: true, value }));
  return { kind: 'complete', lines: items.length };
}

/** Decides from the first significant byte: `[` an array, `{` (application/json) a document. */
function kindOf(head: Buffer, json: boolean): 'undecided' | 'ndjson' | 'document' | 'array' {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (
    i < head.length &&
    (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)
  )
    i++;
  if (i === head.length) return 'undecided';
  if (head[i] === 0x5b /* [ */) return 'array';
  if (json && head[i] === 0x7b /* { */) return 'document';
  return 'ndjson';
}
