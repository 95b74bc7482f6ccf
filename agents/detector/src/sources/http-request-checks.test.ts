import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkBodyHeaders, createRequestTurns } from './http-request-checks.js';

test('body headers: NDJSON by default, gzip and JSON recognised, parameters ignored', () => {
  assert.deepEqual(checkBodyHeaders({}, 10), { gzip: false, json: false });
  assert.deepEqual(
    checkBodyHeaders(
      { 'content-encoding': 'GZIP', 'content-type': 'application/json; charset=utf-8' },
      10,
    ),
    { gzip: true, json: true },
  );
});

test('body headers: an unsupported encoding or media type is refused with 415 naming it', () => {
  const br = checkBodyHeaders({ 'content-encoding': 'br' }, 10);
  assert.equal('status' in br && br.code, 'UNSUPPORTED_ENCODING');
  assert.match('message' in br ? br.message : '', /Content-Encoding br/);
  const xml = checkBodyHeaders({ 'content-type': 'application/xml' }, 10);
  assert.equal('status' in xml && xml.status, 415);
  assert.equal('status' in xml && xml.code, 'UNSUPPORTED_MEDIA_TYPE');
});

test('body headers: a declared length over the limit is 413 unless the body is compressed', () => {
  const big = checkBodyHeaders({ 'content-length': '11' }, 10);
  assert.equal('status' in big && big.status, 413);
  assert.deepEqual(checkBodyHeaders({ 'content-length': '10' }, 10), { gzip: false, json: false });
  // Compressed length says nothing about the decompressed size: the reader enforces it.
  assert.deepEqual(checkBodyHeaders({ 'content-length': '11', 'content-encoding': 'gzip' }, 10), {
    gzip: true,
    json: false,
  });
});

test('request turns run in arrival order, one at a time, and report idle after the last', async () => {
  const turns = createRequestTurns();
  const order: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const first = turns.run(async () => {
    order.push('first starts');
    await released;
    order.push('first ends');
  });
  const second = turns.run(async () => {
    order.push('second');
  });
  assert.equal(turns.pending(), 2);
  const idle = turns.idle();
  release();
  await Promise.all([first, second, idle]);
  assert.deepEqual(order, ['first starts', 'first ends', 'second']);
  assert.equal(turns.pending(), 0);
});
