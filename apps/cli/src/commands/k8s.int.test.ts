import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startKubeApiServer } from '@vigil/testkit';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, runVigil, tempDir } from '../testing/run-vigil.js';

test('vigil k8s render -o DIR writes the SOC manifests one file per kind in install order', async (t) => {
  const out = tempDir(t, 'k8s');
  const { code, stdout, stderr } = await runVigil(['k8s', 'render', '-o', out]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /objects \(1 Namespace, .*6 Deployment.*\) → /);
  const files = readdirSync(out).sort();
  assert.equal(files[0], '00-namespace.yaml');
  const deployments = parseAllDocuments(readFileSync(join(out, '11-deployment.yaml'), 'utf8')).map(
    (d) => (d.toJS() as { metadata: { name: string } }).metadata.name,
  );
  assert.deepEqual(deployments.sort(), [
    'analyst',
    'coordinator',
    'detector',
    'notifier',
    'remediator',
    'reviewer',
  ]);
});

test('vigil k8s render --graph prints the call graph as Mermaid; without -o or --graph it is a usage error', async () => {
  const graph = await runVigil(['-f', 'examples/two-agent/vigil.yaml', 'k8s', 'render', '--graph']);
  assert.equal(graph.code, 0, graph.stderr);
  assert.equal(
    graph.stdout,
    'flowchart LR\n  agent_echo["echo"]\n  agent_greeter["greeter"]\n  agent_greeter -->|"A2A 8443"| agent_echo\n',
  );
  const usage = await runVigil(['k8s', 'render']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /-o\/--output/);
  const format = await runVigil(['k8s', 'render', '-o', '/tmp/x', '--format', 'jsonnet']);
  assert.equal(format.code, 2);
  assert.match(format.stderr, /--format: "jsonnet" is not one of yaml, helm, kustomize/);
});

test('vigil k8s apply then diff against a real API server: applied, then no changes (exit 0)', async (t) => {
  const api = await startKubeApiServer({ crds: ['cert-manager'] });
  t.after(() => api.close());
  const file = 'examples/two-agent/vigil.yaml';
  const before = await runVigil(['-f', file, 'k8s', 'diff', '--kubeconfig', api.kubeconfigPath]);
  assert.equal(before.code, 1, before.stderr);
  assert.match(before.stdout, /^\+ Namespace vigil$/m);
  assert.match(before.stderr, /VIGIL_K8S_DIFFERENCES: 15 of 15 objects differ/);
  const apply = await runVigil(['-f', file, 'k8s', 'apply', '--kubeconfig', api.kubeconfigPath]);
  assert.equal(apply.code, 0, apply.stderr);
  assert.match(apply.stdout, /^15 objects applied to https:\/\/127\.0\.0\.1:\d+/);
  const after = await runVigil([
    '-f',
    file,
    'k8s',
    'diff',
    '--kubeconfig',
    api.kubeconfigPath,
    '--json',
  ]);
  assert.equal(after.code, 0, after.stderr);
  const body = JSON.parse(after.stdout) as { diffs: { change: string }[] };
  assert.equal(body.diffs.length, 15);
  assert.ok(body.diffs.every((d) => d.change === 'unchanged'));
});

test('vigil k8s render --local-image pins every agent Deployment to the image built here, by digest', async (t) => {
  const record = JSON.parse(readFileSync(join(REPO_ROOT, '.tools/image/image.json'), 'utf8')) as {
    image: string;
    digest: string;
  };
  const out = tempDir(t, 'k8s-local-image');
  const { code, stderr } = await runVigil(['k8s', 'render', '-o', out, '--local-image']);
  assert.equal(code, 0, stderr);
  const images = parseAllDocuments(readFileSync(join(out, '11-deployment.yaml'), 'utf8')).map(
    (d) =>
      (d.toJS() as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec
        .template.spec.containers[0]?.image,
  );
  assert.equal(images.length, 6);
  assert.ok(record.digest.startsWith('sha256:'));
  for (const image of images) assert.equal(image, `${record.image}@${record.digest}`);
  const both = await runVigil(['k8s', 'render', '-o', out, '--local-image', '--image', 'x:1']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--image and --local-image exclude each other/);
});
