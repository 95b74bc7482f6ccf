import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normaliseEvent } from '../events/normalise.js';
import { loadRuleSet } from './load.js';
import { detectionScore } from './detection-score.js';

const rules = loadRuleSet();
const event = (raw: unknown) => {
  const n = normaliseEvent(raw);
  if (!n.ok) throw new Error(n.reason);
  return n.event;
};
const audit = (o: Record<string, unknown>) => ({
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Event',
  user: { username: 'oidc:mallory@example.com' },
  ...o,
});

test('orders an alert by severity above any forest finding, and a forest finding above the unflagged', () => {
  const score = (raw: unknown, forest: number, finding: boolean) => {
    const e = event(raw);
    return detectionScore(rules, rules.evaluate(e), forest, finding);
  };
  const clusterAdmin = audit({
    verb: 'create',
    objectRef: { resource: 'clusterrolebindings', name: 'x' },
    requestObject: {
      roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'User', name: 'm' }],
    },
  });
  const exec = audit({
    verb: 'create',
    objectRef: { resource: 'pods', namespace: 'shop', name: 'w', subresource: 'exec' },
  });
  const configMap = audit({
    verb: 'get',
    objectRef: { resource: 'configmaps', namespace: 'shop', name: 'c' },
  });
  const refused = audit({
    verb: 'list',
    objectRef: { resource: 'pods' },
    responseStatus: { code: 403 },
  });
  const critical = score(clusterAdmin, 0, true);
  const medium = score(exec, 1, true);
  const forestOnly = score(configMap, 1, true);
  const plain = score(configMap, 1, false);
  const attempt = score(refused, 0.5, false);
  assert.ok(critical > medium, `${critical} > ${medium}`);
  assert.ok(medium > forestOnly && forestOnly > plain, `${medium} > ${forestOnly} > ${plain}`);
  assert.ok(
    attempt > score(configMap, 0.5, false),
    'a refused request ranks above an ordinary one',
  );
  for (const s of [critical, medium, forestOnly, plain, attempt]) assert.ok(s >= 0 && s <= 1);
});
