import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REQUEST_RISK_COUNT, REQUEST_RISK_NAMES, requestRiskInto } from './request-risk.js';

function risk(body: unknown): Record<string, number> {
  const out = new Float64Array(REQUEST_RISK_COUNT + 2).fill(-1);
  requestRiskInto(body, out, 1);
  assert.equal(out[0], -1, 'writes only its own columns');
  assert.equal(out[REQUEST_RISK_COUNT + 1], -1);
  return Object.fromEntries(REQUEST_RISK_NAMES.map((n, i) => [n.slice(8), out[1 + i]!]));
}

const zero = Object.fromEntries(REQUEST_RISK_NAMES.map((n) => [n.slice(8), 0]));

test('a pod that takes the host: privileged, host namespaces, host mounts, runtime socket, capabilities', () => {
  const pod = {
    kind: 'Pod',
    spec: {
      hostPID: true,
      hostNetwork: true,
      containers: [
        {
          name: 'a',
          securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN', 'NET_ADMIN'] } },
        },
        { name: 'b' },
      ],
      volumes: [
        { name: 'root', hostPath: { path: '/' } },
        { name: 'sock', hostPath: { path: '/run/containerd/containerd.sock' } },
        { name: 'cfg', configMap: { name: 'x' } },
      ],
    },
  };
  assert.deepEqual(risk(pod), {
    ...zero,
    privileged: 1,
    hostNamespaces: 2,
    hostPath: 2,
    runtimeSocket: 1,
    addedCapabilities: 2,
  });
});

test('workload templates are read: a CronJob three levels down, a DaemonSet, ephemeral containers', () => {
  const podSpec = { hostIPC: true, containers: [{ securityContext: { privileged: true } }] };
  const cron = {
    kind: 'CronJob',
    spec: { jobTemplate: { spec: { template: { spec: podSpec } } } },
  };
  const ds = { kind: 'DaemonSet', spec: { template: { spec: podSpec } } };
  for (const body of [cron, ds])
    assert.deepEqual(risk(body), { ...zero, privileged: 1, hostNamespaces: 1 });
  const debug = {
    kind: 'Pod',
    spec: { ephemeralContainers: [{ securityContext: { capabilities: { add: ['SYS_PTRACE'] } } }] },
  };
  assert.equal(risk(debug)['addedCapabilities'], 1);
});

test('RBAC: wildcards, escalate/bind/impersonate and nodes/proxy rules; bindings to cluster-admin or system:masters', () => {
  const role = {
    kind: 'ClusterRole',
    rules: [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['clusterroles'],
        verbs: ['escalate'],
      },
      { apiGroups: [''], resources: ['users'], verbs: ['impersonate'] },
      { apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
    ],
  };
  assert.deepEqual(risk(role), { ...zero, rbacWildcards: 1, rbacEscalation: 3 });
  const binding = {
    kind: 'ClusterRoleBinding',
    roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'Group', name: 'system:masters' }],
  };
  assert.equal(risk(binding)['privilegedBinding'], 2);
  assert.equal(risk({ roleRef: { name: 'view' }, subjects: [] })['privilegedBinding'], 0);
});

test('ordinary and malformed bodies score nothing', () => {
  for (const body of [
    undefined,
    null,
    'text',
    [1, 2],
    { kind: 'ConfigMap', data: { a: 'b' } },
    { spec: { containers: 'nope', volumes: [null, 3, { hostPath: 'x' }] } },
    { rules: [null, { verbs: 'x' }] },
    { kind: 'Deployment', spec: { template: { spec: { containers: [{ image: 'nginx' }] } } } },
  ])
    assert.deepEqual(risk(body), zero, JSON.stringify(body));
});
