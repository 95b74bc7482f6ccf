import { pathToFileURL } from 'node:url';
import { HARNESS_AUDIT_VOCABULARY, type AuditVocabulary } from '@vigil/audit';
import { VigilError } from '@vigil/core';
import { resolveSystemPath, type AgentSystem } from '@vigil/registry';

/** What an agent system's `vocabulary` module gives the harness's commands. */
export interface SystemVocabulary {
  /** Its audit kinds and their describers (trace, export, metrics). */
  readonly audit: AuditVocabulary;
  /**
   * The schema of the policy input's `context` (a zod schema), when the system declares
   * one; the harness then checks every context against it before any engine sees it.
   */
  readonly policyContext: unknown;
}

function isAuditVocabulary(value: unknown): value is AuditVocabulary {
  const v = value as Partial<AuditVocabulary> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.kinds instanceof Set &&
    typeof v.describe === 'function' &&
    typeof v.correlation === 'string'
  );
}

/**
 * Imports the module the declaration names in `vocabulary` (a package specifier, or a
 * path relative to `vigil.yaml`) once per call. A system that names none gets the
 * harness's kinds only and no context schema. Throws `VIGIL_CONFIG_VOCABULARY` (exit code
 * 2) when the module cannot be imported or does not export an `auditVocabulary` built by
 * `defineAuditVocabulary`.
 */
export async function loadSystemVocabulary(system: AgentSystem): Promise<SystemVocabulary> {
  const specifier = system.vocabulary;
  if (specifier === undefined) return { audit: HARNESS_AUDIT_VOCABULARY, policyContext: undefined };
  const target =
    specifier.startsWith('.') || specifier.startsWith('/')
      ? pathToFileURL(resolveSystemPath(system, specifier)).href
      : specifier;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(target)) as Record<string, unknown>;
  } catch (cause) {
    throw new VigilError(
      'VIGIL_CONFIG_VOCABULARY',
      `vocabulary: cannot import "${specifier}": ${(cause as Error).message}`,
      { cause },
    );
  }
  if (!isAuditVocabulary(mod['auditVocabulary']))
    throw new VigilError(
      'VIGIL_CONFIG_VOCABULARY',
      `vocabulary: "${specifier}" does not export auditVocabulary (build it with defineAuditVocabulary from @vigil/audit)`,
    );
  return { audit: mod['auditVocabulary'], policyContext: mod['policyContext'] };
}
