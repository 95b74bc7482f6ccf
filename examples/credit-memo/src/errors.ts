import { VigilError } from '@vigil/core';

/** Error codes of the credit-memo network (one table; docs in the example's README). */
export const CREDIT_ERROR_CODES = {
  /** A collector was asked for a source the access policy does not grant it. */
  SOURCE_DENIED: 'VIGIL_CREDIT_SOURCE_DENIED',
  /** The source has no data for the borrower. */
  NO_DATA: 'VIGIL_CREDIT_NO_DATA',
  /** An analyst lacks a source entry or figure it needs. */
  MISSING_INPUT: 'VIGIL_CREDIT_MISSING_INPUT',
  /** Agent settings in the declaration are invalid. */
  SETTINGS_INVALID: 'VIGIL_CREDIT_SETTINGS_INVALID',
  /** A policy could not be built, loaded or evaluated (fail closed). */
  POLICY: 'VIGIL_CREDIT_POLICY',
  /** The release policy refused the release. */
  RELEASE_DENIED: 'VIGIL_CREDIT_RELEASE_DENIED',
  /** No memo (or no pending approval) with that id. */
  NOT_FOUND: 'VIGIL_CREDIT_NOT_FOUND',
} as const;
export type CreditErrorCode = (typeof CREDIT_ERROR_CODES)[keyof typeof CREDIT_ERROR_CODES];

/** The one error class of the example, with a code from {@link CREDIT_ERROR_CODES}. */
export class CreditError extends VigilError {
  constructor(
    code: CreditErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
