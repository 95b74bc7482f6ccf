/**
 * `@vigil/core`: what every Vigil package shares and nothing more — the error base
 * with stable codes, RFC 8785 canonical JSON and digests, and the redacting logger.
 *
 * @example
 * ```ts
 * import { digestOf, VigilError } from '@vigil/core';
 * const digest = digestOf({ type: 'isolate-pod', target: { namespace: 'shop', name: 'web-1' } });
 * ```
 */
export { VigilError, isVigilError } from './errors.js';
export { canonicalJson, digestOf, sha256Hex } from './canonical-json.js';
export { createLogger, REDACTED_PATHS, type Logger } from './logger.js';
