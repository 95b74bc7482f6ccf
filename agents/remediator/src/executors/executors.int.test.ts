import { KubeConfig } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SAMPLE_ACTIONS, smallInventory } from '../testing/fixtures.js';
import { startFakeKubeApiServer } from '../testing/fake-kube-apiserver.js';
import { startFakeIdentityProvider } from '../testing/fake-identity-provider.js';
import { KubernetesExecutor } from '../kubernetes/kubernetes-executor.js';
import { KubernetesInventorySource } from '../kubernetes/kubernetes-inventory.js';
import { InventorySnapshot } from '../inventory/inventory.js';
import { DryRunExecutor } from './dry-run.js';
import { describeExecutorContract, type SeenRequest } from './executor.contract.js';
import { WebhookExecutor } from './webhook.js';
import { createDefaultRegistry } from '../actions/catalogue/index.js';
import { executePlan } from './execute-plan.js';

const K8S_ACTIONS = SAMPLE_ACTIONS.filter((a) => a.type !== 'disable-user');
const USER_ACTIONS = SAMPLE_ACTIONS.filter((a) => a.type === 'disable-user');

describeExecutorContract('dry-run', () => {
  const dry = new DryRunExecutor(smallInventory());
  return Promise.resolve({
    executor: dry,
    observe: () => dry.inventory(),
    seen: () =>
      dry.recorded().map(
        (r): SeenRequest =>
          r.http
            ? {
                kind: 'kubernetes',
                method: r.http.method,
                path: r.http.path,
                contentType: r.http.contentType,
                body: r.http.body,
              }
            : {
                kind: 'webhook',
                event: (r.request as { event: string }).event,
                body: r.request.body,
                signatureValid: true,
              },
      ),
    actions: SAMPLE_ACTIONS,
    close: () => Promise.resolve(),
  });
});

function kubeConfigFor(api: { url: string; caPem?: string }, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'fake',
        server: api.url,
        // TLS verified against the server's own CA, as with a real cluster's kubeconfig.
        skipTLSVerify: false,
        ...(api.caPem ? { caData: Buffer.from(api.caPem).toString('base64') } : {}),
      },
    ],
    users: [{ name: 'vigil', token }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'vigil' }],
    currentContext: 'fake',
  });
  return kc;
}

describeExecutorContract(
  'kubernetes (real client against a recording fake API server)',
  async () => {
    const api = await startFakeKubeApiServer(smallInventory().toDocument());
    const kc = kubeConfigFor(api, api.token);
    const source = new KubernetesInventorySource(kc, { users: smallInventory().users() });
    return {
      executor: new KubernetesExecutor(kc),
      // The fake serves lists, not watches: every observation is a fresh (consistent) read.
      observe: () => source.inventory({ consistent: true }),
      seen: () =>
        api.writes().map((r) => ({
          kind: 'kubernetes',
          method: r.method,
          path: r.path,
          contentType: r.contentType,
          body: r.body,
        })),
      actions: K8S_ACTIONS,
      close: () => api.close(),
    };
  },
);

describeExecutorContract('webhook (signed POST to a loopback identity provider)', async () => {
  const secret = 'test-secret-'.padEnd(40, 'x');
  const idp = await startFakeIdentityProvider(secret, smallInventory().users());
  const base = smallInventory().toDocument();
  return {
    executor: new WebhookExecutor({ 'identity-provider': { url: idp.url, secret } }),
    observe: () => Promise.resolve(InventorySnapshot.parse({ ...base, users: idp.users() })),
    seen: () =>
      idp.received().map((r) => ({
        kind: 'webhook',
        event: r.event,
        body: (r.body as { data: unknown }).data,
        signatureValid: r.signature === true,
      })),
    actions: USER_ACTIONS,
    close: () => idp.close(),
  };
});

test('the Kubernetes inventory read from the API equals the inventory it was seeded from', async (t) => {
  const api = await startFakeKubeApiServer(smallInventory().toDocument());
  t.after(() => api.close());
  const read = await new KubernetesInventorySource(kubeConfigFor(api, api.token), {
    users: smallInventory().users(),
  }).inventory({ consistent: true });
  const norm = (doc: ReturnType<InventorySnapshot['toDocument']>) => ({
    ...doc,
    metadata: { name: 'x' },
    namespaces: [...doc.namespaces].sort((a, b) => a.name.localeCompare(b.name)),
    pods: [...doc.pods].sort((a, b) => a.name.localeCompare(b.name)),
    workloads: [...doc.workloads]
      .map(({ uid: _uid, serviceAccount: _sa, ...w }) => w)
      .sort((a, b) => a.name.localeCompare(b.name)),
    serviceAccounts: [...doc.serviceAccounts]
      .map(({ uid: _u, ...s }) => s)
      .sort((a, b) => a.name.localeCompare(b.name)),
  });
  assert.deepEqual(norm(read.toDocument()), norm(smallInventory().toDocument()));
});

test('the client refuses a server whose certificate is not from the configured CA', async (t) => {
  const api = await startFakeKubeApiServer(smallInventory().toDocument());
  t.after(() => api.close());
  const other = await startFakeKubeApiServer(smallInventory().toDocument(), {
    freshCertificate: true,
  });
  t.after(() => other.close());
  const executor = new KubernetesExecutor(
    kubeConfigFor({ url: api.url, caPem: other.caPem }, api.token),
  );
  const a = createDefaultRegistry().assess(SAMPLE_ACTIONS[5], smallInventory());
  const outcome = await executor.send(a.plan.requests[0]!, { idempotencyKey: 'k' });
  assert.ok(
    !outcome.ok && outcome.code === 'VIGIL_REMEDIATOR_UNREACHABLE',
    JSON.stringify(outcome),
  );
  assert.equal(api.requests().length, 0);
});

test('the fake API server rejects what a real one would: wrong token, JSON-Patch content type with an object, schema-invalid body', async (t) => {
  const api = await startFakeKubeApiServer(smallInventory().toDocument());
  t.after(() => api.close());
  const bad = new KubernetesExecutor(kubeConfigFor(api, 'wrong-token'));
  const registry = createDefaultRegistry();
  const a = registry.assess(SAMPLE_ACTIONS[5], smallInventory());
  const unauth = await executePlan(bad, a.plan, 'k');
  assert.equal(unauth.steps[0]?.outcome.ok, false);
  assert.ok(!unauth.steps[0]?.outcome.ok && unauth.steps[0]?.outcome.status === 401);
  const good = new KubernetesExecutor(kubeConfigFor(api, api.token));
  const request = a.plan.requests[0];
  assert.ok(request?.kind === 'kubernetes');
  const noType = await good.send({ ...request, patchType: undefined }, { idempotencyKey: 'k' });
  assert.ok(!noType.ok && noType.status === 400, JSON.stringify(noType));
  const invalid = await good.send(
    { ...request, body: { spec: { unschedulable: 'yes' } } },
    { idempotencyKey: 'k' },
  );
  assert.ok(!invalid.ok && invalid.status === 422, JSON.stringify(invalid));
});
