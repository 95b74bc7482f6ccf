/**
 * The SOC's harness vocabulary, named by `vocabulary` in vigil.yaml: what `vigil trace`,
 * `vigil audit export` and `vigil metrics` know of its audit kinds.
 */
export { SOC_AUDIT_VOCABULARY as auditVocabulary } from './audit-vocabulary.js';
