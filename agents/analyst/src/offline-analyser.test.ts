import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analysisSchema } from '@vigil/soc';
import { analyseOffline } from './offline-analyser.js';
import { findingFor } from './testing/findings.js';

test('maps a crypto-miner process to resource hijacking with a critical severity', () => {
  const a = analyseOffline(
    findingFor({
      classUid: 1007,
      activity: 'launch',
      process: { name: 'xmrig', cmdline: 'xmrig -o pool:3333' },
    }),
  );
  assert.deepEqual(a.techniques, ['T1496']);
  assert.equal(a.severity, 'critical');
  assert.ok(a.recommendedResponses.includes('isolate-pod'));
  assert.equal(a.source, 'rule-based');
  assert.match(a.rationale, /^Rule-based analysis/);
  analysisSchema.parse(a);
});

test('maps a Falco shell-in-container alert to T1609 and recommends isolation', () => {
  const a = analyseOffline(
    findingFor({
      format: 'falco',
      rule: 'Terminal shell in container',
      activity: 'Terminal shell in container',
    }),
  );
  assert.deepEqual(a.techniques, ['T1609']);
  assert.deepEqual(a.recommendedResponses, ['isolate-pod']);
});

test('a shell alone is a weak signal, left to a human under the shipped 0.55 reviewer threshold', () => {
  // Reviewer confidence = 0.6 × 0.8 × analysis confidence + 0.4 × detector score (vigil.yaml).
  for (const score of [0.6, 0.7, 0.8]) {
    const a = analyseOffline({
      ...findingFor({ format: 'falco', rule: 'Terminal shell in container' }),
      score,
    });
    const reviewer = 0.6 * 0.8 * a.confidence + 0.4 * score;
    assert.ok(reviewer < 0.55, `score ${score}: reviewer confidence ${reviewer}`);
  }
});

test('maps a ClusterRoleBinding to cluster-admin to account manipulation', () => {
  const a = analyseOffline(
    findingFor({
      format: 'k8s-audit',
      classUid: 6003,
      activity: 'create',
      actor: { user: 'mallory@example.com' },
      resource: { type: 'clusterrolebindings', name: 'backdoor' },
      raw: { requestObject: { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } } },
    }),
  );
  assert.deepEqual(a.techniques, ['T1098.006']);
  assert.deepEqual(a.recommendedResponses, ['disable-user']);
});

test('a binding to a harmless role matches nothing', () => {
  const a = analyseOffline(
    findingFor({
      classUid: 6003,
      activity: 'create',
      resource: { type: 'rolebindings' },
      raw: { requestObject: { roleRef: { name: 'view' } } },
    }),
  );
  assert.deepEqual(a.techniques, []);
  assert.deepEqual(a.recommendedResponses, []);
  assert.equal(a.severity, 'low');
});

test('flags successful anonymous API access but not a refused one', () => {
  const ok = analyseOffline(
    findingFor({
      classUid: 6003,
      activity: 'list',
      actor: { user: 'system:anonymous', sourceIp: '203.0.113.9' },
      resource: { type: 'secrets' },
      outcome: { code: 200 },
    }),
  );
  assert.ok(ok.techniques.includes('T1078.001'));
  const spoofed = analyseOffline(
    findingFor({
      classUid: 6003,
      activity: 'list',
      actor: { user: 'system:anonymous', sourceIp: '203.0.113.9', claimedSourceIps: ['10.0.0.5'] },
      resource: { type: 'secrets' },
      outcome: { code: 200 },
    }),
  );
  assert.match(spoofed.summary, /from 203\.0\.113\.9 \(client claims 10\.0\.0\.5\)/);
  const refused = analyseOffline(
    findingFor({
      classUid: 6003,
      activity: 'list',
      actor: { user: 'system:anonymous' },
      resource: { type: 'pods' },
      outcome: { code: 403 },
    }),
  );
  assert.ok(!refused.techniques.includes('T1078.001'));
});

test('corroborating rules raise confidence above any single rule', () => {
  const single = analyseOffline(
    findingFor({
      classUid: 4001,
      activity: 'traffic',
      network: { dstIp: '198.51.100.7', dstPort: 443 },
    }),
  );
  const double = analyseOffline(
    findingFor({
      classUid: 4001,
      activity: 'traffic',
      network: { dstIp: '198.51.100.7', dstPort: 3333 },
    }),
  );
  assert.ok(double.confidence > single.confidence, `${double.confidence} > ${single.confidence}`);
  assert.deepEqual(new Set(double.techniques), new Set(['T1496', 'T1041']));
});

test('egress to a private address is not flagged as unusual egress', () => {
  const a = analyseOffline(
    findingFor({
      classUid: 4001,
      activity: 'traffic',
      network: { dstIp: '10.0.3.4', dstPort: 5432 },
    }),
  );
  assert.deepEqual(a.techniques, []);
});

test('a summary keeps an identity as written and names what an anonymous request asked for', () => {
  const exec = analyseOffline(
    findingFor({
      format: 'k8s-audit',
      classUid: 6003,
      activity: 'create',
      actor: { user: 'system:serviceaccount:shop:web' },
      resource: { type: 'pods', subresource: 'exec', namespace: 'shop', name: 'web-1' },
    }),
  );
  assert.match(exec.summary, /^system:serviceaccount:shop:web /);
  const byMail = analyseOffline(
    findingFor({
      format: 'k8s-audit',
      classUid: 6003,
      activity: 'create',
      actor: { user: 'dev-contractor@example.com' },
      resource: { type: 'pods', subresource: 'exec', namespace: 'shop', name: 'web-1' },
    }),
  );
  assert.match(byMail.summary, /^dev-contractor@example\.com /);

  const probe = analyseOffline(
    findingFor({
      format: 'k8s-audit',
      classUid: 6003,
      activity: 'get',
      actor: {
        user: 'system:anonymous',
        groups: ['system:unauthenticated'],
        sourceIp: '198.51.100.23',
      },
      requestUri: '/api/v1/namespaces/kube-system/secrets',
      resource: { type: 'secrets', namespace: 'kube-system' },
      outcome: { code: 200 },
    }),
  );
  assert.match(probe.summary, /^Anonymous request "get secrets in kube-system" succeeded/);
  const nonResource = analyseOffline(
    findingFor({
      format: 'k8s-audit',
      classUid: 6003,
      activity: 'get',
      actor: { user: 'system:anonymous', sourceIp: '198.51.100.23' },
      requestUri: '/apis',
      outcome: { code: 200 },
    }),
  );
  assert.match(nonResource.summary, /"get \/apis"/);
});
