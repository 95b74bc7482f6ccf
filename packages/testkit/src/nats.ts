/**
 * Starts a real `nats-server` with JetStream on loopback for a test: a free port (chosen
 * by the server, `-p -1`), a temporary store directory, resolved once the server logs
 * that it is ready; stopped and cleaned up in `t.after` when a test context is given.
 * A missing binary is an error naming what to install, never a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** JetStream store directory. */
  readonly storeDir: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes the store. Idempotent. */
  stop(): Promise<void>;
}

export interface StartNatsOptions {
  /** Binary; default env `VIGIL_NATS_BIN` or `nats-server` on PATH. */
  readonly bin?: string;
  /** Extra command-line arguments. */
  readonly args?: readonly string[];
  /** Give up waiting for readiness after this long. Default 20 s. */
  readonly readyTimeoutMs?: number;
}

/** Something with `after(fn)`, such as node:test's TestContext. */
interface AfterHook {
  after(fn: () => Promise<void> | void): void;
}

export async function startNats(
  t?: AfterHook,
  options: StartNatsOptions = {},
): Promise<NatsServer> {
  const bin = options.bin ?? process.env['VIGIL_NATS_BIN'] ?? 'nats-server';
  if (bin.includes('/') && !existsSync(bin))
    throw new Error(
      `startNats: ${bin} does not exist (install the Debian package nats-server or set VIGIL_NATS_BIN)`,
    );
  const storeDir = mkdtempSync(join(tmpdir(), 'vigil-nats-'));
  const child = spawn(
    bin,
    ['-js', '-a', '127.0.0.1', '-p', '-1', '-sd', storeDir, ...(options.args ?? [])],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= terminate(child).finally(() => rmSync(storeDir, { recursive: true, force: true }));
    return stopped;
  };
  t?.after(stop);
  try {
    const port = await waitReady(child, options.readyTimeoutMs ?? 20_000);
    return { url: `nats://127.0.0.1:${port}`, port, storeDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function waitReady(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let port: number | undefined;
    const log: string[] = [];
    const timer = setTimeout(
      () =>
        fail(
          new Error(`startNats: nats-server not ready after ${timeoutMs} ms:\n${log.join('\n')}`),
        ),
      timeoutMs,
    );
    const lines = createInterface({ input: child.stderr as NodeJS.ReadableStream });
    function fail(error: Error): void {
      clearTimeout(timer);
      lines.close();
      reject(error);
    }
    child.once('error', (err: NodeJS.ErrnoException) =>
      fail(
        new Error(
          err.code === 'ENOENT'
            ? 'startNats: nats-server is not installed (Debian package nats-server; scripts/setup.sh installs it) or set VIGIL_NATS_BIN'
            : `startNats: cannot start nats-server: ${err.message}`,
        ),
      ),
    );
    child.once('exit', (code) =>
      fail(new Error(`startNats: nats-server exited with ${code}:\n${log.join('\n')}`)),
    );
    lines.on('line', (l) => {
      if (log.length < 200) log.push(l);
      const m = /Listening for client connections on [^:\s]+:(\d+)/.exec(l);
      if (m) port = Number(m[1]);
      if (/Server is ready/.test(l) && port !== undefined) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        // Keep draining stderr so the server never blocks on a full pipe.
        resolve(port);
      }
    });
  });
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
