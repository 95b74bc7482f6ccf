import { VigilError } from '@vigil/core';

/**
 * Stable error codes of `@vigil/pki`. Operators grep for these; tests assert on them.
 * Messages name the file or certificate at fault and never contain key material.
 */
export const PKI_ERROR_CODES = {
  /** The state directory has no CA (`vigil pki init` or `vigil up` creates it). */
  CA_MISSING: 'VIGIL_PKI_CA_MISSING',
  /** A CA certificate or key on disk cannot be parsed or does not match. */
  CA_INVALID: 'VIGIL_PKI_CA_INVALID',
  /** An agent's certificate or key is missing on disk. */
  IDENTITY_MISSING: 'VIGIL_PKI_IDENTITY_MISSING',
  /** A PEM certificate cannot be parsed. */
  CERT_INVALID: 'VIGIL_PKI_CERT_INVALID',
  /** The private key on disk does not belong to the certificate beside it. */
  KEY_MISMATCH: 'VIGIL_PKI_KEY_MISMATCH',
  /** The agent is not declared in the AgentSystem. */
  UNKNOWN_AGENT: 'VIGIL_PKI_UNKNOWN_AGENT',
  /** A name or trust domain cannot be put into a SPIFFE ID. */
  INVALID_NAME: 'VIGIL_PKI_INVALID_NAME',
  /** An option is out of range (e.g. a non-positive validity). */
  INVALID_OPTION: 'VIGIL_PKI_INVALID_OPTION',
  /** A certificate signing request does not parse, is not self-signed by its key, or is not P-256. */
  CSR_INVALID: 'VIGIL_PKI_CSR_INVALID',
  /** Chain verification outcomes ({@link verifyCertificateChain} returns them as values). */
  CHAIN_UNTRUSTED: 'VIGIL_PKI_CHAIN_UNTRUSTED',
  CERT_EXPIRED: 'VIGIL_PKI_CERT_EXPIRED',
  CERT_NOT_YET_VALID: 'VIGIL_PKI_CERT_NOT_YET_VALID',
  NO_SPIFFE_ID: 'VIGIL_PKI_NO_SPIFFE_ID',
  CERT_IS_CA: 'VIGIL_PKI_CERT_IS_CA',
} as const;

export type PkiErrorCode = (typeof PKI_ERROR_CODES)[keyof typeof PKI_ERROR_CODES];

/** The one error class of `@vigil/pki`; `code` is one of {@link PKI_ERROR_CODES}. */
export class PkiError extends VigilError {
  constructor(
    code: PkiErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
