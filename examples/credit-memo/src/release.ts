import { z } from 'zod';
import type { AgentSystem } from '@vigil/registry';
import { CREDIT_ERROR_CODES, CreditError } from './errors.js';

const approvers = z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/)).min(1);

/**
 * The users allowed to release a memo: `policy.settings.approvers` of the declaration
 * (relationship managers), also the data of the release policy.
 */
export function approversOf(system: AgentSystem): string[] {
  const parsed = approvers.safeParse(system.policy.settings['approvers']);
  if (!parsed.success) {
    throw new CreditError(
      CREDIT_ERROR_CODES.SETTINGS_INVALID,
      'policy.settings.approvers: a list of at least one local user id (the relationship managers who may release memos)',
    );
  }
  return parsed.data;
}

/** `data.vigil.config` of the release policy. */
export function releasePolicyData(system: AgentSystem): Record<string, unknown> {
  return { approvers: approversOf(system), trustDomain: system.trustDomain };
}
