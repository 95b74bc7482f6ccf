/**
 * The reviewer's policy bundle in the cluster: one ConfigMap holding the Rego modules and
 * the policy data, and the volume items that put the modules back at `policy.bundle`
 * beside the mounted declaration, so the agents resolve the bundle exactly as they do
 * locally (relative to `vigil.yaml`).
 */
import { posix } from 'node:path';
import type { V1ConfigMap, V1KeyToPath } from '@kubernetes/client-node';
import type { AgentSystem } from '@vigil/registry';
import { KubernetesError, KUBERNETES_ERROR_CODES } from './errors.js';
import { componentLabels } from './labels.js';

/** The policy bundle to ship: its modules and the revision the reviewer reports. */
export interface PolicyBundleInput {
  /** Module path (relative to the bundle) → Rego text. */
  readonly modules: Readonly<Record<string, string>>;
  readonly revision: string;
  /** The policy data document (`data.json` of the OPA server). */
  readonly data: unknown;
}

/** The ConfigMap of the policy bundle. */
export const POLICY_CONFIG_MAP_NAME = 'vigil-policy';

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * The ConfigMap key of a module path: `/` becomes `__`.
 * @throws KubernetesError `VIGIL_CONFIG_K8S_RENDER` when the result is no valid key.
 */
export function policyConfigKey(path: string): string {
  const key = path.split('/').join('__');
  if (!CONFIG_KEY.test(key) || key === 'data.json') {
    throw new KubernetesError(
      KUBERNETES_ERROR_CODES.renderInvalid,
      `policy module "${path}" cannot be a ConfigMap key (letters, digits, "-", "_", "." only)`,
    );
  }
  return key;
}

/** The policy bundle as a ConfigMap: one key per module plus `data.json`, annotated with the revision. */
export function renderPolicyConfigMap(system: AgentSystem, policy: PolicyBundleInput): V1ConfigMap {
  const data: Record<string, string> = {};
  for (const path of Object.keys(policy.modules).sort()) {
    const key = policyConfigKey(path);
    if (key in data) {
      throw new KubernetesError(
        KUBERNETES_ERROR_CODES.renderInvalid,
        `policy modules "${path}" and another one map to the same ConfigMap key "${key}"`,
      );
    }
    data[key] = policy.modules[path] ?? '';
  }
  data['data.json'] = `${JSON.stringify(policy.data, null, 2)}\n`;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: POLICY_CONFIG_MAP_NAME,
      namespace: system.metadata.namespace,
      labels: componentLabels(system, 'policy'),
      annotations: { 'vigil.dev/policy-revision': policy.revision },
    },
    data,
  };
}

/**
 * Volume items that mount each module at `<policy.bundle>/<module>` relative to the
 * declaration's directory.
 * @throws KubernetesError `VIGIL_CONFIG_K8S_RENDER` when `policy.bundle` is absolute or
 *   leaves the declaration's directory (it could not be mounted beside it).
 */
export function policyMountItems(system: AgentSystem, policy: PolicyBundleInput): V1KeyToPath[] {
  const dir = posix.normalize(system.policy.bundle.split('\\').join('/'));
  if (posix.isAbsolute(dir) || dir === '..' || dir.startsWith('../')) {
    throw new KubernetesError(
      KUBERNETES_ERROR_CODES.renderInvalid,
      `policy.bundle: "${system.policy.bundle}" must be a directory inside the declaration's own to be mounted beside it in the cluster`,
    );
  }
  return Object.keys(policy.modules)
    .sort()
    .map((path) => ({ key: policyConfigKey(path), path: posix.join(dir, path) }));
}
