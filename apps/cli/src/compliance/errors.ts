import { VigilError } from '@vigil/core';

/**
 * Every code `vigil compliance` reports. Verification failures are values
 * ({@link ReportVerification}) that carry one of the `VERIFY_*` codes; the others are thrown.
 */
export const COMPLIANCE_ERROR_CODES = {
  /** Chromium could not turn the HTML into a PDF. */
  RENDER_FAILED: 'VIGIL_COMPLIANCE_RENDER_FAILED',
  /** A chart specification could not be rendered to SVG. */
  CHART_FAILED: 'VIGIL_COMPLIANCE_CHART_FAILED',
  /** The `--eval` file is not the JSON output of `vigil eval`. */
  EVALUATION_INVALID: 'VIGIL_COMPLIANCE_EVALUATION_INVALID',
  /** The file carries no report signature at all. */
  VERIFY_UNSIGNED: 'VIGIL_COMPLIANCE_UNSIGNED',
  /** The signature block is not a well-formed report JWS. */
  VERIFY_MALFORMED: 'VIGIL_COMPLIANCE_MALFORMED',
  /** The JWS does not verify with the certificate it carries. */
  VERIFY_BAD_SIGNATURE: 'VIGIL_COMPLIANCE_BAD_SIGNATURE',
  /** The certificate is not issued by a CA of the trust bundle (or not valid when signing). */
  VERIFY_UNTRUSTED_SIGNER: 'VIGIL_COMPLIANCE_UNTRUSTED_SIGNER',
  /** The certificate is trusted but is not a report identity (`spiffe://<td>/report/<name>`). */
  VERIFY_WRONG_SIGNER: 'VIGIL_COMPLIANCE_WRONG_SIGNER',
  /** The document's bytes are not the bytes that were signed. */
  VERIFY_CONTENT_ALTERED: 'VIGIL_COMPLIANCE_CONTENT_ALTERED',
  /** Verification found a problem (thrown by the command after printing the result). */
  VERIFY_FAILED: 'VIGIL_COMPLIANCE_VERIFY_FAILED',
} as const;

export type ComplianceErrorCode =
  (typeof COMPLIANCE_ERROR_CODES)[keyof typeof COMPLIANCE_ERROR_CODES];

/** An error of `vigil compliance`, with a code from {@link COMPLIANCE_ERROR_CODES}. */
export class ComplianceError extends VigilError {
  constructor(code: ComplianceErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}
