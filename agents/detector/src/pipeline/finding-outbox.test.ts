import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isVigilError } from '@vigil/core';
import type { Finding } from '@vigil/soc';
import { FindingOutbox } from './finding-outbox.js';

function finding(id: string): Finding {
  return {
    id,
    detectedAt: 1,
    score: 0.9,
    threshold: 0.6,
    modelVersion: 'm',
    topFeatures: [],
    event: {
      id: `e-${id}`,
      time: 1,
      format: 'falco',
      classUid: 1007,
      activity: 'launch',
      severityId: 4,
      actor: {},
      tags: [],
      raw: {},
    },
    entities: { addresses: [] },
  };
}

function outboxPath(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-outbox-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'data', 'outbox.sqlite');
}

test('delivers findings in order and forgets each once acknowledged', async (t) => {
  const delivered: string[] = [];
  const outbox = new FindingOutbox({
    path: outboxPath(t),
    deliver: async (f) => void delivered.push(f.id),
  });
  outbox.start();
  for (const id of ['a', 'b', 'c']) outbox.enqueue(finding(id));
  await outbox.idle();
  assert.deepEqual(delivered, ['a', 'b', 'c']);
  assert.equal(outbox.pending(), 0);
  await outbox.stop();
});

test('a coordinator that refuses for a while delays findings but loses none', async (t) => {
  let refusals = 3;
  const delivered: string[] = [];
  const outbox = new FindingOutbox({
    path: outboxPath(t),
    initialBackoffMs: 1,
    maxBackoffMs: 4,
    deliver: async (f) => {
      if (refusals-- > 0) throw new Error('coordinator restarting');
      delivered.push(f.id);
    },
  });
  outbox.start();
  outbox.enqueue(finding('a'));
  outbox.enqueue(finding('b'));
  await outbox.idle();
  assert.deepEqual(delivered, ['a', 'b']);
  await outbox.stop();
});

test('findings left by a stopped detector are delivered by the next one', async (t) => {
  const path = outboxPath(t);
  const first = new FindingOutbox({
    path,
    initialBackoffMs: 1,
    deliver: async () => {
      throw new Error('coordinator down');
    },
  });
  first.start();
  first.enqueue(finding('a'));
  first.enqueue(finding('b'));
  await first.stop();

  const delivered: string[] = [];
  const second = new FindingOutbox({ path, deliver: async (f) => void delivered.push(f.id) });
  assert.equal(second.pending(), 2);
  second.start();
  await second.idle();
  assert.deepEqual(delivered, ['a', 'b']);
  await second.stop();
});

test('a full outbox refuses new findings with a coded error, keeping what it holds', async (t) => {
  const outbox = new FindingOutbox({
    path: outboxPath(t),
    maxPending: 2,
    deliver: async () => {
      throw new Error('coordinator down');
    },
  });
  outbox.enqueue(finding('a'));
  outbox.enqueue(finding('b'));
  assert.throws(
    () => outbox.enqueue(finding('c')),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_DETECTOR_INGEST_FULL') &&
      (e as { details?: Record<string, unknown> }).details?.['retryAfterSeconds'] === 5,
  );
  assert.equal(outbox.pending(), 2);
  await outbox.stop();
});

test('refuses new intake at its high-water mark, before it is full, and names why', async (t) => {
  const outbox = new FindingOutbox({
    path: outboxPath(t),
    maxPending: 10,
    deliver: async () => {
      throw new Error('coordinator down');
    },
  });
  for (let i = 0; i < 8; i++) outbox.enqueue(finding(`f${i}`));
  assert.equal(outbox.refusal(), undefined);
  outbox.enqueue(finding('f8'));
  const refusal = outbox.refusal();
  assert.match(refusal?.reason ?? '', /holds 9 of at most 10 undelivered findings/);
  assert.equal(refusal?.retryAfterSeconds, 5);
  await outbox.stop();
});

test('refusals carry the configured back-off hint', async (t) => {
  const outbox = new FindingOutbox({
    path: outboxPath(t),
    maxPending: 1,
    retryAfterSeconds: 42,
    deliver: async () => {
      throw new Error('coordinator down');
    },
  });
  outbox.enqueue(finding('a'));
  assert.equal(outbox.refusal()?.retryAfterSeconds, 42);
  assert.throws(
    () => outbox.enqueue(finding('b')),
    (e: unknown) =>
      (e as { details?: Record<string, unknown> }).details?.['retryAfterSeconds'] === 42,
  );
  await outbox.stop();
});
