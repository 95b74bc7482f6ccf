import { join } from 'node:path';
import { createLogger, isVigilError, type Logger } from '@vigil/core';
import { spiffeIdOf, type AgentSystem } from '@vigil/registry';
import {
  createAgentClient,
  createFilePeerDirectory,
  createServicePeerDirectory,
  startAgentServer,
  type AgentServer,
  type PeerDirectory,
} from '@vigil/transport';
import type { AgentContext, AgentDefinition, ImplementedSkill } from './definition.js';
import { RUNTIME_ERROR_CODES, RuntimeError } from './errors.js';
import { startHealthServer } from './health-server.js';
import type { CertificateSummary } from './ipc.js';
import { createCredentialKeeper } from './runtime-credentials.js';
import { invokeAsOperator } from './runtime-invoke.js';
import {
  createCallGate,
  declaredSkill,
  guardSkill,
  implementedSkills,
  importDefinition,
  servedSkills,
  type CallGate,
} from './runtime-skills.js';

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
  const gate = createCallGate();
  const keeper = createCredentialKeeper({
    stateDir,
    agentName,
    ...(options.tlsDir === undefined ? {} : { tlsDir: options.tlsDir }),
    logger,
  });
  let server: AgentServer | undefined;
  let definition: AgentDefinition | undefined;
  let implemented = new Map<string, ImplementedSkill>();
  let started = false;

  const health = await startHealthServer(
    {
      phase: gate.phase,
      inFlight: gate.inFlight,
      describe: () => ({
        agent: agentName,
        replica,
        pid: process.pid,
        certificate: keeper.certificate(),
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
    credentials: keeper.current,
    peers: peerDirectory(options),
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
    credentials: keeper.current,
  });
  const applyCredentials = async (next: Parameters<AgentServer['reloadCredentials']>[0]) => {
    await server?.reloadCredentials(next);
  };
  const closeAll = async (): Promise<void> => {
    keeper.close();
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
  };

  try {
    await keeper.load();
    definition = options.definition ?? (await importDefinition(spec));
    implemented = implementedSkills(definition, agentName);
    const served = servedSkills(spec, implemented, (skill) =>
      guardSkill(skill, gate, agentContext),
    );
    await startDefinition(definition, agentContext);
    started = true;
    server = await startAgentServer({
      system,
      agentName,
      credentials: keeper.current(),
      skills: served.skills,
      skillSchemas: served.schemas,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      logger,
      drainTimeoutMs,
    });
  } catch (error) {
    await closeAll();
    throw error;
  }
  if (options.watchCredentials !== false) keeper.watch(applyCredentials);

  gate.open();
  const activeServer = server;
  let shuttingDown: Promise<void> | undefined;
  logger.info(
    { url: activeServer.url, health: health.url, spiffeId, certificate: keeper.certificate() },
    'agent ready',
  );

  return {
    agent: agentName,
    replica,
    spiffeId,
    url: activeServer.url,
    port: activeServer.port,
    healthUrl: health.url,
    healthPort: health.port,
    inFlight: gate.inFlight,
    certificate: () => keeper.certificate() as CertificateSummary,
    reloadCredentials: () => keeper.reload(applyCredentials),
    async invoke(skill, input, opts = {}) {
      const implementation = declaredSkill(spec, implemented, skill);
      const handler = guardSkill(implementation, gate, agentContext);
      return invokeAsOperator(handler, skill, input, opts, logger);
    },
    shutdown() {
      shuttingDown ??= (async () => {
        await drain(gate, drainTimeoutMs, options.onDraining, logger);
        await activeServer.close();
        const left = gate.inFlight();
        server = undefined; // closed above
        await closeAll();
        if (left > 0) {
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

/**
 * Runs the definition's `start()`, if any.
 * @throws RuntimeError `VIGIL_RUNTIME_START_FAILED` with the cause (and its code).
 */
async function startDefinition(definition: AgentDefinition, agent: AgentContext): Promise<void> {
  if (definition.start === undefined) return;
  try {
    await definition.start(agent);
  } catch (cause) {
    throw new RuntimeError(
      RUNTIME_ERROR_CODES.START_FAILED,
      `agent "${agent.spec.name}" failed to start: ${(cause as Error).message}`,
      {
        cause,
        details: {
          agent: agent.spec.name,
          ...(isVigilError(cause) ? { causeCode: cause.code } : {}),
        },
      },
    );
  }
}

/**
 * Drains first, the server is closed after. New calls are refused (VIGIL_RUNTIME_DRAINING,
 * so idempotent callers retry another replica) while in-flight ones finish, up to the
 * deadline. Only then may the A2A server close: its close() ends with
 * closeAllConnections(), and its in-flight count drops when a handler returns — before
 * the SDK has written the response — so closing while calls run can cut a finished
 * call's answer off.
 */
async function drain(
  gate: CallGate,
  drainTimeoutMs: number,
  onDraining: ((inFlight: number) => void) | undefined,
  logger: Logger,
): Promise<void> {
  gate.drain();
  onDraining?.(gate.inFlight());
  logger.info({ inFlight: gate.inFlight() }, 'draining');
  if (gate.inFlight() === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    gate.idle(),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs))),
  ]);
  clearTimeout(timer);
  // Let the last answers leave the process (one turn of I/O is not enough for the
  // SDK's event bus and a TLS write; this grace bounds it).
  await new Promise((resolve) => setTimeout(resolve, RESPONSE_FLUSH_GRACE_MS));
}

/** The supervisor's `run/endpoints.json`, or in a pod the Services of `peerDomain`. */
function peerDirectory(options: AgentRuntimeOptions): PeerDirectory {
  return options.peerDomain === undefined
    ? createFilePeerDirectory(join(options.stateDir, 'run', 'endpoints.json'))
    : createServicePeerDirectory(options.peerDomain, options.port ?? 0);
}
