import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, type Logger } from '@vigil/core';
import { ensureIdentities, inspectCertificate, issueAgentCertificate } from '@vigil/pki';
import { spiffeIdOf, type AgentSpec, type AgentSystem } from '@vigil/registry';
import {
  AGENT_ENTRY_SCRIPT,
  isIpcMessage,
  type CertificateSummary,
  type InvokeResult,
  type SupervisorToAgentMessage,
} from '@vigil/runtime';
import { SUPERVISOR_ERROR_CODES, SupervisorError } from './errors.js';
import { decideExit, type ExitDecision } from './exit-decision.js';
import type { MemoryOptions, MemoryPlan } from './launch.js';
import { createProcessLauncher, type AgentLauncher, type LaunchedAgent } from './launcher.js';
import {
  openLifecycleAudit,
  type LifecycleAudit,
  type LifecycleEventName,
  type LifecycleRecord,
} from './lifecycle-audit.js';
import { probe } from './probe.js';
import { startGates, startWaves } from './start-order.js';
import {
  endpointsPath,
  statusPath,
  writeJsonAtomic,
  type ReplicaState,
  type ReplicaStatus,
  type SupervisorState,
  type SupervisorStatus,
} from './status.js';

/** Health probing. Defaults suit production; tests shorten them. */
export interface ProbeOptions {
  /** Period of liveness/readiness probes of a running replica, ms. Default 1000. */
  readonly intervalMs?: number;
  /** Deadline of one probe, ms. Default 1000. */
  readonly timeoutMs?: number;
  /** Consecutive failed liveness probes before the replica is killed. Default 3. */
  readonly failureThreshold?: number;
  /** A replica not ready this long after spawn is killed (and restarted per policy), ms. Default 60 000. */
  readonly startTimeoutMs?: number;
  /** Readiness poll period while a replica starts, ms. Default 100. */
  readonly readyPollMs?: number;
}

/** Options of {@link createSupervisor}. */
export interface SupervisorOptions {
  readonly system: AgentSystem;
  /** Absolute path of the declaration; every agent process loads it. */
  readonly configPath: string;
  /** Absolute state directory. */
  readonly stateDir: string;
  readonly logger?: Logger;
  /**
   * How agents run: OS processes (default, from `entryScript`, `nodeArgs`, `compiled`) or
   * containers (`createPodmanLauncher`). Restart, probing, drain and status are the same.
   */
  readonly launcher?: AgentLauncher;
  /** Agent entry script; default `@vigil/runtime`'s. */
  readonly entryScript?: string;
  /** Extra Node flags for every agent process. */
  readonly nodeArgs?: readonly string[];
  /**
   * Run agents from the compiled JavaScript (`scripts/build-dist.mjs`, selected with
   * `--conditions=vigil-dist`) instead of compiling TypeScript at start-up with tsx:
   * about 35 MiB less resident memory per agent. `entryScript` must then be compiled too.
   */
  readonly compiled?: boolean;
  /** Extra environment for every agent process (merged over the supervisor's). */
  readonly env?: Readonly<Record<string, string>>;
  readonly probes?: ProbeOptions;
  readonly memory?: MemoryOptions & {
    /**
     * What to do when a replica's resident set exceeds `resources.memory`: `kill` it (like
     * a container OOM kill; restarted per policy), `warn` (event + status, default), or
     * `off`. The default warns because an idle agent running TypeScript through tsx
     * already holds ~130 MiB resident (see docs/runtime.md), above small declared limits;
     * the V8 heap limit and RLIMIT_DATA are enforced either way.
     */
    readonly rssWatchdog?: 'kill' | 'warn' | 'off';
  };
  /** Per shutdown wave: time between SIGTERM and SIGKILL, ms. Default 15 000. */
  readonly shutdownTimeoutMs?: number;
  /** Drain deadline given to agents (`VIGIL_DRAIN_TIMEOUT_MS`), ms. Default 10 000. */
  readonly drainTimeoutMs?: number;
  /** Certificate renewal check period, ms (`ensureIdentities` then IPC reload). Default 5 min. */
  readonly rotationCheckIntervalMs?: number;
  /** Leaf validity and renewal point given to `@vigil/pki` (defaults: 24 h, renew after 2/3). */
  readonly identities?: { readonly validityHours?: number; readonly renewAfterFraction?: number };
  /** A replica ready this long has its back-off reset, ms. Default 60 000. */
  readonly stableAfterMs?: number;
}

/** What the supervisor reports, on its `event` event. */
export type SupervisorEvent =
  | { readonly type: 'supervisor'; readonly state: SupervisorState }
  | {
      readonly type: 'spawned';
      readonly agent: string;
      readonly replica: number;
      readonly pid: number;
      readonly url: string;
      readonly spiffeId: string;
      readonly memory: MemoryPlan;
    }
  | {
      readonly type: 'state';
      readonly agent: string;
      readonly replica: number;
      readonly pid: number | null;
      readonly from: ReplicaState;
      readonly to: ReplicaState;
      readonly reason?: string;
    }
  | {
      readonly type: 'exited';
      readonly agent: string;
      readonly replica: number;
      readonly pid: number;
      readonly code: number | null;
      readonly signal: string | null;
      readonly error: { readonly code: string; readonly message: string } | null;
    }
  | {
      readonly type: 'restart-scheduled';
      readonly agent: string;
      readonly replica: number;
      readonly delayMs: number;
      readonly restarts: number;
    }
  | {
      readonly type: 'credentials-reloaded';
      readonly agent: string;
      readonly replica: number;
      readonly pid: number;
      readonly certificate: CertificateSummary;
    }
  | {
      readonly type: 'memory-over-limit';
      readonly agent: string;
      readonly replica: number;
      readonly pid: number;
      readonly rssBytes: number;
      readonly limitBytes: number;
      readonly action: 'kill' | 'warn';
    }
  | { readonly type: 'error'; readonly message: string; readonly code: string };

interface Replica {
  readonly spec: AgentSpec;
  readonly index: number;
  readonly port: number;
  readonly healthPort: number;
  readonly url: string;
  readonly healthUrl: string;
  readonly memory: MemoryPlan;
  state: ReplicaState;
  child: ChildProcess | undefined;
  /** The current life as the launcher runs it (process or container). */
  launched: LaunchedAgent | undefined;
  pid: number | null;
  restarts: number;
  /** Back-off attempt and the restarts inside the crash-loop window (see decideExit). */
  attempt: number;
  restartTimes: readonly number[];
  startedAt: number | null;
  readyAt: number | null;
  lastExit: ReplicaStatus['lastExit'];
  lastError: ReplicaStatus['lastError'];
  nextRestartAt: number | null;
  /** Memory in use at the last probe: the resident set of a process, the cgroup usage of a container. */
  memoryInUse: number | null;
  certificate: CertificateSummary | null;
  livenessFailures: number;
  /** The resident set is above the limit (warn once per crossing). */
  overMemory: boolean;
  /** Why the supervisor killed the current process (liveness, memory, start timeout). */
  killReason: { code: string; message: string } | undefined;
  /** What the process itself reported before dying (IPC `fatal`). */
  fatal: { code: string; message: string } | undefined;
  probeTimer: NodeJS.Timeout | undefined;
  restartTimer: NodeJS.Timeout | undefined;
  probing: boolean;
  exited: Promise<void>;
}

const DEFAULT_PROBES: Required<ProbeOptions> = {
  intervalMs: 1_000,
  timeoutMs: 1_000,
  failureThreshold: 3,
  startTimeoutMs: 60_000,
  readyPollMs: 100,
};

/**
 * The local supervisor behind `vigil up`: one OS process per agent replica, started
 * callees-first and gated on readiness, probed for liveness, restarted per the agent's
 * restart policy with exponential back-off and jitter, marked `failed` on a crash loop,
 * stopped gracefully (callers first). Every change is written atomically to
 * `<stateDir>/run/status.json` and emitted as an `event`.
 */
export class Supervisor extends EventEmitter<{ event: [SupervisorEvent] }> {
  readonly #opts: SupervisorOptions;
  readonly #system: AgentSystem;
  readonly #stateDir: string;
  readonly #logger: Logger;
  readonly #probes: Required<ProbeOptions>;
  readonly #replicas = new Map<string, Replica[]>();
  readonly #pending = new Map<
    string,
    { resolve: (m: Record<string, unknown>) => void; replica: Replica; answerType: string }
  >();
  #state: SupervisorState = 'starting';
  #startedAt = Date.now();
  #rotationTimer: NodeJS.Timeout | undefined;
  #agentCertificates = new Map<string, CertificateSummary | null>();
  #roundRobin = 0;
  #begun = false;
  #lifecycle: LifecycleAudit | undefined;
  readonly #launcher: AgentLauncher;

  constructor(opts: SupervisorOptions) {
    super();
    this.#opts = opts;
    this.#launcher =
      opts.launcher ??
      createProcessLauncher({
        entryScript: opts.entryScript ?? AGENT_ENTRY_SCRIPT,
        ...(opts.nodeArgs === undefined ? {} : { nodeArgs: opts.nodeArgs }),
        compiled: opts.compiled === true,
      });
    this.#system = opts.system;
    this.#stateDir = opts.stateDir;
    this.#logger = opts.logger ?? createLogger('supervisor');
    this.#probes = { ...DEFAULT_PROBES, ...(opts.probes ?? {}) };
  }

  /** The supervisor's state. */
  get state(): SupervisorState {
    return this.#state;
  }

  /**
   * Issues missing or expiring certificates, allocates ports, writes `endpoints.json`,
   * then starts every agent once its callees are ready (or failed). Resolves when every
   * agent is ready or failed: a failing agent never blocks the others.
   *
   * @throws SupervisorError `VIGIL_SUPERVISOR_STATE` when called twice; errors of
   *   `ensureIdentities` and port allocation.
   */
  async start(): Promise<SupervisorStatus> {
    if (this.#begun)
      throw new SupervisorError(SUPERVISOR_ERROR_CODES.STATE, 'supervisor already started');
    this.#begun = true;
    this.#startedAt = Date.now();
    mkdirSync(join(this.#stateDir, 'run'), { recursive: true });
    mkdirSync(join(this.#stateDir, 'logs'), { recursive: true });
    this.#emit({ type: 'supervisor', state: 'starting' });

    await ensureIdentities(this.#stateDir, this.#system, { ...this.#opts.identities });
    this.#refreshAgentCertificates();
    // Lifecycle entries are the health signal of the audit trail; without the store the
    // supervisor does not run agents it could not account for.
    const lifecycle = await openLifecycleAudit({
      system: this.#system,
      stateDir: this.#stateDir,
      ...(this.#opts.identities === undefined ? {} : { identities: this.#opts.identities }),
    });
    // stop() may have run while the store opened: it found no chain to close, so close it here.
    if (this.#state !== 'starting') await lifecycle.close();
    else this.#lifecycle = lifecycle;

    const placements = await this.#launcher.place(this.#system);
    for (const spec of this.#system.agents) {
      const memory = this.#launcher.planMemory(spec, this.#opts.memory);
      const list: Replica[] = [];
      for (let index = 0; index < spec.replicas; index += 1) {
        const placement = placements.get(spec.name)?.[index];
        if (placement === undefined)
          throw new SupervisorError(
            SUPERVISOR_ERROR_CODES.STATE,
            `the ${this.#launcher.kind} launcher placed no ${spec.name}[${index}]`,
          );
        list.push({
          spec,
          index,
          port: placement.port,
          healthPort: placement.healthPort,
          url: placement.url,
          healthUrl: placement.healthUrl,
          memory,
          state: 'stopped',
          child: undefined,
          launched: undefined,
          pid: null,
          restarts: 0,
          attempt: 0,
          restartTimes: [],
          startedAt: null,
          readyAt: null,
          lastExit: null,
          lastError: null,
          nextRestartAt: null,
          memoryInUse: null,
          certificate: null,
          livenessFailures: 0,
          overMemory: false,
          killReason: undefined,
          fatal: undefined,
          probeTimer: undefined,
          restartTimer: undefined,
          probing: false,
          exited: Promise.resolve(),
        });
      }
      this.#replicas.set(spec.name, list);
    }
    // Peers resolve each other through this file; it exists before any agent starts.
    writeJsonAtomic(
      endpointsPath(this.#stateDir),
      Object.fromEntries([...this.#replicas].map(([name, list]) => [name, list.map((r) => r.url)])),
    );
    this.#writeStatus();

    const gates = startGates(this.#system);
    const settled = new Map<string, Promise<void>>();
    const settle = (name: string): Promise<void> => {
      let p = settled.get(name);
      if (p === undefined) {
        p = (async () => {
          await Promise.all((gates.get(name) ?? []).map(settle));
          if (this.#state !== 'starting') return;
          for (const r of this.#replicas.get(name) ?? []) this.#spawn(r);
          await this.#waitAgentSettled(name);
        })();
        settled.set(name, p);
      }
      return p;
    };
    await Promise.all(this.#system.agents.map((a) => settle(a.name)));
    if (this.#state === 'starting') {
      this.#state = 'running';
      this.#emit({ type: 'supervisor', state: 'running' });
      this.#scheduleRotation();
    }
    this.#writeStatus();
    return this.status();
  }

  /**
   * Stops every agent: callers before callees, SIGTERM, then SIGKILL after
   * `shutdownTimeoutMs`. Pending restarts are cancelled. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') {
      await this.#stopped;
      return;
    }
    this.#state = 'stopping';
    this.#emit({ type: 'supervisor', state: 'stopping' });
    this.#stopped = (async () => {
      clearTimeout(this.#rotationTimer);
      for (const list of this.#replicas.values()) {
        for (const r of list) {
          if (r.restartTimer !== undefined) {
            clearTimeout(r.restartTimer);
            r.restartTimer = undefined;
            r.nextRestartAt = null;
            this.#setState(r, 'stopped', 'supervisor stopping');
          }
        }
      }
      const timeoutMs = this.#opts.shutdownTimeoutMs ?? 15_000;
      for (const wave of startWaves(this.#system).reverse()) {
        await Promise.all(
          wave.flatMap((name) =>
            (this.#replicas.get(name) ?? []).map(async (r) => {
              const child = r.child;
              const launched = r.launched;
              if (child === undefined || launched === undefined) return;
              await this.#audit(r, 'stopping', 'the supervisor is stopping: SIGTERM, drain');
              if (r.child !== child) return;
              launched.terminate();
              let timer: NodeJS.Timeout | undefined;
              const killed = new Promise<void>((resolve) => {
                timer = setTimeout(() => {
                  this.#logger.warn(
                    { agent: name, replica: r.index, pid: r.pid },
                    'drain deadline passed: SIGKILL',
                  );
                  r.killReason = {
                    code: SUPERVISOR_ERROR_CODES.EXITED,
                    message: `did not stop within ${timeoutMs} ms of SIGTERM; killed`,
                  };
                  void this.#audit(r, 'killing', r.killReason.message, {
                    code: r.killReason.code,
                  }).then(() => {
                    launched.kill();
                    resolve();
                  });
                }, timeoutMs);
              });
              await Promise.race([r.exited, killed]);
              await r.exited;
              clearTimeout(timer);
            }),
          ),
        );
      }
      await this.#launcher.close().catch((error: unknown) =>
        this.#emit({
          type: 'error',
          code: SUPERVISOR_ERROR_CODES.CONTAINER_RUNTIME,
          message: `releasing the ${this.#launcher.kind} runtime failed: ${(error as Error).message}`,
        }),
      );
      // Every exit above queued its entry; close() commits them and signs the chain head.
      await this.#lifecycle
        ?.close()
        .catch((error: unknown) => this.#auditFailed(error, 'closing the lifecycle audit chain'));
      this.#state = 'stopped';
      this.#emit({ type: 'supervisor', state: 'stopped' });
      this.#writeStatus();
    })();
    await this.#stopped;
  }

  #stopped: Promise<void> = Promise.resolve();

  /** A snapshot of the status (the same object that is written to `status.json`). */
  status(): SupervisorStatus {
    const iso = (t: number | null): string | null =>
      t === null ? null : new Date(t).toISOString();
    return {
      version: 1,
      system: this.#system.metadata.name,
      runtime: this.#launcher.kind,
      configPath: this.#opts.configPath,
      supervisor: {
        pid: process.pid,
        state: this.#state,
        startedAt: new Date(this.#startedAt).toISOString(),
      },
      updatedAt: new Date().toISOString(),
      agents: this.#system.agents.map((spec) => ({
        name: spec.name,
        spiffeId: spiffeIdOf(this.#system, spec.name),
        memoryBytes: spec.resources.memoryBytes,
        certificate: this.#agentCertificates.get(spec.name) ?? null,
        replicas: (this.#replicas.get(spec.name) ?? []).map((r) => ({
          replica: r.index,
          pid: r.pid,
          state: r.state,
          url: r.url,
          port: r.port,
          healthPort: r.healthPort,
          restarts: r.restarts,
          startedAt: iso(r.startedAt),
          readyAt: iso(r.readyAt),
          lastExit: r.lastExit,
          lastError: r.lastError,
          nextRestartAt: iso(r.nextRestartAt),
          rssBytes: this.#launcher.kind === 'process' ? r.memoryInUse : null,
          containerId: r.launched?.containerId() ?? null,
          cgroupMemoryBytes: this.#launcher.kind === 'process' ? null : r.memoryInUse,
          certificate: r.certificate,
        })),
      })),
    };
  }

  /**
   * Renews certificates and hot-reloads them into the running replicas over IPC
   * (`reload-credentials`): no process restarts. With `force`, those agents get a new
   * certificate now; otherwise `ensureIdentities` renews only what is due. Resolves
   * with the replicas that now serve a new certificate.
   */
  async rotateCredentials(
    opts: { force?: readonly string[]; timeoutMs?: number } = {},
  ): Promise<{ agent: string; replica: number; pid: number; certificate: CertificateSummary }[]> {
    if (opts.force !== undefined && opts.force.length > 0) {
      for (const name of opts.force)
        await issueAgentCertificate(this.#stateDir, this.#system, name, {
          reason: 'forced',
          ...(this.#opts.identities?.validityHours === undefined
            ? {}
            : { validityHours: this.#opts.identities.validityHours }),
        });
    } else {
      await ensureIdentities(this.#stateDir, this.#system, { ...this.#opts.identities });
    }
    this.#refreshAgentCertificates();
    for (const spec of this.#system.agents) this.#launcher.credentialsChanged?.(spec.name);
    const reloaded: {
      agent: string;
      replica: number;
      pid: number;
      certificate: CertificateSummary;
    }[] = [];
    await Promise.all(
      [...this.#replicas].flatMap(([name, list]) =>
        list.map(async (r) => {
          const onDisk = this.#agentCertificates.get(name);
          if (r.child === undefined || r.pid === null || onDisk == null) return;
          // A starting replica reads the files itself (and its file watcher sees changes).
          if (r.state !== 'ready' && r.state !== 'unready') return;
          if (r.certificate?.fingerprintSha256 === onDisk.fingerprintSha256) return;
          const pid = r.pid;
          const answer: Record<string, unknown> = await this.#request(
            r,
            { type: 'reload-credentials' },
            'credentials-reloaded',
            opts.timeoutMs ?? 10_000,
          ).catch((error: unknown) => ({
            ok: false,
            code: (error as { code?: string }).code ?? SUPERVISOR_ERROR_CODES.IPC_TIMEOUT,
            message: (error as Error).message,
          }));
          if (answer['ok'] === true) {
            const certificate = answer['certificate'] as CertificateSummary;
            r.certificate = certificate;
            reloaded.push({ agent: name, replica: r.index, pid, certificate });
            this.#emit({
              type: 'credentials-reloaded',
              agent: name,
              replica: r.index,
              pid,
              certificate,
            });
          } else {
            this.#emit({
              type: 'error',
              code: String(answer['code']),
              message: `${name}[${r.index}]: credential reload failed: ${String(answer['message'])}`,
            });
          }
        }),
      ),
    );
    this.#writeStatus();
    return reloaded;
  }

  /**
   * Runs `skill` in one ready replica of `agent` (round-robin) over IPC, as the local
   * operator; the agent's own outgoing calls are real mTLS A2A calls. Used by demo drivers.
   *
   * @throws SupervisorError `VIGIL_SUPERVISOR_NOT_RUNNING` (no ready replica),
   *   `VIGIL_SUPERVISOR_IPC_TIMEOUT`; rejects with the skill's error code and message.
   */
  async invoke(
    agent: string,
    skill: string,
    input: unknown,
    opts: { deadlineMs?: number } = {},
  ): Promise<InvokeResult> {
    const ready = (this.#replicas.get(agent) ?? []).filter(
      (r) => r.state === 'ready' && r.child !== undefined,
    );
    const r = ready[this.#roundRobin++ % Math.max(1, ready.length)];
    if (r === undefined || r.pid === null) {
      throw new SupervisorError(
        SUPERVISOR_ERROR_CODES.NOT_RUNNING,
        `agent "${agent}" has no ready replica`,
      );
    }
    const pid = r.pid;
    const deadlineMs = opts.deadlineMs ?? 30_000;
    const id = randomUUID();
    const answer = await this.#request(
      r,
      { type: 'invoke', id, skill, input, deadlineMs },
      'invoke-result',
      deadlineMs + 5_000,
      id,
    );
    if (answer['ok'] !== true) {
      throw new SupervisorError(String(answer['code']), String(answer['message']), {
        details: { agent, skill, pid, traceId: answer['traceId'] },
      });
    }
    return {
      output: answer['output'],
      pid,
      traceId: String(answer['traceId']),
      durationMs: Number(answer['durationMs']),
    };
  }

  // ---------------------------------------------------------------- internals

  #emit(event: SupervisorEvent): void {
    this.emit('event', event);
  }

  /**
   * Appends an `agent-lifecycle` entry about `r`; resolves once it is durable, or once the
   * failure is reported. A failing store does not stop the supervisor from killing or
   * restarting a process: containment and availability come first, and the failure is
   * an `error` event (`VIGIL_SUPERVISOR_AUDIT`) and a log line.
   */
  #audit(
    r: Pick<Replica, 'spec' | 'index' | 'pid'>,
    event: LifecycleEventName,
    rationale: string,
    details?: LifecycleRecord['details'],
  ): Promise<void> {
    const lifecycle = this.#lifecycle;
    if (lifecycle === undefined) return Promise.resolve();
    return lifecycle
      .record({
        event,
        agent: r.spec.name,
        replica: r.index,
        pid: r.pid,
        rationale,
        ...(details === undefined ? {} : { details }),
      })
      .then(
        () => undefined,
        (error: unknown) =>
          this.#auditFailed(error, `recording ${event} of ${r.spec.name}[${r.index}]`),
      );
  }

  #auditFailed(error: unknown, what: string): void {
    const message = `${what} in the audit trail failed: ${(error as Error).message}`;
    this.#logger.error({ err: error, code: SUPERVISOR_ERROR_CODES.AUDIT }, message);
    this.#emit({ type: 'error', code: SUPERVISOR_ERROR_CODES.AUDIT, message });
  }

  #writeStatus(): void {
    try {
      writeJsonAtomic(statusPath(this.#stateDir), this.status());
    } catch (error) {
      this.#logger.error({ err: error }, 'cannot write status.json');
    }
  }

  #setState(r: Replica, to: ReplicaState, reason?: string): void {
    const from = r.state;
    if (from === to) return;
    r.state = to;
    this.#emit({
      type: 'state',
      agent: r.spec.name,
      replica: r.index,
      pid: r.pid,
      from,
      to,
      ...(reason === undefined ? {} : { reason }),
    });
    this.#writeStatus();
  }

  #refreshAgentCertificates(): void {
    for (const spec of this.#system.agents) {
      try {
        const pem = readFileSync(join(this.#stateDir, 'pki', 'agents', `${spec.name}.crt`), 'utf8');
        const info = inspectCertificate(pem);
        this.#agentCertificates.set(spec.name, {
          notAfter: new Date(info.notAfter).toISOString(),
          fingerprintSha256: info.fingerprintSha256,
        });
      } catch {
        this.#agentCertificates.set(spec.name, null);
      }
    }
  }

  #scheduleRotation(): void {
    const every = this.#opts.rotationCheckIntervalMs ?? 5 * 60_000;
    this.#rotationTimer = setTimeout(() => {
      Promise.all([this.rotateCredentials(), this.#lifecycle?.renewIdentityIfDue()])
        .catch((error: unknown) =>
          this.#emit({
            type: 'error',
            code: 'VIGIL_SUPERVISOR_ROTATION',
            message: `certificate renewal failed: ${(error as Error).message}`,
          }),
        )
        .finally(() => {
          if (this.#state === 'running') this.#scheduleRotation();
        });
    }, every);
    this.#rotationTimer.unref();
  }

  #waitAgentSettled(name: string): Promise<void> {
    const isSettled = (): boolean =>
      (this.#replicas.get(name) ?? []).every(
        (r) => r.state === 'ready' || r.state === 'failed' || r.state === 'stopped',
      ) || this.#state !== 'starting';
    if (isSettled()) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = (e: SupervisorEvent): void => {
        if ((e.type === 'state' || e.type === 'supervisor') && isSettled()) {
          this.off('event', listener);
          resolve();
        }
      };
      this.on('event', listener);
    });
  }

  #request(
    r: Replica,
    message: SupervisorToAgentMessage,
    answerType: string,
    timeoutMs: number,
    id?: string,
  ): Promise<Record<string, unknown>> {
    const child = r.child;
    if (child === undefined || !child.connected) {
      return Promise.reject(
        new SupervisorError(
          SUPERVISOR_ERROR_CODES.NOT_RUNNING,
          `${r.spec.name}[${r.index}] is not running`,
        ),
      );
    }
    const key = id ?? `${answerType}:${r.spec.name}:${r.index}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        reject(
          new SupervisorError(
            SUPERVISOR_ERROR_CODES.IPC_TIMEOUT,
            `${r.spec.name}[${r.index}] did not answer "${message.type}" within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(key, {
        replica: r,
        answerType,
        resolve: (m) => {
          clearTimeout(timer);
          this.#pending.delete(key);
          resolve(m);
        },
      });
      child.send(message, (error) => {
        if (error !== null) {
          clearTimeout(timer);
          this.#pending.delete(key);
          reject(
            new SupervisorError(
              SUPERVISOR_ERROR_CODES.NOT_RUNNING,
              `IPC to ${r.spec.name}[${r.index}] failed`,
              { cause: error },
            ),
          );
        }
      });
    });
  }

  #spawn(r: Replica): void {
    const name = r.spec.name;
    const logPath = join(this.#stateDir, 'logs', `${name}-${r.index}.log`);
    const env: Record<string, string> = {
      ...(this.#opts.env ?? {}),
      VIGIL_AGENT: name,
      VIGIL_CONFIG: this.#opts.configPath,
      VIGIL_STATE_DIR: this.#stateDir,
      VIGIL_PORT: String(r.port),
      VIGIL_HEALTH_PORT: String(r.healthPort),
      VIGIL_REPLICA: String(r.index),
      VIGIL_DRAIN_TIMEOUT_MS: String(this.#opts.drainTimeoutMs ?? 10_000),
    };
    const fd = openSync(logPath, 'a');
    let launched: LaunchedAgent;
    try {
      launched = this.#launcher.launch({
        spec: r.spec,
        replica: r.index,
        placement: {
          host: new URL(r.url).hostname,
          port: r.port,
          healthPort: r.healthPort,
          url: r.url,
          healthUrl: r.healthUrl,
        },
        memory: r.memory,
        env,
        logFd: fd,
      });
    } finally {
      closeSync(fd);
    }
    // The supervisor's own line in the agent's log: where each life begins.
    appendFileSync(
      logPath,
      `${JSON.stringify({ level: 30, time: new Date().toISOString(), name: 'supervisor', agent: name, replica: r.index, msg: 'spawning', runtime: this.#launcher.kind, command: launched.command, memory: r.memory })}\n`,
    );
    const child = launched.child;
    r.child = child;
    r.launched = launched;
    r.pid = child.pid ?? null;
    r.startedAt = Date.now();
    r.readyAt = null;
    r.livenessFailures = 0;
    r.overMemory = false;
    r.killReason = undefined;
    r.fatal = undefined;
    r.memoryInUse = null;
    r.certificate = null;
    let resolveExited!: () => void;
    r.exited = new Promise((resolve) => (resolveExited = resolve));
    let exitedOnce = false;
    const onExit = (
      code: number | null,
      signal: NodeJS.Signals | null,
      spawnError?: Error,
    ): void => {
      if (exitedOnce) return;
      exitedOnce = true;
      this.#onExit(r, child, code, signal, spawnError);
      resolveExited();
    };
    child.on('error', (error) => {
      // Spawn failure (no exit event follows when the process never started).
      if (child.pid === undefined) onExit(null, null, error);
      else this.#logger.warn({ err: error, agent: name }, 'child process error');
    });
    child.on('exit', (code, signal) => {
      const seen = launched.describeExit(code, signal);
      onExit(seen.code, seen.signal);
    });
    child.on('message', (message: unknown) => this.#onMessage(r, message));
    if (r.pid !== null) {
      this.#emit({
        type: 'spawned',
        agent: name,
        replica: r.index,
        pid: r.pid,
        url: r.url,
        spiffeId: spiffeIdOf(this.#system, name),
        memory: r.memory,
      });
      void this.#audit(
        r,
        'started',
        r.restarts === 0 ? 'declared agent replica' : `restart ${r.restarts} per restart policy`,
        { restarts: r.restarts, heapLimitMiB: r.memory.heapMiB },
      );
    }
    this.#setState(r, 'starting');
    this.#writeStatus();
    this.#scheduleProbe(r, this.#probes.readyPollMs);
  }

  #onMessage(r: Replica, message: unknown): void {
    if (!isIpcMessage(message)) return;
    switch (message.type) {
      case 'ready':
        r.certificate = (message['certificate'] as CertificateSummary | undefined) ?? null;
        // Confirm through /readyz now rather than at the next poll.
        this.#scheduleProbe(r, 0);
        break;
      case 'fatal':
        r.fatal = { code: String(message['code']), message: String(message['message']) };
        break;
      case 'draining':
        if (r.state === 'ready') this.#setState(r, 'unready', 'draining');
        break;
      case 'credentials-reloaded':
        this.#pending.get(`credentials-reloaded:${r.spec.name}:${r.index}`)?.resolve(message);
        break;
      case 'invoke-result':
        this.#pending.get(String(message['id']))?.resolve(message);
        break;
      default:
        break;
    }
  }

  #scheduleProbe(r: Replica, delayMs: number): void {
    clearTimeout(r.probeTimer);
    r.probeTimer = setTimeout(() => void this.#probe(r), delayMs);
  }

  async #probe(r: Replica): Promise<void> {
    const child = r.child;
    if (child === undefined || r.probing) return;
    r.probing = true;
    try {
      const p = this.#probes;
      if (r.state === 'starting') {
        const ready = await probe(`${r.healthUrl}/readyz`, p.timeoutMs);
        if (r.child !== child) return;
        if (ready.ok) {
          r.readyAt = Date.now();
          r.livenessFailures = 0;
          this.#setState(r, 'ready');
          void this.#audit(r, 'ready', 'readiness probe answered 200', {
            startMs: r.readyAt - (r.startedAt ?? r.readyAt),
          });
        } else if (Date.now() - (r.startedAt ?? 0) > p.startTimeoutMs) {
          this.#kill(
            r,
            SUPERVISOR_ERROR_CODES.START_TIMEOUT,
            `not ready within ${p.startTimeoutMs} ms of spawn`,
          );
          return;
        }
        this.#scheduleProbe(r, r.state === 'starting' ? p.readyPollMs : p.intervalMs);
        return;
      }
      if (r.state !== 'ready' && r.state !== 'unready') return;
      const [live, ready] = await Promise.all([
        probe(`${r.healthUrl}/livez`, p.timeoutMs),
        probe(`${r.healthUrl}/readyz`, p.timeoutMs),
      ]);
      if (r.child !== child) return;
      if (!live.ok) {
        r.livenessFailures += 1;
        this.#logger.warn(
          {
            agent: r.spec.name,
            replica: r.index,
            pid: r.pid,
            failures: r.livenessFailures,
            error: live.error,
          },
          'liveness probe failed',
        );
        if (r.livenessFailures >= p.failureThreshold) {
          this.#kill(
            r,
            SUPERVISOR_ERROR_CODES.LIVENESS_FAILED,
            `liveness probe failed ${r.livenessFailures} times in a row (${live.error})`,
          );
          return;
        }
      } else {
        r.livenessFailures = 0;
        if (ready.ok && r.state === 'unready') this.#setState(r, 'ready');
        else if (!ready.ok && r.state === 'ready') this.#setState(r, 'unready', ready.error);
      }
      const watchdog = this.#opts.memory?.rssWatchdog ?? 'warn';
      if (r.pid !== null && watchdog !== 'off' && r.launched !== undefined) {
        const rss = await r.launched.memoryBytes();
        if (r.child !== child) return;
        if (rss !== undefined) {
          const changed = r.memoryInUse === null || Math.abs(rss - r.memoryInUse) > 1024 * 1024;
          r.memoryInUse = rss;
          const over = rss > r.memory.rssLimitBytes;
          if (over && !r.overMemory) {
            void this.#audit(
              r,
              'memory-over-limit',
              `resident set above resources.memory; watchdog ${watchdog}`,
              { rssBytes: rss, limitBytes: r.memory.rssLimitBytes, action: watchdog },
            );
            this.#emit({
              type: 'memory-over-limit',
              agent: r.spec.name,
              replica: r.index,
              pid: r.pid,
              rssBytes: rss,
              limitBytes: r.memory.rssLimitBytes,
              action: watchdog,
            });
          }
          r.overMemory = over;
          if (over && watchdog === 'kill') {
            this.#kill(
              r,
              SUPERVISOR_ERROR_CODES.MEMORY_EXCEEDED,
              `resident memory ${Math.round(rss / 1048576)} MiB exceeds resources.memory ${Math.round(r.memory.rssLimitBytes / 1048576)} MiB`,
            );
            return;
          }
          if (changed) this.#writeStatus();
        }
      }
      this.#scheduleProbe(r, p.intervalMs);
    } finally {
      r.probing = false;
    }
  }

  #kill(r: Replica, code: string, message: string): void {
    const child = r.child;
    if (child === undefined) return;
    this.#logger.warn({ agent: r.spec.name, replica: r.index, pid: r.pid, code }, message);
    r.killReason = { code, message };
    // The decision to kill is on record before the process dies.
    void this.#audit(r, 'killing', message, { code }).then(() => {
      if (r.child === child) r.launched?.kill();
    });
  }

  #onExit(
    r: Replica,
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
    spawnError?: Error,
  ): void {
    if (r.child !== child) return;
    clearTimeout(r.probeTimer);
    // Requests to this process will never be answered: fail them now, not at their timeout.
    for (const pending of [...this.#pending.values()]) {
      if (pending.replica === r) {
        pending.resolve({
          type: pending.answerType,
          ok: false,
          code: SUPERVISOR_ERROR_CODES.NOT_RUNNING,
          message: `${r.spec.name}[${r.index}] exited before answering`,
          traceId: '',
        });
      }
    }
    const pid = r.pid ?? -1;
    const now = Date.now();
    const decision = decideExit(
      {
        code,
        signal,
        ...(spawnError === undefined ? {} : { spawnError: spawnError.message }),
        ...(r.killReason === undefined ? {} : { killReason: r.killReason }),
        ...(r.fatal === undefined ? {} : { fatal: r.fatal }),
        at: now,
      },
      {
        draining: this.#state === 'stopping' || this.#state === 'stopped',
        history: { attempt: r.attempt, restartTimes: r.restartTimes, readySince: r.readyAt },
        policy: r.spec.restartPolicy,
        stableAfterMs: this.#opts.stableAfterMs ?? 60_000,
        jitter: Math.random(),
      },
    );
    r.child = undefined;
    r.launched = undefined;
    r.pid = null;
    r.lastExit = { code, signal, at: new Date(now).toISOString() };
    this.#applyExit(r, decision, { pid, code, signal, now });
  }

  /** The one place an exit decision takes effect: status, events, log line, audit, timer. */
  #applyExit(
    r: Replica,
    decision: ExitDecision,
    exit: { pid: number; code: number | null; signal: string | null; now: number },
  ): void {
    const { pid, code, signal, now } = exit;
    const at = new Date(now).toISOString();
    const { error } = decision;
    if (error !== undefined) r.lastError = { ...error, at };
    this.#emit({
      type: 'exited',
      agent: r.spec.name,
      replica: r.index,
      pid,
      code,
      signal,
      error: error ?? null,
    });
    const appendLog = (msg: string, extra: Record<string, unknown> = {}): void => {
      try {
        appendFileSync(
          join(this.#stateDir, 'logs', `${r.spec.name}-${r.index}.log`),
          `${JSON.stringify({ level: error === undefined ? 30 : 50, time: at, name: 'supervisor', agent: r.spec.name, replica: r.index, pid, msg, code, signal, error, ...extra })}\n`,
        );
      } catch {
        // the log directory vanished; status.json still has it
      }
    };
    const drained = decision.kind === 'drained';
    // r.pid is already cleared for the status; the entry names the process that ended.
    void this.#audit(
      { spec: r.spec, index: r.index, pid },
      drained ? 'stopped' : 'exited',
      drained
        ? 'stopped by the supervisor (drain on SIGTERM)'
        : (error?.message ?? 'exited cleanly'),
      { code, signal, errorCode: error?.code ?? null, uptimeMs: now - (r.startedAt ?? now) },
    );
    const policy = r.spec.restartPolicy.policy;
    switch (decision.kind) {
      case 'drained':
        appendLog('stopped');
        this.#setState(r, 'stopped', 'supervisor stopping');
        return;
      case 'stop':
        appendLog('exited; not restarted', { policy });
        this.#setState(r, 'stopped', decision.reason);
        return;
      case 'fail':
        if (decision.history !== undefined) {
          r.attempt = decision.history.attempt;
          r.restartTimes = decision.history.restartTimes;
        }
        if (decision.lastError !== undefined) r.lastError = { ...decision.lastError, at };
        appendLog(decision.logLine, decision.cause === 'restart-policy' ? { policy } : {});
        void this.#audit(r, 'failed', decision.rationale, { errorCode: decision.errorCode });
        this.#setState(r, 'failed', decision.stateReason);
        if (decision.alert !== undefined)
          this.#emit({
            type: 'error',
            code: decision.alert.code,
            message: `${r.spec.name}[${r.index}]: ${decision.alert.message}`,
          });
        return;
      case 'restart': {
        const { delayMs } = decision;
        r.attempt = decision.history.attempt;
        r.restartTimes = decision.history.restartTimes;
        r.restarts += 1;
        r.nextRestartAt = now + delayMs;
        appendLog('restart scheduled', { delayMs, restarts: r.restarts });
        this.#emit({
          type: 'restart-scheduled',
          agent: r.spec.name,
          replica: r.index,
          delayMs,
          restarts: r.restarts,
        });
        this.#setState(r, 'restarting', error?.message ?? 'exited');
        // The restart is on record before the new process exists (the fsync is long done
        // by the end of any back-off, so this rarely waits).
        const recorded = this.#audit(r, 'restart-scheduled', decision.rationale, {
          delayMs,
          restarts: r.restarts,
          attempt: r.attempt,
        });
        r.restartTimer = setTimeout(() => {
          void recorded.then(() => {
            r.restartTimer = undefined;
            r.nextRestartAt = null;
            if (this.#state === 'starting' || this.#state === 'running') this.#spawn(r);
          });
        }, delayMs);
        return;
      }
    }
  }
}

/** Creates a {@link Supervisor}; nothing runs until `start()`. */
export function createSupervisor(opts: SupervisorOptions): Supervisor {
  return new Supervisor(opts);
}
