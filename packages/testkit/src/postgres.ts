import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { VigilError } from '@vigil/core';

/** A running throw-away PostgreSQL server. */
export interface StartedPostgres {
  /** `postgresql://vigil@127.0.0.1:<port>/vigil` (trust auth on loopback; no password). */
  readonly url: string;
  readonly port: number;
  /** Creates another empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes its data directory. Idempotent. */
  stop(): Promise<void>;
}

/** Something with `after` (a `node:test` TestContext): the server is stopped there. */
export interface AfterHook {
  after(fn: () => void | Promise<void>): void;
}

const PG_USER = 'postgres';

/** Finds `initdb`/`postgres` under `VIGIL_PG_BIN` or `/usr/lib/postgresql/<newest>/bin`. */
export function findPostgresBin(): string {
  const fromEnv = process.env['VIGIL_PG_BIN'];
  if (fromEnv !== undefined && existsSync(join(fromEnv, 'postgres'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new VigilError(
      'VIGIL_TESTKIT_POSTGRES_MISSING',
      'PostgreSQL server binaries not found (looked in $VIGIL_PG_BIN and /usr/lib/postgresql/*/bin). Install the Debian package postgresql (scripts/setup.sh does).',
    );
  }
  return join(root, newest, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Runs `cmd` as the postgres OS user when we are root (PostgreSQL refuses to run as root). */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', PG_USER, '--', cmd, ...args]] : [cmd, args];
}

/**
 * Starts a private PostgreSQL server for one test: `initdb` into a temp dir (owned by the
 * `postgres` user when running as root), `postgres` on 127.0.0.1 with a free port and its
 * unix socket in the temp dir, waits until it accepts connections (bounded), creates the
 * `vigil` role and database, and stops and removes everything in `t.after`.
 *
 * Throws `VIGIL_TESTKIT_POSTGRES_MISSING` when the binaries are not installed and
 * `VIGIL_TESTKIT_POSTGRES_START` when the server does not come up — the test fails, it
 * never skips.
 */
export async function startPostgres(t?: AfterHook): Promise<StartedPostgres> {
  const bin = findPostgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-'));
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  const root = process.getuid?.() === 0;
  // Holder rather than a `let`: `stop` (registered before the spawn) must see the child.
  const proc: { child?: ChildProcess } = {};
  let stopped = false;
  const log: string[] = [];

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const child = proc.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  t?.after(stop);

  try {
    mkdirSync(sock);
    if (root) {
      const uid = Number(execFileSync('id', ['-u', PG_USER]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', PG_USER]).toString().trim());
      chownSync(dir, uid, gid);
      chownSync(sock, uid, gid);
    }
    chmodSync(dir, 0o700);
    const [initCmd, initArgs] = asPostgres(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'vigil',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    execFileSync(initCmd, initArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (cause) {
    await stop();
    throw new VigilError(
      'VIGIL_TESTKIT_POSTGRES_START',
      `initdb failed: ${String((cause as { stderr?: Buffer }).stderr ?? cause)}`,
      { cause },
    );
  }

  const port = await freePort();
  const [cmd, args] = asPostgres(join(bin, 'postgres'), [
    '-D',
    data,
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-k',
    sock,
    '-c',
    'fsync=on',
    '-c',
    'max_connections=200',
    '-c',
    'shared_buffers=32MB',
  ]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.child = child;
  child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  const exitedEarly = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(
        new VigilError(
          'VIGIL_TESTKIT_POSTGRES_START',
          `postgres exited during start-up (code ${code}, signal ${signal}): ${log.join('').slice(-2000)}`,
        ),
      ),
    ),
  );
  exitedEarly.catch(() => undefined);

  const adminUrl = `postgresql://vigil@127.0.0.1:${port}/postgres`;
  // Wait for readiness: bounded connect attempts, each awaiting the previous one (no fixed sleeps
  // beyond a short back-off between refused connections).
  let ready = false;
  let lastError: unknown;
  for (let attempt = 0; attempt < 200 && !ready; attempt++) {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
    try {
      await Promise.race([client.connect(), exitedEarly]);
      await client.query('SELECT 1');
      ready = true;
    } catch (error) {
      lastError = error;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  if (!ready) {
    await stop();
    throw new VigilError(
      'VIGIL_TESTKIT_POSTGRES_START',
      `PostgreSQL did not accept connections on 127.0.0.1:${port}: ${String(lastError)}; log: ${log.join('').slice(-2000)}`,
    );
  }

  const createDatabase = async (name: string): Promise<string> => {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
      throw new VigilError('VIGIL_TESTKIT_POSTGRES_NAME', `bad database name ${name}`);
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return `postgresql://vigil@127.0.0.1:${port}/${name}`;
  };
  const url = await createDatabase('vigil');
  return { url, port, createDatabase, stop };
}
