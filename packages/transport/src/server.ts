import type { Logger, SkillSchemas } from '@vigil/core';
import type { AgentCardDocument } from './card.js';
import { TRANSPORT_ERROR_CODES, TransportError } from './errors.js';
import { createAgentApp } from './server-app.js';
import { createCardPublisher } from './server-card.js';
import { createSkillExecutor, type SkillHandler } from './server-executor.js';
import {
  agentSpec,
  defaultSkillOf,
  servesV03,
  spiffeIdOf,
  type TransportAgentSpec,
  type TransportSystem,
} from './system.js';
import { createMtlsServer, listen, tlsOptions, type TransportCredentials } from './tls.js';

export interface AgentServerOptions {
  readonly system: TransportSystem;
  readonly agentName: string;
  readonly credentials: TransportCredentials;
  readonly skills: Readonly<Record<string, SkillHandler>>;
  /**
   * JSON Schemas of the skills' inputs and outputs by skill id, published on the agent
   * card (see `SKILL_SCHEMAS_EXTENSION`). Skills without an entry are published without.
   */
  readonly skillSchemas?: Readonly<Record<string, SkillSchemas>>;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  readonly logger: Logger;
  /** The base URL advertised in the agent card (default `https://<host>:<port>`). */
  readonly publicUrl?: string;
  /** Largest accepted request body (default 4 MiB). */
  readonly maxBodyBytes?: number;
  /** How long {@link AgentServer.close} waits for in-flight calls (default 10 s). */
  readonly drainTimeoutMs?: number;
}

/** A running A2A agent server over mutual TLS. */
export interface AgentServer {
  /** `https://<host>:<port>` */
  readonly url: string;
  readonly port: number;
  /**
   * Swaps the TLS context (`server.setSecureContext`) for new connections and re-signs
   * the agent card; established connections and in-flight calls continue untouched.
   * Resolves when the new card is served.
   * @throws TransportError `VIGIL_TRANSPORT_INVALID_OPTIONS` when the SPIFFE ID changes.
   */
  reloadCredentials(credentials: TransportCredentials): Promise<void>;
  /** Number of skill calls being served. */
  inFlight(): number;
  /** The signed agent card being served, in its A2A 1.0 JSON form (byte for byte what is sent). */
  agentCard(): AgentCardDocument;
  /** Stops accepting, waits for in-flight calls (up to the drain timeout), then closes. */
  close(): Promise<void>;
}

/**
 * Starts the A2A server of `agentName` (official `@a2a-js/sdk`, JSON-RPC binding at
 * `/a2a/v1`, signed card at `/.well-known/agent-card.json`) on `node:https` with
 * TLS 1.3 only and required client certificates verified against the trust bundle.
 * After the handshake the caller's SPIFFE ID is checked against the registry
 * (`mayCall(caller, self)`); refusals answer 401/403 JSON `{ error: { code, message } }`
 * and are logged with the caller identity. Handshake failures are logged from
 * `tlsClientError` with their own codes. Each skill call runs in a SERVER span whose
 * parent is the caller's span (W3C trace context from headers or message metadata).
 *
 * @throws TransportError `VIGIL_TRANSPORT_INVALID_OPTIONS` when the agent is not declared,
 *   the credentials are another identity's, or a handler serves an undeclared skill.
 */
export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const { system, agentName, logger } = options;
  const { spec, selfId } = checkServerOptions(options);
  const host = options.host ?? '127.0.0.1';
  const log = logger.child({ component: 'a2a-server', agent: agentName });
  let closing = false;
  const { executor, inFlight } = createSkillExecutor({
    agentName,
    selfId,
    skills: options.skills,
    defaultSkill: defaultSkillOf(spec),
    logger: log,
  });
  const card = createCardPublisher(system, agentName, options.skillSchemas);
  const legacy = servesV03(spec);
  const app = createAgentApp({
    system,
    agentName,
    cardRoutes: card.router(legacy),
    requestHandler: card.requestHandler(executor),
    legacy,
    maxBodyBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
    closing: () => closing,
    logger: log,
  });
  const server = createMtlsServer(options.credentials, app, log);
  const port = await listen(server, host, options.port ?? 0);
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const baseUrl = options.publicUrl ?? url;
  await card.sign(baseUrl, options.credentials);
  log.info(
    { url, spiffeId: selfId, skills: Object.keys(options.skills) },
    'A2A server listening (mTLS, TLS 1.3)',
  );

  return {
    url,
    port,
    inFlight: () => inFlight.count(),
    agentCard: () => card.document()!,
    async reloadCredentials(next: TransportCredentials): Promise<void> {
      if (next.spiffeId !== selfId) {
        throw new TransportError(
          TRANSPORT_ERROR_CODES.INVALID_OPTIONS,
          `new credentials are for ${next.spiffeId}, not ${selfId}`,
        );
      }
      // Throws on a broken key/cert pair, before anything changes.
      server.setSecureContext(tlsOptions(next));
      await card.sign(baseUrl, next);
      log.info({ spiffeId: selfId }, 'credentials reloaded (TLS context swapped, card re-signed)');
    },
    async close(): Promise<void> {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight.count() > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          inFlight.idle(),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, options.drainTimeoutMs ?? 10_000);
            timer.unref();
          }),
        ]);
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await closed;
      log.info({ url }, 'A2A server closed');
    },
  };
}

/** The declared agent and its SPIFFE ID, once the options are known to fit the declaration. */
function checkServerOptions(options: AgentServerOptions): {
  spec: TransportAgentSpec;
  selfId: string;
} {
  const { system, agentName } = options;
  const spec = agentSpec(system, agentName);
  if (!spec) {
    throw new TransportError(
      TRANSPORT_ERROR_CODES.INVALID_OPTIONS,
      `agent "${agentName}" is not declared in the agent system`,
    );
  }
  const selfId = spiffeIdOf(system, agentName);
  if (options.credentials.spiffeId !== selfId) {
    throw new TransportError(
      TRANSPORT_ERROR_CODES.INVALID_OPTIONS,
      `credentials are for ${options.credentials.spiffeId}, not ${selfId}`,
    );
  }
  const declared = new Set(spec.skills.map((skill) => skill.id));
  for (const id of Object.keys(options.skills)) {
    if (!declared.has(id)) {
      throw new TransportError(
        TRANSPORT_ERROR_CODES.INVALID_OPTIONS,
        `skill "${id}" has a handler but is not declared for agent "${agentName}" (declared: ${[...declared].join(', ') || 'none'})`,
      );
    }
  }
  return { spec, selfId };
}
