import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The binaries scripts/setup.sh builds into `<repo>/.tools/bin` (besides opa). */
export type ToolName = 'kube-apiserver' | 'etcd' | 'kyverno' | 'helm';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const ENV: Record<ToolName, string> = {
  'kube-apiserver': 'VIGIL_KUBE_APISERVER_BIN',
  etcd: 'VIGIL_ETCD_BIN',
  kyverno: 'VIGIL_KYVERNO_BIN',
  helm: 'VIGIL_HELM_BIN',
};

/**
 * Path of a tool built by scripts/setup.sh: env `VIGIL_<NAME>_BIN`, else
 * `<repo>/.tools/bin/<name>`. Throws an error naming the fix when it is missing, so a
 * test that needs it fails instead of skipping.
 */
export function toolBinary(name: ToolName): string {
  const bin = process.env[ENV[name]] || join(REPO_ROOT, '.tools', 'bin', name);
  if (!existsSync(bin)) {
    throw new Error(`${name} not found at ${bin}; run scripts/setup.sh (or set ${ENV[name]})`);
  }
  return bin;
}

/** The repository root (vendored files such as tools/crds are read from it). */
export const REPOSITORY_ROOT = REPO_ROOT;
