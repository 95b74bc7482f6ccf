import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVigilError } from '@vigil/core';
import { DryRunExecutor } from '../../executors/dry-run.js';
import { executePlan } from '../../executors/execute-plan.js';
import { selectorMatches } from '../../inventory/inventory.js';
import { SAMPLE_ACTIONS, smallInventory } from '../../testing/fixtures.js';
import { KubernetesSchema } from '../../testing/k8s-schema.js';
import { ActionRegistry } from '../registry.js';
import type { Action } from '../action.js';
import type { KubernetesRequest } from '../requests.js';
import { createDefaultRegistry } from './index.js';
import { defineAction, blastRadius } from '../action.js';
import { z } from 'zod';

const registry = createDefaultRegistry();
const schema = KubernetesSchema.shared();

function k8s(requests: readonly unknown[]): KubernetesRequest[] {
  return requests.filter(
    (r): r is KubernetesRequest => (r as { kind: string }).kind === 'kubernetes',
  );
}

test('isolate-pod selects exactly the one pod, not every replica of its owner', async () => {
  const inventory = smallInventory();
  const a = registry.assess(SAMPLE_ACTIONS[0], inventory);
  assert.equal(a.blastRadius.pods, 1);
  assert.equal(a.blastRadius.replicas, 1);
  assert.deepEqual(
    a.blastRadius.assets.map((x) => x.name),
    ['web-7d9f8-2'],
  );
  const [create, label] = k8s(a.plan.requests);
  assert.equal(create?.verb, 'create');
  const spec = create?.body?.['spec'] as {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress?: unknown;
    egress?: unknown;
  };
  assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress']);
  assert.equal(spec.ingress, undefined, 'no ingress rules: deny all');
  assert.equal(spec.egress, undefined, 'no egress rules: deny all');
  assert.equal(label?.verb, 'patch');
  const executor = new DryRunExecutor(inventory);
  const result = await executePlan(executor, a.plan, 'k');
  assert.ok(result.ok, JSON.stringify(result));
  const after = await executor.inventory();
  const selected = after.pods({ namespace: 'shop', selector: spec.podSelector });
  assert.deepEqual(
    selected.map((p) => p.name),
    ['web-7d9f8-2'],
  );
  // The owner's labels would have selected all three replicas.
  assert.equal(after.pods({ selector: { matchLabels: { app: 'web' } } }).length, 3);
  assert.equal(a.definition.observe(a.action, a.plan.memo, after), 'applied');
  assert.equal(a.definition.observe(a.action, a.plan.memo, inventory), 'not-applied');
});

test('isolate-pod warns that another policy allowing traffic keeps the isolation partial', () => {
  const a = registry.assess(
    { type: 'isolate-pod', target: { namespace: 'shop', pod: 'db-0' }, parameters: {} },
    smallInventory(),
  );
  assert.ok(
    a.blastRadius.warnings.some((w) => w.includes('db-allow-web') && w.includes('partial')),
    a.blastRadius.warnings.join('\n'),
  );
});

test('isolate-pod of an already isolated pod plans nothing new', async () => {
  const executor = new DryRunExecutor(smallInventory());
  const first = registry.assess(SAMPLE_ACTIONS[0], await executor.inventory());
  await executePlan(executor, first.plan, 'k1');
  const again = registry.assess(SAMPLE_ACTIONS[0], await executor.inventory());
  assert.equal(again.plan.requests.length, 0);
  assert.equal(
    again.definition.undo?.(again.action, again.plan.memo)?.parameters['removePolicy'],
    false,
  );
});

test('scale-to-zero counts every replica and remembers the previous count for undo', () => {
  const a = registry.assess(SAMPLE_ACTIONS[1], smallInventory());
  assert.equal(a.blastRadius.pods, 3);
  assert.equal(a.blastRadius.replicas, 3);
  assert.deepEqual(a.plan.memo, { previousReplicas: 3 });
  assert.deepEqual(a.definition.undo?.(a.action, a.plan.memo), {
    type: 'scale-workload',
    target: { namespace: 'shop', kind: 'Deployment', name: 'web' },
    parameters: { replicas: 3 },
  });
  const [req] = k8s(a.plan.requests);
  assert.equal(req?.subresource, 'scale');
});

test('scale-to-zero refuses a DaemonSet naming the field', () => {
  assert.throws(
    () =>
      registry.parse({
        type: 'scale-to-zero',
        target: { namespace: 'kube-system', kind: 'DaemonSet', name: 'log-agent' },
      }),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_REMEDIATOR_INVALID') &&
      /target\.kind: .*DaemonSet cannot be scaled/.test(e.message),
  );
});

test('delete-pod deletes one pod with its grace period and a uid precondition', () => {
  const a = registry.assess(SAMPLE_ACTIONS[2], smallInventory());
  assert.equal(a.blastRadius.pods, 1);
  assert.ok(a.blastRadius.warnings.some((w) => w.includes('bare pod')));
  assert.equal(a.reversible, false);
  assert.deepEqual(k8s(a.plan.requests)[0]?.body, {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    gracePeriodSeconds: 10,
    preconditions: { uid: 'uid-debug' },
  });
  const defaults = registry.parse({
    type: 'delete-pod',
    target: { namespace: 'shop', pod: 'debug' },
  });
  assert.equal(defaults.action.parameters['gracePeriodSeconds'], 30);
});

test('block-ip normalises an address to /32 and touches only the selected pods', () => {
  const a = registry.assess(SAMPLE_ACTIONS[3], smallInventory());
  assert.equal(a.action.parameters['cidr'], '203.0.113.7/32');
  assert.equal(a.blastRadius.pods, 3);
  const [req] = k8s(a.plan.requests);
  const spec = req?.body?.['spec'] as { egress: { to: unknown[] }[]; policyTypes: string[] };
  assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress']);
  assert.deepEqual(spec.egress[0]?.to, [
    { ipBlock: { cidr: '0.0.0.0/0', except: ['203.0.113.7/32'] } },
    { ipBlock: { cidr: '::/0' } },
    { namespaceSelector: {} },
  ]);
});

test('block-ip rejects a CIDR with host bits set, naming the parameter', () => {
  assert.throws(
    () =>
      registry.parse({
        type: 'block-ip',
        target: { namespace: 'shop' },
        parameters: { cidr: '10.1.2.3/16' },
      }),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_REMEDIATOR_INVALID') && /parameters\.cidr: host bits/.test(e.message),
  );
});

test('block-ip refuses when another policy selects the pods: "allow all except" would widen it', () => {
  assert.throws(
    () =>
      registry.assess(
        {
          type: 'block-ip',
          target: { namespace: 'shop', selector: {} },
          parameters: { cidr: '203.0.113.0/24', direction: 'ingress' },
        },
        smallInventory(),
      ),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_REMEDIATOR_UNSAFE') && e.message.includes('db-allow-web'),
  );
});

test('block-ip merges a second block of the same pods into the one policy', async () => {
  const executor = new DryRunExecutor(smallInventory());
  const first = registry.assess(SAMPLE_ACTIONS[3], await executor.inventory());
  assert.ok((await executePlan(executor, first.plan, 'a')).ok);
  const second = registry.assess(
    { ...SAMPLE_ACTIONS[3], parameters: { cidr: '198.51.100.0/24', direction: 'both' } },
    await executor.inventory(),
  );
  const [req] = k8s(second.plan.requests);
  assert.equal(req?.verb, 'patch');
  assert.ok((await executePlan(executor, second.plan, 'b')).ok);
  const after = await executor.inventory();
  assert.equal(
    after.networkPolicies('shop').filter((n) => n.name.startsWith('vigil-block-')).length,
    1,
  );
  assert.equal(first.definition.observe(first.action, first.plan.memo, after), 'applied');
  assert.equal(second.definition.observe(second.action, second.plan.memo, after), 'applied');
});

test('block-ip of an in-cluster pod address does not keep an all-pods peer', () => {
  const a = registry.assess(
    {
      type: 'block-ip',
      target: { namespace: 'shop', selector: { app: 'web' } },
      parameters: { cidr: '10.244.2.9' },
    },
    smallInventory(),
  );
  const spec = k8s(a.plan.requests)[0]?.body?.['spec'] as { egress: { to: object[] }[] };
  assert.ok(!spec.egress[0]?.to.some((p) => 'namespaceSelector' in p));
});

test('revoke-sa-token deletes legacy token Secrets and counts the account as one user', () => {
  const a = registry.assess(SAMPLE_ACTIONS[4], smallInventory());
  assert.equal(a.blastRadius.users, 1);
  assert.deepEqual(
    k8s(a.plan.requests).map((r) => `${r.verb} ${r.resource} ${r.name}`),
    ['delete Secret web-token-x7k2p'],
  );
  const recreate = registry.assess(
    { ...SAMPLE_ACTIONS[4], parameters: { mode: 'recreate' } },
    smallInventory(),
  );
  assert.deepEqual(
    k8s(recreate.plan.requests).map((r) => `${r.verb} ${r.resource} ${r.name}`),
    ['delete Secret web-token-x7k2p', 'delete ServiceAccount web', 'create ServiceAccount web'],
  );
  assert.equal(recreate.blastRadius.pods, 3);
});

test('revoke-sa-token explains that bound tokens need mode recreate', () => {
  assert.throws(
    () =>
      registry.assess(
        { type: 'revoke-sa-token', target: { namespace: 'shop', serviceAccount: 'default' } },
        smallInventory(),
      ),
    (e: unknown) => isVigilError(e, 'VIGIL_REMEDIATOR_UNSAFE') && e.message.includes('recreate'),
  );
});

test('cordon-node touches one node and no pod; undo of a node already cordoned is nothing', async () => {
  const a = registry.assess(SAMPLE_ACTIONS[5], smallInventory());
  assert.equal(a.blastRadius.nodes, 1);
  assert.equal(a.blastRadius.pods, 0);
  assert.equal(a.definition.undo?.(a.action, a.plan.memo)?.type, 'uncordon-node');
  const executor = new DryRunExecutor(smallInventory());
  await executePlan(executor, a.plan, 'k');
  const again = registry.assess(SAMPLE_ACTIONS[5], await executor.inventory());
  assert.equal(again.definition.undo?.(again.action, again.plan.memo), undefined);
});

test('disable-user is a signed-webhook request touching one user; system identities are refused', () => {
  const a = registry.assess(SAMPLE_ACTIONS[6], smallInventory());
  assert.equal(a.blastRadius.users, 1);
  assert.deepEqual(a.plan.requests[0], {
    kind: 'webhook',
    endpoint: 'identity-provider',
    event: 'user.disable',
    body: { user: 'alice@example.com', action: 'disable', reason: 'credential stuffing' },
    summary: 'disable user alice@example.com at the identity provider',
  });
  assert.throws(
    () => registry.parse({ type: 'disable-user', target: { user: 'system:anonymous' } }),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_REMEDIATOR_INVALID') && e.message.includes('target.user'),
  );
});

test('a target missing from the inventory is a coded error naming it', () => {
  assert.throws(
    () =>
      registry.assess(
        { type: 'isolate-pod', target: { namespace: 'shop', pod: 'nope' } },
        smallInventory(),
      ),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_REMEDIATOR_TARGET_NOT_FOUND') && e.message.includes('shop/nope'),
  );
});

test('every Kubernetes request body of every action and inverse is valid against the Kubernetes 1.34 schema', async () => {
  let checked = 0;
  const plans: Action[] = [
    ...SAMPLE_ACTIONS,
    {
      type: 'revoke-sa-token',
      target: { namespace: 'shop', serviceAccount: 'web' },
      parameters: { mode: 'recreate' },
    },
    {
      type: 'block-ip',
      target: { namespace: 'shop', selector: { app: 'web' } },
      parameters: { cidr: '2001:db8::/32', direction: 'egress' },
    },
  ];
  for (const action of plans) {
    const executor = new DryRunExecutor(smallInventory());
    const a = registry.assess(action, await executor.inventory());
    const bodies = k8s(a.plan.requests);
    for (const r of bodies) {
      assert.deepEqual(schema.requestErrors(r), [], `${action.type}: ${r.summary}`);
      checked += 1;
    }
    assert.ok((await executePlan(executor, a.plan, 'k')).ok);
    const inverse = a.definition.undo?.(a.action, a.plan.memo);
    if (inverse) {
      const u = registry.assess(inverse, await executor.inventory());
      for (const r of k8s(u.plan.requests)) {
        assert.deepEqual(schema.requestErrors(r), [], `${inverse.type}: ${r.summary}`);
        checked += 1;
      }
    }
  }
  assert.ok(checked >= 12, `checked ${checked} bodies`);
});

test('the schema check catches a misspelt field (the check can fail)', () => {
  const bad: KubernetesRequest = {
    kind: 'kubernetes',
    verb: 'create',
    resource: 'NetworkPolicy',
    namespace: 'shop',
    name: 'x',
    body: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'x' },
      spec: { podSelector: {}, policyType: ['Ingress'] },
    },
    summary: 'bad',
  };
  assert.ok(schema.requestErrors(bad).some((e) => e.includes('policyType')));
});

test('undo of each reversible action restores the inventory', async () => {
  for (const action of SAMPLE_ACTIONS) {
    const before = smallInventory();
    const executor = new DryRunExecutor(before);
    const a = registry.assess(action, before);
    assert.ok((await executePlan(executor, a.plan, 'k')).ok, action.type);
    assert.notDeepEqual(
      (await executor.inventory()).toDocument(),
      before.toDocument(),
      action.type,
    );
    if (!a.reversible) continue;
    const inverse = a.definition.undo?.(a.action, a.plan.memo);
    assert.ok(inverse, `${action.type} has an inverse`);
    const u = registry.assess(inverse, await executor.inventory());
    assert.ok((await executePlan(executor, u.plan, 'u')).ok, inverse.type);
    assert.deepEqual(
      (await executor.inventory()).toDocument(),
      before.toDocument(),
      `${action.type} undone`,
    );
    assert.equal(
      a.definition.observe(a.action, a.plan.memo, await executor.inventory()),
      'not-applied',
    );
  }
});

test('the catalogue is extensible: a registered type is parsed, assessed and refused twice', () => {
  const custom = new ActionRegistry();
  custom.register(
    defineAction({
      type: 'label-pod',
      description: 'label a pod',
      target: z.object({ namespace: z.string(), pod: z.string() }),
      parameters: z.object({ key: z.string(), value: z.string() }),
      reversible: false,
      blastRadius: (action) =>
        blastRadius({
          pods: 1,
          replicas: 0,
          users: 0,
          nodes: 0,
          assets: [
            {
              kind: 'Pod',
              name: action.target.pod,
              namespace: action.target.namespace,
              effect: 'labelled',
            },
          ],
        }),
      plan: () => ({ requests: [], memo: {} }),
      observe: () => 'unknown',
    }),
  );
  const a = custom.assess(
    {
      type: 'label-pod',
      target: { namespace: 'shop', pod: 'debug' },
      parameters: { key: 'k', value: 'v' },
    },
    smallInventory(),
  );
  assert.equal(a.blastRadius.total, 1);
  assert.match(a.digest, /^sha256:[0-9a-f]{64}$/);
  assert.throws(
    () => custom.register(custom.get('label-pod')),
    (e: unknown) => isVigilError(e, 'VIGIL_REMEDIATOR_DUPLICATE_ACTION'),
  );
});

test('selectorMatches follows Kubernetes label-selector semantics', () => {
  const labels = { app: 'web', tier: 'front' };
  assert.ok(selectorMatches({}, labels));
  assert.ok(
    selectorMatches(
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] },
      labels,
    ),
  );
  assert.ok(
    !selectorMatches({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels),
  );
  assert.ok(
    selectorMatches({ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['y'] }] }, labels),
  );
});
