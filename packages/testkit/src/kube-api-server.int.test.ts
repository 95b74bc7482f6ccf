import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { CoreV1Api, CustomObjectsApi, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { startKubeApiServer, type KubeApiServer } from './kube-api-server.js';

function asToken(api: KubeApiServer, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: api.url, caData: Buffer.from(api.caPem).toString('base64') }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

function status(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

test('a real API server: server-side apply as admin, RBAC-bound ServiceAccount tokens, clean close', async (t) => {
  const api = await startKubeApiServer();
  t.after(() => api.close());
  assert.match(api.url, /^https:\/\/127\.0\.0\.1:\d+$/);

  await api.applyManifests(`
apiVersion: v1
kind: Namespace
metadata: { name: soc }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: reader, namespace: soc }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: read-pods, namespace: soc }
rules:
  - { apiGroups: [''], resources: [pods], verbs: [get, list] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: reader-reads-pods, namespace: soc }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-pods }
subjects:
  - { kind: ServiceAccount, name: reader, namespace: soc }
`);
  // Plain API JSON with the field the client's models rename (`from`) arrives intact.
  await api.applyManifests([
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'from-monitoring', namespace: 'soc' },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'monitoring' } } }] }],
      },
    },
  ]);
  const admin = new KubeConfig();
  admin.loadFromFile(api.kubeconfigPath);
  const policy = await admin
    .makeApiClient(NetworkingV1Api)
    .readNamespacedNetworkPolicy({ name: 'from-monitoring', namespace: 'soc' });
  assert.deepEqual(policy.spec?.ingress?.[0]?._from?.[0]?.namespaceSelector?.matchLabels, {
    team: 'monitoring',
  });
  assert.ok(
    policy.metadata?.managedFields?.some(
      (f) => f.manager === 'vigil-test' && f.operation === 'Apply',
    ),
  );

  const token = await api.tokenFor('soc', 'reader');
  const asReader = asToken(api, token).makeApiClient(CoreV1Api);
  const pods = await asReader.listNamespacedPod({ namespace: 'soc' });
  assert.deepEqual(pods.items, []);
  // The RBAC authorizer is real: what the Role does not grant is refused.
  await assert.rejects(
    () => asReader.listNamespacedSecret({ namespace: 'soc' }),
    (e: unknown) => status(e) === 403,
  );
  await assert.rejects(
    () => asReader.listNamespacedPod({ namespace: 'default' }),
    (e: unknown) => status(e) === 403,
  );
  await assert.rejects(
    () =>
      asToken(api, `${token}x`).makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'soc' }),
    (e: unknown) => status(e) === 401,
  );

  // A field the client's model does not know would be silently dropped: refused instead.
  await assert.rejects(
    () =>
      api.applyManifests([
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'x', namespace: 'soc' },
          dataa: {},
        },
      ]),
    /ConfigMap soc\/x: the client model would not send \.dataa/,
  );

  const dir = dirname(api.kubeconfigPath);
  await api.close();
  await api.close();
  assert.equal(existsSync(dir), false, 'temporary directory removed');
});

test('installs the vendored cert-manager and Kyverno CRDs, whose schemas then validate objects', async (t) => {
  const api = await startKubeApiServer({ crds: ['cert-manager', 'kyverno'] });
  t.after(() => api.close());
  await api.applyManifests(`
apiVersion: v1
kind: Namespace
metadata: { name: soc }
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: { name: agents-ca, namespace: soc }
spec: { ca: { secretName: agents-ca } }
`);
  const admin = new KubeConfig();
  admin.loadFromFile(api.kubeconfigPath);
  const issuer = (await admin.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: 'cert-manager.io',
    version: 'v1',
    namespace: 'soc',
    plural: 'issuers',
    name: 'agents-ca',
  })) as { spec: unknown };
  assert.deepEqual(issuer.spec, { ca: { secretName: 'agents-ca' } });
  await assert.rejects(
    () =>
      api.applyManifests([
        {
          apiVersion: 'cert-manager.io/v1',
          kind: 'Certificate',
          metadata: { name: 'bad', namespace: 'soc' },
          // issuerRef is required by the CRD's schema.
          spec: { secretName: 'bad' },
        },
      ]),
    (e: unknown) => status(e) === 422,
  );
  // The repository's Kyverno ClusterPolicies are valid objects of the Kyverno CRDs.
  const dir = new URL('../../../policies/kyverno/', import.meta.url).pathname;
  const policies = readdirSync(dir).filter((f) => f.startsWith('agent-') && f.endsWith('.yaml'));
  assert.ok(policies.length >= 4);
  for (const file of policies) await api.applyManifests(readFileSync(join(dir, file), 'utf8'));
  const listed = (await admin.makeApiClient(CustomObjectsApi).listClusterCustomObject({
    group: 'kyverno.io',
    version: 'v1',
    plural: 'clusterpolicies',
  })) as { items: unknown[] };
  assert.equal(listed.items.length, policies.length);
});
