import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { POLICY_ERROR_CODES, PolicyError } from './errors.js';

const execFileAsync = promisify(execFile);

/** The repository root (this file is `<repo>/packages/policy/src/opa.ts`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The `opa` binary: env `VIGIL_OPA_BIN`, else `<repo>/.tools/bin/opa` (built by
 * `scripts/setup.sh` at the pinned version). Throws `VIGIL_POLICY_OPA_UNAVAILABLE`
 * naming both places when neither exists.
 */
export function resolveOpaBinary(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['VIGIL_OPA_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv)) {
      throw new PolicyError(
        POLICY_ERROR_CODES.OPA_UNAVAILABLE,
        `VIGIL_OPA_BIN points to ${fromEnv}, which does not exist`,
      );
    }
    return fromEnv;
  }
  const local = join(REPO_ROOT, '.tools', 'bin', 'opa');
  if (!existsSync(local)) {
    throw new PolicyError(
      POLICY_ERROR_CODES.OPA_UNAVAILABLE,
      `opa not found: set VIGIL_OPA_BIN or run scripts/setup.sh (which builds ${local})`,
    );
  }
  return local;
}

/** Result of one `opa` invocation; a non-zero exit is a value, not an exception. */
export interface OpaRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `opa <args>` and returns its exit code and output (up to 64 MiB). */
export async function runOpa(
  args: readonly string[],
  options: { opaBin?: string; cwd?: string } = {},
): Promise<OpaRun> {
  const bin = options.opaBin ?? resolveOpaBinary();
  try {
    const { stdout, stderr } = await execFileAsync(bin, [...args], {
      cwd: options.cwd,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code === 'number')
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    throw new PolicyError(POLICY_ERROR_CODES.OPA_UNAVAILABLE, `cannot run ${bin}`, {
      cause: error,
    });
  }
}

/** `opa version` → e.g. `1.22.3`. */
export async function opaVersion(opaBin?: string): Promise<string> {
  const run = await runOpa(['version'], { opaBin });
  const match = /^Version:\s*(\S+)/m.exec(run.stdout);
  if (run.code !== 0 || match?.[1] === undefined) {
    throw new PolicyError(
      POLICY_ERROR_CODES.OPA_UNAVAILABLE,
      `opa version failed: ${run.stderr.trim()}`,
    );
  }
  return match[1];
}
