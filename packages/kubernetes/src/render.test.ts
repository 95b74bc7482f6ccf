import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAgentSystem } from '@vigil/registry';
import { parse } from 'yaml';
import { renderMermaid } from './network.js';
import { renderFiles } from './output.js';
import { parametriseKyverno, renderSystem } from './render.js';

type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  [k: string]: unknown;
};

function system(extra: Record<string, unknown> = {}) {
  return parseAgentSystem(
    JSON.stringify({
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'AgentSystem',
      metadata: { name: 'demo', namespace: 'agents' },
      trustDomain: 'demo.local',
      agents: [
        {
          name: 'front',
          role: 'Front',
          implementation: '@vigil/echo',
          replicas: 3,
          calls: ['back'],
          resources: { cpu: '200m', memory: '128Mi' },
        },
        {
          name: 'back',
          role: 'Back',
          implementation: '@vigil/echo',
          permissions: { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
        },
      ],
      ...extra,
    }),
    'test.yaml',
  );
}

function render(extra: Record<string, unknown> = {}): Obj[] {
  return renderSystem(system(extra), { declaration: 'x: 1\n' }) as unknown as Obj[];
}

function find(objects: Obj[], kind: string, name: string): Obj {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind} ${name} rendered`);
  return o;
}

test('the ServiceAccount token is mounted only for agents whose rules use the API', () => {
  const objects = render();
  assert.equal(find(objects, 'ServiceAccount', 'front')['automountServiceAccountToken'], false);
  assert.equal(find(objects, 'ServiceAccount', 'back')['automountServiceAccountToken'], true);
  assert.equal(
    find(objects, 'Deployment', 'back').spec.template.spec.automountServiceAccountToken,
    true,
  );
});

test('a Deployment carries replicas, equal requests and limits, probes and the hardening', () => {
  const d = find(render(), 'Deployment', 'front');
  assert.equal(d.spec.replicas, 3);
  const c = d.spec.template.spec.containers[0];
  assert.deepEqual(c.resources, {
    requests: { cpu: '200m', memory: '128Mi' },
    limits: { cpu: '200m', memory: '128Mi' },
  });
  assert.equal(c.livenessProbe.httpGet.path, '/livez');
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(d.spec.template.spec.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.equal(
    d.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'tls').secret.secretName,
    'vigil-agent-front-tls',
  );
});

test('a PodDisruptionBudget exists only for agents with more than one replica', () => {
  const objects = render();
  assert.ok(objects.some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'front'));
  assert.ok(!objects.some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'back'));
});

test('the Certificate names the SPIFFE ID, ECDSA P-256, rotation Always and the declared lifetimes', () => {
  const c = find(
    render({ kubernetes: { certificates: { duration: '48h', renewBefore: '12h' } } }),
    'Certificate',
    'vigil-agent-back',
  );
  assert.deepEqual(c.spec.uris, ['spiffe://demo.local/agent/back']);
  assert.deepEqual(c.spec.privateKey, {
    algorithm: 'ECDSA',
    size: 256,
    rotationPolicy: 'Always',
    encoding: 'PKCS8',
  });
  assert.equal(c.spec.duration, '48h');
  assert.equal(c.spec.renewBefore, '12h');
  assert.deepEqual(c.spec.issuerRef, {
    name: 'vigil-ca',
    kind: 'Issuer',
    group: 'cert-manager.io',
  });
});

test('a ClusterIssuer reference replaces the CA Issuer', () => {
  const objects = render({
    kubernetes: { certificates: { issuer: { clusterIssuer: 'corp-ca' } } },
  });
  assert.ok(!objects.some((o) => o.kind === 'Issuer'));
  assert.equal(
    find(objects, 'Certificate', 'vigil-agent-front').spec.issuerRef.kind,
    'ClusterIssuer',
  );
});

const CSI = {
  identity: { spiffeIds: 'service-account' },
  kubernetes: { certificates: { provider: 'csi-driver-spiffe' } },
};

test('with csi-driver-spiffe every agent pod mounts the driver volume instead of a Certificate Secret', () => {
  const objects = render(CSI);
  assert.ok(!objects.some((o) => o.kind === 'Certificate'), 'no cert-manager Certificates');
  for (const name of ['front', 'back']) {
    const pod = find(objects, 'Deployment', name).spec.template.spec;
    const tls = pod.volumes.find((v: { name: string }) => v.name === 'tls');
    assert.deepEqual(tls, {
      name: 'tls',
      csi: {
        driver: 'spiffe.csi.cert-manager.io',
        readOnly: true,
        volumeAttributes: { 'spiffe.csi.cert-manager.io/fs-group': '10001' },
      },
    });
    assert.equal(pod.securityContext.fsGroup, 10001, 'the group the driver gives the files');
    const env = pod.containers[0].env as { name: string; value: string }[];
    assert.equal(env.find((e) => e.name === 'VIGIL_TLS_DIR')?.value, '/var/run/vigil/tls');
    assert.ok(
      pod.containers[0].volumeMounts.some(
        (m: { name: string; mountPath: string; readOnly: boolean }) =>
          m.name === 'tls' && m.mountPath === '/var/run/vigil/tls' && m.readOnly,
      ),
    );
  }
  // The CA Issuer the driver is installed to use still exists in the namespace.
  assert.ok(objects.some((o) => o.kind === 'Issuer' && o.metadata.name === 'vigil-ca'));
});

test('with csi-driver-spiffe the agents may create CertificateRequests in their namespace and nothing more', () => {
  const objects = render(CSI);
  const role = find(objects, 'Role', 'vigil-csi-driver-spiffe');
  assert.equal(role.metadata.namespace, 'agents');
  assert.deepEqual(role['rules'], [
    { apiGroups: ['cert-manager.io'], resources: ['certificaterequests'], verbs: ['create'] },
  ]);
  const binding = find(objects, 'RoleBinding', 'vigil-csi-driver-spiffe');
  assert.deepEqual(binding['roleRef'], {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'Role',
    name: 'vigil-csi-driver-spiffe',
  });
  assert.deepEqual(binding['subjects'], [
    { kind: 'ServiceAccount', name: 'front', namespace: 'agents' },
    { kind: 'ServiceAccount', name: 'back', namespace: 'agents' },
  ]);
  assert.ok(!render().some((o) => o.metadata.name === 'vigil-csi-driver-spiffe'));
});

test('csi-driver-spiffe needs the service-account ID form and refuses Certificate lifetimes, naming the fields', () => {
  assert.throws(
    () => system({ kubernetes: { certificates: { provider: 'csi-driver-spiffe' } } }),
    (e: Error & { problems?: { path: string; message: string }[] }) => {
      const p = e.problems?.find((x) => x.path === 'kubernetes.certificates.provider');
      assert.match(p?.message ?? '', /identity\.spiffeIds is agent \(the default\)/);
      return true;
    },
  );
  assert.throws(
    () =>
      system({
        identity: { spiffeIds: 'service-account' },
        kubernetes: { certificates: { provider: 'csi-driver-spiffe', duration: '48h' } },
      }),
    (e: Error & { problems?: { path: string; message: string }[] }) =>
      e.problems?.some(
        (x) => x.path === 'kubernetes.certificates.duration' && /csi-driver-spiffe/.test(x.message),
      ) === true,
  );
  assert.throws(
    () => system({ kubernetes: { certificates: { provider: 'spire' } } }),
    /kubernetes\.certificates\.provider/,
  );
});

test('NetworkPolicies: default deny, ingress on the A2A port only from declared callers, egress only to callees', () => {
  const objects = render();
  const deny = find(objects, 'NetworkPolicy', 'vigil-default-deny');
  assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  const back = find(objects, 'NetworkPolicy', 'vigil-agent-back');
  const a2a = back.spec.ingress.find((r: { from?: unknown }) => r.from !== undefined);
  assert.deepEqual(a2a.from[0].podSelector.matchExpressions[0].values, ['front']);
  assert.deepEqual(a2a.ports, [{ protocol: 'TCP', port: 8443 }]);
  assert.equal(back.spec.egress, undefined, 'back calls nobody and declares no dependency');
  const front = find(objects, 'NetworkPolicy', 'vigil-agent-front');
  assert.equal(
    front.spec.ingress.filter((r: { from?: unknown }) => r.from !== undefined).length,
    0,
  );
  assert.deepEqual(front.spec.egress[0].to[0].podSelector.matchExpressions[0].values, ['back']);
});

test('declared dependencies open egress: the API server for agents with rules, state stores for their users', () => {
  const objects = render({
    kubernetes: {
      network: { apiServer: { cidrs: ['10.96.0.1/32'], ports: [443] } },
      state: { postgres: { cidrs: ['10.1.0.0/24'], agents: ['front'] } },
    },
  });
  const back = find(objects, 'NetworkPolicy', 'vigil-agent-back');
  assert.deepEqual(back.spec.egress, [
    { to: [{ ipBlock: { cidr: '10.96.0.1/32' } }], ports: [{ protocol: 'TCP', port: 443 }] },
  ]);
  const front = find(objects, 'NetworkPolicy', 'vigil-agent-front');
  assert.ok(
    front.spec.egress.some(
      (r: { to: { ipBlock?: { cidr: string } }[] }) => r.to[0]?.ipBlock?.cidr === '10.1.0.0/24',
    ),
  );
  const env = find(objects, 'Deployment', 'front').spec.template.spec.containers[0].envFrom;
  assert.deepEqual(env, [{ secretRef: { name: 'vigil-postgres' } }]);
});

test('the render is deterministic and in install order (Namespace first)', () => {
  const a = JSON.stringify(render());
  const b = JSON.stringify(render());
  assert.equal(a, b);
  const objects = render();
  assert.equal(objects[0]?.kind, 'Namespace');
  const kinds = objects.map((o) => o.kind);
  assert.ok(kinds.indexOf('ServiceAccount') < kinds.indexOf('Deployment'));
  assert.ok(kinds.lastIndexOf('RoleBinding') < kinds.indexOf('Deployment'));
});

test('Kyverno policies are bound to the namespace and system label, renamed per namespace', () => {
  const policy = {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name: 'p' },
    spec: {
      rules: [
        {
          name: 'r',
          match: {
            any: [
              {
                resources: {
                  kinds: ['Deployment'],
                  selector: { matchExpressions: [{ key: 'vigil.dev/agent', operator: 'Exists' }] },
                },
              },
            ],
          },
          exclude: { any: [{ resources: { namespaces: ['kube-system'] } }] },
        },
      ],
    },
  };
  const bound = parametriseKyverno(system(), policy) as unknown as Obj;
  assert.equal(bound.metadata.name, 'p-agents');
  const resources = bound.spec.rules[0].match.any[0].resources;
  assert.deepEqual(resources.namespaces, ['agents']);
  assert.deepEqual(resources.selector.matchLabels, { 'vigil.dev/system': 'demo' });
  assert.equal(resources.selector.matchExpressions.length, 1);
  assert.deepEqual(bound.spec.rules[0].exclude.any[0].resources.namespaces, ['kube-system']);
  assert.equal(policy.metadata.name, 'p', 'the input is not modified');
});

test('the Helm chart escapes literal template braces and parametrises the image', () => {
  const s = system();
  const objects = renderSystem(s, { declaration: 'note: "{{ not a template }}"\n' });
  const files = renderFiles(s, objects, 'helm', { image: s.kubernetes.image });
  const configMaps = files.get('templates/04-configmap.yaml') ?? '';
  assert.match(configMaps, /\{\{ "\{\{" \}\} not a template/);
  const deployments = files.get('templates/11-deployment.yaml') ?? '';
  assert.match(deployments, /image: \{\{ \.Values\.image \| quote \}\}/);
  assert.equal(
    (parse(files.get('values.yaml') ?? '') as { image: string }).image,
    s.kubernetes.image,
  );
});

test('kustomize lists every file it writes', () => {
  const s = system();
  const files = renderFiles(s, renderSystem(s, { declaration: '' }), 'kustomize', { image: 'x' });
  const k = parse(files.get('kustomization.yaml') ?? '') as { resources: string[] };
  assert.deepEqual(
    k.resources,
    [...files.keys()].filter((f) => f !== 'kustomization.yaml'),
  );
});

test('the Mermaid graph has one edge per declared call', () => {
  const graph = renderMermaid(system());
  assert.match(graph, /^flowchart LR\n/);
  assert.equal(graph.match(/-->/g)?.length, 1);
  assert.match(graph, /agent_front -->\|"A2A 8443"\| agent_back/);
});

test('the policy bundle is mounted beside the declaration at policy.bundle, modules under their own paths', () => {
  const s = system({ policy: { bundle: 'policies/acme' } });
  const objects = renderSystem(s, {
    declaration: '',
    policy: {
      modules: { 'review.rego': 'package a', 'lib/util.rego': 'package b' },
      revision: 'sha256:x',
      data: {},
    },
  }) as unknown as Obj[];
  const cm = find(objects, 'ConfigMap', 'vigil-policy');
  assert.deepEqual(Object.keys(cm['data'] as object).sort(), [
    'data.json',
    'lib__util.rego',
    'review.rego',
  ]);
  const volume = find(objects, 'Deployment', 'front').spec.template.spec.volumes.find(
    (v: { name: string }) => v.name === 'config',
  );
  assert.deepEqual(volume.projected.sources, [
    { configMap: { name: 'vigil-config' } },
    {
      configMap: {
        name: 'vigil-policy',
        items: [
          { key: 'lib__util.rego', path: 'policies/acme/lib/util.rego' },
          { key: 'review.rego', path: 'policies/acme/review.rego' },
        ],
      },
    },
  ]);
});

test('a policy bundle outside the declaration directory cannot be mounted and is refused, naming the field', () => {
  const s = system({ policy: { bundle: '../elsewhere' } });
  assert.throws(
    () =>
      renderSystem(s, {
        declaration: '',
        policy: { modules: { 'a.rego': '' }, revision: 'r', data: {} },
      }),
    (e: unknown) =>
      e instanceof Error &&
      'code' in e &&
      e.code === 'VIGIL_CONFIG_K8S_RENDER' &&
      /policy\.bundle/.test(e.message),
  );
});
