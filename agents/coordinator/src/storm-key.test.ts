import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '@vigil/soc';
import { entityClassOf, signatureOf, stormKeyOf } from './storm-key.js';
import { minerFinding } from './testing/recording-ports.js';

function inPod(pod: string, namespace = 'shop'): Finding {
  return {
    ...minerFinding,
    event: { ...minerFinding.event, workload: { namespace, pod } },
    entities: { workload: `${namespace}/${pod}`, addresses: [] },
  };
}

test('replicas of one Deployment, DaemonSet or StatefulSet are one entity class', () => {
  assert.equal(entityClassOf(inPod('web-7d9f8b6c4-x2kqz')), 'workload:shop/web');
  assert.equal(entityClassOf(inPod('web-7d9f8b6c4-m9wtp')), 'workload:shop/web');
  assert.equal(entityClassOf(inPod('node-agent-b4hzn')), 'workload:shop/node-agent');
  assert.equal(entityClassOf(inPod('db-2')), 'workload:shop/db');
});

test('a plain pod name is not cut like a generated one, and namespaces stay apart', () => {
  // "proxy" has vowels: Kubernetes never generates it.
  assert.equal(entityClassOf(inPod('api-proxy')), 'workload:shop/api-proxy');
  assert.notEqual(stormKeyOf(inPod('web-1')), stormKeyOf(inPod('web-1', 'payments')));
});

test('actors and addresses are classes of their own; IPv4 by /24, IPv6 by /64', () => {
  const base = { ...minerFinding, entities: { addresses: [] as string[] } };
  assert.equal(
    entityClassOf({ ...base, entities: { actor: 'alice', addresses: [] } }),
    'actor:alice',
  );
  assert.equal(
    entityClassOf({ ...base, entities: { addresses: ['10.1.2.3'] } }),
    'network:10.1.2.0/24',
  );
  assert.equal(
    entityClassOf({ ...base, entities: { addresses: ['2001:DB8:1:2:3::4'] } }),
    'network:2001:db8:1:2::/64',
  );
  assert.equal(entityClassOf(base), 'none');
});

test('the signature is the rules that fired, else the source rule, else techniques, else the activity', () => {
  const hit = (id: string) => ({
    id,
    title: id,
    techniques: [],
    severity: 'high' as const,
    source: 'vigil',
  });
  const withRule = { ...minerFinding, event: { ...minerFinding.event, rule: 'Falco rule' } };
  assert.equal(
    signatureOf({ ...withRule, detection: { severity: 'high', ruleHits: [hit('b'), hit('a')] } }),
    'rules:a,b',
  );
  assert.equal(signatureOf(withRule), 'rule:Falco rule');
  assert.equal(
    signatureOf({ ...minerFinding, event: { ...minerFinding.event, tags: ['T1496', 'x'] } }),
    'techniques:T1496',
  );
  assert.equal(signatureOf(minerFinding), 'activity:falco/1007/launch/xmrig');
  const curl = { ...minerFinding, event: { ...minerFinding.event, process: { name: 'curl' } } };
  assert.notEqual(stormKeyOf(curl), stormKeyOf(minerFinding), 'two unusual processes, two storms');
});
