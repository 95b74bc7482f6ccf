/** The approval form's edit of an action's parameters: parsed and checked before anything is signed. */
import type { ProposedAction } from '../api/types.js';

export type ParsedEdit =
  | { readonly ok: true; readonly parameters: Record<string, unknown>; readonly changed: boolean }
  | { readonly ok: false; readonly message: string };

/**
 * Parses the edited parameters (a JSON object) against the action they edit. `changed`
 * is false when the edit is the original (then the approval is of the action as it was).
 */
export function parseParameterEdit(text: string, action: ProposedAction): ParsedEdit {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `parameters: not valid JSON (${(e as Error).message})` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, message: 'parameters: must be a JSON object' };
  const parameters = value as Record<string, unknown>;
  const changed =
    JSON.stringify(sortKeys(parameters)) !== JSON.stringify(sortKeys(action.parameters));
  return { ok: true, parameters, changed };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  return value;
}

/** A reason is mandatory and audited: blank or whitespace-only is refused. */
export function reasonProblem(reason: string): string | undefined {
  if (!reason.trim()) return 'A reason is required: it is signed and kept in the audit trail.';
  if (reason.length > 2000) return 'A reason is at most 2,000 characters.';
  return undefined;
}
