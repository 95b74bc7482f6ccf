import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { context, isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api';
import {
  createLogger,
  describeIssues,
  isVigilError,
  skillSchemas,
  type Logger,
  type SkillSchemas,
} from '@vigil/core';
import {
  CREDENTIAL_DIRECTORY_FILES,
  inspectCertificate,
  loadAgentCredentials,
  loadCredentialDirectory,
  type AgentCredentials,
} from '@vigil/pki';
import { spiffeIdOf, type AgentSpec, type AgentSystem } from '@vigil/registry';
import {
  createAgentClient,
  createFilePeerDirectory,
  createServicePeerDirectory,
  startAgentServer,
  type AgentServer,
  type SkillHandler,
} from '@vigil/transport';
import {
  isAgentDefinition,
  type AgentContext,
  type AgentDefinition,
  type AgentSkillContext,
  type ImplementedSkill,
} from './definition.js';
import { RUNTIME_ERROR_CODES, RuntimeError } from './errors.js';
import { startHealthServer, type HealthServer } from './health-server.js';
import type { CertificateSummary } from './ipc.js';

/** Time given to the last answers to be written after the last handler returned, ms. */
const RESPONSE_FLUSH_GRACE_MS = 250;

/** Options of {@link startAgentRuntime}. */
export interface AgentRuntimeOptions {
  readonly system: AgentSystem;
  readonly agentName: string;
  readonly stateDir: string;
  readonly replica?: number;
  /** A2A (mTLS) port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Health port; 0 (default) picks a free one. */
  readonly healthPort?: number;
  /**
   * Address the A2A and health servers bind (default 127.0.0.1). In a pod, `0.0.0.0`: the
   * kubelet probes and the peers' traffic arrive on the pod IP.
   */
  readonly host?: string;
  /**
   * Read the credentials from this directory (`tls.crt`, `tls.key`, `ca.crt`: a mounted
   * cert-manager Secret) instead of the state directory's PKI, and reload them in place
   * when the kubelet updates the volume.
   */
  readonly tlsDir?: string;
  /**
   * Reach peers as `https://<agent>.<peerDomain>:<port>` (Kubernetes Services,
   * `<namespace>.svc`) instead of the supervisor's `run/endpoints.json`.
   */
  readonly peerDomain?: string;
  /** Use this definition instead of importing `spec.implementation` (tests, embedding). */
  readonly definition?: AgentDefinition;
  readonly logger?: Logger;
  /** How long {@link AgentRuntime.shutdown} waits for in-flight calls. Default 10 s. */
  readonly drainTimeoutMs?: number;
  /** Reload credentials when the agent's certificate files change. Default true. */
  readonly watchCredentials?: boolean;
  /** Called once the runtime drains (before in-flight calls finished). */
  readonly onDraining?: (inFlight: number) => void;
}

/** A running agent: its servers, its credentials, its lifecycle. */
export interface AgentRuntime {
  readonly agent: string;
  readonly replica: number;
  readonly spiffeId: string;
  /** `https://127.0.0.1:<port>` of the mTLS A2A server. */
  readonly url: string;
  readonly port: number;
  readonly healthUrl: string;
  readonly healthPort: number;
  /** Skill calls running now. */
  inFlight(): number;
  /** The certificate currently served. */
  certificate(): CertificateSummary;
  /**
   * Re-reads the certificate and key (from the TLS directory, else the state directory) and swaps them into the
   * TLS server and client without dropping connections.
   *
   * @throws when the files cannot be read or do not form a valid pair; the old
   *   credentials stay in use.
   */
  reloadCredentials(): Promise<CertificateSummary>;
  /** Runs one skill in this process as the local operator (used by the supervisor over IPC). */
  invoke(
    skill: string,
    input: unknown,
    opts?: { deadlineMs?: number },
  ): Promise<{ output: unknown; traceId: string; durationMs: number }>;
  /**
   * Drains and stops: readiness turns 503, new calls are refused, in-flight calls may
   * finish within the drain deadline, then the A2A server closes, `agent.stop()` runs and
   * the health server closes. Idempotent.
   *
   * @throws RuntimeError `VIGIL_RUNTIME_DRAIN_TIMEOUT` when calls were still running at
   *   the deadline (everything is stopped regardless).
   */
  shutdown(): Promise<void>;
}

function summarize(credentials: AgentCredentials): CertificateSummary {
  const info = inspectCertificate(credentials.cert);
  return {
    notAfter: new Date(info.notAfter).toISOString(),
    fingerprintSha256: info.fingerprintSha256,
  };
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

async function importDefinition(spec: AgentSpec): Promise<AgentDefinition> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec.implementation)) as Record<string, unknown>;
  } catch (cause) {
    throw new RuntimeError(
      RUNTIME_ERROR_CODES.IMPLEMENTATION_INVALID,
      `agents.${spec.name}.implementation: cannot import "${spec.implementation}": ${(cause as Error).message}`,
      { cause, details: { agent: spec.name, implementation: spec.implementation } },
    );
  }
  const definition = mod['agent'];
  if (!isAgentDefinition(definition)) {
    throw new RuntimeError(
      RUNTIME_ERROR_CODES.IMPLEMENTATION_INVALID,
      `agents.${spec.name}.implementation: "${spec.implementation}" does not export ` +
        '`agent: AgentDefinition` ({ skills: [implementSkill(contract, handler)], start?, stop? })',
      { details: { agent: spec.name, implementation: spec.implementation } },
    );
  }
  return definition;
}

/** The definition's skills by id; one id served twice is a programming error. */
function implementedSkills(
  definition: AgentDefinition,
  agentName: string,
): Map<string, ImplementedSkill> {
  const byId = new Map<string, ImplementedSkill>();
  for (const skill of definition.skills) {
    if (byId.has(skill.contract.id)) {
      throw new RuntimeError(
        RUNTIME_ERROR_CODES.SKILL_DUPLICATE,
        `agent "${agentName}" implements skill "${skill.contract.id}" twice`,
        { details: { agent: agentName, skill: skill.contract.id } },
      );
    }
    byId.set(skill.contract.id, skill);
  }
  return byId;
}

/**
 * Starts one agent in this process: health server first (so liveness answers while the
 * agent starts), then credentials, the implementation, its `start()`, and the mTLS A2A
 * server. Resolves once the agent is ready.
 *
 * @throws RuntimeError (`VIGIL_RUNTIME_*`) on a missing agent, a bad implementation, a
 *   declared skill without handler, a failing `start()` or a port that cannot be bound;
 *   errors of `@vigil/pki` and `@vigil/transport` pass through. Whatever was started is
 *   closed before the error propagates.
 */
export async function startAgentRuntime(options: AgentRuntimeOptions): Promise<AgentRuntime> {
  const { system, agentName, stateDir } = options;
  const replica = options.replica ?? 0;
  const spec = system.agents.find((a) => a.name === agentName);
  if (spec === undefined) {
    throw new RuntimeError(
      RUNTIME_ERROR_CODES.UNKNOWN_AGENT,
      `agent "${agentName}" is not declared in system "${system.metadata.name}" ` +
        `(agents: ${system.agents.map((a) => a.name).join(', ')})`,
    );
  }
  const logger = options.logger ?? createLogger(agentName, { base: { agent: agentName, replica } });
  const spiffeId = spiffeIdOf(system, agentName);
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;

  let phase: 'starting' | 'ready' | 'draining' = 'starting';
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  let credentials: AgentCredentials | undefined;
  let certificate: CertificateSummary | undefined;
  let server: AgentServer | undefined;
  let definition: AgentDefinition | undefined;
  let implemented = new Map<string, ImplementedSkill>();
  let watcher: FSWatcher | undefined;
  let started = false;

  const health: HealthServer = await startHealthServer(
    {
      phase: () => phase,
      inFlight: () => inFlight,
      describe: () => ({
        agent: agentName,
        replica,
        pid: process.pid,
        certificate,
        ...(definition?.status === undefined ? {} : { agentStatus: definition.status() }),
      }),
    },
    {
      port: options.healthPort ?? 0,
      ...(options.host === undefined ? {} : { host: options.host }),
    },
  );

  const client = createAgentClient({
    system,
    selfName: agentName,
    credentials: () => {
      if (credentials === undefined) throw new Error('credentials not loaded yet');
      return credentials;
    },
    peers:
      options.peerDomain === undefined
        ? createFilePeerDirectory(join(stateDir, 'run', 'endpoints.json'))
        : createServicePeerDirectory(options.peerDomain, options.port ?? 0),
    logger,
  });

  const agentContext: AgentContext = Object.freeze({
    system,
    spec,
    spiffeId,
    replica,
    stateDir,
    host: options.host ?? '127.0.0.1',
    logger,
    client,
    credentials: () => {
      if (credentials === undefined) throw new Error('credentials not loaded yet');
      return credentials;
    },
  });

  function settle(): void {
    if (inFlight === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * The transport handler of one skill: refuses calls while draining, validates the input
   * by the skill's contract (the callee's side of the contract; the caller validates the
   * output), counts the call in flight.
   */
  function track({ contract, handler }: ImplementedSkill): SkillHandler {
    const skill = contract.id;
    return async (input, callContext) => {
      if (phase === 'draining') {
        throw new RuntimeError(
          RUNTIME_ERROR_CODES.DRAINING,
          `agent "${agentName}" is shutting down`,
          {
            details: { agent: agentName, skill },
          },
        );
      }
      const parsed = contract.input.safeParse(input);
      if (!parsed.success) {
        const problems = describeIssues(parsed.error, 'input');
        throw new RuntimeError(
          RUNTIME_ERROR_CODES.SKILL_INPUT_INVALID,
          `skill "${skill}" of "${agentName}": ${problems.join('; ')}`,
          { details: { agent: agentName, skill, problems } },
        );
      }
      inFlight += 1;
      try {
        const skillContext: AgentSkillContext = { ...callContext, agent: agentContext };
        return await handler(parsed.data, skillContext);
      } finally {
        inFlight -= 1;
        settle();
      }
    };
  }

  const { tlsDir } = options;
  const loadCredentials = (): Promise<AgentCredentials> =>
    tlsDir === undefined
      ? loadAgentCredentials(stateDir, agentName)
      : loadCredentialDirectory(tlsDir);

  let reloading: Promise<CertificateSummary> | undefined;
  async function reloadCredentials(): Promise<CertificateSummary> {
    // One reload at a time; a burst of file events collapses into one.
    reloading ??= (async () => {
      try {
        const next = await loadCredentials();
        const summary = summarize(next);
        if (
          certificate !== undefined &&
          summary.fingerprintSha256 === certificate.fingerprintSha256
        ) {
          return certificate;
        }
        await server?.reloadCredentials(next);
        credentials = next;
        certificate = summary;
        logger.info({ certificate: summary }, 'credentials reloaded');
        return summary;
      } finally {
        reloading = undefined;
      }
    })();
    return reloading;
  }

  async function closeAll(): Promise<void> {
    watcher?.close();
    await server
      ?.close()
      .catch((error: unknown) => logger.warn({ err: error }, 'A2A server close failed'));
    if (started)
      await definition
        ?.stop?.()
        .catch((error: unknown) => logger.warn({ err: error }, 'agent stop() failed'));
    await client
      .close()
      .catch((error: unknown) => logger.warn({ err: error }, 'client close failed'));
    await health.close();
  }

  try {
    credentials = await loadCredentials();
    certificate = summarize(credentials);
    definition = options.definition ?? (await importDefinition(spec));
    implemented = implementedSkills(definition, agentName);
    const skills: Record<string, SkillHandler> = {};
    const schemas: Record<string, SkillSchemas> = {};
    const missing: string[] = [];
    for (const declared of spec.skills) {
      const skill = implemented.get(declared.id);
      if (skill === undefined) missing.push(declared.id);
      else {
        skills[declared.id] = track(skill);
        schemas[declared.id] = skillSchemas(skill.contract);
      }
    }
    if (missing.length > 0) {
      throw new RuntimeError(
        RUNTIME_ERROR_CODES.SKILL_MISSING,
        `agents.${agentName}.skills: "${spec.implementation}" has no handler for ${missing.map((m) => `"${m}"`).join(', ')}`,
        { details: { agent: agentName, missing } },
      );
    }
    if (definition.start !== undefined) {
      try {
        await definition.start(agentContext);
        started = true;
      } catch (cause) {
        throw new RuntimeError(
          RUNTIME_ERROR_CODES.START_FAILED,
          `agent "${agentName}" failed to start: ${(cause as Error).message}`,
          {
            cause,
            details: {
              agent: agentName,
              ...(isVigilError(cause) ? { causeCode: cause.code } : {}),
            },
          },
        );
      }
    } else {
      started = true;
    }
    server = await startAgentServer({
      system,
      agentName,
      credentials,
      skills,
      skillSchemas: schemas,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      logger,
      drainTimeoutMs,
    });
  } catch (error) {
    await closeAll();
    throw error;
  }

  if (options.watchCredentials !== false) {
    let timer: NodeJS.Timeout | undefined;
    // A Secret volume is updated atomically: the kubelet writes a new timestamped directory
    // and renames the `..data` symlink over the old one, so the event names `..data`, not
    // the files (which are symlinks through it).
    const files =
      tlsDir === undefined
        ? new Set([`${agentName}.crt`, `${agentName}.key`])
        : new Set([CREDENTIAL_DIRECTORY_FILES.cert, CREDENTIAL_DIRECTORY_FILES.key, '..data']);
    try {
      watcher = watch(tlsDir ?? join(stateDir, 'pki', 'agents'), (_event, filename) => {
        if (filename === null || !files.has(filename.toString())) return;
        // Writers replace cert and key one after the other: wait for the burst to end.
        clearTimeout(timer);
        timer = setTimeout(() => {
          reloadCredentials().catch((error: unknown) =>
            logger.warn(
              { err: error },
              'credential files changed but could not be loaded; keeping the current ones',
            ),
          );
        }, 200);
        timer.unref();
      });
      watcher.unref();
    } catch (error) {
      logger.warn({ err: error }, 'cannot watch credential files; rotation relies on IPC reload');
    }
  }

  phase = 'ready';
  const activeServer = server;
  const tracer = trace.getTracer('@vigil/runtime');
  let shuttingDown: Promise<void> | undefined;
  logger.info({ url: activeServer.url, health: health.url, spiffeId, certificate }, 'agent ready');

  return {
    agent: agentName,
    replica,
    spiffeId,
    url: activeServer.url,
    port: activeServer.port,
    healthUrl: health.url,
    healthPort: health.port,
    inFlight: () => inFlight,
    certificate: () => certificate as CertificateSummary,
    reloadCredentials,
    async invoke(skill, input, opts = {}) {
      const implementation = implemented.get(skill);
      if (implementation === undefined || !spec.skills.some((s) => s.id === skill)) {
        throw new RuntimeError(
          RUNTIME_ERROR_CODES.UNKNOWN_SKILL,
          `agent "${agentName}" has no skill "${skill}"`,
          {
            details: { agent: agentName, skill },
          },
        );
      }
      const tracked = track(implementation);
      const controller = new AbortController();
      const timer =
        opts.deadlineMs === undefined
          ? undefined
          : setTimeout(() => controller.abort(), opts.deadlineMs);
      const begin = performance.now();
      // A fresh root trace for an operator-initiated call; outgoing calls inherit it.
      // Without an SDK (no OTLP endpoint) a root span has no ids, so a sampled context with
      // fresh ids stands in: the trace id still reaches every agent and the audit trail.
      const root = tracer.startSpan(`invoke ${skill}`, { root: true });
      const span = isSpanContextValid(root.spanContext())
        ? root
        : trace.wrapSpanContext({
            traceId: randomHex(16),
            spanId: randomHex(8),
            traceFlags: TraceFlags.SAMPLED,
          });
      return context.with(trace.setSpan(context.active(), span), async () => {
        const traceId = span.spanContext().traceId;
        try {
          const output = await tracked(input, {
            caller: { name: 'operator', spiffeId: 'local:operator' },
            signal: controller.signal,
            logger: logger.child({ skill, traceId }),
            skillId: skill,
            traceId,
          });
          return { output, traceId, durationMs: performance.now() - begin };
        } catch (error) {
          if (typeof error === 'object' && error !== null) Object.assign(error, { traceId });
          throw error;
        } finally {
          clearTimeout(timer);
          span.end();
        }
      });
    },
    shutdown() {
      shuttingDown ??= (async () => {
        phase = 'draining';
        options.onDraining?.(inFlight);
        logger.info({ inFlight }, 'draining');
        // Drain first, then close. New calls are refused (VIGIL_RUNTIME_DRAINING, so
        // idempotent callers retry another replica) while in-flight ones finish. Only then
        // is the A2A server closed: its close() ends with closeAllConnections(), and its
        // in-flight count drops when a handler returns — before the SDK has written the
        // response — so closing while calls run can cut a finished call's answer off.
        if (inFlight > 0) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            new Promise<void>((resolve) => idleWaiters.push(resolve)),
            new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs))),
          ]);
          clearTimeout(timer);
          // Let the last answers leave the process (one turn of I/O is not enough for the
          // SDK's event bus and a TLS write; this grace bounds it).
          await new Promise((resolve) => setTimeout(resolve, RESPONSE_FLUSH_GRACE_MS));
        }
        await activeServer.close();
        const left = inFlight;
        const timedOut = left > 0;
        server = undefined; // closed above
        await closeAll();
        if (timedOut) {
          throw new RuntimeError(
            RUNTIME_ERROR_CODES.DRAIN_TIMEOUT,
            `${left} call(s) still running after the ${drainTimeoutMs} ms drain deadline`,
            { details: { agent: agentName, inFlight: left } },
          );
        }
        logger.info('stopped');
      })();
      return shuttingDown;
    },
  };
}
