import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { expandRecords, normaliseEvent } from './normalise.js';
import { parseNdjson } from './ndjson.js';
import type { SecurityEvent } from './security-event.js';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
}

function ok(raw: unknown): SecurityEvent {
  const r = normaliseEvent(raw);
  if (!r.ok) assert.fail(`expected ok, got ${r.code}: ${r.reason}`);
  return r.event;
}

function rejected(raw: unknown): { code: string; reason: string } {
  const r = normaliseEvent(raw);
  if (r.ok) assert.fail('expected a rejection');
  return r;
}

test('normalises a Kubernetes audit exec into API Activity with actor, resource and outcome', () => {
  const raw = fixture('k8s-audit-exec.json');
  const e = ok(raw);
  assert.equal(e.id, '2f6a7c1e-5b3d-4e0a-9c8f-1d2e3f4a5b6c');
  assert.equal(e.format, 'k8s-audit');
  assert.equal(e.classUid, 6003);
  assert.equal(e.activity, 'create');
  assert.equal(e.time, Date.parse('2026-11-20T14:03:11.204Z'));
  assert.deepEqual(e.actor, {
    user: 'oidc:mallory@example.com',
    groups: ['oidc:contractors', 'system:authenticated'],
    userAgent: 'kubectl/v1.30.2 (linux/amd64) kubernetes/3968350',
    sourceIp: '203.0.113.77',
  });
  assert.deepEqual(e.resource, {
    type: 'pods',
    namespace: 'shop',
    name: 'storefront-7d9c8b6f5-x2k4p',
    subresource: 'exec',
  });
  assert.deepEqual(e.outcome, { code: 101, decision: 'allow' });
  assert.equal(e.raw, raw, 'the original record is kept as evidence');
});

test('marks a forbidden anonymous request low severity with decision forbid', () => {
  const e = ok(fixture('k8s-audit-forbidden.json'));
  assert.equal(e.actor.user, 'system:anonymous');
  assert.deepEqual(e.outcome, { code: 403, decision: 'forbid' });
  assert.equal(e.severityId, 2);
  assert.equal(e.resource?.namespace, undefined);
});

test('gives the RequestReceived stage its own id so both stages of a request stay distinct', () => {
  const raw = { ...fixture('k8s-audit-exec.json'), stage: 'RequestReceived' };
  assert.equal(ok(raw).id, '2f6a7c1e-5b3d-4e0a-9c8f-1d2e3f4a5b6c#RequestReceived');
});

for (const field of ['level', 'stage', 'requestURI'] as const) {
  test(`accepts a Kubernetes audit event without "${field}" and marks it defaulted`, () => {
    const raw = fixture('k8s-audit-exec.json');
    delete raw[field];
    const e = ok(raw);
    assert.deepEqual(e.defaulted, [field]);
    assert.equal(e.activity, 'create');
    assert.equal(e.id, '2f6a7c1e-5b3d-4e0a-9c8f-1d2e3f4a5b6c');
  });
}

test('gives an audit event without auditID a stable digest id and marks it defaulted', () => {
  const raw = fixture('k8s-audit-exec.json');
  delete raw['auditID'];
  const a = ok(raw);
  assert.match(a.id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(ok(structuredClone(raw)).id, a.id, 'same record, same id');
  assert.deepEqual(a.defaulted, ['id']);
});

test('accepts a trimmed audit event with only verb, user and objectRef (no apiVersion, kind, level, stage, auditID)', () => {
  const e = ok({
    verb: 'get',
    user: { username: 'alice@example.com' },
    objectRef: { resource: 'secrets', namespace: 'shop', name: 'db' },
    requestReceivedTimestamp: '2026-11-20T14:03:11.204Z',
  });
  assert.equal(e.format, 'k8s-audit');
  assert.deepEqual(e.resource, { type: 'secrets', namespace: 'shop', name: 'db' });
  assert.deepEqual([...(e.defaulted ?? [])].sort(), ['id', 'level', 'requestURI', 'stage']);
});

test('defaults an unknown stage to ResponseComplete and marks it', () => {
  const e = ok({ ...fixture('k8s-audit-exec.json'), stage: 'Done' });
  assert.deepEqual(e.defaulted, ['stage']);
  assert.equal(e.id, '2f6a7c1e-5b3d-4e0a-9c8f-1d2e3f4a5b6c');
});

test('gives an audit event with no timestamp the receive time and marks it', () => {
  const raw = fixture('k8s-audit-exec.json');
  delete raw['requestReceivedTimestamp'];
  delete raw['stageTimestamp'];
  const r = normaliseEvent(raw, { now: () => 1_700_000_000_000 });
  assert.ok(r.ok);
  assert.equal(r.event.time, 1_700_000_000_000);
  assert.deepEqual(r.event.defaulted, ['time']);
});

test('refuses an audit event without "verb" as unattributable, with its own code', () => {
  const raw = fixture('k8s-audit-exec.json');
  delete raw['verb'];
  delete raw['apiVersion'];
  raw['apiVersion'] = 'audit.k8s.io/v1';
  const r = rejected(raw);
  assert.equal(r.code, 'NO_VERB');
  assert.equal(r.reason, 'k8s audit: cannot attribute the event: missing "verb"');
});

test('refuses an audit event without "user" as unattributable, with its own code', () => {
  const raw = fixture('k8s-audit-exec.json');
  delete raw['user'];
  const r = rejected(raw);
  assert.equal(r.code, 'NO_USER');
  assert.equal(r.reason, 'k8s audit: cannot attribute the event: missing "user"');
});

test('accepts an empty user on a failed authentication (401) but refuses it otherwise', () => {
  const base = fixture('k8s-audit-forbidden.json');
  const failedAuth = ok({ ...base, user: {}, responseStatus: { code: 401 } });
  assert.equal(failedAuth.actor.user, undefined);
  assert.equal(failedAuth.outcome?.code, 401);
  assert.equal(rejected({ ...base, user: {}, responseStatus: { code: 200 } }).code, 'NO_USER');
});

test('carries requestObject and responseObject of the inner event by reference', () => {
  const requestObject = { kind: 'Pod', spec: { hostPID: true, containers: [] } };
  const raw = { ...fixture('k8s-audit-exec.json'), requestObject, responseObject: { kind: 'Pod' } };
  const e = ok(raw);
  assert.equal(e.requestObject, requestObject);
  assert.deepEqual(e.responseObject, { kind: 'Pod' });
});

test('expands a kube-apiserver webhook EventList into its events', () => {
  const items = expandRecords(fixture('k8s-audit-eventlist.json'));
  assert.equal(items.length, 2);
  assert.deepEqual(
    items.map((i) => ok(i).activity),
    ['create', 'get'],
  );
});

test('unwraps EKS CloudWatch subscription events and keeps the wrapper as evidence', () => {
  const records = expandRecords(fixture('eks-cloudwatch-subscription.json'));
  assert.equal(records.length, 2);
  const e = ok(records[0]);
  assert.equal(e.origin, 'eks-cloudwatch');
  assert.equal(e.resource?.subresource, 'exec');
  assert.equal(
    (e.raw as Record<string, unknown>)['logStream'],
    'kube-apiserver-audit-2b7e1f9c8d4a6e3b',
  );
  assert.equal(ok(records[1]).activity, 'get');
});

test('unwraps an EKS CloudWatch Logs export record (@message)', () => {
  const e = ok(fixture('eks-cloudwatch-export.json'));
  assert.equal(e.origin, 'eks-cloudwatch');
  assert.equal(e.actor.user, 'oidc:mallory@example.com');
});

test('rejects an EKS record whose message is truncated JSON', () => {
  const raw = fixture('eks-cloudwatch-export.json');
  raw['@message'] = (raw['@message'] as string).slice(0, 120);
  const r = rejected(raw);
  assert.equal(r.code, 'MALFORMED_JSON');
  assert.match(r.reason, /^EKS CloudWatch "message" is not JSON/);
});

test('unwraps AKS diagnostic-settings records (properties.log)', () => {
  const [record] = expandRecords(fixture('aks-diagnostics.json'));
  const e = ok(record);
  assert.equal(e.origin, 'aks-diagnostics');
  assert.equal(e.resource?.name, 'storefront-7d9c8b6f5-x2k4p');
});

test('rejects an AKS kube-audit record without properties.log', () => {
  const r = rejected({ category: 'kube-audit', properties: { stream: 'stdout' } });
  assert.equal(r.reason, 'AKS kube-audit record: missing required field "properties.log"');
});

test('maps a GKE Cloud Logging audit entry to API Activity with the exec subresource', () => {
  const e = ok(fixture('gke-audit.json'));
  assert.equal(e.origin, 'gke-cloud-logging');
  assert.equal(e.classUid, 6003);
  assert.equal(e.activity, 'create');
  assert.equal(e.actor.user, 'mallory@example.com');
  assert.equal(e.actor.sourceIp, '203.0.113.77');
  assert.deepEqual(e.resource, {
    type: 'pods',
    namespace: 'shop',
    name: 'storefront-7d9c8b6f5-x2k4p',
    subresource: 'exec',
  });
  assert.deepEqual(e.outcome, { code: 200, decision: 'allow' });
});

test('refuses a GKE entry without methodName as unattributable (no verb)', () => {
  const raw = fixture('gke-audit.json');
  delete (raw['protoPayload'] as Record<string, unknown>)['methodName'];
  const r = rejected(raw);
  assert.equal(r.code, 'NO_VERB');
  assert.equal(r.reason, 'GKE audit log: cannot attribute the event: missing "verb"');
});

test('refuses a GKE entry without a principal unless it failed authentication', () => {
  const raw = fixture('gke-audit.json');
  const p = raw['protoPayload'] as Record<string, unknown>;
  delete p['authenticationInfo'];
  assert.equal(rejected(raw).code, 'NO_USER');
  p['status'] = { code: 16, message: 'UNAUTHENTICATED' };
  assert.equal(ok(raw).outcome?.code, 401);
});

test('accepts a GKE entry without insertId, operation, resourceName or timestamp, resource from methodName', () => {
  const raw = fixture('gke-audit.json');
  for (const k of ['insertId', 'operation', 'timestamp', 'receiveTimestamp']) delete raw[k];
  const p = raw['protoPayload'] as Record<string, unknown>;
  delete p['resourceName'];
  p['methodName'] = 'io.k8s.authorization.rbac.v1.clusterrolebindings.create';
  p['request'] = { roleRef: { name: 'cluster-admin' } };
  const r = normaliseEvent(raw, { now: () => 42 });
  assert.ok(r.ok);
  assert.equal(r.event.time, 42);
  assert.deepEqual(r.event.resource, {
    type: 'clusterrolebindings',
    apiGroup: 'rbac.authorization.k8s.io',
  });
  assert.deepEqual(r.event.requestObject, { roleRef: { name: 'cluster-admin' } });
  assert.deepEqual([...(r.event.defaulted ?? [])].sort(), ['id', 'requestURI', 'time']);
});

test('unwraps an AKS record whose properties.log was already parsed into an object', () => {
  const [record] = expandRecords(fixture('aks-diagnostics.json')) as Record<string, unknown>[];
  const props = record!['properties'] as Record<string, unknown>;
  props['log'] = JSON.parse(props['log'] as string);
  const e = ok(record);
  assert.equal(e.origin, 'aks-diagnostics');
  assert.equal(e.resource?.subresource, 'exec');
});

test('unwraps an AKS record whose inner event was trimmed of level, stage and auditID', () => {
  const [record] = expandRecords(fixture('aks-diagnostics.json')) as Record<string, unknown>[];
  const props = record!['properties'] as Record<string, unknown>;
  const inner = JSON.parse(props['log'] as string) as Record<string, unknown>;
  for (const k of ['level', 'stage', 'auditID', 'apiVersion', 'kind']) delete inner[k];
  props['log'] = JSON.stringify(inner);
  const e = ok(record);
  assert.equal(e.origin, 'aks-diagnostics');
  assert.deepEqual([...(e.defaulted ?? [])].sort(), ['id', 'level', 'stage']);
});

test('unwraps an EKS record whose message is already an object', () => {
  const raw = fixture('eks-cloudwatch-export.json');
  raw['@message'] = JSON.parse(raw['@message'] as string);
  assert.equal(ok(raw).origin, 'eks-cloudwatch');
});

test("marks Falco's operational alerts (source internal, event drops, metrics) as health signals", () => {
  const base = fixture('falco-terminal-shell.json');
  const drop = ok({
    ...base,
    rule: 'Falco internal: syscall event drop',
    source: 'internal',
    priority: 'Debug',
    output: 'Falco internal: syscall event drop. 1234 system calls dropped in last second.',
    output_fields: { n_drops: 1234, n_evts: 50000 },
  });
  assert.equal(drop.signal, 'health');
  assert.equal(ok({ ...base, rule: 'Falco internal: metrics snapshot' }).signal, 'health');
  assert.equal(ok(base).signal, undefined, 'a workload alert is not a health signal');
});

test('normalises a Falco alert into a Detection Finding with workload and process', () => {
  const e = ok(fixture('falco-terminal-shell.json'));
  assert.equal(e.format, 'falco');
  assert.equal(e.classUid, 2004);
  assert.equal(e.rule, 'Terminal shell in container');
  assert.equal(e.activity, 'Terminal shell in container');
  assert.equal(e.severityId, 2);
  assert.match(e.id, /^sha256:[0-9a-f]{64}$/, 'Falco has no id: a digest of the record');
  assert.deepEqual(e.workload, {
    namespace: 'shop',
    pod: 'storefront-7d9c8b6f5-x2k4p',
    container: 'storefront',
    image: 'ghcr.io/acme/storefront:2.14.1',
    node: 'node-b',
  });
  assert.deepEqual(e.process, { name: 'sh', cmdline: 'sh', parentName: 'runc', user: 'root' });
  assert.ok(e.tags.includes('T1059'));
  assert.equal(e.time, Date.parse('2026-11-20T14:03:11.412Z'));
});

test('takes a Falcosidekick uuid as id and reads the connection', () => {
  const e = ok(fixture('falcosidekick-outbound.json'));
  assert.equal(e.id, '6b0f1d9e-2c4a-4f7e-9a3b-5d6c7e8f9a0b');
  assert.equal(e.origin, 'falcosidekick');
  assert.equal(e.severityId, 3);
  assert.deepEqual(e.network, {
    srcIp: '10.42.1.17',
    srcPort: 51514,
    dstIp: '45.9.148.21',
    dstPort: 3333,
    protocol: 'tcp',
  });
  assert.equal(e.process?.name, 'xmrig');
});

test('reads the API actor and target of a Falco k8saudit plugin alert', () => {
  const e = ok(fixture('falco-k8saudit.json'));
  assert.equal(e.actor.user, 'system:serviceaccount:ci:deployer');
  assert.equal(e.actor.sourceIp, '10.42.3.9');
  assert.deepEqual(e.resource, { type: 'clusterrolebindings', name: 'break-glass' });
});

test('rejects a Falco alert with an unknown priority or without time', () => {
  assert.match(
    rejected({ ...fixture('falco-terminal-shell.json'), priority: 'Loud' }).reason,
    /falco: field "priority"/,
  );
  const raw = fixture('falco-terminal-shell.json');
  delete raw['time'];
  assert.equal(rejected(raw).reason, 'falco: missing required field "time"');
  assert.equal(
    rejected({ ...raw, time: 'yesterday' }).reason,
    'falco: field "time" must be an RFC 3339 timestamp',
  );
});

test('normalises OCSF API Activity (6003) with operation, actor groups and resource', () => {
  const e = ok(fixture('ocsf-api-activity.json'));
  assert.equal(e.format, 'ocsf');
  assert.equal(e.classUid, 6003);
  assert.equal(e.activity, 'create');
  assert.equal(e.id, 'f7a1e2c3-d4b5-4a69-8e7f-0a1b2c3d4e5f');
  assert.deepEqual(e.actor, {
    user: 'bob@example.com',
    groups: ['oidc:sre', 'system:authenticated'],
    userAgent: 'kubectl/v1.30.2 (linux/amd64)',
    sourceIp: '10.0.8.14',
  });
  assert.deepEqual(e.resource, {
    type: 'rolebindings',
    name: 'payments-admin',
    namespace: 'payments',
  });
  assert.deepEqual(e.outcome, { code: 201 });
});

test('normalises OCSF Process Activity (1007) with process, parent and pod', () => {
  const e = ok(fixture('ocsf-process-activity.json'));
  assert.equal(e.classUid, 1007);
  assert.equal(e.activity, 'launch');
  assert.deepEqual(e.process, {
    name: 'xmrig',
    cmdline: '/tmp/.x/xmrig -o 45.9.148.21:3333 --donate-level 1',
    parentName: 'sh',
    user: 'root',
  });
  assert.deepEqual(e.workload, {
    namespace: 'shop',
    pod: 'storefront-7d9c8b6f5-x2k4p',
    container: 'storefront',
    image: 'ghcr.io/acme/storefront:2.14.1',
    node: 'node-b',
  });
});

test('normalises OCSF Network Activity (4001) with both endpoints', () => {
  const e = ok(fixture('ocsf-network-activity.json'));
  assert.equal(e.classUid, 4001);
  assert.equal(e.activity, 'traffic');
  assert.deepEqual(e.network, {
    srcIp: '10.42.1.17',
    srcPort: 51514,
    dstIp: '45.9.148.21',
    dstPort: 3333,
    protocol: 'tcp',
    bytesOut: 18422,
    bytesIn: 3310,
  });
});

test('normalises an OCSF Detection Finding (2004) with its title as rule and ATT&CK tags', () => {
  const e = ok(fixture('ocsf-detection-finding.json'));
  assert.equal(e.classUid, 2004);
  assert.equal(e.rule, 'Execution:Kubernetes/ExecInKubeSystemPod');
  assert.equal(e.severityId, 4);
  assert.deepEqual(e.tags, ['T1609']);
  assert.equal(e.workload?.namespace, 'kube-system');
});

for (const field of [
  'activity_id',
  'category_uid',
  'severity_id',
  'time',
  'type_uid',
  'metadata',
]) {
  test(`rejects an OCSF event without base field "${field}"`, () => {
    const raw = fixture('ocsf-network-activity.json');
    delete raw[field];
    assert.equal(rejected(raw).reason, `OCSF: missing required field "${field}"`);
  });
}

test('rejects OCSF metadata without product or version, and non-1.x schemas', () => {
  const noProduct = fixture('ocsf-network-activity.json');
  delete (noProduct['metadata'] as Record<string, unknown>)['product'];
  assert.equal(rejected(noProduct).reason, 'OCSF: missing required field "metadata.product"');
  const v2 = fixture('ocsf-network-activity.json');
  (v2['metadata'] as Record<string, unknown>)['version'] = '2.0.0';
  assert.equal(
    rejected(v2).reason,
    'OCSF: field "metadata.version" must be an OCSF 1.x schema version',
  );
});

test('rejects OCSF ids that disagree: type_uid and category_uid', () => {
  assert.equal(
    rejected({ ...fixture('ocsf-network-activity.json'), type_uid: 400101 }).reason,
    'OCSF: field "type_uid" must be class_uid * 100 + activity_id (400106)',
  );
  assert.equal(
    rejected({ ...fixture('ocsf-network-activity.json'), category_uid: 6 }).reason,
    'OCSF: field "category_uid" must be 4 for class_uid 4001',
  );
});

test('rejects a Detection Finding without finding_info.uid', () => {
  const raw = fixture('ocsf-detection-finding.json');
  delete (raw['finding_info'] as Record<string, unknown>)['uid'];
  assert.equal(rejected(raw).reason, 'OCSF: missing required field "finding_info.uid"');
});

test('rejects an OCSF class it does not support, naming the supported ones', () => {
  const r = rejected({
    ...fixture('ocsf-network-activity.json'),
    class_uid: 3002,
    category_uid: 3,
    type_uid: 300201,
  });
  assert.equal(r.code, 'UNSUPPORTED_CLASS');
  assert.equal(r.reason, 'OCSF: unsupported class_uid 3002 (supported: 6003, 1007, 4001, 2004)');
});

test('rejects records of no known format with a precise reason', () => {
  assert.deepEqual(normaliseEvent({ hello: 'world' }), {
    ok: false,
    code: 'UNRECOGNISED_FORMAT',
    reason: 'unrecognised format: no apiVersion, rule or class_uid',
  });
  assert.equal(
    rejected([1, 2]).reason,
    'unrecognised format: expected a JSON object, got an array',
  );
  assert.equal(rejected(null).reason, 'unrecognised format: expected a JSON object, got null');
  assert.equal(rejected('text').reason, 'unrecognised format: expected a JSON object, got string');
  assert.match(
    rejected({ apiVersion: 'v1', kind: 'Pod' }).reason,
    /apiVersion "v1" kind "Pod" is not an audit.k8s.io Event/,
  );
});

test('parseNdjson reports malformed and oversized lines with their line numbers and skips blanks', () => {
  const big = JSON.stringify({ pad: 'x'.repeat(200) });
  const text = `{"a":1}\n\n{"b":\n${big}\r\n{"c":3}`;
  for (const input of [text, Buffer.from(text)]) {
    const lines = [...parseNdjson(input, { maxLineBytes: 100 })];
    assert.deepEqual(
      lines.map((l) => [l.line, l.ok, l.ok ? l.value : l.code]),
      [
        [1, true, { a: 1 }],
        [3, false, 'MALFORMED_JSON'],
        [4, false, 'LINE_TOO_LONG'],
        [5, true, { c: 3 }],
      ],
    );
    const tooLong = lines[2];
    assert.ok(tooLong && !tooLong.ok);
    assert.equal(tooLong.reason, `line is ${big.length + 1} bytes, over the 100-byte line limit`);
  }
});

test('parseNdjson counts UTF-8 bytes, not characters, against the line limit', () => {
  const line = JSON.stringify({ s: 'é'.repeat(40) }); // 48 chars, 88 bytes
  const [parsed] = [...parseNdjson(line, { maxLineBytes: 60 })];
  assert.ok(parsed && !parsed.ok && parsed.code === 'LINE_TOO_LONG');
});

test('acts only on the source address the API server observed: X-Forwarded-For entries are kept as claimed', () => {
  // The client sent `X-Forwarded-For: 10.0.0.5, 192.0.2.1` (an internal bastion and a
  // made-up hop); the API server saw the connection from 203.0.113.9, listed last.
  const raw = {
    ...fixture('k8s-audit-exec.json'),
    sourceIPs: ['10.0.0.5', '192.0.2.1', '203.0.113.9'],
  };
  const e = ok(raw);
  assert.equal(e.actor.sourceIp, '203.0.113.9');
  assert.deepEqual(e.actor.claimedSourceIps, ['10.0.0.5', '192.0.2.1']);
  // One entry: the connection's own address, nothing claimed.
  const single = ok({ ...fixture('k8s-audit-exec.json'), sourceIPs: ['203.0.113.9'] });
  assert.equal(single.actor.sourceIp, '203.0.113.9');
  assert.equal(single.actor.claimedSourceIps, undefined);
  // Falco's k8saudit plugin carries the same list comma-separated.
  const falco = fixture('falco-k8saudit.json');
  const fields = falco['output_fields'] as Record<string, unknown>;
  const f = ok({ ...falco, output_fields: { ...fields, 'ka.sourceips': '10.0.0.5,10.42.3.9' } });
  assert.equal(f.actor.sourceIp, '10.42.3.9');
  assert.deepEqual(f.actor.claimedSourceIps, ['10.0.0.5']);
});

test('accepts a GKE entry whose pipeline dropped serviceName, recognised by its io.k8s method', () => {
  const raw = fixture('gke-audit.json');
  delete (raw['protoPayload'] as Record<string, unknown>)['serviceName'];
  const e = ok(raw);
  assert.equal(e.origin, 'gke-cloud-logging');
  assert.equal(e.activity, 'create');
  const other = fixture('gke-audit.json');
  const p = other['protoPayload'] as Record<string, unknown>;
  delete p['serviceName'];
  p['methodName'] = 'v2.deploymentmanager.deployments.insert';
  assert.equal(rejected(other).code, 'UNRECOGNISED_FORMAT');
});

test('maps a GKE non-resource request (io.k8s.readyz, re-cased callerIP) to a GET of its path', () => {
  const raw = fixture('gke-audit.json');
  const p = raw['protoPayload'] as Record<string, unknown>;
  p['methodName'] = 'io.k8s.readyz';
  delete p['resourceName'];
  p['requestMetadata'] = { callerIP: '108.177.75.65', callerSuppliedUserAgent: 'GoogleHC/1.0' };
  const e = ok(raw);
  assert.equal(e.activity, 'get');
  assert.equal(e.requestUri, '/readyz');
  assert.equal(e.resource, undefined);
  assert.equal(e.actor.sourceIp, '108.177.75.65');
});

test('a trimmed EKS message that kept verb and object but lost its user is refused as unattributable', () => {
  const r = rejected({
    '@message': JSON.stringify({ kind: 'Event', verb: 'create', objectRef: { resource: 'pods' } }),
  });
  assert.equal(r.code, 'NO_USER');
});
