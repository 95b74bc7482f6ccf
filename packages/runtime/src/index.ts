/**
 * `@vigil/runtime`: the inside of one agent process. It loads the declaration and the
 * agent's credentials, imports the agent implementation (`spec.implementation`, a package
 * exporting `agent: AgentDefinition`), serves its skills over mutual-TLS A2A, answers
 * health probes, reloads rotated credentials without restarting, and drains on SIGTERM.
 * The supervisor (`@vigil/supervisor`) runs {@link AGENT_ENTRY_SCRIPT} once per replica.
 *
 * @example
 * ```ts
 * // agents/hello/src/index.ts — an agent implementation
 * import { z } from 'zod';
 * import { defineSkill } from '@vigil/core';
 * import { implementSkill, type AgentDefinition } from '@vigil/runtime';
 * // The contract lives in the system's shared package, so callers import the same one.
 * const greet = defineSkill({ id: 'greet', input: z.object({ name: z.string() }),
 *   output: z.object({ hello: z.string() }) });
 * export const agent: AgentDefinition = {
 *   skills: [implementSkill(greet, async (input, ctx) => ({ hello: `${input.name}, from ${ctx.caller.name}` }))],
 * };
 * // a caller, typed by the same contracts: createPeerClient(ctx.client, { hello: [greet] })
 * //   .call('hello', 'greet', { name: 'ada' }) resolves to { hello: string }
 *
 * // in-process (tests, embedding): the same runtime the agent processes use
 * import { startAgentRuntime } from '@vigil/runtime';
 * const runtime = await startAgentRuntime({ system, agentName: 'hello', stateDir });
 * await runtime.shutdown();
 * ```
 */
import { fileURLToPath } from 'node:url';

export {
  implementSkill,
  isAgentDefinition,
  type AgentContext,
  type AgentDefinition,
  type AgentSkillContext,
  type AgentSkillHandler,
  type ImplementedSkill,
  type DemoContext,
  type DemoDriver,
  type InvokeResult,
} from './definition.js';
export { RuntimeError, RUNTIME_ERROR_CODES } from './errors.js';
export { callPeer, createPeerClient, type PeerClient } from './peer-client.js';
export {
  publishServiceAddress,
  readServiceAddress,
  serviceAddressFile,
  withdrawServiceAddress,
  type ServiceAddress,
} from './service-address.js';
export { parseAgentProcessEnv, type AgentProcessEnv } from './env.js';
export { inTransaction, openPostgresPool, redactUrl } from './postgres-pool.js';
export { startHealthServer, type HealthServer, type HealthState } from './health-server.js';
export { startAgentRuntime, type AgentRuntime, type AgentRuntimeOptions } from './agent-runtime.js';
export { runAgentProcess, isConfigurationError, EXIT_CONFIG } from './process-main.js';
export {
  isIpcMessage,
  type AgentToSupervisorMessage,
  type CertificateSummary,
  type CredentialsReloadedMessage,
  type DrainingMessage,
  type FatalMessage,
  type InvokeMessage,
  type InvokeResultMessage,
  type ReadyMessage,
  type ReloadCredentialsMessage,
  type SupervisorToAgentMessage,
} from './ipc.js';

/**
 * Absolute path of the agent process entry script: the TypeScript source (run it with
 * `--import tsx`), or, when this module itself runs compiled from `dist/`, the compiled one.
 */
export const AGENT_ENTRY_SCRIPT: string = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './entry.ts' : './entry.js', import.meta.url),
);

/** The compiled entry script (`dist/entry.js`, built by `scripts/build-dist.mjs`). */
export const COMPILED_AGENT_ENTRY_SCRIPT: string = fileURLToPath(
  new URL('../dist/entry.js', import.meta.url),
);
