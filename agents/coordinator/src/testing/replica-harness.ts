/**
 * Starts coordinator replicas as OS processes (replica-child.ts) on one PostgreSQL and
 * talks to them: findings and decisions in, their JSON events out. Used by the scale-out
 * tests and bench/scale-out; `kill()` is a real `kill -9`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { PostgresExecutionStore } from '@vigil/remediator';
import type { Finding } from '@vigil/soc';
import { createPostgresLeases } from '../incident-leases.js';
import type { Decision } from '../ports.js';
import { PostgresIncidentStore } from '../postgres-incident-store.js';

export { minerFinding } from './recording-ports.js';

export interface ReplicaOptions {
  readonly url: string;
  readonly owner: string;
  readonly leaseTtlMs: number;
  readonly adoptEveryMs: number;
  /** The review table: action type → decision. */
  readonly decisions: Partial<Record<string, Decision>>;
  /** Stop for ever right after the first action ran, before its checkpoint (to be killed there). */
  readonly holdAfterExecute?: boolean;
  readonly concurrency?: number;
  /** Storm rollup on (the default) or off: off, every finding about a new pod opens an incident. */
  readonly rollup?: boolean;
}

/** One line a replica wrote. */
export interface ReplicaEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

export interface Replica {
  readonly owner: string;
  readonly pid: number;
  readonly events: ReplicaEvent[];
  /** Resolves with the first event (past or future) that `match` accepts. */
  next(match: (e: ReplicaEvent) => boolean): Promise<ReplicaEvent>;
  sendFinding(finding: Finding): void;
  decide(approvalId: string, decision: 'approve' | 'reject'): void;
  /** Resolves once the replica has no graph run in flight or queued (its `idle()`). */
  idle(): Promise<void>;
  /** `kill -9`; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Peak resident set (VmHWM, bytes) of the process so far, from /proc. */
  peakRss(): Promise<number | undefined>;
}

const CHILD = fileURLToPath(new URL('./replica-child.ts', import.meta.url));

/** Creates the schemas once, before replicas start (as a migration job would). */
export async function prepareDatabase(url: string): Promise<void> {
  const saver = PostgresSaver.fromConnString(url);
  await saver.setup();
  await saver.end();
  const store = await PostgresIncidentStore.open(url);
  await store.pool.query(
    'CREATE TABLE IF NOT EXISTS side_effects (key TEXT NOT NULL, owner TEXT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now())',
  );
  await (await createPostgresLeases({ pool: store.pool, owner: 'migrate', ttlMs: 1000 })).close();
  await store.close();
  await (await PostgresExecutionStore.open(url)).close();
}

/** Spawns a replica and resolves once it is ready; it is killed in `t.after` when given. */
export async function startReplica(
  options: ReplicaOptions,
  t?: { after(fn: () => Promise<void> | void): void },
): Promise<Replica> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, JSON.stringify(options)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const events: ReplicaEvent[] = [];
  const waiters: { match: (e: ReplicaEvent) => boolean; resolve: (e: ReplicaEvent) => void }[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let event: ReplicaEvent;
    try {
      event = JSON.parse(line) as ReplicaEvent;
    } catch {
      return; // not ours (a library printing)
    }
    events.push(event);
    for (const w of [...waiters])
      if (w.match(event)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(event);
      }
  });
  /** Waits for an event; an `error` event (a failed finding or decision) fails the wait with it. */
  const next = (match: (e: ReplicaEvent) => boolean): Promise<ReplicaEvent> => {
    const failed = (e: ReplicaEvent) => e.event === 'error';
    const seen = events.find((e) => match(e) || failed(e));
    const settle = (e: ReplicaEvent): ReplicaEvent => {
      if (!match(e)) throw new Error(`replica ${options.owner}: ${String(e['error'])}`);
      return e;
    };
    if (seen) return Promise.resolve(seen).then(settle);
    return new Promise<ReplicaEvent>((resolve, reject) => {
      waiters.push({ match: (e) => match(e) || failed(e), resolve });
      void exited.then(() =>
        reject(new Error(`replica ${options.owner} exited; events: ${JSON.stringify(events)}`)),
      );
    }).then(settle);
  };
  let idles = 0;
  const send = (message: unknown) => child.stdin!.write(`${JSON.stringify(message)}\n`);
  const replica: Replica = {
    owner: options.owner,
    pid: child.pid!,
    events,
    next,
    sendFinding: (finding) => send({ finding }),
    decide: (approvalId, decision) => send({ decide: approvalId, decision }),
    async idle() {
      const marker = `idle-${++idles}`;
      send({ idle: marker });
      await next((e) => e.event === 'idle' && e['marker'] === marker);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async peakRss() {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
        return kb === undefined ? undefined : Number(kb) * 1024;
      } catch {
        return undefined;
      }
    },
  };
  t?.after(() => replica.kill());
  await next((e) => e.event === 'ready');
  return replica;
}
