import { z } from 'zod';

/**
 * The SOC's response vocabulary. The remediator's catalogue implements these; the
 * analyst may only recommend these; the reviewer's Rego knows exactly these.
 */
export const ACTION_TYPES = [
  'isolate-pod',
  'scale-to-zero',
  'delete-pod',
  'block-ip',
  'revoke-sa-token',
  'cordon-node',
  'disable-user',
] as const;

export type ActionType = (typeof ACTION_TYPES)[number];

export const actionTypeSchema = z.enum(ACTION_TYPES);

/** True when `value` names an action of the catalogue. */
export function isActionType(value: unknown): value is ActionType {
  return typeof value === 'string' && (ACTION_TYPES as readonly string[]).includes(value);
}
