/**
 * `@vigil/testkit`: starts real components on loopback for tests, one module per
 * component; each helper stops its component in `t.after` and fails (never skips) when
 * the component is not installed.
 *
 * @example
 * ```ts
 * import { startPostgres } from '@vigil/testkit';
 * test('…', async (t) => { const pg = await startPostgres(t); … pg.url … });
 * ```
 */
export {
  startPostgres,
  findPostgresBin,
  type StartedPostgres,
  type AfterHook,
} from './postgres.js';
export { startOpaServer, opaBinary, type OpaServer } from './opa.js';
export {
  startKubeApiServer,
  compactKubeApiServerStorage,
  type KubeApiServer,
  type VendoredCrds,
} from './kube-api-server.js';
export { toolBinary, type ToolName } from './tools.js';
export { startNats, type NatsServer, type StartNatsOptions } from './nats.js';
// The one exception: no language model is reachable from a test machine, so the analyst's
// model is a scripted OpenAI-compatible server (a test double, said so wherever it is used).
export {
  startScriptedOpenAiServer,
  type ScriptedModelServer,
  type ScriptedReply,
  type ChatRequest,
} from './scripted-openai-server.js';
// Its worst case: a model that obeys every instruction it finds in event data.
export {
  obey,
  startObedientOpenAiServer,
  type ObedientAnswer,
  type ObedientModelOptions,
} from './obedient-openai-server.js';
