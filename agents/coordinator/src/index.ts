/**
 * `@vigil/coordinator`: the SOC's incident coordinator — a LangGraph.js state graph per
 * incident (analyse → propose → review → execute / reject / escalate → notify → close),
 * checkpointed so a restarted coordinator resumes every in-flight incident, with
 * correlation of findings into incidents, storms rolled up into one incident each, human approvals that expire (fail safe), and
 * an HTTP API for incidents and approvals.
 *
 * @example
 * ```ts
 * import { Coordinator, IncidentStore } from '@vigil/coordinator';
 * const coordinator = new Coordinator({ ports, store: new IncidentStore(path), checkpointer, approvalTtlMs, verifyApproval });
 * await coordinator.handleFinding(finding);
 * ```
 */
export {
  agent,
  coordinatorSettingsSchema,
  createCoordinatorAgent,
  OPS_API_SERVICE,
} from './agent.js';
export { createApprovalVerifier, DECIDING_ROLES } from './approval-verifier.js';
export {
  Coordinator,
  mergeAnalyses,
  type ApprovalInput,
  type ApprovalVerifier,
  type CoordinatorOptions,
} from './coordinator.js';
export {
  Correlator,
  DEFAULT_CORRELATION,
  entityKeys,
  type Assignment,
  type Correlation,
  type CorrelationSettings,
  type StormRecord,
} from './correlator.js';
export { entityClassOf, signatureOf, stormKeyOf } from './storm-key.js';
export {
  buildIncidentGraph,
  executionKey,
  IncidentState,
  summarise,
  type ApprovalResume,
} from './incident-graph.js';
export {
  IncidentStore,
  type ApprovalRow,
  type ApprovalStatus,
  type IncidentRow,
  type IncidentStatus,
  type RollupDigest,
  type RollupItem,
} from './incident-store.js';
export { describeTarget, failureNotificationFor, notificationFor } from './notification.js';
export {
  createOpsApp,
  openApiDocument,
  startOpsApi,
  type OpsApi,
  type OpsAppOptions,
} from './ops-api/server.js';
export { CSRF_HEADER, SESSION_COOKIE, SessionStore } from './ops-api/sessions.js';
export { LoginThrottle } from './ops-api/login-throttle.js';
export { hashPassword, MIN_PASSWORD_LENGTH } from './password-hash.js';
export type {
  ApprovalRequest,
  Authorisation,
  Decision,
  ExecutionResult,
  HumanDecision,
  IncidentFailure,
  IncidentPorts,
  IncidentSummary,
  Proposal,
  ProposalOutcome,
  ProposedAction,
  Review,
} from './ports.js';
export {
  addConsoleUser,
  addUser,
  authenticate,
  authenticatePassword,
  ensureBootstrapAdmin,
  ensureBootstrapPassword,
  passwordFile,
  listUsers,
  ROLES,
  tokenFile,
  usersFile,
  type Role,
  type User,
} from './users.js';
