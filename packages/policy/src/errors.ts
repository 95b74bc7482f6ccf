import { VigilError } from '@vigil/core';

/**
 * Stable error codes of `@vigil/policy`. Verdict and approval verification failures have
 * one code each so the remediator (and its audit entry) can say exactly why an action
 * was refused.
 */
export const POLICY_ERROR_CODES = Object.freeze({
  /** Engine options are invalid (bundle dir missing, bad entrypoint…). */
  CONFIG: 'VIGIL_POLICY_CONFIG',
  /** The `opa` binary cannot be found or fails to run. */
  OPA_UNAVAILABLE: 'VIGIL_POLICY_OPA_UNAVAILABLE',
  /** `opa build` rejected the policy. */
  BUILD_FAILED: 'VIGIL_POLICY_BUILD_FAILED',
  /** The engine could not load the policy or data (wasm instantiation, OPA server PUT). */
  LOAD_FAILED: 'VIGIL_POLICY_LOAD_FAILED',
  /** The policy input does not match the schema (fields named in `details.problems`). */
  INPUT_INVALID: 'VIGIL_POLICY_INPUT_INVALID',
  /** The action type is not one the engine was configured to accept. */
  UNKNOWN_ACTION: 'VIGIL_POLICY_UNKNOWN_ACTION',
  /** Evaluation failed (wasm trap, OPA server error or unreachable). */
  ENGINE_ERROR: 'VIGIL_POLICY_ENGINE_ERROR',
  /** Evaluation did not finish within the deadline. */
  TIMEOUT: 'VIGIL_POLICY_TIMEOUT',
  /** The policy returned no result or a result that is not a verdict. */
  OUTPUT_INVALID: 'VIGIL_POLICY_OUTPUT_INVALID',

  /** Not a signed compact JWS (a plain object, `alg: none`, an empty signature…). */
  VERDICT_UNSIGNED: 'VIGIL_VERDICT_UNSIGNED',
  /** The signature does not verify with the certificate in `x5c`, or the JWS is corrupt. */
  VERDICT_BAD_SIGNATURE: 'VIGIL_VERDICT_BAD_SIGNATURE',
  /** The signing certificate does not chain to the trusted CA or is outside its validity. */
  VERDICT_UNTRUSTED_SIGNER: 'VIGIL_VERDICT_UNTRUSTED_SIGNER',
  /** Signed by a valid identity that is not the expected reviewer. */
  VERDICT_WRONG_SIGNER: 'VIGIL_VERDICT_WRONG_SIGNER',
  /** The verdict is bound to a different action than the one about to execute. */
  VERDICT_ACTION_MISMATCH: 'VIGIL_VERDICT_ACTION_MISMATCH',
  /** Past `exp` (or not yet valid). */
  VERDICT_EXPIRED: 'VIGIL_VERDICT_EXPIRED',
  /** A valid verdict whose decision does not permit execution (deny, escalate). */
  VERDICT_NOT_EXECUTABLE: 'VIGIL_VERDICT_NOT_EXECUTABLE',
  /** Signed and trusted, but the payload is not a verdict (missing or mistyped claims). */
  VERDICT_MALFORMED: 'VIGIL_VERDICT_MALFORMED',

  APPROVAL_UNSIGNED: 'VIGIL_APPROVAL_UNSIGNED',
  APPROVAL_BAD_SIGNATURE: 'VIGIL_APPROVAL_BAD_SIGNATURE',
  APPROVAL_UNTRUSTED_SIGNER: 'VIGIL_APPROVAL_UNTRUSTED_SIGNER',
  /** The approver is not one of the identities allowed to approve. */
  APPROVAL_WRONG_SIGNER: 'VIGIL_APPROVAL_WRONG_SIGNER',
  APPROVAL_ACTION_MISMATCH: 'VIGIL_APPROVAL_ACTION_MISMATCH',
  APPROVAL_EXPIRED: 'VIGIL_APPROVAL_EXPIRED',
  /** A valid approval that records a rejection. */
  APPROVAL_REJECTED: 'VIGIL_APPROVAL_REJECTED',
  APPROVAL_MALFORMED: 'VIGIL_APPROVAL_MALFORMED',
} as const);

export type PolicyErrorCode = (typeof POLICY_ERROR_CODES)[keyof typeof POLICY_ERROR_CODES];

/** The one error class of `@vigil/policy`; `code` is one of {@link POLICY_ERROR_CODES}. */
export class PolicyError extends VigilError {
  declare readonly code: PolicyErrorCode;

  constructor(
    code: PolicyErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
