import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError } from '@vigil/core';
import { checkReplicaSettings, parseDetectorSettings, replicaPath } from './settings.js';

const NATS = { servers: ['nats://127.0.0.1:4222'], stream: 'VIGIL_EVENTS', durable: 'detector' };

test('replicas > 1 are refused without findings on JetStream, naming the setting to add', () => {
  const without = parseDetectorSettings('detector', {});
  assert.throws(
    () => checkReplicaSettings('detector', 2, without),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_CONFIG_DETECTOR_INGEST') &&
      /agents\.detector\.settings\.nats: 2 replicas/.test((e as Error).message),
  );
  const sqliteOutbox = parseDetectorSettings('detector', { nats: NATS });
  assert.throws(
    () => checkReplicaSettings('detector', 3, sqliteOutbox),
    /agents\.detector\.settings\.nats\.findings: 3 replicas.*set nats\.findings: \{\}/,
  );
  checkReplicaSettings('detector', 1, sqliteOutbox);
  checkReplicaSettings(
    'detector',
    2,
    parseDetectorSettings('detector', { nats: { ...NATS, findings: {} } }),
  );
});

test('a duplicate window shorter than an event’s redeliveries is refused', () => {
  assert.throws(
    () =>
      parseDetectorSettings('detector', {
        nats: {
          ...NATS,
          ackWaitMs: 60_000,
          maxDeliver: 5,
          findings: { duplicateWindowMs: 120_000 },
        },
      }),
    /nats\.findings\.duplicateWindowMs: 120000 ms is shorter than the redeliveries of an event \(ackWaitMs × maxDeliver = 300000 ms\)/,
  );
  const ok = parseDetectorSettings('detector', { nats: { ...NATS, findings: {} } });
  assert.deepEqual(ok.nats?.findings, {
    stream: 'VIGIL_FINDINGS',
    subject: 'vigil.findings',
    duplicateWindowMs: 600_000,
  });
});

test('files one process writes get the replica index only when there are several', () => {
  assert.equal(
    replicaPath('/s/detector/dead-letter.ndjson', 0, 1),
    '/s/detector/dead-letter.ndjson',
  );
  assert.equal(
    replicaPath('/s/detector/dead-letter.ndjson', 1, 2),
    '/s/detector/dead-letter.1.ndjson',
  );
  assert.equal(replicaPath('/s/data/outbox', 0, 2), '/s/data/outbox.0');
});
