import { VigilError } from '@vigil/core';

/**
 * Error codes of the detector's rule tier. A rule that does not load is a configuration
 * error (the detector refuses to start on it), never a silently skipped rule.
 *
 * - `VIGIL_DETECTOR_RULE_INVALID`: a rule file is not valid YAML, a rule does not match the
 *   rule schema, a condition uses an unknown operator or a bad regular expression, two
 *   rules share an id, or a Sigma rule uses a construct the loader does not translate
 *   (details name the file and the rule).
 */
export type RuleErrorCode = 'VIGIL_DETECTOR_RULE_INVALID';

/** The one error class of the detector's rule tier. */
export class RuleError extends VigilError {
  declare readonly code: RuleErrorCode;

  constructor(
    code: RuleErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
