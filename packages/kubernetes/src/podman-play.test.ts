import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { parseAgentSystem } from '@vigil/registry';
import { parseAllDocuments } from 'yaml';
import {
  certificateRequestsOf,
  parseGoDuration,
  planPodmanPlay,
  podmanSecretFormat,
  type PodmanPlayOptions,
} from './podman-play.js';
import { renderSystem } from './render.js';

type Doc = {
  kind: string;
  metadata: { name: string };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
};

function render(): KubernetesObject[] {
  const system = parseAgentSystem(
    JSON.stringify({
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'AgentSystem',
      metadata: { name: 'demo', namespace: 'agents' },
      trustDomain: 'demo.local',
      policy: { bundle: 'policies/acme' },
      agents: [
        {
          name: 'front',
          role: 'Front',
          implementation: '@vigil/echo',
          replicas: 2,
          calls: ['back'],
        },
        { name: 'back', role: 'Back', implementation: '@vigil/echo' },
      ],
    }),
    'test.yaml',
  );
  return renderSystem(system, {
    declaration: 'declared: yes\n',
    policy: { modules: { 'review.rego': 'package a' }, revision: 'sha256:x', data: {} },
  });
}

function tlsSecret(name: string): V1Secret {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64('CERT\n'), 'tls.key': b64('KEY\n'), 'ca.crt': b64('CA\n') },
  };
}

function plan(overrides: Partial<PodmanPlayOptions> = {}) {
  const objects = render();
  return planPodmanPlay(objects, {
    secrets: certificateRequestsOf(objects).map((r) => tlsSecret(r.secretName)),
    secretFormat: 'literal',
    ...overrides,
  });
}

function docs(yaml: string): Doc[] {
  return parseAllDocuments(yaml).map((d) => d.toJSON() as Doc);
}

test('podman 4.5 and later decode Secret data; 4.3 and 4.4 take it as text', () => {
  assert.equal(podmanSecretFormat('4.3.1'), 'literal');
  assert.equal(podmanSecretFormat('4.4.4'), 'literal');
  assert.equal(podmanSecretFormat('4.5.0'), 'kube');
  assert.equal(podmanSecretFormat('5.2.1\n'), 'kube');
  assert.throws(() => podmanSecretFormat('unknown'), /not <major>\.<minor>/);
});

test('a Certificate asks for its Secret, SPIFFE ID, DNS names and duration', () => {
  const requests = certificateRequestsOf(render());
  const front = requests.find((r) => r.secretName === 'vigil-agent-front-tls');
  assert.deepEqual(front, {
    secretName: 'vigil-agent-front-tls',
    spiffeId: 'spiffe://demo.local/agent/front',
    dnsNames: ['front.agents.svc', 'front.agents.svc.cluster.local'],
    durationMs: 24 * 3_600_000,
  });
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('90s'), 90_000);
  assert.throws(() => parseGoDuration('1 day'), /not a duration/);
});

test('each Deployment is one play: its pods carry the names of the Services that select them', () => {
  const p = plan();
  const front = p.units.find((u) => u.deployment === 'front');
  assert.ok(front);
  assert.deepEqual(front.pods, ['front-pod-0', 'front-pod-1']);
  assert.deepEqual(front.aliases, [
    'front',
    'front.agents',
    'front.agents.svc',
    'front.agents.svc.cluster.local',
  ]);
  // podman 4.3 names an emptyDir's volume after it: one name per template, not shared.
  const volumes = docs(front.yaml)
    .at(-1)
    ?.spec.template.spec.volumes.map((v: { name: string }) => v.name);
  assert.ok(volumes.includes('agents-front-state') && !volumes.includes('state'));
  assert.ok(
    p.namedVolumes.includes('agents-front-state') && p.namedVolumes.includes('agents-back-state'),
  );
  const kinds = p.skipped.map((s) => s.kind);
  for (const kind of ['NetworkPolicy', 'Certificate', 'Issuer', 'ServiceAccount', 'Namespace'])
    assert.ok(kinds.includes(kind), `${kind} is reported as not played`);
});

test('the projected declaration and policy become one ConfigMap whose files keep their paths', () => {
  const p = plan({ files: { '/etc/vigil/examples/inventory.yaml': 'pods: []\n' } });
  const front = p.units.find((u) => u.deployment === 'front');
  assert.ok(front);
  const [configMap, deployment] = docs(front.yaml);
  assert.equal(configMap?.kind, 'ConfigMap');
  assert.equal(configMap?.metadata.name, 'agents-front-config');
  const pod = deployment?.spec.template.spec;
  const volume = pod.volumes.find((v: { name: string }) => v.name === 'config');
  assert.equal(volume.projected, undefined);
  const files = Object.fromEntries(
    volume.configMap.items.map((i: { key: string; path: string }) => [
      i.path,
      configMap?.data?.[i.key],
    ]),
  );
  assert.deepEqual(files, {
    'vigil.yaml': 'declared: yes\n',
    'policies/acme/review.rego': 'package a',
    'examples/inventory.yaml': 'pods: []\n',
  });
  // podman 4.3 writes items without making their directories: they are made first.
  assert.deepEqual(p.volumes.find((v) => v.name === 'agents-front-config')?.directories, [
    'examples',
    'policies/acme',
  ]);
  assert.ok(p.namedVolumes.includes('agents-front-config'));
});

test('HTTP probes and container ports leave the template; readiness is returned to probe from the host', () => {
  const front = plan().units.find((u) => u.deployment === 'front');
  assert.ok(front);
  const container = docs(front.yaml).at(-1)?.spec.template.spec.containers[0];
  assert.equal(container.livenessProbe, undefined);
  assert.equal(container.readinessProbe, undefined);
  assert.equal(container.ports, undefined);
  assert.deepEqual(front.readiness, [
    { container: 'agent', scheme: 'http', port: 8080, path: '/readyz' },
  ]);
});

test('before podman 4.5 the certificate Secrets are podman secrets with their text; from 4.5 they go in the play', () => {
  const literal = plan();
  const secret = literal.podmanSecrets.find((s) => s.name === 'vigil-agent-back-tls');
  assert.ok(secret);
  assert.deepEqual(docs(secret.content)[0]?.data, {
    'tls.crt': 'CERT\n',
    'tls.key': 'KEY\n',
    'ca.crt': 'CA\n',
  });
  const back = literal.units.find((u) => u.deployment === 'back');
  assert.ok(back);
  assert.ok(!docs(back.yaml).some((d) => d.kind === 'Secret'));
  const tls = docs(back.yaml)
    .at(-1)
    ?.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'tls');
  assert.deepEqual(tls.secret, { secretName: 'vigil-agent-back-tls', optional: false });

  const kube = plan({ secretFormat: 'kube' });
  assert.deepEqual(kube.podmanSecrets, []);
  const played = docs(kube.units.find((u) => u.deployment === 'back')?.yaml ?? '');
  assert.equal(played.find((d) => d.kind === 'Secret')?.metadata.name, 'vigil-agent-back-tls');
  assert.deepEqual(kube.secretNames, ['vigil-agent-back-tls', 'vigil-agent-front-tls']);
});

test('host mounts and environment reach every container', () => {
  const p = plan({
    hostMounts: [{ hostPath: '/opt/opa', mountPath: '/opt/opa' }],
    env: { VIGIL_OPA_BIN: '/opt/opa' },
  });
  for (const unit of p.units) {
    const pod = docs(unit.yaml).at(-1)?.spec.template.spec;
    assert.ok(
      pod.volumes.some((v: { hostPath?: { path: string } }) => v.hostPath?.path === '/opt/opa'),
    );
    const container = pod.containers[0];
    assert.ok(
      container.env.some((e: { name: string; value: string }) => e.name === 'VIGIL_OPA_BIN'),
    );
    assert.ok(
      container.volumeMounts.some(
        (m: { mountPath: string; readOnly: boolean }) => m.mountPath === '/opt/opa' && m.readOnly,
      ),
    );
  }
});

test('what podman cannot play as rendered is refused with where and why', () => {
  const objects = render();
  const secrets = certificateRequestsOf(objects).map((r) => tlsSecret(r.secretName));
  // A file no projected volume holds.
  assert.throws(
    () => planPodmanPlay(objects, { secrets, secretFormat: 'kube', files: { '/srv/x': 'x' } }),
    /\/srv\/x: no projected volume/,
  );
  // A missing certificate Secret.
  assert.throws(
    () => planPodmanPlay(objects, { secrets: [], secretFormat: 'kube' }),
    /Deployment back: volume tls: no Secret vigil-agent-back-tls/,
  );
  // A Service that remaps its port.
  const remapped = objects.map((o) =>
    o.kind === 'Service' && o.metadata?.name === 'back'
      ? {
          ...o,
          spec: { ...(o as { spec: object }).spec, ports: [{ port: 443, targetPort: 'a2a' }] },
        }
      : o,
  );
  assert.throws(
    () => planPodmanPlay(remapped, { secrets, secretFormat: 'kube' }),
    /Service back port 443: targets a2a of Deployment back, not the same port/,
  );
  // Environment from a Secret on a podman before 4.5.
  const fromSecret = objects.map((o) => {
    if (o.kind !== 'Deployment' || o.metadata?.name !== 'back') return o;
    const d = structuredClone(o) as { spec: { template: { spec: { containers: object[] } } } };
    d.spec.template.spec.containers[0] = {
      ...d.spec.template.spec.containers[0],
      envFrom: [{ secretRef: { name: 'db' } }],
    };
    return d as KubernetesObject;
  });
  assert.throws(
    () => planPodmanPlay(fromSecret, { secrets, secretFormat: 'literal' }),
    /container agent: takes environment from a Secret/,
  );
});
