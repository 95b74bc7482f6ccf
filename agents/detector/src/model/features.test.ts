import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EntityRates,
  FEATURE_COUNT,
  FEATURE_NAMES,
  FeatureEncoder,
  MISSING,
  addressPrefix,
  imageRepository,
  responseClass,
  userAgentFamily,
  userClass,
} from './features.js';
import { anonymousSecretRead, normalEvents } from './test-events.js';
import { isVigilError } from '@vigil/core';
import type { SecurityEvent } from '../events/security-event.js';

const col = (name: string): number => {
  const i = FEATURE_NAMES.indexOf(name);
  assert.ok(i >= 0, name);
  return i;
};

test('categorical values encode to ln(1 + baseline count), unseen values to 0', () => {
  const baseline = normalEvents(2000, 3);
  const encoder = FeatureEncoder.learn(baseline);
  const gets = baseline.filter((e) => e.activity === 'get').length;
  assert.ok(gets > 0);
  assert.equal(encoder.encode('activity', 'get'), Math.log1p(gets));
  assert.equal(encoder.encode('activity', 'escalate'), 0);
  assert.equal(encoder.encode('actor.user', 'mallory'), 0);

  const row = new Float64Array(FEATURE_COUNT);
  encoder.extractInto(anonymousSecretRead(Date.UTC(2026, 0, 2)), new EntityRates(), row);
  for (const name of [
    'actor.user',
    'actor.userClass',
    'actor.userAgentFamily',
    'resource.type',
    'namespace',
    'sourceIp',
    'pair.user.activity.resource',
  ]) {
    assert.equal(row[col(name)], 0, `${name} of an unseen value`);
  }
  // Fields the attack shares with the baseline keep their frequency.
  assert.equal(row[col('activity')], Math.log1p(gets));
  assert.equal(row[col('outcome.code')], 200);
  assert.equal(row[col('severityId')], 1);
});

test('a missing field is a value of its own, counted in the baseline', () => {
  const baseline = normalEvents(1000, 4);
  const encoder = FeatureEncoder.learn(baseline);
  const falco = baseline.filter((e) => e.resource === undefined).length;
  assert.equal(encoder.encode('resource.type', MISSING), Math.log1p(falco));
});

test('rate columns count the same user, address and pod over the last minute', () => {
  const encoder = FeatureEncoder.learn(normalEvents(200, 5));
  const rates = new EntityRates({ windowSeconds: 60 });
  const row = new Float64Array(FEATURE_COUNT);
  const t0 = Date.UTC(2026, 0, 3);
  for (let i = 0; i < 30; i++)
    encoder.extractInto(anonymousSecretRead(t0 + i * 1000), rates, row, 0);
  assert.equal(row[col('rate.user')], 30);
  assert.equal(row[col('rate.sourceIp')], 30);
  assert.equal(row[col('rate.pod')], 0, 'no pod on an API call');
  // The injected time decides the window, not the wall clock.
  encoder.extractInto(anonymousSecretRead(t0), rates, row, 0, t0 + 75_000);
  assert.equal(row[col('rate.user')], 15);
});

test('extraction writes at the given offset of a preallocated matrix', () => {
  const events = normalEvents(10, 6);
  const encoder = FeatureEncoder.learn(events);
  const m = new Float64Array(3 * FEATURE_COUNT).fill(-1);
  encoder.extractInto(events[0]!, new EntityRates(), m, FEATURE_COUNT);
  assert.ok(m.subarray(0, FEATURE_COUNT).every((v) => v === -1));
  assert.ok(m.subarray(FEATURE_COUNT, 2 * FEATURE_COUNT).every((v) => v !== -1));
  assert.ok(m.subarray(2 * FEATURE_COUNT).every((v) => v === -1));
});

test('keeps only the most frequent values per column when capped', () => {
  const events = normalEvents(500, 7);
  const encoder = FeatureEncoder.learn(events, { maxValues: 1 });
  assert.equal(encoder.encodings['activity']!.length, 1);
});

test('identity classes, user-agent families and image repositories', () => {
  const e = anonymousSecretRead(0);
  assert.equal(userClass(e), 'anonymous');
  assert.equal(
    userClass({ ...e, actor: { user: 'system:serviceaccount:ns:sa' } }),
    'service-account',
  );
  assert.equal(userClass({ ...e, actor: { user: 'system:node:worker-1' } }), 'node');
  assert.equal(
    userClass({ ...e, actor: { user: 'nodeclient', groups: ['system:nodes'] } }),
    'node',
  );
  assert.equal(
    userClass({ ...e, actor: { user: 'system:kube-controller-manager' } }),
    'control-plane',
  );
  assert.equal(userClass({ ...e, actor: { user: 'eks:node-manager' } }), 'control-plane');
  assert.equal(userClass({ ...e, actor: { user: 'aksService' } }), 'control-plane');
  assert.equal(userClass({ ...e, actor: { user: 'alice' } }), 'human');
  assert.equal(userClass({ ...e, actor: {} }), 'none');
  assert.equal(userAgentFamily('kubectl/v1.30.1 (linux/amd64) kubernetes/abc'), 'kubectl');
  assert.equal(userAgentFamily('Go-http-client/2.0'), 'go-http-client');
  assert.equal(userAgentFamily(undefined), MISSING);
  assert.equal(imageRepository('ghcr.io/acme/api:1.2@sha256:abc'), 'ghcr.io/acme/api');
  assert.equal(imageRepository('localhost:5000/miner'), 'localhost:5000/miner');
  assert.equal(imageRepository('nginx:1.27'), 'nginx');
});

test('stored encodings are validated field by field', () => {
  assert.throws(
    () => FeatureEncoder.fromEncodings(null),
    (e) => isVigilError(e, 'VIGIL_DETECTOR_MODEL_INVALID'),
  );
  const good = FeatureEncoder.learn(normalEvents(50, 8)).encodings;
  assert.doesNotThrow(() => FeatureEncoder.fromEncodings(good));
  assert.throws(
    () => FeatureEncoder.fromEncodings({ ...good, activity: [['get', -1]] }),
    /encodings\.activity\[0\]/,
  );
  const { rule: _rule, ...missingRule } = good;
  assert.throws(() => FeatureEncoder.fromEncodings(missingRule), /encodings\.rule/);
  assert.throws(
    () => FeatureEncoder.fromEncodings({ ...good, colour: [] }),
    /encodings\.colour: unknown feature/,
  );
});

test('an address belongs to its IPv4 /24 or IPv6 /48 network; a host name is its own', () => {
  assert.equal(addressPrefix('185.220.101.47'), '185.220.101.0/24');
  assert.equal(addressPrefix('::ffff:10.42.1.12'), '10.42.1.0/24');
  assert.equal(addressPrefix('2001:DB8:7::1'), '2001:db8:7::/48');
  assert.equal(addressPrefix('2001:db8::1'), '2001:db8:0::/48');
  assert.equal(addressPrefix('fe80:1:2:3:4:5:6:7'), 'fe80:1:2::/48');
  assert.equal(addressPrefix('collector.example.com'), 'collector.example.com');
  assert.equal(addressPrefix('300.1.1.1'), '300.1.1.1');
});

/** An outbound flow from the `web` workload, as OCSF Network Activity normalises it. */
function flow(id: string, dstIp: string, bytesOut: number, time: number): SecurityEvent {
  return {
    id,
    time,
    format: 'ocsf',
    classUid: 4001,
    activity: 'traffic',
    severityId: 1,
    actor: {},
    workload: { namespace: 'shop', pod: 'web-1', image: 'ghcr.io/acme/web:1.4.2' },
    network: { srcIp: '10.42.1.20', dstIp, dstPort: 443, protocol: 'tcp', bytesOut },
    tags: [],
    raw: {},
  };
}

test('a new address in a known network keeps a known prefix; a new network does not', () => {
  const t = Date.UTC(2026, 0, 1);
  const baseline = [
    ...normalEvents(500, 8),
    ...Array.from({ length: 50 }, (_, i) => flow(`f${i}`, `10.42.2.${10 + (i % 5)}`, 900, t + i)),
  ];
  const encoder = FeatureEncoder.learn(baseline);
  const rates = new EntityRates();
  const unseen = (e: SecurityEvent): number => {
    const row = new Float64Array(FEATURE_COUNT);
    encoder.extractInto(e, rates, row);
    return row[col('rarity.unseen')]!;
  };
  const newPod = flow('new-pod', '10.42.2.99', 900, t + 1000);
  const newNetwork = flow('upload', '185.220.101.47', 30_000_000, t + 2000);
  // The address and (image, address) are new either way; only the outside party also
  // brings a new network and a new (image, network).
  assert.equal(unseen(newNetwork) - unseen(newPod), 2);
  const row = new Float64Array(FEATURE_COUNT);
  encoder.extractInto(newNetwork, rates, row);
  assert.equal(row[col('network.dstPrefix')], 0);
  assert.equal(row[col('pair.image.dstPrefix')], 0);
  assert.equal(row[col('network.bytesOut')], 30_000_000);
});

test('a system identity from a public address is a never-seen (class, address class) pair; request risk reaches the row', () => {
  const baseline = normalEvents(1000, 9);
  const encoder = FeatureEncoder.learn(baseline);
  const row = new Float64Array(FEATURE_COUNT);
  const scheduler = baseline.find((e) => e.actor.user === 'system:kube-scheduler')!;
  encoder.extractInto(scheduler, new EntityRates(), row);
  assert.ok(row[col('pair.userClass.addressClass')]! > 0, 'control plane from a private address');
  const fromOutside: SecurityEvent = {
    ...scheduler,
    actor: { ...scheduler.actor, sourceIp: '198.51.100.23' },
    requestObject: {
      kind: 'Pod',
      spec: { hostPID: true, containers: [{ securityContext: { privileged: true } }] },
    },
  };
  encoder.extractInto(fromOutside, new EntityRates(), row);
  assert.equal(row[col('actor.addressClass')], 0, 'no baseline event came from a public address');
  assert.equal(row[col('pair.userClass.addressClass')], 0);
  assert.equal(row[col('request.privileged')], 1);
  assert.equal(row[col('request.hostNamespaces')], 1);
  assert.ok(row[col('pair.activity.resource.subresource')]! > 0, 'its verb × resource is common');
  assert.equal(row[col('outcome.class')], encoder.encode('outcome.class', '2xx'));
});

test('response classes: the codes the rules tell apart, the rest by hundreds', () => {
  const cases: [number | undefined, string][] = [
    [200, '2xx'],
    [201, '2xx'],
    [301, '3xx'],
    [401, '401'],
    [403, '403'],
    [404, '404'],
    [409, '409'],
    [429, '429'],
    [418, '4xx'],
    [503, '5xx'],
    [200.5, '2xx'],
    [99, 'other'],
    [600, 'other'],
    [undefined, MISSING],
    [Number.NaN, MISSING],
  ];
  for (const [code, cls] of cases) assert.equal(responseClass(code), cls, String(code));
});

test('the encoder hands the scorer the identity class extraction derived for the last event', () => {
  const encoder = FeatureEncoder.learn(normalEvents(200, 3));
  const row = new Float64Array(FEATURE_COUNT);
  for (const e of [...normalEvents(50, 9), anonymousSecretRead(Date.UTC(2026, 0, 2))]) {
    encoder.extractInto(e, new EntityRates(), row);
    assert.equal(encoder.lastUserClass(), userClass(e));
  }
});
