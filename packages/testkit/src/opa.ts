import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

/** A running `opa run --server` on loopback. */
export interface OpaServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  close(): Promise<void>;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The opa binary: env `VIGIL_OPA_BIN`, else `<repo>/.tools/bin/opa`. Throws a clear error if missing. */
export function opaBinary(): string {
  const bin = process.env['VIGIL_OPA_BIN'] || join(REPO_ROOT, '.tools', 'bin', 'opa');
  if (!existsSync(bin)) {
    throw new Error(
      `startOpaServer: opa not found at ${bin}; run scripts/setup.sh (or set VIGIL_OPA_BIN)`,
    );
  }
  return bin;
}

function healthy(url: string): Promise<boolean> {
  return new Promise((resolveHealth) => {
    const req = get(`${url}/health`, (res) => {
      res.resume();
      resolveHealth(res.statusCode === 200);
    });
    req.on('error', () => resolveHealth(false));
    req.setTimeout(1000, () => req.destroy());
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((done) => child.once('exit', () => done()));
}

/**
 * Starts a real OPA server (`opa run --server`) on 127.0.0.1 with an empty store, for
 * tests and benchmarks, and resolves once `GET /health` answers 200. Fails (never
 * skips) when opa is missing or does not come up within `startTimeoutMs`; the error
 * carries the server's stderr. With `t` (a node:test context), stops it in `t.after`.
 */
export async function startOpaServer(
  t?: { after(fn: () => void | Promise<void>): void },
  options: { startTimeoutMs?: number; args?: readonly string[] } = {},
): Promise<OpaServer> {
  const bin = opaBinary();
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      bin,
      [
        'run',
        '--server',
        '--addr',
        `127.0.0.1:${port}`,
        '--log-level',
        'error',
        '--skip-version-check',
        ...(options.args ?? []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 16_384) stderr += chunk;
    });
    const spawnError = new Promise<Error>((done) => child.once('error', done));
    let up = false;
    // Poll /health until the listener answers, the process dies or the deadline passes.
    while (!up && child.exitCode === null && Date.now() < deadline) {
      up = await Promise.race([healthy(url), spawnError.then(() => false)]);
      if (!up) await new Promise((r) => setTimeout(r, 25));
    }
    if (up) {
      const server: OpaServer = {
        url,
        port,
        pid: child.pid as number,
        async close() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.kill('SIGTERM');
          await exited(child);
          clearTimeout(kill);
        },
      };
      t?.after(() => server.close());
      return server;
    }
    child.kill('SIGKILL');
    await exited(child);
    // Another process may have taken the port between probing and binding: retry.
    if (/address already in use/i.test(stderr) && attempt < 5 && Date.now() < deadline) continue;
    throw new Error(
      `startOpaServer: opa did not become healthy at ${url}: ${stderr.trim() || 'no output'}`,
    );
  }
}
