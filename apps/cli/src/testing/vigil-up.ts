import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { REPO_ROOT } from './run-vigil.js';

const VIGIL = join(REPO_ROOT, 'apps/cli/bin/vigil.mjs');

/** A running `vigil up` child process with its own directory, declaration and state. */
export interface VigilUp {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly configPath: string;
  readonly stateDir: string;
  output(): string;
  /** Resolves once `pattern` appears in stdout or stderr; rejects on timeout or exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
}

/**
 * Starts the real `vigil up` on `yaml` (written to a fresh temporary directory) as a
 * user would, and stops it with SIGINT (then removes the directory) when the test ends.
 */
export function startVigilUp(
  t: TestContext,
  yaml: string,
  args: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): VigilUp {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-up-'));
  // Searchable by others: under --runtime podman the agents run as the image's own user.
  chmodSync(dir, 0o755);
  const configPath = join(dir, 'vigil.yaml');
  writeFileSync(configPath, yaml);
  const stateDir = join(dir, 'state');
  const child = spawn(
    process.execPath,
    [VIGIL, '-f', configPath, '--state-dir', stateDir, 'up', ...args],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    child,
    dir,
    configPath,
    stateDir,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs = 120_000) {
      if (pattern.test(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(text)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern} in:\n${text}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => {
          if (!pattern.test(text)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`vigil up exited before ${pattern}:\n${text}`));
          }
        });
      });
    },
  };
}
