import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { isVigilError } from '@vigil/core';
import type { Finding } from '@vigil/soc';
import { startNats } from '@vigil/testkit';
import { findingOf } from './pipeline.js';
import {
  JetStreamFindingOutbox,
  type JetStreamFindingOutboxOptions,
} from './jetstream-finding-outbox.js';
import { normaliseEvent } from '../events/normalise.js';
import { CONTRACT_LINES } from '../sources/event-source.contract.js';

const STREAM = 'VIGIL_FINDINGS';
/** A coordinator that is away: every delivery fails (and is nak'd). */
const away = async (): Promise<void> => {
  throw new Error('coordinator away');
};

function finding(n: number): Finding {
  const line = JSON.parse(CONTRACT_LINES[0] as string) as { auditID: string };
  const r = normaliseEvent({ ...line, auditID: `outbox-${n}` });
  assert.ok(r.ok);
  return findingOf(r.event, 0.9, 0.5, 'iforest-test', [], 0);
}

/** A relay target that resolves `until(n)` once `n` findings were delivered. */
function coordinator(failFirst = 0) {
  const delivered: string[] = [];
  let failures = failFirst;
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    delivered,
    async deliver(f: Finding): Promise<void> {
      if (failures > 0) {
        failures -= 1;
        throw new Error('coordinator restarting');
      }
      delivered.push(f.id);
      for (const w of waiters.filter((x) => delivered.length >= x.n)) w.resolve();
    },
    until(n: number): Promise<void> {
      if (delivered.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}

async function open(
  t: TestContext,
  url: string,
  deliver: (f: Finding) => Promise<void>,
  more: Partial<JetStreamFindingOutboxOptions> = {},
): Promise<JetStreamFindingOutbox> {
  const outbox = new JetStreamFindingOutbox({
    connection: { servers: url },
    stream: STREAM,
    subject: 'vigil.findings',
    durable: 'detector-findings',
    deliver,
    ...more,
  });
  await outbox.start();
  t.after(() => outbox.stop());
  return outbox;
}

test('a finding published twice is stored once and reaches the coordinator once', async (t) => {
  const nats = await startNats(t);
  const target = coordinator();
  const outbox = await open(t, nats.url, (f) => target.deliver(f));
  await outbox.enqueue(finding(1));
  await outbox.enqueue(finding(1)); // the same event scored again by another replica
  await outbox.enqueue(finding(2));
  await target.until(2);
  await outbox.stop();
  assert.deepEqual(target.delivered.sort(), [finding(1).id, finding(2).id].sort());
  assert.deepEqual(outbox.stats(), { published: 2, duplicates: 1, relayed: 2, relayFailures: 0 });
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const info = await (await jetstreamManager(nc)).streams.info(STREAM);
  assert.equal(info.state.last_seq, 2, 'two messages ever stored');
  assert.equal(info.state.messages, 0, 'work queue: removed once relayed');
});

test('a finding the coordinator refuses stays in the stream and is delivered when it answers', async (t) => {
  const nats = await startNats(t);
  const target = coordinator(3);
  const outbox = await open(t, nats.url, (f) => target.deliver(f));
  await outbox.enqueue(finding(1));
  await target.until(1);
  assert.deepEqual(target.delivered, [finding(1).id]);
  assert.equal(outbox.stats().relayFailures, 3);
});

test('a finding survives the replica that stored it: another one relays it', async (t) => {
  const nats = await startNats(t);
  // The first replica stores the finding and stops without having relayed it.
  const first = await open(t, nats.url, away);
  await first.enqueue(finding(1));
  await first.stop();
  const target = coordinator();
  await open(t, nats.url, (f) => target.deliver(f));
  await target.until(1);
  assert.deepEqual(target.delivered, [finding(1).id]);
});

test('a full findings stream refuses a finding with VIGIL_DETECTOR_INGEST_FULL and asks sources to push back', async (t) => {
  const nats = await startNats(t);
  const outbox = await open(t, nats.url, away, { maxPending: 2 });
  await outbox.enqueue(finding(1));
  await outbox.enqueue(finding(2));
  await assert.rejects(
    outbox.enqueue(finding(3)),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_DETECTOR_INGEST_FULL') && e.details['retryAfterSeconds'] === 5,
  );
});

test('fails to start with VIGIL_DETECTOR_INGEST_UNAVAILABLE when NATS cannot be reached', async (t) => {
  const nats = await startNats(t);
  await nats.stop();
  const outbox = new JetStreamFindingOutbox({
    connection: { servers: nats.url, reconnect: false },
    stream: STREAM,
    subject: 'vigil.findings',
    durable: 'd',
    deliver: async () => {},
  });
  await assert.rejects(outbox.start(), (e: unknown) =>
    isVigilError(e, 'VIGIL_DETECTOR_INGEST_UNAVAILABLE'),
  );
});
