/**
 * `@vigil/remediator`: the SOC's response catalogue and its executors. Turns an analysis
 * into concrete typed actions with a blast radius, executes one only with a verdict or a
 * human approval bound to it (idempotently: the intent is stored before any request),
 * and undoes reversible ones through a new, reviewed inverse action.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry, createPolicyAuthoriser, DryRunExecutor, ExecutionStore,
 *   loadInventoryFile, Remediator } from '@vigil/remediator';
 * const dry = new DryRunExecutor(await loadInventoryFile('examples/soc-demo/inventory.yaml'));
 * const remediator = new Remediator({ registry: createDefaultRegistry(), executor: dry, inventory: dry,
 *   authoriser: createPolicyAuthoriser({ caPem, reviewer: 'spiffe://vigil.local/agent/reviewer' }),
 *   store: ExecutionStore.open('.vigil/remediator/executions.db') });
 * const { proposals } = await remediator.propose(finding, analysis);
 * const record = await remediator.execute(proposals[0].action, { kind: 'verdict', jws });
 * ```
 */
export {
  blastRadius,
  defineAction,
  type Action,
  type ActionDefinition,
  type ActionPlan,
  type AffectedAsset,
  type AnyActionDefinition,
  type BlastRadius,
  type Observation,
  type TypedAction,
} from './actions/action.js';
export { ActionRegistry, type ActionAssessment, type ParsedAction } from './actions/registry.js';
export {
  PATCH_TYPES,
  RESOURCES,
  httpRequestOf,
  resourcePath,
  type ApiRequest,
  type HttpRequestShape,
  type KubernetesRequest,
  type PatchType,
  type ResourceKind,
  type WebhookRequest,
} from './actions/requests.js';
export { BUILT_IN_ACTIONS, createDefaultRegistry } from './actions/catalogue/index.js';
export {
  QUARANTINE_LABEL,
  MANAGED_BY_LABELS,
  parseCidr,
  quarantineIdOf,
} from './actions/catalogue/common.js';
export { IDENTITY_PROVIDER_ENDPOINT } from './actions/catalogue/disable-user.js';
export {
  APPROVER_ROLES,
  createPolicyAuthoriser,
  type Authorisation,
  type Authoriser,
  type PolicyAuthoriserOptions,
  type VerifyApproval,
  type VerifyVerdict,
} from './authorisation.js';
export { RemediatorError, REMEDIATOR_ERROR_CODES } from './errors.js';
export { DryRunExecutor, type AppliedRequest, type RecordedRequest } from './executors/dry-run.js';
export {
  OUTCOME_CODES,
  RoutingExecutor,
  type Executor,
  type RequestOutcome,
  type SendContext,
} from './executors/executor.js';
export { executePlan, type PlanResult, type StepResult } from './executors/execute-plan.js';
export {
  WebhookExecutor,
  signWebhook,
  verifyWebhookSignature,
  SIGNATURE_HEADER,
  EVENT_HEADER,
  IDEMPOTENCY_HEADER,
  type WebhookEndpoint,
} from './executors/webhook.js';
export {
  InventorySnapshot,
  loadInventoryFile,
  parseInventoryYaml,
  selectorMatches,
  staticInventorySource,
  type Inventory,
  type InventorySource,
  type PodFilter,
} from './inventory/inventory.js';
export {
  inventoryDocumentSchema,
  type InventoryDocument,
  type InventoryDocumentInput,
  type NetworkPolicyRecord,
  type NodeRecord,
  type PodRecord,
  type ServiceAccountRecord,
  type UserRecord,
  type WorkloadRecord,
} from './inventory/schema.js';
export { KubernetesExecutor } from './kubernetes/kubernetes-executor.js';
export { KubernetesInventorySource } from './kubernetes/kubernetes-inventory.js';
export { proposeActions, type Proposal, type ProposalSet } from './propose.js';
export {
  Remediator,
  type ExecuteOptions,
  type ReconcileEntry,
  type RemediatorOptions,
  type UndoProposal,
} from './remediator.js';
export {
  ExecutionStore,
  type AuthorisationRecord,
  type ExecutionFilter,
  type ExecutionIntent,
  type ExecutionLedger,
  type ExecutionRecord,
  type ExecutionState,
} from './store/execution-store.js';
export { PostgresExecutionStore } from './store/postgres-execution-store.js';
export { agent, createRemediatorAgent } from './agent.js';
export {
  signProposals,
  targetAsset,
  type SignedProposal,
  type TargetAsset,
} from './signed-proposals.js';
export {
  parseRemediatorSettings,
  remediatorSettingsSchema,
  type RemediatorSettings,
} from './settings.js';
export {
  openExecutionLedger,
  openRemediator,
  remediatorPaths,
  type OpenRemediatorOptions,
} from './service.js';
export { toOcsfRemediationActivity } from './ocsf.js';
