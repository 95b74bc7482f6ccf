import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { digestOf, sha256Hex } from '@vigil/core';
import { POLICY_ERROR_CODES, PolicyError } from './errors.js';
import { REPO_ROOT, opaVersion, resolveOpaBinary, runOpa } from './opa.js';

/** The Rego sources of a policy bundle directory (tests excluded), with their digest. */
export interface PolicySource {
  /** Absolute directory. */
  readonly dir: string;
  /** Relative POSIX path → file text, sorted by path. `*_test.rego` are not part of it. */
  readonly modules: Readonly<Record<string, string>>;
  /** `sha256:<hex>` of the canonical JSON of `{ path: sha256(text) }`. */
  readonly digest: string;
}

/** An OPA entrypoint path, e.g. `vigil/soc/review/verdict`. */
const ENTRYPOINT = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Validates an entrypoint (slash-separated, as `opa build -e` and the REST API take it). */
export function assertEntrypoint(entrypoint: string): void {
  if (!ENTRYPOINT.test(entrypoint)) {
    throw new PolicyError(
      POLICY_ERROR_CODES.CONFIG,
      `entrypoint "${entrypoint}" is not a slash-separated rule path such as vigil/soc/review/verdict`,
    );
  }
}

/** True for files that belong to the policy (Rego, not tests). */
function isPolicyModule(path: string): boolean {
  return path.endsWith('.rego') && !path.endsWith('_test.rego');
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/**
 * Reads the Rego modules of `dir` (recursively, tests excluded). Throws
 * `VIGIL_POLICY_CONFIG` when the directory is missing or holds no policy.
 */
export async function loadPolicySource(dir: string): Promise<PolicySource> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch (cause) {
    throw new PolicyError(
      POLICY_ERROR_CODES.CONFIG,
      `policy bundle directory ${dir} does not exist`,
      { cause },
    );
  }
  const files = (await walk(dir)).filter(isPolicyModule).sort();
  if (files.length === 0) {
    throw new PolicyError(
      POLICY_ERROR_CODES.CONFIG,
      `policy bundle directory ${dir} holds no .rego modules`,
    );
  }
  const modules: Record<string, string> = {};
  const hashes: Record<string, string> = {};
  for (const file of files) {
    const path = relative(dir, file).split(sep).join('/');
    const text = await readFile(file, 'utf8');
    modules[path] = text;
    hashes[path] = sha256Hex(text);
  }
  return Object.freeze({ dir, modules: Object.freeze(modules), digest: digestOf(hashes) });
}

/**
 * The Rego test modules (`*_test.rego`) of `dir`, recursively: relative POSIX path → text,
 * sorted by path. They are not part of the bundle (see {@link loadPolicySource}).
 */
export async function loadPolicyTestModules(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of (await walk(dir)).filter((f) => f.endsWith('_test.rego')).sort())
    out[relative(dir, file).split(sep).join('/')] = await readFile(file, 'utf8');
  return out;
}

/**
 * The bundle revision recorded in every decision: a digest of the policy source digest,
 * the entrypoint and the policy data. Two engines with the same revision decide the
 * same input identically, so an auditor can replay a verdict from its revision.
 */
export function bundleRevision(source: PolicySource, entrypoint: string, data: unknown): string {
  return digestOf({ policy: source.digest, entrypoint, data: digestOf(data) });
}

/** Default cache of compiled wasm bundles (under the git-ignored `.tools/`). */
export const DEFAULT_WASM_CACHE_DIR = join(REPO_ROOT, '.tools', 'cache', 'policy-wasm');

/** A compiled policy, ready for `@open-policy-agent/opa-wasm`. */
export interface WasmBundle {
  readonly wasm: Uint8Array;
  /** Where the compiled module is cached. */
  readonly path: string;
  /** True when this call compiled it (false: served from the cache). */
  readonly built: boolean;
}

/**
 * Compiles `source` with `opa build -t wasm -e <entrypoint>` unless a module compiled
 * from exactly these sources, entrypoint and opa version is already cached. The cache
 * key is that digest, so the wasm in use always matches the Rego on disk: editing a
 * policy changes the key and triggers a rebuild. Writes are atomic (temp + rename), so
 * concurrent processes never read half a module. The cache is `options.cacheDir`, else
 * `VIGIL_POLICY_CACHE_DIR`, else {@link DEFAULT_WASM_CACHE_DIR}.
 */
export async function buildWasmBundle(
  source: PolicySource,
  entrypoint: string,
  options: { cacheDir?: string; opaBin?: string } = {},
): Promise<WasmBundle> {
  assertEntrypoint(entrypoint);
  const opaBin = options.opaBin ?? resolveOpaBinary();
  const version = await opaVersion(opaBin);
  const key = sha256Hex(`${source.digest}\n${entrypoint}\n${version}`).slice(0, 32);
  // VIGIL_POLICY_CACHE_DIR: where a read-only installation (the agent image) can cache.
  const cacheDir =
    options.cacheDir ?? (process.env['VIGIL_POLICY_CACHE_DIR'] || DEFAULT_WASM_CACHE_DIR);
  const path = join(cacheDir, `${key}.wasm`);
  try {
    return { wasm: new Uint8Array(await readFile(path)), path, built: false };
  } catch {
    // Not cached yet: build below.
  }
  await mkdir(cacheDir, { recursive: true });
  const work = join(cacheDir, `.build-${process.pid}-${Date.now()}`);
  await mkdir(work, { recursive: true });
  try {
    // Build from a snapshot of exactly the modules we digested, so a file edited between
    // the digest and the build cannot end up in a module cached under the old key.
    const srcDir = join(work, 'src');
    for (const [rel, text] of Object.entries(source.modules)) {
      const file = join(srcDir, ...rel.split('/'));
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, text);
    }
    const out = join(work, 'bundle.tar.gz');
    const run = await runOpa(['build', '-t', 'wasm', '-e', entrypoint, '-o', out, srcDir], {
      opaBin,
    });
    if (run.code !== 0) {
      throw new PolicyError(
        POLICY_ERROR_CODES.BUILD_FAILED,
        `opa build -t wasm failed: ${(run.stderr.trim() || run.stdout.trim()).split(srcDir).join(source.dir)}`,
        {
          details: { dir: source.dir, entrypoint },
        },
      );
    }
    const entry = extractTarEntry(gunzipSync(await readFile(out)), '/policy.wasm');
    if (entry === undefined) {
      throw new PolicyError(POLICY_ERROR_CODES.BUILD_FAILED, 'opa build produced no /policy.wasm');
    }
    const wasm = new Uint8Array(entry);
    const tmp = join(work, 'policy.wasm');
    await writeFile(tmp, wasm);
    await rename(tmp, path);
    return { wasm, path, built: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Returns one file of a ustar archive (what `opa build` writes), or undefined. Names
 * are compared with and without the leading slash.
 */
export function extractTarEntry(tar: Uint8Array, name: string): Uint8Array | undefined {
  const want = name.replace(/^\//, '');
  const text = (from: number, len: number): string => {
    const bytes = tar.subarray(from, from + len);
    const end = bytes.indexOf(0);
    return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString('utf8');
  };
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const entryName = text(offset, 100);
    if (entryName === '') return undefined; // end-of-archive blocks
    const prefix = text(offset + 345, 155);
    const full = (prefix === '' ? entryName : `${prefix}/${entryName}`).replace(/^\//, '');
    const size = Number.parseInt(text(offset + 124, 12).trim() || '0', 8);
    const typeflag = text(offset + 156, 1);
    const start = offset + 512;
    if (full === want && (typeflag === '0' || typeflag === ''))
      return tar.slice(start, start + size);
    offset = start + Math.ceil(size / 512) * 512;
  }
  return undefined;
}
