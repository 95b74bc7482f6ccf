/**
 * `@vigil/registry`: the `vigil.yaml` AgentSystem declaration — the one file from which
 * Vigil derives processes, identities, mTLS allow-lists, agent cards and manifests.
 * Loading validates everything at once and reports every problem with its field path,
 * YAML line and a did-you-mean; the returned system is deep-frozen with defaults filled.
 *
 * @example
 * ```ts
 * import { loadAgentSystem, mayCall, spiffeIdOf } from '@vigil/registry';
 *
 * const system = await loadAgentSystem('vigil.yaml'); // throws RegistryError VIGIL_CONFIG_*
 * spiffeIdOf(system, 'coordinator');                  // 'spiffe://soc.vigil.local/agent/coordinator'
 * mayCall(system, 'coordinator', 'analyst');           // true
 * ```
 */
export {
  loadAgentSystem,
  loadAgentSystemSync,
  parseAgentSystem,
  resolveSystemPath,
  sourceOf,
} from './load.js';
export {
  agentNameFromSpiffeId,
  agentSpiffeIdIn,
  calleesOf,
  callersOf,
  findAgent,
  getAgent,
  mayCall,
  spiffeIdOf,
  startOrder,
  type SpiffeIdScheme,
} from './queries.js';
export {
  describeSystem,
  type AgentDescription,
  type ChannelDescription,
  type SystemDescription,
} from './describe.js';
export {
  formatProblem,
  MAX_DECLARATION_BYTES,
  RegistryError,
  REGISTRY_ERROR_CODES,
  type ConfigProblem,
} from './errors.js';
export {
  AgentSystemSchema,
  agentSystemJsonSchema,
  API_VERSION,
  KIND,
  RBAC_VERBS,
  SPIFFE_ID_FORMS,
  dnsLabelProblem,
  isRbacWildcard,
  trustDomainProblem,
  type ActionSpec,
  type AgentResources,
  type AgentSkill,
  type AgentSpec,
  type AgentSystem,
  type AgentSystemInput,
  type DeepReadonly,
  type EmailChannel,
  type FieldProblem,
  type KubernetesConfig,
  type ModelConfig,
  type NotificationChannel,
  type NotificationsConfig,
  type PagerDutyChannel,
  type PermissionRule,
  type PolicyConfig,
  type RestartPolicy,
  type SlackChannel,
  type SpiffeIdForm,
  type StoreConfig,
  type WebhookChannel,
} from './schema.js';
export { goDurationSeconds } from './kubernetes-schema.js';
export {
  MIN_AGENT_MEMORY_BYTES,
  parseCpuQuantity,
  parseMemoryQuantity,
  parseQuantity,
  type QuantityResult,
} from './quantity.js';
export { closestMatch, didYouMean, editDistance, levenshtein } from './suggest.js';
