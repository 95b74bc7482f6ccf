import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, dumpYaml } from '@kubernetes/client-node';
import { canonicalJson } from '@vigil/core';
import { loadAgentSystem, type PermissionRule } from '@vigil/registry';
import { startKubeApiServer, type KubeApiServer } from '@vigil/testkit';
import { parse as parseYaml } from 'yaml';
import type { Action } from '../actions/action.js';
import { createDefaultRegistry } from '../actions/catalogue/index.js';
import { RESOURCES, type KubernetesRequest } from '../actions/requests.js';
import { executePlan, type PlanResult } from '../executors/execute-plan.js';
import type { Inventory } from '../inventory/inventory.js';
import { SAMPLE_ACTIONS, smallInventory } from '../testing/fixtures.js';
import { seedCluster } from '../testing/kube-seed.js';
import { KubernetesExecutor } from './kubernetes-executor.js';
import { KubernetesInventorySource } from './kubernetes-inventory.js';

const CONFIG = new URL('../../../../vigil.yaml', import.meta.url).pathname;
type Obj = Record<string, unknown>;

/**
 * RBAC for an agent exactly as its `permissions.rules` declare it: one ClusterRole with
 * those rules, bound to the agent's ServiceAccount. Cluster-wide because the remediator
 * acts in the workloads' namespaces (and on nodes), not in its own.
 */
function rbacFor(namespace: string, agent: string, rules: readonly PermissionRule[]): Obj[] {
  const name = `vigil-${agent}`;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: agent, namespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: rules.map((r) => ({
        apiGroups: [...r.apiGroups],
        resources: [...r.resources],
        verbs: [...r.verbs],
        ...(r.resourceNames ? { resourceNames: [...r.resourceNames] } : {}),
      })),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: agent, namespace }],
    },
  ];
}

function tokenKubeConfig(api: KubeApiServer, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: api.url, caData: Buffer.from(api.caPem).toString('base64') }],
    users: [{ name: 'remediator', token }],
    contexts: [{ name: 'c', cluster: 'c', user: 'remediator' }],
    currentContext: 'c',
  });
  return kc;
}

/** A real cluster seeded with the small inventory, and the remediator's own credentials. */
async function remediatorOnRealCluster(
  rules?: (declared: readonly PermissionRule[]) => readonly PermissionRule[],
) {
  const api = await startKubeApiServer();
  await seedCluster(api, smallInventory().toDocument());
  const system = await loadAgentSystem(CONFIG);
  const remediator = system.agents.find((a) => a.name === 'remediator');
  assert.ok(remediator, 'vigil.yaml declares the remediator');
  const namespace = system.metadata.namespace;
  const declared = remediator.permissions.rules;
  await api.applyManifests(rbacFor(namespace, 'remediator', rules ? rules(declared) : declared));
  // Not an admin: the remediator's own ServiceAccount token, from TokenRequest.
  const kc = tokenKubeConfig(api, await api.tokenFor(namespace, 'remediator'));
  const admin = new KubeConfig();
  admin.loadFromFile(api.kubeconfigPath);
  return {
    api,
    executor: new KubernetesExecutor(kc),
    source: new KubernetesInventorySource(kc, { users: smallInventory().users() }),
    adminObjects: KubernetesObjectApi.makeApiClient(admin),
  };
}

/**
 * The watched inventory once it shows what a fresh list shows: every action's effect must
 * reach the watch (create, patch, delete of each kind the catalogue touches).
 */
async function converged(source: KubernetesInventorySource): Promise<Inventory> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [watched, listed] = await Promise.all([
      source.inventory(),
      source.inventory({ consistent: true }),
    ]);
    if (canonicalJson(watched.toDocument()) === canonicalJson(listed.toDocument())) return watched;
    if (Date.now() > deadline) {
      assert.deepEqual(watched.toDocument(), listed.toDocument(), 'the watch caught up');
      return watched;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The HTTP status of a pod list made with `token`. */
async function statusWith(api: KubeApiServer, token: string): Promise<number | undefined> {
  try {
    await tokenKubeConfig(api, token)
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: 'shop' });
    return 200;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'number' ? code : undefined;
  }
}

function explain(result: PlanResult): string {
  return result.steps
    .map((s) => `${s.summary}: ${s.outcome.ok ? 'ok' : `${s.outcome.status} ${s.outcome.reason}`}`)
    .join('; ');
}

async function readBack(objects: KubernetesObjectApi, r: KubernetesRequest, name = r.name) {
  const info = RESOURCES[r.resource];
  try {
    const model = await objects.read({
      apiVersion: info.apiVersion,
      kind: r.resource,
      metadata: { name, ...(info.namespaced ? { namespace: r.namespace } : {}) },
    });
    return parseYaml(dumpYaml(model)) as Obj;
  } catch (error) {
    if ((error as { code?: unknown }).code === 404) return undefined;
    throw error;
  }
}

/** `want` holds in `got` the way a merge patch means it: leaves equal, `null` absent. */
function assertMerged(got: unknown, want: unknown, path: string): void {
  if (want === null) return assert.equal(got, undefined, `${path} removed`);
  // The API omits false booleans (Go `omitempty`): `unschedulable: false` reads back absent.
  if (want === false && got === undefined) return;
  if (typeof want !== 'object') return assert.deepEqual(got, want, path);
  assert.ok(got !== null && typeof got === 'object', `${path} present`);
  for (const [k, v] of Object.entries(want)) assertMerged((got as Obj)[k], v, `${path}.${k}`);
}

/** Reads the object a request touched back from the API server (as admin). */
async function assertReflected(objects: KubernetesObjectApi, r: KubernetesRequest) {
  const body = (r.body ?? {}) as Obj;
  const what = r.summary;
  switch (r.verb) {
    case 'create': {
      const name = (body['metadata'] as { name: string }).name;
      const got = await readBack(objects, r, name);
      assert.ok(got, `${what}: created object exists`);
      const { metadata: _m, ...content } = body;
      assertMerged(got, content, what);
      break;
    }
    case 'patch': {
      const got = await readBack(objects, r);
      assert.ok(got, `${what}: patched object exists`);
      // The scale subresource is the parent's spec.replicas.
      assertMerged(got, body, what);
      break;
    }
    case 'delete': {
      const got = await readBack(objects, r);
      // A pod bound to a node terminates gracefully: the kubelet (none here) would
      // finish it; the API server marks it with the requested grace period.
      if (got && r.resource === 'Pod') {
        const m = got['metadata'] as Obj;
        assert.ok(m['deletionTimestamp'], `${what}: pod is terminating`);
        assert.equal(m['deletionGracePeriodSeconds'], body['gracePeriodSeconds'], what);
      } else if (got && (body['preconditions'] as { uid?: string } | undefined)?.uid) {
        // Deleted and created again by the same plan (revoke-sa-token recreate): a new uid.
        const uid = (body['preconditions'] as { uid: string }).uid;
        assert.notEqual((got['metadata'] as Obj)['uid'], uid, `${what}: replaced`);
      } else {
        assert.equal(got, undefined, `${what}: gone`);
      }
      break;
    }
  }
}

const registry = createDefaultRegistry();
// disable-user is a signed webhook to the identity provider, not a Kubernetes request:
// it has no Kubernetes mapping and is tested against the loopback identity provider.
const KUBERNETES_ACTIONS: readonly Action[] = [
  ...SAMPLE_ACTIONS.filter((a) => a.type !== 'disable-user' && a.type !== 'delete-pod'),
  {
    type: 'revoke-sa-token',
    target: { namespace: 'shop', serviceAccount: 'default' },
    parameters: { mode: 'recreate' },
  },
  // Last: it removes a pod the others may target.
  ...SAMPLE_ACTIONS.filter((a) => a.type === 'delete-pod'),
];

test('the remediator, as its own ServiceAccount bound to the declared RBAC, carries out every catalogue action and its undo on a real API server', async (t) => {
  const h = await remediatorOnRealCluster();
  t.after(async () => {
    await h.source.close();
    await h.api.close();
  });
  for (const action of KUBERNETES_ACTIONS) {
    const recreate = action.type === 'revoke-sa-token' && action.parameters.mode === 'recreate';
    const target = action.target as { namespace: string; serviceAccount: string };
    const oldToken = recreate ? await h.api.tokenFor(target.namespace, target.serviceAccount) : '';
    if (recreate) assert.equal(await statusWith(h.api, oldToken), 403, 'token valid before');
    const a = registry.assess(action, await converged(h.source));
    const done = await executePlan(h.executor, a.plan, `do-${action.type}`);
    assert.ok(done.ok, `${action.type}: ${explain(done)}`);
    for (const r of a.plan.requests)
      if (r.kind === 'kubernetes') await assertReflected(h.adminObjects, r);
    assert.equal(
      a.definition.observe(a.action, a.plan.memo, await converged(h.source)),
      'applied',
      action.type,
    );
    if (recreate) {
      // What only a real API server shows: the old account's bound token is now refused
      // (401: unauthenticated), where before it was a valid identity without rights (403).
      // kube-apiserver caches a successful token authentication for 10 s (its token
      // cache), so the refusal starts once that entry expires, not at once.
      const deadline = Date.now() + 30_000;
      let seen = await statusWith(h.api, oldToken);
      while (seen !== 401 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        seen = await statusWith(h.api, oldToken);
      }
      assert.equal(seen, 401, 'token of the old account revoked');
    }
    if (!a.reversible) continue;
    const inverse = a.definition.undo?.(a.action, a.plan.memo);
    assert.ok(inverse, `${action.type} has an undo`);
    const u = registry.assess(inverse, await converged(h.source));
    const undone = await executePlan(h.executor, u.plan, `undo-${action.type}`);
    assert.ok(undone.ok, `${inverse.type}: ${explain(undone)}`);
    for (const r of u.plan.requests)
      if (r.kind === 'kubernetes') await assertReflected(h.adminObjects, r);
    assert.equal(
      a.definition.observe(a.action, a.plan.memo, await converged(h.source)),
      'not-applied',
      `${action.type} undone`,
    );
  }
});

test('the real authorizer refuses an action whose verb the declaration lacks', async (t) => {
  // The declared rules without `patch` on pods: isolate-pod's quarantine label is refused.
  const h = await remediatorOnRealCluster((rules) =>
    rules.map((r) =>
      r.resources.includes('pods') ? { ...r, verbs: r.verbs.filter((v) => v !== 'patch') } : r,
    ),
  );
  t.after(async () => {
    await h.source.close();
    await h.api.close();
  });
  const isolate = SAMPLE_ACTIONS.find((a) => a.type === 'isolate-pod');
  assert.ok(isolate);
  const a = registry.assess(isolate, await h.source.inventory());
  const result = await executePlan(h.executor, a.plan, 'no-patch');
  assert.equal(result.ok, false);
  const failed = result.steps.at(-1)?.outcome;
  assert.ok(failed && !failed.ok && failed.status === 403, explain(result));
  assert.match(failed.reason, /cannot patch resource "pods"/);
});
