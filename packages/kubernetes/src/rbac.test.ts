import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAgentSystem, getAgent } from '@vigil/registry';
import { agentRbacRules, isClusterScoped, renderAgentRbac, splitRule } from './rbac.js';

function system(rules: unknown[]) {
  return parseAgentSystem(
    JSON.stringify({
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'AgentSystem',
      metadata: { name: 'demo', namespace: 'agents' },
      trustDomain: 'demo.local',
      agents: [
        { name: 'a', role: 'A', implementation: '@vigil/echo', permissions: { rules } },
        { name: 'b', role: 'B', implementation: '@vigil/echo' },
      ],
    }),
    'test.yaml',
  );
}

test('a subresource takes the scope of its parent, and core nodes are cluster-scoped', () => {
  assert.equal(isClusterScoped('', 'nodes'), true);
  assert.equal(isClusterScoped('', 'nodes/status'), true);
  assert.equal(isClusterScoped('', 'pods'), false);
  assert.equal(isClusterScoped('apps', 'nodes'), false);
  assert.equal(isClusterScoped('apps', 'deployments/scale'), false);
});

test('a rule mixing namespaced and cluster-scoped resources is split, verbs unchanged', () => {
  const split = splitRule({
    apiGroups: [''],
    resources: ['pods', 'namespaces', 'nodes', 'serviceaccounts'],
    verbs: ['get', 'list'],
  });
  assert.deepEqual(split.namespaced, [
    { apiGroups: [''], resources: ['pods', 'serviceaccounts'], verbs: ['get', 'list'] },
  ]);
  assert.deepEqual(split.cluster, [
    { apiGroups: [''], resources: ['namespaces', 'nodes'], verbs: ['get', 'list'] },
  ]);
});

test('a resource is cluster-scoped only in the groups where it is: the cross product is kept exact', () => {
  const split = splitRule({ apiGroups: ['', 'apps'], resources: ['nodes'], verbs: ['get'] });
  assert.deepEqual(split.cluster, [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
  assert.deepEqual(split.namespaced, [
    { apiGroups: ['apps'], resources: ['nodes'], verbs: ['get'] },
  ]);
});

test('resourceNames are kept on every split rule', () => {
  const split = splitRule({
    apiGroups: [''],
    resources: ['configmaps', 'nodes'],
    verbs: ['get'],
    resourceNames: ['x'],
  });
  assert.deepEqual(split.namespaced[0]?.resourceNames, ['x']);
  assert.deepEqual(split.cluster[0]?.resourceNames, ['x']);
});

test('an agent without rules gets no RBAC objects at all', () => {
  const s = system([]);
  assert.deepEqual(renderAgentRbac(s, getAgent(s, 'b')), []);
});

test('namespaced rules become a Role in the system namespace bound to the agent service account only', () => {
  const s = system([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'delete'] }]);
  const objects = renderAgentRbac(s, getAgent(s, 'a'));
  assert.deepEqual(
    objects.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`),
    ['Role/agents/vigil:agents:a', 'RoleBinding/agents/vigil:agents:a'],
  );
  const role = objects[0] as { rules: unknown };
  assert.deepEqual(role.rules, [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'delete'] },
  ]);
  const binding = objects[1] as { subjects: unknown; roleRef: unknown };
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'a', namespace: 'agents' }]);
  assert.deepEqual(binding.roleRef, {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'Role',
    name: 'vigil:agents:a',
  });
});

test('rules naming namespaces get a Role in each; "*" makes namespaced resources cluster-wide', () => {
  const s = system([
    { apiGroups: [''], resources: ['pods'], verbs: ['delete'], namespaces: ['shop', 'billing'] },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'], namespaces: ['*'] },
    { apiGroups: [''], resources: ['nodes'], verbs: ['patch'] },
  ]);
  const rules = agentRbacRules(s, getAgent(s, 'a'));
  assert.deepEqual([...rules.namespaced.keys()], ['billing', 'shop']);
  assert.deepEqual(rules.cluster, [
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
    { apiGroups: [''], resources: ['nodes'], verbs: ['patch'] },
  ]);
  const kinds = renderAgentRbac(s, getAgent(s, 'a')).map((o) => o.kind);
  assert.deepEqual(kinds, [
    'ClusterRole',
    'ClusterRoleBinding',
    'Role',
    'RoleBinding',
    'Role',
    'RoleBinding',
  ]);
});

test('every declared (group, resource, verb) triple is granted once and nothing else', () => {
  const s = parseAgentSystem(
    JSON.stringify({
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'AgentSystem',
      metadata: { name: 'x' },
      trustDomain: 'x.local',
      agents: [
        {
          name: 'r',
          role: 'R',
          implementation: '@vigil/echo',
          permissions: {
            rules: [
              {
                apiGroups: ['', 'apps'],
                resources: ['pods', 'nodes', 'deployments/scale'],
                verbs: ['get', 'patch'],
              },
              {
                apiGroups: ['networking.k8s.io'],
                resources: ['networkpolicies'],
                verbs: ['create'],
              },
            ],
          },
        },
      ],
    }),
    'test.yaml',
  );
  const triples = (
    rules: readonly { apiGroups?: string[]; resources?: string[]; verbs: string[] }[],
  ) =>
    rules.flatMap((r) =>
      (r.apiGroups ?? []).flatMap((g) =>
        (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g}|${res}|${v}`)),
      ),
    );
  const agent = getAgent(s, 'r');
  const declared = triples(
    agent.permissions.rules.map((r) => ({
      ...r,
      apiGroups: [...r.apiGroups],
      resources: [...r.resources],
      verbs: [...r.verbs],
    })),
  );
  const rendered = agentRbacRules(s, agent);
  const granted = [
    ...triples(rendered.cluster),
    ...[...rendered.namespaced.values()].flatMap(triples),
  ];
  assert.deepEqual([...granted].sort(), [...declared].sort());
});
