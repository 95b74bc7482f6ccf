import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiRequest } from '../actions/requests.js';
import { smallInventory } from '../testing/fixtures.js';
import { DryRunExecutor, type AppliedRequest } from './dry-run.js';

const CONTEXT = { idempotencyKey: 'k' };
const REQUESTS: readonly ApiRequest[] = [
  {
    kind: 'kubernetes',
    verb: 'patch',
    resource: 'Pod',
    namespace: 'shop',
    name: 'debug',
    patchType: 'application/merge-patch+json',
    body: { metadata: { labels: { quarantined: 'true', run: null } } },
    summary: 'patch Pod shop/debug',
  },
  {
    kind: 'kubernetes',
    verb: 'patch',
    resource: 'Node',
    name: 'node-a',
    patchType: 'application/merge-patch+json',
    body: { spec: { unschedulable: true } },
    summary: 'patch Node node-a',
  },
  {
    kind: 'kubernetes',
    verb: 'patch',
    resource: 'Deployment',
    subresource: 'scale',
    namespace: 'shop',
    name: 'web',
    patchType: 'application/merge-patch+json',
    body: { spec: { replicas: 0 } },
    summary: 'scale Deployment shop/web to 0',
  },
  {
    kind: 'kubernetes',
    verb: 'delete',
    resource: 'Secret',
    namespace: 'shop',
    name: 'web-token-x7k2p',
    summary: 'delete Secret shop/web-token-x7k2p',
  },
  {
    kind: 'kubernetes',
    verb: 'patch',
    resource: 'NetworkPolicy',
    namespace: 'shop',
    name: 'db-allow-web',
    patchType: 'application/merge-patch+json',
    body: {
      metadata: { labels: { touched: 'yes' } },
      spec: { policyTypes: ['Ingress', 'Egress'] },
    },
    summary: 'patch NetworkPolicy shop/db-allow-web',
  },
  {
    kind: 'webhook',
    endpoint: 'identity-provider',
    event: 'user.disable',
    body: { user: 'alice@example.com' },
    summary: 'disable alice@example.com',
  },
];

test('an inventory taken before a request does not change when the request is applied', async () => {
  const executor = new DryRunExecutor(smallInventory());
  const before = await executor.inventory();
  const copy = before.toDocument();
  for (const request of REQUESTS) assert.equal((await executor.send(request, CONTEXT)).ok, true);

  assert.deepEqual(before.toDocument(), copy);
  const after = await executor.inventory();
  assert.deepEqual(after.pod('shop', 'debug')?.labels, { quarantined: 'true' });
  assert.equal(after.node('node-a')?.unschedulable, true);
  assert.equal(after.workload('shop', 'Deployment', 'web')?.replicas, 0);
  assert.deepEqual(after.serviceAccount('shop', 'web')?.tokenSecrets, []);
  assert.equal(after.networkPolicy('shop', 'db-allow-web')?.labels['touched'], 'yes');
  assert.deepEqual(after.networkPolicy('shop', 'db-allow-web')?.policyTypes, ['Ingress', 'Egress']);
  assert.equal(after.user('alice@example.com')?.disabled, true);
});

test('a change is handed to onApplied before it shows, and a failed persist leaves the state as it was', async () => {
  const applied: AppliedRequest[] = [];
  let failing = false;
  const executor = new DryRunExecutor(smallInventory(), {
    onApplied: (a) => {
      if (failing) throw new Error('disk full');
      applied.push(a);
    },
  });
  await executor.send(REQUESTS[0]!, CONTEXT);
  assert.deepEqual(
    applied.map((a) => a.request),
    [REQUESTS[0]],
  );

  failing = true;
  assert.throws(() => void executor.send(REQUESTS[1]!, CONTEXT), /disk full/);
  assert.equal((await executor.inventory()).node('node-a')?.unschedulable, false);
});
