/**
 * The one contract suite every {@link EventSource} runs (DESIGN: one shared test suite per
 * interface). An implementation provides a factory that builds the source and a
 * `deliver()` that pushes the given NDJSON lines through its medium (POST them, write the
 * file, publish the messages).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecurityEvent } from '../events/security-event.js';
import { createDeadLetterFile, type DeadLetterWriter } from './dead-letter.js';
import type { Delivery, EventSource } from './event-source.js';

export interface ContractHarness {
  readonly source: EventSource;
  /** Pushes the lines given to the factory through the medium; resolves when handed over. */
  deliver(): Promise<void>;
}

export type ContractFactory = (
  t: TestContext,
  lines: readonly string[],
  options: { readonly deadLetter: DeadLetterWriter },
) => Promise<ContractHarness>;

export interface ContractOptions {
  /** True when a failed event is redelivered (JetStream); false when it is counted and dropped. */
  readonly redeliversFailures: boolean;
}

function audit(i: number): string {
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `contract-${i}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/shop/pods/web-${i}`,
    verb: 'get',
    user: { username: 'system:serviceaccount:ci:deploy', groups: ['system:serviceaccounts'] },
    sourceIPs: ['10.0.0.9'],
    objectRef: { resource: 'pods', namespace: 'shop', name: `web-${i}`, apiVersion: 'v1' },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: new Date(Date.UTC(2026, 10, 20, 12, 0, i)).toISOString(),
    stageTimestamp: new Date(Date.UTC(2026, 10, 20, 12, 0, i)).toISOString(),
  });
}

const FALCO = JSON.stringify({
  uuid: 'contract-falco',
  rule: 'Read sensitive file untrusted',
  priority: 'Warning',
  time: '2026-11-20T12:00:30.000000000Z',
  output: 'Sensitive file opened for reading by non-trusted program',
  output_fields: {
    'k8s.ns.name': 'shop',
    'k8s.pod.name': 'web-1',
    'proc.name': 'cat',
    'fd.name': '/etc/shadow',
  },
  source: 'syscall',
  tags: ['T1555'],
});

const OCSF = JSON.stringify({
  class_uid: 4001,
  category_uid: 4,
  activity_id: 6,
  type_uid: 400106,
  severity_id: 1,
  time: 1795176000000,
  metadata: {
    version: '1.3.0',
    uid: 'contract-flow',
    product: { name: 'Hubble', vendor_name: 'Cilium' },
  },
  src_endpoint: { ip: '10.42.0.5', port: 40000 },
  dst_endpoint: { ip: '10.43.0.10', port: 53 },
  connection_info: { protocol_name: 'udp' },
});

/** Valid lines interleaved with one malformed and one unknown-format line. */
export const CONTRACT_LINES: readonly string[] = [
  audit(1),
  FALCO,
  '{"verb": "get", "broken": ',
  OCSF,
  '{"hello":"world"}',
  audit(2),
];
const VALID_IDS = ['contract-1', 'contract-falco', 'contract-flow', 'contract-2'];

interface Recorded {
  readonly event: SecurityEvent;
  readonly delivery: Delivery;
}

function recorder(): {
  calls: Recorded[];
  sink: (e: SecurityEvent, d: Delivery) => Promise<void>;
  waitFor(n: number): Promise<void>;
} {
  const calls: Recorded[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    calls,
    async sink(event, delivery) {
      calls.push({ event, delivery });
      for (const w of waiters.filter((x) => calls.length >= x.n)) w.resolve();
    },
    waitFor(n) {
      if (calls.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}

export function describeEventSourceContract(
  name: string,
  factory: ContractFactory,
  options: ContractOptions,
): void {
  const setup = async (t: TestContext, lines: readonly string[] = CONTRACT_LINES) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-contract-'));
    const deadLetterPath = join(dir, 'dead.ndjson');
    const deadLetter = createDeadLetterFile(deadLetterPath);
    const harness = await factory(t, lines, { deadLetter });
    t.after(async () => {
      await harness.source.stop();
      await deadLetter.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return { ...harness, deadLetter, deadLetterPath };
  };

  test(`${name}: delivers every valid event once, in order, and counts records by outcome`, async (t) => {
    const { source, deliver } = await setup(t);
    const rec = recorder();
    await source.start(rec.sink);
    await deliver();
    await rec.waitFor(VALID_IDS.length);
    const stats = await source.counters.until(
      (s) => s.rejected === 2 && s.processed === VALID_IDS.length,
    );
    assert.deepEqual(
      rec.calls.map((c) => c.event.id),
      VALID_IDS,
    );
    assert.equal(stats.received, 6);
    assert.equal(stats.accepted, 4);
    assert.deepEqual(stats.rejectedByCode, { MALFORMED_JSON: 1, UNRECOGNISED_FORMAT: 1 });
    assert.equal(stats.failed, 0);
    for (const c of rec.calls) {
      assert.equal(c.delivery.source, source.name);
      assert.equal(c.delivery.attempt, 1);
      assert.ok(c.delivery.ref.length > 0);
    }
  });

  test(`${name}: writes rejected records to the dead-letter file with code, reason and location`, async (t) => {
    const { source, deliver, deadLetter, deadLetterPath } = await setup(t);
    const rec = recorder();
    await source.start(rec.sink);
    await deliver();
    await source.counters.until((s) => s.rejected === 2);
    await source.stop();
    await deadLetter.close();
    const dead = readFileSync(deadLetterPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      dead.map((d) => d['code']),
      ['MALFORMED_JSON', 'UNRECOGNISED_FORMAT'],
    );
    assert.match(String(dead[0]?.['reason']), /^malformed JSON: /);
    assert.equal(dead[1]?.['reason'], 'unrecognised format: no apiVersion, rule or class_uid');
    assert.equal(dead[0]?.['text'], '{"verb": "get", "broken": ');
    for (const d of dead) {
      assert.equal(d['source'], source.name);
      assert.equal(typeof d['ref'], 'string');
      assert.equal(typeof d['line'], 'number');
    }
    assert.ok(
      !rec.calls.some(
        (c) => c.event.raw !== undefined && JSON.stringify(c.event.raw).includes('hello'),
      ),
    );
  });

  test(`${name}: waits for the sink before handing over the next event`, async (t) => {
    const { source, deliver } = await setup(t);
    let inFlight = 0;
    let maxInFlight = 0;
    const releases: (() => void)[] = [];
    let seen = 0;
    let notify: (() => void) | undefined;
    await source.start(async () => {
      inFlight += 1;
      seen += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      notify?.();
      await new Promise<void>((resolve) => releases.push(resolve));
      inFlight -= 1;
    });
    await deliver();
    for (let i = 0; i < VALID_IDS.length; i++) {
      // Wait until the i-th call is in flight, then release it.
      while (seen <= i) await new Promise<void>((resolve) => (notify = resolve));
      assert.equal(inFlight, 1, 'exactly one sink call in flight');
      releases.shift()?.();
    }
    await source.counters.until((s) => s.processed === VALID_IDS.length);
    assert.equal(maxInFlight, 1);
  });

  test(`${name}: stop() waits for the in-flight event, is idempotent, and no sink call starts after it`, async (t) => {
    const { source, deliver } = await setup(t);
    let calls = 0;
    let release!: () => void;
    let entered!: () => void;
    const inSink = new Promise<void>((resolve) => (entered = resolve));
    await source.start(async () => {
      calls += 1;
      if (calls === 1) {
        entered();
        await new Promise<void>((resolve) => (release = resolve));
      }
    });
    await deliver();
    await inSink;
    let stopDone = false;
    const stopping = source.stop().then(() => (stopDone = true));
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(stopDone, false, 'stop waits for the in-flight sink call');
    release();
    await stopping;
    await source.stop();
    const after = calls;
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(calls, after, 'no sink call after stop resolved');
  });

  test(`${name}: a failing sink is counted and the source keeps going`, async (t) => {
    const { source, deliver } = await setup(t);
    const rec = recorder();
    let failedOnce = false;
    await source.start(async (event, delivery) => {
      if (event.id === 'contract-falco' && !failedOnce) {
        failedOnce = true;
        throw new Error('scorer unavailable');
      }
      await rec.sink(event, delivery);
    });
    await deliver();
    const expected = options.redeliversFailures
      ? VALID_IDS
      : VALID_IDS.filter((id) => id !== 'contract-falco');
    await rec.waitFor(expected.length);
    const stats = await source.counters.until(
      (s) => s.processed === expected.length && s.failed === 1,
    );
    assert.equal(stats.failed, 1);
    assert.deepEqual(rec.calls.map((c) => c.event.id).sort(), [...expected].sort());
    if (options.redeliversFailures) {
      const again = rec.calls.find((c) => c.event.id === 'contract-falco');
      assert.equal(again?.delivery.attempt, 2, 'the failed event came back as a redelivery');
    }
  });
}
