import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analysisSchema, type Finding, type Severity } from '@vigil/soc';
import { analyseOffline } from './offline-analyser.js';
import { findingFor } from './testing/findings.js';
import { findingPrompt } from './model-analyser.js';
import { guardModelAnalysis } from './untrusted-model.js';

const audit = (event: Record<string, unknown>) =>
  findingFor({ format: 'k8s-audit', classUid: 6003, severityId: 1, ...event });

test('reads the inner audit event of an EKS delivery: a cluster-admin binding is T1098.006 critical', () => {
  const a = analyseOffline(
    audit({
      origin: 'eks-cloudwatch',
      activity: 'create',
      actor: { user: 'system:serviceaccount:ci:deployer' },
      resource: { type: 'clusterrolebindings', name: 'break-glass' },
      requestObject: { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } },
      // The wrapper, as received: the request object is inside a JSON string.
      raw: { '@message': '{"kind":"Event","requestObject":{"roleRef":{"name":"cluster-admin"}}}' },
    }),
  );
  assert.deepEqual(a.techniques, ['T1098.006']);
  assert.equal(a.severity, 'critical');
  assert.ok(a.recommendedResponses.includes('disable-user'));
});

test('recognises RBAC escalation beyond cluster-admin bindings', () => {
  const admin = analyseOffline(
    audit({
      activity: 'create',
      actor: { user: 'system:serviceaccount:shop:web' },
      resource: { type: 'clusterrolebindings', name: 'web-admin' },
      requestObject: {
        roleRef: { name: 'admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'web' }],
      },
    }),
  );
  assert.deepEqual([admin.techniques, admin.severity], [['T1098.006'], 'high']);
  const masters = analyseOffline(
    audit({
      activity: 'update',
      actor: { user: 'mallory' },
      resource: { type: 'rolebindings', name: 'x' },
      requestObject: {
        roleRef: { name: 'view' },
        subjects: [{ kind: 'Group', name: 'system:masters' }],
      },
    }),
  );
  assert.deepEqual([masters.techniques, masters.severity], [['T1098.006'], 'critical']);
  const escalate = analyseOffline(
    audit({
      activity: 'patch',
      actor: { user: 'mallory' },
      resource: { type: 'clusterroles', name: 'helper' },
      requestObject: {
        rules: [
          { resources: ['nodes/proxy'], verbs: ['get'] },
          { resources: ['clusterroles'], verbs: ['escalate'] },
        ],
      },
    }),
  );
  assert.deepEqual([escalate.techniques, escalate.severity], [['T1098.006'], 'high']);
  assert.match(escalate.rationale, /granting nodes\/proxy, escalate/);
  const reader = analyseOffline(
    audit({
      activity: 'create',
      actor: { user: 'alice' },
      resource: { type: 'roles', name: 'reader' },
      requestObject: { rules: [{ resources: ['pods'], verbs: ['get', 'list'] }] },
    }),
  );
  assert.deepEqual(reader.techniques, []);
});

test('names container escape T1611: a privileged or host-mounting pod high, the runtime socket or an observed escape critical', () => {
  const privileged = analyseOffline(
    audit({
      activity: 'create',
      actor: { user: 'mallory' },
      resource: { type: 'daemonsets', namespace: 'shop', name: 'agent' },
      requestObject: {
        spec: {
          template: {
            spec: { hostPID: true, containers: [{ securityContext: { privileged: true } }] },
          },
        },
      },
    }),
  );
  assert.deepEqual([privileged.techniques, privileged.severity], [['T1611'], 'high']);
  assert.match(privileged.rationale, /a privileged container, hostPID/);
  const socket = analyseOffline(
    audit({
      activity: 'create',
      actor: { user: 'mallory' },
      resource: { type: 'pods', namespace: 'ci', name: 'b' },
      requestObject: {
        spec: { volumes: [{ hostPath: { path: '/var/run/docker.sock' } }], containers: [{}] },
      },
    }),
  );
  assert.deepEqual([socket.techniques, socket.severity], [['T1611'], 'critical']);
  const falco = analyseOffline(
    findingFor({
      format: 'falco',
      rule: 'Detect release_agent File Container Escapes',
      tags: ['T1611'],
    }),
  );
  assert.ok(falco.techniques.includes('T1611'));
  assert.equal(falco.severity, 'critical');
  const controller = analyseOffline(
    audit({
      activity: 'create',
      actor: { user: 'system:serviceaccount:kube-system:daemon-set-controller' },
      resource: { type: 'pods', namespace: 'kube-system', name: 'cni' },
      requestObject: { spec: { containers: [{ securityContext: { privileged: true } }] } },
    }),
  );
  assert.deepEqual(controller.techniques, []);
});

test('nodes and controllers reading secrets are not token theft; another identity reading them is a medium question', () => {
  for (const actor of [
    { user: 'system:node:node-a', groups: ['system:nodes'] },
    { user: 'system:kube-controller-manager' },
    { user: 'system:serviceaccount:kube-system:generic-garbage-collector' },
  ]) {
    const a = analyseOffline(audit({ activity: 'list', actor, resource: { type: 'secrets' } }));
    assert.deepEqual([a.techniques, a.severity], [[], 'low'], actor.user);
  }
  const other = analyseOffline(
    audit({
      activity: 'get',
      actor: { user: 'system:serviceaccount:shop:web' },
      resource: { type: 'secrets', namespace: 'kube-system' },
    }),
  );
  assert.deepEqual([other.techniques, other.severity], [['T1552.007'], 'medium']);
  const token = analyseOffline(
    audit({
      activity: 'get',
      actor: { user: 'system:serviceaccount:monitoring:grafana' },
      resource: { type: 'secrets', namespace: 'ci', name: 'deployer-token' },
    }),
  );
  assert.deepEqual([token.techniques, token.severity], [['T1528'], 'high']);
  const typed = analyseOffline(
    audit({
      activity: 'get',
      actor: { user: 'alice' },
      resource: { type: 'secrets', namespace: 'ci', name: 'deployer-token' },
      responseObject: { type: 'kubernetes.io/tls' },
    }),
  );
  assert.deepEqual(typed.techniques, ['T1552.007']);
  const minted = analyseOffline(
    audit({
      activity: 'create',
      actor: { user: 'system:serviceaccount:shop:web' },
      resource: {
        type: 'serviceaccounts',
        subresource: 'token',
        namespace: 'kube-system',
        name: 'admin',
      },
    }),
  );
  assert.deepEqual([minted.techniques, minted.severity], [['T1528'], 'high']);
});

test('an anonymous load-balancer health check is not T1078.001', () => {
  for (const uri of ['/healthz', '/livez?verbose', '/readyz', '/version']) {
    const a = analyseOffline(
      audit({
        activity: 'get',
        actor: { user: 'system:anonymous', groups: ['system:unauthenticated'] },
        requestUri: uri,
        outcome: { code: 200 },
      }),
    );
    assert.deepEqual(a.techniques, [], uri);
  }
  const api = analyseOffline(
    audit({
      activity: 'list',
      actor: { user: 'system:anonymous' },
      requestUri: '/api/v1/secrets',
      resource: { type: 'secrets' },
      outcome: { code: 200 },
    }),
  );
  assert.ok(api.techniques.includes('T1078.001'));
});

function withDetection(base: Finding, severity: Severity): Finding {
  return {
    ...base,
    detection: {
      severity,
      ruleHits: [
        {
          id: 'vigil-falco-alert',
          title: 'Falco rule fired',
          techniques: ['T1555'],
          severity,
          source: 'falco',
        },
        {
          id: 'sigma-x',
          title: 'Secrets enumeration',
          techniques: ['T1552.007'],
          severity: 'low',
          source: 'sigma:x',
        },
      ],
    },
  };
}

test('maps the detector rule hits to techniques, severity and reasons when no offline rule matches', () => {
  const a = analyseOffline(
    withDetection(findingFor({ format: 'falco', rule: 'Read sensitive file untrusted' }), 'high'),
  );
  assert.deepEqual(a.techniques, ['T1555', 'T1552.007']);
  assert.equal(a.severity, 'high');
  assert.match(a.rationale, /vigil-falco-alert \[falco\] → T1555 \(high\): Falco rule fired/);
  assert.match(a.rationale, /sigma-x \[sigma:x\]/);
  assert.ok(a.recommendedResponses.includes('revoke-sa-token'));
  assert.ok(a.confidence > 0 && a.confidence < 0.75);
  analysisSchema.parse(a);
});

test('an analysis is never below the severity of the rules that fired', () => {
  // The offline rule alone says medium (a secret read); the detection says critical.
  const base = audit({ activity: 'get', actor: { user: 'alice' }, resource: { type: 'secrets' } });
  assert.equal(analyseOffline(base).severity, 'medium');
  assert.equal(analyseOffline(withDetection(base, 'critical')).severity, 'critical');
});

test('the language model receives the same rule hits as evidence, and its lower severity is raised to theirs', () => {
  const finding = withDetection(
    findingFor({ format: 'falco', rule: 'Read sensitive file untrusted' }),
    'critical',
  );
  const prompt = findingPrompt(finding);
  const evidence = /<detection-evidence>\n([\s\S]*?)\n<\/detection-evidence>/.exec(prompt);
  assert.ok(evidence, prompt);
  assert.match(evidence[1]!, /vigil-falco-alert/);
  assert.match(evidence[1]!, /T1552\.007/);
  const guarded = guardModelAnalysis(
    {
      techniques: [],
      severity: 'low',
      confidence: 0.9,
      summary: 'Looks fine.',
      rationale: 'Routine.',
      recommendedResponses: [],
      source: 'model',
    },
    finding,
    { systemPrompt: 'x' },
  );
  assert.equal(guarded.severity, 'critical');
  assert.deepEqual(guarded.techniques, ['T1555', 'T1552.007']);
  analysisSchema.parse(guarded);
});
