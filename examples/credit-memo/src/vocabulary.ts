/**
 * The credit-memo network's harness vocabulary, named by `vocabulary` in its vigil.yaml:
 * what `vigil trace`, `vigil audit export` and `vigil metrics` know of its audit kinds.
 */
export { CREDIT_AUDIT_VOCABULARY as auditVocabulary } from './audit.js';
