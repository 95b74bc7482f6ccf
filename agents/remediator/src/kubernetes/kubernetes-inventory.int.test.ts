/**
 * The Kubernetes inventory follows a real API server by list + watch. Between the source
 * and kube-apiserver sits a TCP relay the test can cut, so a dropped watch, a reconnect
 * and a relist after 410 Gone (etcd compacted past the watch's resourceVersion) happen
 * for real, not in a fake.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  compactKubeApiServerStorage,
  startKubeApiServer,
  type KubeApiServer,
} from '@vigil/testkit';
import { createDefaultRegistry } from '../actions/catalogue/index.js';
import { RemediatorError } from '../errors.js';
import type { Inventory } from '../inventory/inventory.js';
import { smallInventory } from '../testing/fixtures.js';
import { seedCluster } from '../testing/kube-seed.js';
import {
  KubernetesInventorySource,
  type KubernetesInventoryOptions,
} from './kubernetes-inventory.js';

/** A loopback TCP relay to `target` that can cut every connection and refuse new ones. */
async function startRelay(
  target: URL,
): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}`,
    cut() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** The admin kubeconfig of `api`, pointed at `server`. */
function adminConfig(api: KubeApiServer, server = api.url): KubeConfig {
  const admin = new KubeConfig();
  admin.loadFromFile(api.kubeconfigPath);
  const cluster = admin.getCurrentCluster();
  assert.ok(cluster);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...cluster, server }],
    users: admin.users,
    contexts: admin.contexts,
    currentContext: admin.currentContext,
  });
  return kc;
}

async function clusterBehindRelay(t: TestContext, options: KubernetesInventoryOptions = {}) {
  const api = await startKubeApiServer();
  await seedCluster(api, smallInventory().toDocument());
  const relay = await startRelay(new URL(api.url));
  const source = new KubernetesInventorySource(adminConfig(api, relay.url), {
    users: smallInventory().users(),
    reconnectMs: { initial: 100, max: 500 },
    ...options,
  });
  t.after(async () => {
    await source.close();
    await relay.close();
    await api.close();
  });
  return { api, relay, source, core: adminConfig(api).makeApiClient(CoreV1Api) };
}

function pod(name: string, labels: Record<string, string>) {
  return {
    metadata: { name, namespace: 'shop', labels },
    spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
  };
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const lists = (source: KubernetesInventorySource, resource: string) =>
  source.status().find((s) => s.resource === resource)?.lists;

test('the inventory follows the API by watch: a change appears without another list, and blast radius is computed from it', async (t) => {
  const { source, core } = await clusterBehindRelay(t);
  const first = await source.inventory();
  const web = first.pods({ namespace: 'shop' }).find((p) => p.owner?.kind === 'Deployment');
  assert.ok(web?.owner, 'the seeded shop namespace has a Deployment-owned pod');
  const selector = first.workload('shop', 'Deployment', web.owner.name)?.selector;
  assert.ok(selector);
  assert.ok(
    source.status().every((s) => s.lists === 1 && s.connected),
    'one list each, then watching',
  );

  await core.createNamespacedPod({ namespace: 'shop', body: pod('watched-newcomer', selector) });
  let seen: Inventory | undefined;
  await eventually('the new pod to reach the watched inventory', async () => {
    seen = await source.inventory();
    return seen.pod('shop', 'watched-newcomer') !== undefined;
  });
  assert.ok(
    source.status().every((s) => s.lists === 1),
    'the change came by watch, not a list',
  );

  // Planned on the watched view: the pod an action targets must be in the inventory.
  const registry = createDefaultRegistry();
  const isolate = registry.assess(
    { type: 'isolate-pod', target: { namespace: 'shop', pod: 'watched-newcomer' }, parameters: {} },
    seen!,
  );
  assert.ok(
    JSON.stringify(isolate.blastRadius).includes('watched-newcomer'),
    `blast radius names the pod it acts on: ${JSON.stringify(isolate.blastRadius)}`,
  );

  await core.deleteNamespacedPod({
    namespace: 'shop',
    name: 'watched-newcomer',
    gracePeriodSeconds: 0,
  });
  await eventually(
    'the deletion to reach the watched inventory',
    async () => (await source.inventory()).pod('shop', 'watched-newcomer') === undefined,
  );
});

test('a dropped watch reconnects from its resourceVersion; after a compaction it relists on 410 Gone and catches up', async (t) => {
  const { api, relay, source, core } = await clusterBehindRelay(t, { maxStaleMs: 120_000 });
  const before = await source.inventory();
  const leaving = before.pods({ namespace: 'shop' })[0];
  assert.ok(leaving);

  relay.cut();
  await eventually('every watch to notice the cut', async () =>
    source.status().every((s) => !s.connected),
  );
  // While the watch is down (and within maxStaleMs) reads are served from the last view;
  // a consistent read goes to the API, which is unreachable: a clear error, not a stale answer.
  assert.ok((await source.inventory()).pod('shop', leaving.name), 'last view served while down');
  await assert.rejects(
    source.inventory({ consistent: true }),
    (e: unknown) => e instanceof RemediatorError && e.code === 'VIGIL_REMEDIATOR_INVENTORY',
  );

  await core.createNamespacedPod({ namespace: 'shop', body: pod('made-while-cut', { app: 'x' }) });
  await core.deleteNamespacedPod({ namespace: 'shop', name: leaving.name, gracePeriodSeconds: 0 });
  await compactKubeApiServerStorage(api);
  relay.restore();

  await eventually('the watched inventory to catch up after the relist', async () => {
    const now = await source.inventory();
    return (
      now.pod('shop', 'made-while-cut') !== undefined && now.pod('shop', leaving.name) === undefined
    );
  });
  assert.equal(lists(source, 'pods'), 2, 'pods were relisted once, after 410 Gone');
  assert.ok((source.status().find((s) => s.resource === 'pods')?.reconnects ?? 0) > 0);
  // Resources that did not change past the compaction resumed their watch without a list
  // or relisted; either way every one is connected again.
  await eventually('every watch to be connected again', async () =>
    source.status().every((s) => s.connected),
  );
});

test('a view older than maxStaleMs is never served: the read lists the API and fails clearly when it cannot', async (t) => {
  const { relay, source } = await clusterBehindRelay(t, { maxStaleMs: 300 });
  await source.inventory();
  relay.cut();
  await eventually('the watches to notice the cut', async () =>
    source.status().every((s) => !s.connected),
  );
  await new Promise((r) => setTimeout(r, 400));
  await assert.rejects(
    source.inventory(),
    (e: unknown) => e instanceof RemediatorError && e.code === 'VIGIL_REMEDIATOR_INVENTORY',
  );
  relay.restore();
  await eventually('reads to work again once the API is back', async () =>
    source.inventory().then(
      (i) => i.pods().length > 0,
      () => false,
    ),
  );
});
