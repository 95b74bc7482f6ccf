import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { RBAC_VERBS, loadAgentSystem, parseAgentSystem, type AgentSystem } from '@vigil/registry';
import { parse } from 'yaml';
import { startKubeApiServer, type KubeApiServer } from '@vigil/testkit';
import { createKubeApiClient, type KubeApiClient } from './api-client.js';
import { applyObjects, diffObjects, readObject } from './apply.js';
import { loadRenderInputs } from './inputs.js';
import { isClusterScoped } from './rbac.js';
import { renderSystem } from './render.js';

const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The first path where `want` (what was rendered) is not in `got` (what the server holds). */
function missingIn(want: unknown, got: unknown, path = ''): string | undefined {
  if (want === null || typeof want !== 'object') {
    return want === got
      ? undefined
      : `${path}: rendered ${JSON.stringify(want)}, read ${JSON.stringify(got)}`;
  }
  if (got === null || typeof got !== 'object') return `${path}: missing`;
  if (Array.isArray(want) && (!Array.isArray(got) || got.length !== want.length)) {
    return `${path}: rendered ${want.length} items, read ${Array.isArray(got) ? got.length : 'none'}`;
  }
  for (const [k, v] of Object.entries(want)) {
    const d = missingIn(v, (got as Record<string, unknown>)[k], `${path}.${k}`);
    if (d !== undefined) return d;
  }
  return undefined;
}

async function renderOf(
  file: string,
): Promise<{ system: AgentSystem; objects: KubernetesObject[] }> {
  const path = join(REPOSITORY_ROOT, file);
  const system = await loadAgentSystem(path);
  return { system, objects: renderSystem(system, await loadRenderInputs(system, path)) };
}

async function applyAndReadBack(
  api: KubeApiServer,
  objects: KubernetesObject[],
): Promise<KubeApiClient> {
  const client = createKubeApiClient({ kubeconfig: api.kubeconfigPath });
  const applied = await applyObjects(client, objects);
  assert.equal(applied.length, objects.length);
  for (const object of objects) {
    const live = await readObject(client, object);
    assert.ok(live, `${object.kind} ${object.metadata?.name} exists`);
    const managers = (live.metadata?.managedFields ?? []).map((m) => m.manager);
    assert.ok(
      managers.includes('vigil'),
      `${object.kind} ${object.metadata?.name} is managed by vigil`,
    );
    const diff = missingIn(object, live);
    assert.equal(
      diff,
      undefined,
      `${object.kind} ${object.metadata?.name} reads back as rendered: ${diff}`,
    );
  }
  return client;
}

interface Access {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
}

async function allowed(
  client: KubeApiClient,
  system: AgentSystem,
  agent: string,
  a: Access,
): Promise<boolean> {
  const ns = system.metadata.namespace;
  const [resource, subresource] = a.resource.split('/');
  const res = await client.request({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${ns}:${agent}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
        resourceAttributes: {
          verb: a.verb,
          group: a.group,
          resource,
          ...(subresource === undefined ? {} : { subresource }),
          ...(a.namespace === undefined ? {} : { namespace: a.namespace }),
          ...(a.name === undefined ? {} : { name: a.name }),
        },
      },
    },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return (res.body as { status: { allowed: boolean } }).status.allowed === true;
}

/**
 * Every declared (verb, group, resource, namespace) is allowed; a sample of what is not
 * declared — other verbs on the same resources, secrets, another namespace, the whole
 * cluster for namespaced resources, cluster-scoped nodes — is denied by the real authorizer.
 */
async function proveLeastPrivilege(client: KubeApiClient, system: AgentSystem): Promise<number> {
  const ns = system.metadata.namespace;
  let reviews = 0;
  const check = async (agent: string, a: Access, want: boolean) => {
    reviews += 1;
    const got = await allowed(client, system, agent, a);
    assert.equal(got, want, `${agent} ${want ? 'may' : 'may not'} ${JSON.stringify(a)}`);
  };
  for (const agent of system.agents) {
    const key = (verb: string, group: string, resource: string) => `${verb} ${group} ${resource}`;
    // What any rule grants (a later rule may grant a verb an earlier one lacks).
    const granted = new Set(
      agent.permissions.rules.flatMap((r) =>
        r.apiGroups.flatMap((g) =>
          r.resources.flatMap((res) => r.verbs.map((v) => key(v, g, res))),
        ),
      ),
    );
    const grantedEverywhere = new Set(
      agent.permissions.rules
        .filter((r) => r.namespaces?.includes('*') === true)
        .flatMap((r) =>
          r.apiGroups.flatMap((g) =>
            r.resources.flatMap((res) => r.verbs.map((v) => key(v, g, res))),
          ),
        ),
    );
    for (const rule of agent.permissions.rules) {
      const everywhere = rule.namespaces?.includes('*') === true;
      for (const group of rule.apiGroups)
        for (const resource of rule.resources)
          for (const verb of rule.verbs) {
            const names = rule.resourceNames ?? [undefined];
            for (const name of names) {
              const cluster = isClusterScoped(group, resource);
              const targets = cluster
                ? [undefined]
                : everywhere
                  ? [ns, 'elsewhere']
                  : (rule.namespaces ?? [ns]);
              for (const namespace of targets) {
                await check(
                  agent.name,
                  {
                    verb,
                    group,
                    resource,
                    ...(namespace ? { namespace } : {}),
                    ...(name ? { name } : {}),
                  },
                  true,
                );
              }
            }
          }
      // Other verbs on the rule's resources, in its own namespace.
      for (const group of rule.apiGroups)
        for (const resource of rule.resources)
          for (const verb of RBAC_VERBS.filter((v) => v !== '*' && !rule.verbs.includes(v))) {
            if (granted.has(key(verb, group, resource))) continue;
            const cluster = isClusterScoped(group, resource);
            await check(
              agent.name,
              { verb, group, resource, ...(cluster ? {} : { namespace: ns }) },
              false,
            );
          }
      if (!everywhere) {
        for (const group of rule.apiGroups)
          for (const resource of rule.resources.filter((r) => !isClusterScoped(group, r))) {
            const verb = rule.verbs[0] ?? 'get';
            if (grantedEverywhere.has(key(verb, group, resource))) continue;
            await check(agent.name, { verb, group, resource, namespace: 'elsewhere' }, false);
            await check(agent.name, { verb, group, resource }, false); // all namespaces
          }
      }
    }
    const declares = (group: string, resource: string, verb: string) =>
      agent.permissions.rules.some(
        (r) =>
          r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb),
      );
    if (!declares('', 'secrets', 'get'))
      await check(
        agent.name,
        { verb: 'get', group: '', resource: 'secrets', namespace: ns },
        false,
      );
    if (!declares('', 'nodes', 'delete'))
      await check(agent.name, { verb: 'delete', group: '', resource: 'nodes' }, false);
    await check(
      agent.name,
      { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' },
      false,
    );
  }
  return reviews;
}

test('the SOC render is accepted by a real API server, reads back as rendered, and each agent has exactly its declared RBAC', async (t) => {
  const api = await startKubeApiServer({ crds: ['cert-manager', 'kyverno'] });
  t.after(() => api.close());
  const { system, objects } = await renderOf('vigil.yaml');
  assert.ok(
    objects.some((o) => o.kind === 'ClusterPolicy'),
    'the Kyverno policies are part of the render',
  );
  const client = await applyAndReadBack(api, objects);
  const reviews = await proveLeastPrivilege(client, system);
  assert.ok(reviews > 100, `${reviews} SubjectAccessReviews`);

  // A second apply of the same render changes nothing, and diff says so.
  const diffs = await diffObjects(client, objects);
  assert.deepEqual(
    diffs.filter((d) => d.change !== 'unchanged'),
    [],
  );
  // Drift made by someone else shows up as a field change on the object.
  await api.applyManifests(
    [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'analyst', namespace: system.metadata.namespace },
        spec: { replicas: 5 },
      },
    ],
    'someone-else',
  );
  const drift = (await diffObjects(client, objects)).filter((d) => d.change !== 'unchanged');
  assert.deepEqual(
    drift.map((d) => [d.object, d.fields.map((f) => [f.path, f.before, f.after])]),
    [[`Deployment ${system.metadata.namespace}/analyst`, [['.spec.replicas', 5, 1]]]],
  );
});

test('with csi-driver-spiffe the SOC render is accepted and reads back as rendered; each agent may only create CertificateRequests besides its declared RBAC', async (t) => {
  const api = await startKubeApiServer({ crds: ['cert-manager', 'kyverno'] });
  t.after(() => api.close());
  const path = join(REPOSITORY_ROOT, 'vigil.yaml');
  const raw = parse(readFileSync(path, 'utf8')) as Record<string, Record<string, unknown>>;
  raw['identity'] = { spiffeIds: 'service-account' };
  raw['kubernetes'] = { ...raw['kubernetes'], certificates: { provider: 'csi-driver-spiffe' } };
  const text = JSON.stringify(raw);
  const system = parseAgentSystem(text, path);
  const objects = renderSystem(system, {
    ...(await loadRenderInputs(system, path)),
    declaration: text,
  });
  assert.ok(!objects.some((o) => o.kind === 'Certificate'));
  // The CSIDriver object csi-driver-spiffe's chart installs (deploy/charts/.../csidriver.yaml).
  await api.applyManifests([
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSIDriver',
      metadata: { name: 'spiffe.csi.cert-manager.io' },
      spec: {
        podInfoOnMount: true,
        volumeLifecycleModes: ['Ephemeral'],
        tokenRequests: [{ audience: '', expirationSeconds: 3600 }],
        requiresRepublish: true,
      },
    },
  ]);
  const client = await applyAndReadBack(api, objects);
  await proveLeastPrivilege(client, system);
  const ns = system.metadata.namespace;
  const requests = { group: 'cert-manager.io', resource: 'certificaterequests' };
  for (const agent of system.agents) {
    assert.equal(
      await allowed(client, system, agent.name, { ...requests, verb: 'create', namespace: ns }),
      true,
      `${agent.name} may create CertificateRequests in ${ns} (the driver requests as the pod)`,
    );
    for (const a of [
      { ...requests, verb: 'get', namespace: ns },
      { ...requests, verb: 'list', namespace: ns },
      { ...requests, verb: 'delete', namespace: ns },
      { ...requests, verb: 'update', namespace: ns, resource: 'certificaterequests/status' },
      { ...requests, verb: 'create', namespace: 'elsewhere' },
      { group: 'cert-manager.io', resource: 'certificates', verb: 'create', namespace: ns },
    ]) {
      assert.equal(
        await allowed(client, system, agent.name, a),
        false,
        `${agent.name} ${JSON.stringify(a)}`,
      );
    }
  }
});

test('the two-agent example is accepted and reads back as rendered; its agents get no API access', async (t) => {
  const api = await startKubeApiServer({ crds: ['cert-manager'] });
  t.after(() => api.close());
  const { system, objects } = await renderOf('examples/two-agent/vigil.yaml');
  assert.ok(!objects.some((o) => o.kind === 'Role' || o.kind === 'ClusterRole'));
  const client = await applyAndReadBack(api, objects);
  await proveLeastPrivilege(client, system);
  for (const agent of ['greeter', 'echo']) {
    for (const a of [
      { verb: 'get', group: '', resource: 'pods', namespace: system.metadata.namespace },
      { verb: 'list', group: '', resource: 'configmaps', namespace: system.metadata.namespace },
    ]) {
      assert.equal(await allowed(client, system, agent, a), false, `${agent} ${JSON.stringify(a)}`);
    }
  }
});

test('a new object in a namespace not yet created is reported as create by diff, not as an error', async (t) => {
  const api = await startKubeApiServer({ crds: ['cert-manager'] });
  t.after(() => api.close());
  const { objects } = await renderOf('examples/two-agent/vigil.yaml');
  const client = createKubeApiClient({ kubeconfig: api.kubeconfigPath });
  const diffs = await diffObjects(client, objects);
  assert.equal(diffs.length, objects.length);
  assert.ok(diffs.every((d) => d.change === 'create'));
});

test('the OPA server and the development PostgreSQL and NATS StatefulSets are accepted and read back as rendered', async (t) => {
  const api = await startKubeApiServer({ crds: ['cert-manager', 'kyverno'] });
  t.after(() => api.close());
  const path = join(REPOSITORY_ROOT, 'vigil.yaml');
  const raw = parse(readFileSync(path, 'utf8')) as Record<string, Record<string, unknown>>;
  raw['policy'] = { ...raw['policy'], engine: 'server', serverUrl: 'http://opa:8181' };
  raw['kubernetes'] = {
    ...raw['kubernetes'],
    opaClients: ['reviewer'],
    state: {
      postgres: { development: true, agents: ['coordinator'] },
      nats: { development: true, agents: ['detector'] },
    },
  };
  const text = JSON.stringify(raw);
  const system = parseAgentSystem(text, path);
  const objects = renderSystem(system, {
    ...(await loadRenderInputs(system, path)),
    declaration: text,
  });
  const names = objects.map((o) => `${o.kind}/${o.metadata?.name}`);
  for (const expected of [
    'Deployment/opa',
    'StatefulSet/postgres',
    'StatefulSet/nats',
    'Service/opa',
  ]) {
    assert.ok(names.includes(expected), `${expected} rendered`);
  }
  await applyAndReadBack(api, objects);
});
