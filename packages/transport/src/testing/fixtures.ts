import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@vigil/core';
import { ensureIdentities, loadAgentCredentials, type AgentCredentials } from '@vigil/pki';
import type { TransportAgentSpec, TransportSystem } from '../system.js';

/** A small AgentSystem for transport tests (the registry's shape, only the fields read here). */
export function testSystem(
  agents: Record<string, { calls?: string[]; skills?: string[]; a2a?: TransportAgentSpec['a2a'] }>,
  trustDomain = 'test.vigil.local',
): TransportSystem {
  return {
    trustDomain,
    agents: Object.entries(agents).map(
      ([name, spec]): TransportAgentSpec => ({
        name,
        description: `${name} test agent`,
        calls: spec.calls ?? [],
        skills: (spec.skills ?? []).map((id) => ({
          id,
          name: id,
          description: `${id} skill`,
          tags: ['test'],
        })),
        ...(spec.a2a ? { a2a: spec.a2a } : {}),
      }),
    ),
  };
}

/** A temp state dir with a CA and the identities of every agent of `system`. */
export async function testIdentities(system: TransportSystem): Promise<{
  stateDir: string;
  credentials(name: string): Promise<AgentCredentials>;
  cleanup(): void;
}> {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-transport-'));
  await ensureIdentities(stateDir, system);
  return {
    stateDir,
    credentials: (name) => loadAgentCredentials(stateDir, name),
    cleanup: () => rmSync(stateDir, { recursive: true, force: true }),
  };
}

/** A logger whose JSON lines are kept in memory, with a way to wait for one. */
export interface CapturedLogger {
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
  /** Resolves with the first line (already written or future) matching `predicate`. */
  waitFor(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

export function captureLogger(name = 'test'): CapturedLogger {
  const lines: Record<string, unknown>[] = [];
  const waiters: {
    predicate: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];
  let buffer = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      buffer += chunk.toString('utf8');
      let index;
      while ((index = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, index)) as Record<string, unknown>;
        buffer = buffer.slice(index + 1);
        lines.push(line);
        for (const waiter of [...waiters]) {
          if (waiter.predicate(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
      callback();
    },
  });
  const logger = createLogger(name, { level: 'debug', destination });
  return {
    logger,
    lines,
    waitFor(predicate) {
      const found = lines.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}

/** A free loopback port with nothing listening (a "dead peer"). */
export async function deadPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
