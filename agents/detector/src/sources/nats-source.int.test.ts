import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNats } from '@vigil/testkit';
import { isVigilError } from '@vigil/core';
import { createJetStreamSource } from './nats-source.js';
import { CONTRACT_LINES, describeEventSourceContract } from './event-source.contract.js';
import type { Rejection } from './event-source.js';

const STREAM = 'VIGIL_EVENTS';

async function publisher(t: { after(fn: () => Promise<void>): void }, url: string) {
  const nc = await connect({ servers: url });
  t.after(async () => {
    await nc.close();
  });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: ['events.>'] });
  const js = jetstream(nc);
  return {
    jsm,
    async publish(lines: readonly string[], subject = 'events.k8s'): Promise<void> {
      for (const l of lines) await js.publish(subject, l);
    },
  };
}

describeEventSourceContract(
  'NATS JetStream source',
  async (t, lines, { deadLetter }) => {
    const nats = await startNats(t);
    const pub = await publisher(t, nats.url);
    const source = createJetStreamSource({
      connection: { servers: nats.url },
      stream: STREAM,
      durable: 'detector',
      nakDelayMs: 10,
      deadLetter,
    });
    return { source, deliver: () => pub.publish(lines) };
  },
  { redeliversFailures: true },
);

test('terminates a poison message with its reason instead of redelivering it', async (t) => {
  const nats = await startNats(t);
  const pub = await publisher(t, nats.url);
  const source = createJetStreamSource({
    connection: { servers: nats.url },
    stream: STREAM,
    durable: 'detector',
  });
  const ids: string[] = [];
  await source.start(async (e) => void ids.push(e.id));
  t.after(() => source.stop());
  await pub.publish(['{"not":"an event"}', CONTRACT_LINES[0] as string]);
  await source.counters.until((s) => s.processed === 1 && s.rejected === 1);
  assert.deepEqual(ids, ['contract-1']);
  const info = await pub.jsm.consumers.info(STREAM, 'detector');
  assert.equal(
    info.num_ack_pending,
    0,
    'nothing left unacknowledged: the poison message was terminated',
  );
  assert.equal(info.num_redelivered, 0);
});

test('reads NDJSON messages, processes every line, and filters by subject', async (t) => {
  const nats = await startNats(t);
  const pub = await publisher(t, nats.url);
  const source = createJetStreamSource({
    connection: { servers: nats.url },
    stream: STREAM,
    durable: 'k8s-only',
    subject: 'events.k8s',
  });
  const ids: string[] = [];
  await source.start(async (e) => void ids.push(e.id));
  t.after(() => source.stop());
  await pub.publish([CONTRACT_LINES[1] as string], 'events.falco');
  await pub.publish([[CONTRACT_LINES[0], CONTRACT_LINES[5]].join('\n')], 'events.k8s');
  await source.counters.until((s) => s.processed === 2);
  assert.deepEqual(ids, ['contract-1', 'contract-2']);
});

test('rejects invalid UTF-8 in a message by line and offset and keeps its other lines', async (t) => {
  const nats = await startNats(t);
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  await (await jetstreamManager(nc)).streams.add({ name: STREAM, subjects: ['events.>'] });
  const source = createJetStreamSource({
    connection: { servers: nats.url },
    stream: STREAM,
    durable: 'detector',
  });
  const ids: string[] = [];
  await source.start(async (e) => void ids.push(e.id));
  t.after(() => source.stop());
  const first = Buffer.from(`${CONTRACT_LINES[0]}\n`);
  await jetstream(nc).publish(
    'events.k8s',
    Buffer.concat([first, Buffer.from('{"a":"'), Buffer.from([0xfe]), Buffer.from('"}')]),
  );
  await source.counters.until((s) => s.processed === 1 && s.rejected === 1);
  assert.deepEqual(ids, ['contract-1']);
  assert.deepEqual(source.counters.snapshot().rejectedByCode, { INVALID_ENCODING: 1 });
});

test('redelivers an event whose consumer process died before acknowledging it', async (t) => {
  const nats = await startNats(t);
  const pub = await publisher(t, nats.url);
  await pub.publish([CONTRACT_LINES[0] as string]);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./nats-crash-child.ts', import.meta.url)),
      nats.url,
      STREAM,
      'detector',
      '1000',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => void child.kill('SIGKILL'));
  const exited = new Promise((r) => child.once('exit', r));
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
  });
  assert.equal(first, 'received contract-1');
  child.kill('SIGKILL'); // crash mid-event: no ack was sent
  await exited;

  const source = createJetStreamSource({
    connection: { servers: nats.url },
    stream: STREAM,
    durable: 'detector',
    ackWaitMs: 1000,
  });
  const got = new Promise<{ id: string; attempt: number }>((resolve) =>
    source.start(async (e, d) => resolve({ id: e.id, attempt: d.attempt })),
  );
  t.after(() => source.stop());
  assert.deepEqual(await got, { id: 'contract-1', attempt: 2 });
  await source.counters.until((s) => s.processed === 1);
  await source.stop();
  const info = await pub.jsm.consumers.info(STREAM, 'detector');
  assert.equal(info.num_ack_pending, 0, 'acknowledged after the sink resolved');
});

test('fails to start with a clear error when the stream does not exist', async (t) => {
  const nats = await startNats(t);
  const source = createJetStreamSource({
    connection: { servers: nats.url },
    stream: 'MISSING',
    durable: 'detector',
  });
  await assert.rejects(
    source.start(async () => {}),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_DETECTOR_INGEST_UNAVAILABLE') &&
      /MISSING\/detector/.test((e as Error).message),
  );
});

test('creates the stream when asked to', async (t) => {
  const nats = await startNats(t);
  const source = createJetStreamSource({
    connection: { servers: nats.url },
    stream: 'NEW',
    durable: 'd',
    createStream: { subjects: ['new.>'] },
  });
  await source.start(async () => {});
  t.after(() => source.stop());
  const nc = await connect({ servers: nats.url });
  t.after(async () => void (await nc.close()));
  await jetstream(nc).publish('new.x', CONTRACT_LINES[0] as string);
  await source.counters.until((s) => s.processed === 1);
});

test('dead-letters and terminates a message whose processing fails on its last delivery', async (t) => {
  const nats = await startNats(t);
  const pub = await publisher(t, nats.url);
  const dead: Rejection[] = [];
  const source = createJetStreamSource({
    connection: { servers: nats.url },
    stream: STREAM,
    durable: 'detector',
    maxDeliver: 2,
    nakDelayMs: 10,
    deadLetter: {
      write: (r) => void dead.push(r),
      ready: async () => {},
      dropped: 0,
      close: async () => {},
    },
  });
  const attempts: number[] = [];
  await source.start(async (_e, d) => {
    attempts.push(d.attempt);
    throw new Error('coordinator unreachable');
  });
  t.after(() => source.stop());
  await pub.publish([CONTRACT_LINES[0] as string]);
  await source.counters.until((s) => s.failed === 2);
  await source.stop(); // flushes the termination
  assert.deepEqual(attempts, [1, 2], 'retried once, then given up on');
  assert.equal(source.counters.snapshot().redelivered, 1);
  assert.equal(dead.length, 1);
  assert.equal(dead[0]?.code, 'SINK_FAILED');
  assert.match(dead[0]?.reason ?? '', /after 2 deliveries: coordinator unreachable/);
  assert.equal(dead[0]?.text, CONTRACT_LINES[0], 'the message as it came, to replay');
  const info = await pub.jsm.consumers.info(STREAM, 'detector');
  assert.equal(info.num_ack_pending, 0, 'terminated, not left pending');
  assert.equal(info.num_pending, 0);
});
