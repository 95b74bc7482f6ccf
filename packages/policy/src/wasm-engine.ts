import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { POLICY_ERROR_CODES, PolicyError } from './errors.js';
import { assertEntrypoint, buildWasmBundle, bundleRevision, loadPolicySource } from './bundle.js';
import { GuardedPolicyEngine, type EngineOptions } from './guarded-engine.js';
import type { ValidatedPolicyInput } from './types.js';

/** Where policy data is mounted in OPA's data document by default (`data.vigil.config`). */
export const DEFAULT_DATA_PATH = 'vigil/config';

/** Options of both OPA backends. */
export interface OpaEngineOptions extends EngineOptions {
  /** Directory of Rego modules (vigil.yaml `policy.bundle`), e.g. `policies/soc`. */
  readonly bundleDir: string;
  /** The rule to evaluate, slash-separated, e.g. `vigil/soc/review/verdict`. */
  readonly entrypoint: string;
  /** Policy data (e.g. from {@link policyDataFromSystem}), mounted at `dataPath`. */
  readonly data: Record<string, unknown>;
  /** Slash-separated mount point of `data`; default {@link DEFAULT_DATA_PATH}. */
  readonly dataPath?: string;
  /** Path of the opa binary (default: env VIGIL_OPA_BIN or `<repo>/.tools/bin/opa`). */
  readonly opaBin?: string;
}

/** `{ a: { b: value } }` for `a/b`. */
export function mountData(
  dataPath: string,
  data: Record<string, unknown>,
): Record<string, unknown> {
  assertEntrypoint(dataPath);
  return dataPath
    .split('/')
    .reverse()
    .reduce<Record<string, unknown>>((inner, key) => ({ [key]: inner }), data);
}

/**
 * The in-process backend (default): the policy compiled to WebAssembly with
 * `opa build -t wasm` and evaluated by `@open-policy-agent/opa-wasm`. The module is built
 * on first use and cached under `.tools/cache/policy-wasm/` keyed by the digest of the
 * Rego sources, the entrypoint and the opa version, so it always matches the source.
 *
 * Evaluation is synchronous and cannot be interrupted; a result that took longer than
 * `timeoutMs` is discarded and the decision fails closed.
 */
export class OpaWasmPolicyEngine extends GuardedPolicyEngine {
  readonly backend = 'opa-wasm';
  private policy: LoadedPolicy | undefined;
  private readonly entrypoint: string;

  private constructor(
    policy: LoadedPolicy,
    entrypoint: string,
    revision: string,
    options: EngineOptions,
  ) {
    super(revision, options);
    this.policy = policy;
    this.entrypoint = entrypoint;
  }

  /**
   * Builds (or loads from the cache) the wasm module for `bundleDir` and loads `data`.
   * Throws `VIGIL_POLICY_CONFIG`, `VIGIL_POLICY_BUILD_FAILED`, `VIGIL_POLICY_LOAD_FAILED`
   * or `VIGIL_POLICY_OPA_UNAVAILABLE` — configuration problems, found at start-up.
   */
  static async create(
    options: OpaEngineOptions & { cacheDir?: string },
  ): Promise<OpaWasmPolicyEngine> {
    assertEntrypoint(options.entrypoint);
    const source = await loadPolicySource(options.bundleDir);
    const bundle = await buildWasmBundle(source, options.entrypoint, {
      cacheDir: options.cacheDir,
      opaBin: options.opaBin,
    });
    let policy: LoadedPolicy;
    try {
      policy = await loadPolicy(bundle.wasm);
      policy.setData(mountData(options.dataPath ?? DEFAULT_DATA_PATH, options.data));
    } catch (cause) {
      throw new PolicyError(
        POLICY_ERROR_CODES.LOAD_FAILED,
        `cannot load the wasm policy ${bundle.path}`,
        { cause },
      );
    }
    if (!(options.entrypoint in (policy.entrypoints as Record<string, number>))) {
      throw new PolicyError(
        POLICY_ERROR_CODES.LOAD_FAILED,
        `the wasm policy has no entrypoint ${options.entrypoint}`,
      );
    }
    return new OpaWasmPolicyEngine(
      policy,
      options.entrypoint,
      bundleRevision(source, options.entrypoint, options.data),
      options,
    );
  }

  protected evaluateRaw(input: ValidatedPolicyInput): Promise<unknown> {
    if (this.policy === undefined)
      throw new PolicyError(POLICY_ERROR_CODES.ENGINE_ERROR, 'engine is closed');
    const resultSet = this.policy.evaluate(input, this.entrypoint) as { result?: unknown }[];
    return Promise.resolve(resultSet[0]?.result);
  }

  /** Releases the wasm instance; later evaluations fail closed. */
  async close(): Promise<void> {
    this.policy = undefined;
  }
}
