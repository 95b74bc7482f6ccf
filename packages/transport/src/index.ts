/**
 * `@vigil/transport`: agent-to-agent calls over A2A (the official `@a2a-js/sdk`,
 * JSON-RPC binding) with mutual TLS 1.3. Servers admit a caller only when its SPIFFE ID
 * names an agent the registry lets call them; clients verify the callee's signed agent
 * card and SPIFFE ID, keep connections alive, bound every call by a deadline, retry
 * idempotent calls with jittered back-off and trip a circuit breaker per peer. W3C
 * trace context travels in headers and message metadata.
 *
 * @example
 * ```ts
 * import { startAgentServer, createAgentClient, createStaticPeerDirectory } from '@vigil/transport';
 * const server = await startAgentServer({ system, agentName: 'echo', credentials, logger,
 *   skills: { echo: async (input, ctx) => ({ echoed: input, caller: ctx.caller.name }) } });
 * const client = createAgentClient({ system, selfName: 'coordinator', credentials: callerCreds,
 *   peers: createStaticPeerDirectory({ echo: [server.url] }), logger });
 * const out = await client.callSkill('echo', 'echo', { text: 'hi' }, { deadlineMs: 2000, idempotent: true });
 * ```
 */
export { TransportError, TRANSPORT_ERROR_CODES, type TransportErrorCode } from './errors.js';
export {
  spiffeIdOf,
  agentNameFromSpiffeId,
  mayCall,
  type TransportSystem,
  type TransportAgentSpec,
} from './system.js';
export { startAgentServer, type AgentServer, type AgentServerOptions } from './server.js';
export { type SkillHandler, type SkillCallContext } from './server-executor.js';
export { DEADLINE_HEADER } from './deadline.js';
export { type TransportCredentials } from './tls.js';
export {
  createAgentClient,
  type AgentClient,
  type AgentClientOptions,
  type CallSkillOptions,
} from './client.js';
export {
  agentCardDocument,
  buildAgentCard,
  signAgentCard,
  verifyAgentCard,
  A2A_JSONRPC_PATH,
  AGENT_CARD_PATH,
  SKILL_METADATA_KEY,
  SKILL_MEDIA_TYPE,
  SKILL_SCHEMAS_EXTENSION,
  type AgentCardDocument,
  type AgentCardSignatureJson,
  type CardVerification,
} from './card.js';
export {
  createFilePeerDirectory,
  createServicePeerDirectory,
  createStaticPeerDirectory,
  type PeerDirectory,
} from './peers.js';
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './breaker.js';
export { fullJitterDelay, type RetryPolicy } from './retry.js';
export { startHealthServer, type HealthServer, type ReadinessCheck } from './health.js';
export { injectTraceContext, extractTraceContext } from './trace.js';
export {
  admit,
  classifyHandshakeError,
  type Admission,
  type PeerIdentity,
} from './peer-identity.js';
