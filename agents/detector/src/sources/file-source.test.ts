import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVigilError } from '@vigil/core';
import { createFileReplaySource, type ReplayClock } from './file-source.js';
import { CONTRACT_LINES, describeEventSourceContract } from './event-source.contract.js';

function tempFile(t: { after(fn: () => void): void }, text: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'events.ndjson');
  writeFileSync(path, text);
  return path;
}

describeEventSourceContract(
  'file replay source',
  async (t, lines, { deadLetter }) => {
    const path = tempFile(t, `${lines.join('\n')}\n`);
    const source = createFileReplaySource({ path, deadLetter });
    // The file is the medium: start() begins reading it.
    return { source, deliver: async () => {} };
  },
  { redeliversFailures: false },
);

test('reports bad lines with file and line number, also past a 64 KiB read chunk', async (t) => {
  const pad = JSON.stringify({
    rule: 'x',
    priority: 'Notice',
    time: '2026-11-20T12:00:00Z',
    output_fields: { pad: 'p'.repeat(70_000) },
  });
  const path = tempFile(t, [CONTRACT_LINES[0], pad, '', '{bad', CONTRACT_LINES[5]].join('\r\n'));
  const source = createFileReplaySource({ path });
  const refs: string[] = [];
  await source.start(async (_e, d) => void refs.push(d.ref));
  const summary = await source.finished;
  assert.deepEqual(summary, { passes: 1, stopped: false });
  assert.deepEqual(refs, ['events.ndjson:1', 'events.ndjson:2', 'events.ndjson:5']);
  assert.deepEqual(source.counters.snapshot().rejectedByCode, { MALFORMED_JSON: 1 });
});

test('skips an oversized line without buffering it whole and reports it', async (t) => {
  const huge = JSON.stringify({ rule: 'x', pad: 'z'.repeat(300_000) });
  const path = tempFile(t, [huge, CONTRACT_LINES[0]].join('\n'));
  const source = createFileReplaySource({ path, maxLineBytes: 100_000 });
  const ids: string[] = [];
  await source.start(async (e) => void ids.push(e.id));
  await source.finished;
  assert.deepEqual(ids, ['contract-1']);
  assert.deepEqual(source.counters.snapshot().rejectedByCode, { LINE_TOO_LONG: 1 });
});

test('checks lines as HTTP bodies are: a leading BOM is stripped, bad UTF-8, a later BOM and too-deep nesting are rejected by line', async (t) => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const latin1 = Buffer.from('{"rule":"caf\xe9"}', 'latin1');
  const deep = '['.repeat(10_000) + ']'.repeat(10_000);
  const path = tempFile(
    t,
    Buffer.concat([
      bom,
      Buffer.from(`${CONTRACT_LINES[0]}\n`),
      latin1,
      Buffer.from('\n'),
      bom,
      Buffer.from(`${CONTRACT_LINES[1]}\n${deep}\n${CONTRACT_LINES[5]}\n`),
    ]),
  );
  const rejected: { line: number; code: string; offset?: number }[] = [];
  const source = createFileReplaySource({
    path,
    deadLetter: {
      write: (r) => void rejected.push({ line: r.line, code: r.code, offset: r.offset }),
      ready: async () => {},
      dropped: 0,
      close: async () => {},
    },
  });
  const ids: string[] = [];
  await source.start(async (e) => void ids.push(e.id));
  await source.finished;
  assert.deepEqual(ids, ['contract-1', 'contract-2']);
  assert.deepEqual(
    rejected.map((r) => [r.line, r.code]),
    [
      [2, 'INVALID_ENCODING'],
      [3, 'INVALID_ENCODING'],
      [4, 'NESTING_TOO_DEEP'],
    ],
  );
  assert.equal(
    rejected[0]?.offset,
    bom.length + Buffer.byteLength(CONTRACT_LINES[0]!) + 1 + latin1.indexOf(0xe9),
    'the bad byte is named by its offset in the file',
  );
});

test('paces events at the given rate', async (t) => {
  const path = tempFile(t, CONTRACT_LINES.join('\n'));
  let now = 0;
  const sleeps: number[] = [];
  const clock: ReplayClock = {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
  const source = createFileReplaySource({ path, rate: 2, clock });
  const times: number[] = [];
  await source.start(async () => void times.push(now));
  await source.finished;
  assert.deepEqual(times, [0, 500, 1000, 1500], 'four events at 2 per second');
  assert.deepEqual(sleeps, [500, 500, 500]);
});

test('loops until stopped', async (t) => {
  const path = tempFile(t, CONTRACT_LINES.join('\n'));
  const source = createFileReplaySource({ path, loop: true });
  let n = 0;
  let reached!: () => void;
  const tenth = new Promise<void>((r) => (reached = r));
  await source.start(async () => {
    n += 1;
    if (n === 10) reached();
  });
  await tenth;
  await source.stop();
  const summary = await source.finished;
  assert.equal(summary.stopped, true);
  assert.ok(summary.passes >= 2, 'read the file more than twice to reach ten events');
});

test('fails to start on a missing file, naming it', async () => {
  const source = createFileReplaySource({ path: '/nonexistent/vigil/events.ndjson' });
  await assert.rejects(
    source.start(async () => {}),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_DETECTOR_INGEST_UNAVAILABLE') && /ENOENT/.test((e as Error).message),
  );
});

test('refuses a non-positive rate', () => {
  assert.throws(
    () => createFileReplaySource({ path: 'x', rate: 0 }),
    /positive number of events per second/,
  );
});
