import { mkdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import {
  bundleRevision,
  buildWasmBundle,
  DEFAULT_WASM_CACHE_DIR,
  loadPolicySource,
  mountData,
} from '@vigil/policy';
import { CREDIT_ERROR_CODES, CreditError } from './errors.js';

/** The network's Rego (`policies/`): access, trace and release. */
export const CREDIT_POLICY_DIR = fileURLToPath(new URL('../policies/', import.meta.url));

/** Entrypoints of the credit-memo policies. */
export const ENTRYPOINTS = {
  access: 'vigil/credit/access/decision',
  trace: 'vigil/credit/trace/result',
  release: 'vigil/credit/release/decision',
} as const;

/** One compiled entrypoint with its data; evaluation fails closed on any error. */
export interface CreditPolicy {
  readonly entrypoint: string;
  /** Digest of the Rego, the entrypoint and the data: audited with every decision. */
  readonly revision: string;
  evaluate(input: unknown): unknown;
}

const LOCK_POLL_MS = 50;
const LOCK_STALE_MS = 60_000;

/**
 * Many replicas start at once; one compiles each entrypoint, the others wait for the
 * cache (`opa build` costs a second of CPU, which 24 collectors would otherwise pay
 * together). The lock is a directory (mkdir is atomic); a stale one is broken.
 */
async function withBuildLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(DEFAULT_WASM_CACHE_DIR, { recursive: true });
  const lock = join(DEFAULT_WASM_CACHE_DIR, `.lock-${key.replace(/[^a-z0-9]/gi, '_')}`);
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > LOCK_STALE_MS) await rmdir(lock).catch(() => undefined);
      else await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

/**
 * Compiles (or loads from the cache) one entrypoint of {@link CREDIT_POLICY_DIR} with
 * `opa build -t wasm` and mounts `data` at `data.vigil.config`. Throws
 * `VIGIL_CREDIT_POLICY` when OPA is missing or the Rego does not compile.
 */
export async function loadCreditPolicy(
  entrypoint: string,
  data: Record<string, unknown>,
  dir: string = CREDIT_POLICY_DIR,
): Promise<CreditPolicy> {
  let policy: LoadedPolicy;
  let revision: string;
  try {
    const source = await loadPolicySource(dir);
    const bundle = await withBuildLock(`${source.digest}-${entrypoint}`, () =>
      buildWasmBundle(source, entrypoint),
    );
    policy = await loadPolicy(bundle.wasm);
    policy.setData(mountData('vigil/config', data));
    revision = bundleRevision(source, entrypoint, data);
  } catch (cause) {
    throw new CreditError(
      CREDIT_ERROR_CODES.POLICY,
      `cannot load policy ${entrypoint} from ${dir}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return {
    entrypoint,
    revision,
    evaluate(input) {
      let result: unknown;
      try {
        result = (policy.evaluate(input, entrypoint) as { result?: unknown }[])[0]?.result;
      } catch (cause) {
        throw new CreditError(CREDIT_ERROR_CODES.POLICY, `policy ${entrypoint} failed`, { cause });
      }
      if (result === undefined) {
        throw new CreditError(CREDIT_ERROR_CODES.POLICY, `policy ${entrypoint} returned no result`);
      }
      return result;
    },
  };
}
