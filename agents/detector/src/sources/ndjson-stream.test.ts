import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParsedLine } from '../events/ndjson.js';
import { NdjsonStream, exceedsDepth, firstInvalidUtf8 } from './ndjson-stream.js';

const LIMITS = { maxLineBytes: 1024, maxDepth: 128 };

function parse(body: Buffer, chunk = body.length, limits = LIMITS): ParsedLine[] {
  const s = new NdjsonStream(limits);
  const out: ParsedLine[] = [];
  for (let i = 0; i < body.length; i += chunk) out.push(...s.push(body.subarray(i, i + chunk)));
  out.push(...s.end());
  return out;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

test('strips one leading byte-order mark and rejects one on a later line by line and offset', () => {
  const body = Buffer.concat([BOM, Buffer.from('{"a":1}\n'), BOM, Buffer.from('{"b":2}\n{"c":3}')]);
  const out = parse(body);
  assert.deepEqual(out[0], { line: 1, ok: true, value: { a: 1 } });
  const bad = out[1] as Extract<ParsedLine, { ok: false }>;
  assert.equal(bad.line, 2);
  assert.equal(bad.code, 'INVALID_ENCODING');
  assert.equal(bad.offset, 11);
  assert.match(bad.reason, /byte-order mark.*byte 0 of the line \(byte 11 of the body\)/);
  assert.deepEqual(out[2], { line: 3, ok: true, value: { c: 3 } });
});

test('rejects invalid UTF-8 with the line and byte offset instead of decoding it to U+FFFD', () => {
  const body = Buffer.concat([
    Buffer.from('{"a":1}\n{"user":"'),
    Buffer.from([0xc3, 0x28]), // a lead byte without its continuation
    Buffer.from('"}\n{"ok":"é"}\n'),
  ]);
  const out = parse(body);
  assert.equal(out.length, 3);
  const bad = out[1] as Extract<ParsedLine, { ok: false }>;
  assert.equal(bad.code, 'INVALID_ENCODING');
  assert.equal(bad.line, 2);
  assert.equal(bad.offset, 8 + 9);
  assert.match(bad.reason, /invalid UTF-8 byte 0xc3 at byte 9 of the line \(byte 17 of the body\)/);
  assert.deepEqual(out[2], { line: 3, ok: true, value: { ok: 'é' } });
});

for (const depth of [10_000, 100_000]) {
  test(`a line nested ${depth} deep is one rejected line, and the lines after it are parsed`, () => {
    const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const body = Buffer.from(`{"a":1}\n${deep}\n{"b":2}\n`);
    const out = parse(body, 4096, { maxLineBytes: 1024 * 1024, maxDepth: 128 });
    assert.equal(out.length, 3);
    const bad = out[1] as Extract<ParsedLine, { ok: false }>;
    assert.equal(bad.line, 2);
    assert.equal(bad.code, 'NESTING_TOO_DEEP');
    assert.equal(bad.offset, 8 + 128);
    assert.deepEqual(out[2], { line: 3, ok: true, value: { b: 2 } });
  });
}

test('counts brackets inside strings (escaped quotes included) as text, not nesting', () => {
  const line = Buffer.from(JSON.stringify({ s: `\\"${'['.repeat(500)}"` }));
  assert.equal(exceedsDepth(line, 2), -1);
  assert.equal(exceedsDepth(Buffer.from('[[[1]]]'), 2), 2);
});

test('gives the same lines whatever the chunk boundaries, multi-byte characters split included', () => {
  const body = Buffer.from('{"a":"é€😀"}\r\n\n{"b":[1,2]}\nnot json\n{"c":3}');
  const whole = parse(body);
  for (let chunk = 1; chunk < body.length; chunk++) assert.deepEqual(parse(body, chunk), whole);
  assert.deepEqual(
    whole.map((p) => [p.line, p.ok]),
    [
      [1, true],
      [3, true],
      [4, false],
      [5, true],
    ],
  );
});

test('rejects an over-long line by number while holding only its head', () => {
  const long = 'x'.repeat(10_000);
  const out = parse(Buffer.from(`{"a":1}\n"${long}"\n{"b":2}`), 100, {
    maxLineBytes: 1000,
    maxDepth: 8,
  });
  assert.deepEqual(
    out.map((p) => [p.line, p.ok ? 'ok' : p.code]),
    [
      [1, 'ok'],
      [2, 'LINE_TOO_LONG'],
      [3, 'ok'],
    ],
  );
  assert.match((out[1] as { reason: string }).reason, /10002 bytes, over the 1000-byte/);
});

test('finds the first byte that does not begin or continue a UTF-8 sequence', () => {
  assert.equal(firstInvalidUtf8(Buffer.from('abc')), 3);
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xff])), 1);
  assert.equal(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0); // a UTF-16 surrogate
  assert.equal(firstInvalidUtf8(Buffer.from([0xc0, 0x80])), 0); // overlong
});
