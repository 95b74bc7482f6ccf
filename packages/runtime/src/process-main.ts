import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger, isVigilError, type Logger } from '@vigil/core';
import { loadAgentSystem } from '@vigil/registry';
import { startAgentRuntime, type AgentRuntime } from './agent-runtime.js';
import { parseAgentProcessEnv } from './env.js';
import { RUNTIME_ERROR_CODES } from './errors.js';
import { startAgentTelemetry, type AgentTelemetry } from './telemetry.js';
import { isIpcMessage, type AgentToSupervisorMessage, type InvokeResultMessage } from './ipc.js';

/** Exit status for a configuration error (sysexits EX_CONFIG): restarting will not help. */
export const EXIT_CONFIG = 78;

function send(message: AgentToSupervisorMessage): void {
  if (process.send !== undefined && process.connected) {
    process.send(message, undefined, {}, () => undefined);
  }
}

/**
 * True for errors that restarting cannot fix: the declaration, the environment, the
 * implementation package or the agent's settings are wrong.
 */
export function isConfigurationError(error: unknown): boolean {
  if (!isVigilError(error)) return false;
  if (
    /^VIGIL_(CONFIG|RUNTIME_ENV_INVALID|RUNTIME_UNKNOWN_AGENT|RUNTIME_SKILL_MISSING|RUNTIME_IMPLEMENTATION_INVALID)/.test(
      error.code,
    )
  ) {
    return true;
  }
  const causeCode = error.details['causeCode'];
  return (
    error.code === RUNTIME_ERROR_CODES.START_FAILED &&
    typeof causeCode === 'string' &&
    /(^VIGIL_CONFIG|_SETTINGS_INVALID$)/.test(causeCode)
  );
}

function describe(error: unknown): { code: string; message: string } {
  if (isVigilError(error)) return { code: error.code, message: error.message };
  return {
    code: RUNTIME_ERROR_CODES.UNCAUGHT,
    message: error instanceof Error ? error.message : String(error),
  };
}

/**
 * The main of an agent process started by the supervisor (or by hand, with the
 * `VIGIL_*` environment). Reads the environment, loads the declaration, starts the agent
 * (see `startAgentRuntime`) and then:
 *
 * - on IPC `{ type: 'reload-credentials' }` re-reads its certificate and answers
 *   `{ type: 'credentials-reloaded', … }`; the TLS context is swapped, the process stays;
 * - on IPC `{ type: 'invoke', … }` runs a skill locally and answers `invoke-result`;
 * - on SIGTERM/SIGINT (or the IPC channel closing: the supervisor is gone) drains and
 *   exits 0, or 1 when calls were still running at the drain deadline;
 * - on a fatal error writes one JSON log line (`level` 60, `code`, `msg`), sends
 *   `{ type: 'fatal' }` and exits non-zero (78 for configuration errors, else 1).
 *
 * Never resolves while the agent runs; the process exits by itself.
 */
export async function runAgentProcess(
  env: Record<string, string | undefined> = process.env,
): Promise<void> {
  let logger: Logger = createLogger(env['VIGIL_AGENT'] ?? 'agent');
  // Trace context must follow a skill across its awaits into its outgoing calls; the
  // process owner installs the context manager (a no-op if telemetry already did).
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  let runtime: AgentRuntime | undefined;
  let telemetry: AgentTelemetry | undefined;

  const fail = (error: unknown): never => {
    const { code, message } = describe(error);
    logger.fatal({ code, err: error }, message);
    send({ type: 'fatal', code, message });
    const status = isConfigurationError(error) ? EXIT_CONFIG : 1;
    // Let the IPC message and the log line flush, then go.
    setTimeout(() => process.exit(status), 50).unref();
    process.exitCode = status;
    throw error;
  };

  process.on('uncaughtException', (error) => {
    try {
      fail(error);
    } catch {
      // already reported
    }
  });
  process.on('unhandledRejection', (reason) => {
    try {
      fail(reason);
    } catch {
      // already reported
    }
  });

  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutdown requested');
    if (runtime === undefined) {
      process.exit(0);
    }
    // Spans of the drained calls are exported before the process goes.
    const flushSpans = async (): Promise<void> => {
      await telemetry?.shutdown();
    };
    runtime.shutdown().then(
      () => flushSpans().finally(() => process.exit(0)),
      (error: unknown) => {
        const { code, message } = describe(error);
        logger.error({ code }, message);
        void flushSpans().finally(() => process.exit(1));
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // The supervisor died (or closed the channel): do not linger as an orphan.
  process.on('disconnect', () => stop('supervisor disconnected'));

  try {
    const config = parseAgentProcessEnv(env);
    logger = createLogger(config.agent, { base: { agent: config.agent, replica: config.replica } });
    const system = await loadAgentSystem(config.configPath);
    telemetry = await startAgentTelemetry({
      system,
      agentName: config.agent,
      replica: config.replica,
      env,
    });
    if (telemetry !== undefined) logger.info({ otlp: telemetry.target }, 'exporting spans');
    runtime = await startAgentRuntime({
      system,
      agentName: config.agent,
      stateDir: config.stateDir,
      replica: config.replica,
      port: config.port,
      healthPort: config.healthPort,
      host: config.host,
      ...(config.tlsDir === undefined ? {} : { tlsDir: config.tlsDir }),
      ...(config.peerDomain === undefined ? {} : { peerDomain: config.peerDomain }),
      drainTimeoutMs: config.drainTimeoutMs,
      logger,
      onDraining: (inFlight) => send({ type: 'draining', inFlight }),
    });
  } catch (error) {
    fail(error);
  }
  const active = runtime as AgentRuntime;
  if (stopping) {
    // A signal arrived while starting: stop now that there is something to drain.
    stopping = false;
    stop('signal during start');
    return;
  }

  process.on('message', (message: unknown) => {
    if (!isIpcMessage(message)) return;
    if (message.type === 'reload-credentials') {
      active.reloadCredentials().then(
        (certificate) => send({ type: 'credentials-reloaded', ok: true, certificate }),
        (error: unknown) => {
          const { code, message: text } = describe(error);
          logger.error({ code }, `credential reload failed: ${text}`);
          send({ type: 'credentials-reloaded', ok: false, code, message: text });
        },
      );
    } else if (message.type === 'invoke') {
      const id = String(message['id']);
      const deadlineMs =
        typeof message['deadlineMs'] === 'number' ? message['deadlineMs'] : undefined;
      const begin = performance.now();
      active
        .invoke(
          String(message['skill']),
          message['input'],
          deadlineMs === undefined ? {} : { deadlineMs },
        )
        .then(
          (r) => send({ type: 'invoke-result', id, ok: true, ...r }),
          (error: unknown) => {
            const { code, message: text } = describe(error);
            const result: InvokeResultMessage = {
              type: 'invoke-result',
              id,
              ok: false,
              code,
              message: text,
              traceId: (error as { traceId?: string }).traceId ?? '',
              durationMs: performance.now() - begin,
            };
            send(result);
          },
        );
    }
  });

  send({
    type: 'ready',
    url: active.url,
    port: active.port,
    healthPort: active.healthPort,
    spiffeId: active.spiffeId,
    certificate: active.certificate(),
  });
}
