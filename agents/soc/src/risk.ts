import { z } from 'zod';
import { severitySchema, type Severity } from './analysis.js';

/**
 * How much the asset an event touches matters to the estate, declared by the operator
 * (detector `settings.assets`): the control plane and customer-facing systems above a
 * developer's namespace.
 */
export const assetCriticalitySchema = z.enum(['low', 'medium', 'high', 'critical']);
export type AssetCriticality = z.infer<typeof assetCriticalitySchema>;

/**
 * A finding's risk: one integer 0–100 that orders the queue, with the three inputs it was
 * computed from, so a reader can recompute it ({@link riskScoreOf}).
 *
 * It is the detector's, from the detection alone: no language model writes it, and the
 * analyst carries it into its evidence unchanged, so no model output can lower it.
 */
export const riskSchema = z.object({
  score: z.number().int().min(0).max(100),
  /** The detection's severity: the rules that fired and the source's own priority. */
  severity: severitySchema,
  /** The forest's anomaly score of the event, in [0, 1]. */
  anomaly: z.number().min(0).max(1),
  criticality: assetCriticalitySchema,
  /** Which declared asset entry set the criticality (`default` when none matched). */
  asset: z.string(),
});
export type Risk = z.infer<typeof riskSchema>;

/** Severity weight S: a critical rule counts fully, a low one (or no rule) 0.4 of it. */
export const SEVERITY_WEIGHT: Readonly<Record<Severity, number>> = {
  low: 0.4,
  medium: 0.6,
  high: 0.8,
  critical: 1,
};

/** Asset criticality weight C. */
export const CRITICALITY_WEIGHT: Readonly<Record<AssetCriticality, number>> = {
  low: 0.5,
  medium: 0.75,
  high: 0.9,
  critical: 1,
};

/**
 * `score = round(100 × S(severity) × A(anomaly) × C(criticality))`, with
 * `A = 0.5 + 0.5 × anomaly`: the forest modulates the rule tier's judgement within a
 * factor of two but never cancels it (a critical rule on an ordinary-looking event on a
 * critical asset is 50, the same event that the forest also finds maximally unusual
 * 100). Monotone in each input; the range is [10, 100].
 */
export function riskScoreOf(
  severity: Severity,
  anomaly: number,
  criticality: AssetCriticality,
): number {
  const a = 0.5 + 0.5 * Math.min(1, Math.max(0, anomaly));
  return Math.round(100 * SEVERITY_WEIGHT[severity] * a * CRITICALITY_WEIGHT[criticality]);
}
