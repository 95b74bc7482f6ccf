import { VigilError } from '@vigil/core';

/**
 * Error codes of `@vigil/audit`. Tampering found by verification is not an error but a
 * value ({@link AuditProblem}); these are for bad input and broken environments.
 */
export type AuditErrorCode =
  | 'VIGIL_AUDIT_INVALID_ENTRY'
  | 'VIGIL_AUDIT_INVALID_VOCABULARY'
  | 'VIGIL_AUDIT_INVALID_SIGNER'
  | 'VIGIL_AUDIT_CHAIN_CONFLICT'
  | 'VIGIL_AUDIT_CLOSED'
  | 'VIGIL_AUDIT_STORE'
  | 'VIGIL_AUDIT_NOT_FOUND'
  | 'VIGIL_AUDIT_CONFIG';

/** The one error class of `@vigil/audit`. */
export class AuditError extends VigilError {
  declare readonly code: AuditErrorCode;
  constructor(
    code: AuditErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
