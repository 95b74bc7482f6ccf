/**
 * `@vigil/kubernetes`: renders an AgentSystem declaration as Kubernetes manifests — per
 * agent a ServiceAccount, RBAC derived exactly from `permissions.rules`, a hardened
 * Deployment, a Service, a PodDisruptionBudget and a cert-manager Certificate carrying its
 * SPIFFE ID; NetworkPolicies from `calls`; the policy bundle, OPA and Kyverno policies —
 * as plain YAML, a Helm chart or a kustomization, and applies them with server-side apply.
 * Nothing here knows any particular agent system.
 *
 * @example
 * ```ts
 * import { renderAgentRbac } from '@vigil/kubernetes';
 * const objects = renderAgentRbac(system, getAgent(system, 'remediator')); // Role, ClusterRole, bindings
 * ```
 */
export { KubernetesError, KUBERNETES_ERROR_CODES, type KubernetesErrorCode } from './errors.js';
export {
  AGENT_LABEL,
  COMPONENT_LABEL,
  SYSTEM_LABEL,
  agentLabels,
  componentLabels,
  systemLabels,
} from './labels.js';
export {
  CLUSTER_SCOPED_RESOURCES,
  agentRbacRules,
  isClusterScoped,
  rbacNameOf,
  renderAgentRbac,
  splitRule,
  usesKubernetesApi,
  type AgentRbacRules,
  type RbacObject,
  type RbacScope,
} from './rbac.js';
export {
  KIND_ORDER,
  parametriseKyverno,
  renderSystem,
  sortObjects,
  type RenderInputs,
} from './render.js';
export {
  POLICY_CONFIG_MAP_NAME,
  policyConfigKey,
  policyMountItems,
  renderPolicyConfigMap,
  type PolicyBundleInput,
} from './policy-bundle.js';
export { loadKyvernoPolicies, loadPolicyBundle, loadRenderInputs } from './inputs.js';
export {
  callGraphOf,
  renderMermaid,
  renderNetworkPolicies,
  type CallGraph,
  type ExternalEdge,
} from './network.js';
export {
  CONFIG_MAP_NAME,
  MOUNTS,
  renderCertificate,
  renderDeployment,
  renderPodDisruptionBudget,
  renderService,
  renderServiceAccount,
  tlsSecretOf,
  type Certificate,
} from './workload.js';
export { renderOpaServer, renderStateStores } from './components.js';
export {
  CSI_DRIVER_SPIFFE,
  CSI_IDENTITY_RBAC_NAME,
  csiTlsVolume,
  renderCsiIdentityRbac,
  usesCsiDriverSpiffe,
} from './csi-identity.js';
export {
  certificateRequestsOf,
  parseGoDuration,
  planPodmanPlay,
  podmanSecretFormat,
  type CertificateRequest,
  type PlayHostMount,
  type PlayProbe,
  type PodmanPlayOptions,
  type PodmanPlayPlan,
  type PodmanPlayUnit,
  type PodmanSecretFormat,
} from './podman-play.js';
export {
  RENDER_FORMATS,
  filesByKind,
  renderFiles,
  toYamlDocument,
  toYamlStream,
  writeRenderFiles,
  type RenderFormat,
} from './output.js';
export {
  createKubeApiClient,
  statusMessage,
  type ApiRequest,
  type ApiResponse,
  type KubeApiClient,
} from './api-client.js';
export {
  FIELD_MANAGER,
  applyObjects,
  createResourceResolver,
  diffFields,
  diffObjects,
  readObject,
  type AppliedObject,
  type FieldChange,
  type ObjectDiff,
  type ResourceResolver,
} from './apply.js';
