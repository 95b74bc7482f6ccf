import type { Command } from 'commander';
import { registerRegistryCommand } from './registry.js';
import { registerStatusCommand } from './status.js';
import { registerUpCommand } from './up.js';
import { registerPolicyCommand } from './policy.js';
import { registerScenarioCommand } from './scenario.js';
import { registerDetectorCommand } from './detector.js';
import { registerPkiCommand } from './pki.js';
import { registerAuditCommand } from './audit.js';
import { registerTraceCommand } from './trace.js';
import { registerMetricsCommand } from './metrics.js';
import { registerActionsCommand } from './actions.js';
import { registerApprovalsCommand } from './approvals.js';
import { registerUsersCommand } from './users.js';
import { registerK8sCommand } from './k8s.js';
import { registerEvalCommand } from './eval.js';
import { registerComplianceCommand } from './compliance.js';

/** A `vigil` sub-command: adds itself (and its own sub-commands) to the program. */
export type CommandRegistration = (program: Command) => void;

/**
 * Every sub-command, in help order. Each lives in its own module under `commands/`;
 * adding one is one import and one entry here.
 */
export const COMMANDS: readonly CommandRegistration[] = [
  registerUpCommand,
  registerStatusCommand,
  registerRegistryCommand,
  registerPolicyCommand,
  registerScenarioCommand,
  registerDetectorCommand,
  registerPkiCommand,
  registerAuditCommand,
  registerTraceCommand,
  registerMetricsCommand,
  registerActionsCommand,
  registerApprovalsCommand,
  registerUsersCommand,
  registerK8sCommand,
  registerEvalCommand,
  registerComplianceCommand,
];
