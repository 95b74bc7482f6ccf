import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import { loadAgentSystem, parseAgentSystem } from '@vigil/registry';
import { parse } from 'yaml';
import { toolBinary } from '@vigil/testkit';
import { loadRenderInputs } from './inputs.js';
import { toYamlStream } from './output.js';
import { renderSystem } from './render.js';

const run = promisify(execFile);
const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Deployment extends KubernetesObject {
  spec: { template: { spec: { containers: { securityContext: Record<string, unknown> }[] } } };
}

/** `kyverno apply` of the rendered ClusterPolicies to `resources`: its exit code and summary. */
async function kyvernoApply(
  dir: string,
  policies: readonly KubernetesObject[],
  resources: readonly KubernetesObject[],
): Promise<{ code: number; out: string }> {
  const policyFile = join(dir, 'policies.yaml');
  const resourceFile = join(dir, 'resources.yaml');
  writeFileSync(policyFile, toYamlStream(policies));
  writeFileSync(resourceFile, toYamlStream(resources));
  try {
    const { stdout, stderr } = await run(toolBinary('kyverno'), [
      'apply',
      policyFile,
      '--resource',
      resourceFile,
    ]);
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

test('the rendered Kyverno policies admit the rendered Deployments and refuse a privileged variant', async (t) => {
  const path = join(REPOSITORY_ROOT, 'vigil.yaml');
  const system = await loadAgentSystem(path);
  const objects = renderSystem(system, await loadRenderInputs(system, path));
  const policies = objects.filter((o) => o.kind === 'ClusterPolicy');
  // The same agents with csi-driver-spiffe volumes instead of certificate Secrets.
  const raw = parse(readFileSync(path, 'utf8')) as Record<string, Record<string, unknown>>;
  raw['identity'] = { spiffeIds: 'service-account' };
  raw['kubernetes'] = { ...raw['kubernetes'], certificates: { provider: 'csi-driver-spiffe' } };
  const csi = parseAgentSystem(JSON.stringify(raw), path);
  const csiDeployments = renderSystem(csi, await loadRenderInputs(csi, path)).filter(
    (o) => o.kind === 'Deployment' && o.metadata?.labels?.['vigil.dev/agent'] !== undefined,
  ) as Deployment[];
  assert.ok(csiDeployments.length > 0);
  const deployments = [
    ...(objects.filter((o) => o.kind === 'Deployment') as Deployment[]),
    ...csiDeployments.map((d) => ({
      ...d,
      metadata: { ...d.metadata, name: `${d.metadata?.name}-csi` },
    })),
  ];
  assert.equal(policies.length, 4);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-kyverno-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const admitted = await kyvernoApply(dir, policies, deployments);
  assert.equal(admitted.code, 0, admitted.out);
  const rules = policies.flatMap((p) => (p as { spec?: { rules?: unknown[] } }).spec?.rules ?? []);
  assert.match(admitted.out, new RegExp(`pass: ${rules.length * deployments.length}, fail: 0`));

  const privileged = JSON.parse(JSON.stringify(deployments[0])) as Deployment;
  Object.assign(privileged.spec.template.spec.containers[0]?.securityContext ?? {}, {
    privileged: true,
    allowPrivilegeEscalation: true,
  });
  const refused = await kyvernoApply(dir, policies, [privileged]);
  assert.notEqual(refused.code, 0, refused.out);
  assert.match(refused.out, /fail: 2/);
  assert.match(refused.out, new RegExp(`vigil-agent-no-privilege-${system.metadata.namespace}`));

  // Bound to the system's namespace: the same privileged Deployment elsewhere is not theirs.
  const elsewhere = JSON.parse(JSON.stringify(privileged)) as Deployment;
  elsewhere.metadata = { ...elsewhere.metadata, namespace: 'someone-else' };
  const ignored = await kyvernoApply(dir, policies, [elsewhere]);
  assert.equal(ignored.code, 0, ignored.out);
  assert.match(ignored.out, /fail: 0/);
});
