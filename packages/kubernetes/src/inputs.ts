/**
 * Reads what a render needs besides the parsed declaration: the declaration's own text
 * (mounted into every agent), the policy bundle under `policy.bundle` and the Kyverno
 * ClusterPolicies under `kubernetes.kyvernoPolicies`, both relative to the declaration.
 * The render itself stays pure; this is the one place that touches the file system.
 */
import { readFile, readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { loadPolicySource, policyDataFromSystem } from '@vigil/policy';
import type { AgentSystem } from '@vigil/registry';
import { parseAllDocuments } from 'yaml';
import { KubernetesError, KUBERNETES_ERROR_CODES } from './errors.js';
import type { PolicyBundleInput } from './policy-bundle.js';
import type { RenderInputs } from './render.js';

/** Kinds of `kubernetes.kyvernoPolicies` files that are rendered; others (kyverno `Test`) are skipped. */
const KYVERNO_KINDS = new Set(['ClusterPolicy', 'Policy']);

function relativeTo(configPath: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(configPath), path);
}

async function exists(path: string): Promise<boolean> {
  return readdir(path).then(
    () => true,
    () => false,
  );
}

/**
 * Reads the Kyverno policies of `dir` (its `*.yaml`/`*.yml` files, not sub-directories).
 * @throws KubernetesError `VIGIL_CONFIG_K8S_INPUT` when the directory or a file cannot be read or parsed.
 */
export async function loadKyvernoPolicies(dir: string): Promise<KubernetesObject[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (cause) {
    throw new KubernetesError(
      KUBERNETES_ERROR_CODES.inputUnreadable,
      `kubernetes.kyvernoPolicies: cannot read directory ${dir}`,
      { cause },
    );
  }
  const policies: KubernetesObject[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const docs = parseAllDocuments(await readFile(path, 'utf8'));
    for (const [i, doc] of docs.entries()) {
      if (doc.errors.length > 0) {
        throw new KubernetesError(
          KUBERNETES_ERROR_CODES.inputUnreadable,
          `${path}: document ${i + 1} is not valid YAML: ${doc.errors[0]?.message ?? ''}`,
        );
      }
      const value = doc.toJS() as unknown;
      if (typeof value !== 'object' || value === null) continue;
      const object = value as KubernetesObject;
      if (KYVERNO_KINDS.has(object.kind ?? '') && object.apiVersion?.startsWith('kyverno.io/')) {
        policies.push(object);
      }
    }
  }
  return policies;
}

/**
 * The policy bundle of the declaration, or undefined when its directory does not exist
 * (a system without a reviewer, such as the two-agent example, ships no policy).
 */
export async function loadPolicyBundle(
  system: AgentSystem,
  configPath: string,
): Promise<PolicyBundleInput | undefined> {
  const dir = relativeTo(configPath, system.policy.bundle);
  if (!(await exists(dir))) return undefined;
  const source = await loadPolicySource(dir);
  return { modules: source.modules, revision: source.digest, data: policyDataFromSystem(system) };
}

/**
 * Everything {@link renderSystem} reads besides the declaration.
 * @throws KubernetesError `VIGIL_CONFIG_K8S_INPUT` when a file cannot be read; errors of
 *   `@vigil/policy` (an empty bundle) pass through.
 */
export async function loadRenderInputs(
  system: AgentSystem,
  configPath: string,
  options: { image?: string } = {},
): Promise<RenderInputs> {
  let declaration: string;
  try {
    declaration = await readFile(configPath, 'utf8');
  } catch (cause) {
    throw new KubernetesError(KUBERNETES_ERROR_CODES.inputUnreadable, `cannot read ${configPath}`, {
      cause,
    });
  }
  const kyvernoDir = system.kubernetes.kyvernoPolicies;
  const policy = await loadPolicyBundle(system, configPath);
  return {
    declaration,
    ...(policy === undefined ? {} : { policy }),
    ...(kyvernoDir === undefined
      ? {}
      : { kyvernoPolicies: await loadKyvernoPolicies(relativeTo(configPath, kyvernoDir)) }),
    ...(options.image === undefined ? {} : { image: options.image }),
  };
}
