import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The repository root (commands resolve `vigil.yaml` and `examples/` against it). */
export const REPO_ROOT: string = new URL('../../../../', import.meta.url).pathname;

const VIGIL = join(REPO_ROOT, 'apps/cli/bin/vigil.mjs');

export interface VigilRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `vigil` binary as a child process in the repository root and collects its output. */
export function runVigil(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<VigilRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VIGIL, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A temporary directory removed when the test ends. */
export function tempDir(t: { after(fn: () => void): void }, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `vigil-cli-${name}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
