import { VigilError } from '@vigil/core';

/**
 * Stable error codes of the remediator. Expected outcomes (a request the cluster
 * refused, a retried execution) are values, not these; these are for bad input,
 * refused authorisation and broken environments.
 */
export const REMEDIATOR_ERROR_CODES = {
  /** An action, inventory or setting failed validation; `details.problems` lists each path. */
  invalid: 'VIGIL_REMEDIATOR_INVALID',
  /** No definition is registered for the action's type. */
  unknownAction: 'VIGIL_REMEDIATOR_UNKNOWN_ACTION',
  /** A type was registered twice. */
  duplicateAction: 'VIGIL_REMEDIATOR_DUPLICATE_ACTION',
  /** The action's target does not exist in the inventory. */
  targetNotFound: 'VIGIL_REMEDIATOR_TARGET_NOT_FOUND',
  /** The action would be unsafe or ineffective on this inventory (e.g. a block that would widen access). */
  unsafe: 'VIGIL_REMEDIATOR_UNSAFE',
  /** No valid signed verdict or human approval bound to this exact action. */
  unauthorised: 'VIGIL_REMEDIATOR_UNAUTHORISED',
  /** The execution id is unknown, or the execution cannot be undone. */
  notUndoable: 'VIGIL_REMEDIATOR_NOT_UNDOABLE',
  unknownExecution: 'VIGIL_REMEDIATOR_UNKNOWN_EXECUTION',
  /** The inventory file or API could not be read. */
  inventory: 'VIGIL_REMEDIATOR_INVENTORY',
  /** The execution store could not be opened or written. */
  store: 'VIGIL_REMEDIATOR_STORE',
} as const;

/** The remediator's one error class; `code` is from {@link REMEDIATOR_ERROR_CODES}. */
export class RemediatorError extends VigilError {}

/** A zod-style issue list rendered as `path: message` lines for error messages. */
export function formatProblems(
  problems: readonly { path: string; message: string }[],
  limit = 8,
): string {
  const shown = problems.slice(0, limit).map((p) => `${p.path || '(root)'}: ${p.message}`);
  if (problems.length > limit) shown.push(`… and ${problems.length - limit} more`);
  return shown.join('; ');
}

/** Flattens zod issues into `{ path, message }` with dotted paths under `prefix`. */
export function problemsOf(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix = '',
): { path: string; message: string }[] {
  return issues.map((issue) => {
    const tail = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    const path = prefix && tail ? `${prefix}.${tail}`.replace('.[', '[') : prefix || tail;
    return { path, message: issue.message };
  });
}
