import { z } from 'zod';
import { actionTypeSchema } from './actions.js';

/** MITRE ATT&CK technique id, e.g. `T1609` or `T1552.007`. */
export const attackTechniqueSchema = z
  .string()
  .regex(/^T\d{4}(\.\d{3})?$/, 'an ATT&CK technique id such as T1609');

export const severitySchema = z.enum(['low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof severitySchema>;

/** Severities from least to most severe. */
export const SEVERITY_ORDER: readonly Severity[] = severitySchema.options;

/** The more severe of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_ORDER.indexOf(b) > SEVERITY_ORDER.indexOf(a) ? b : a;
}

/**
 * OCSF `severity_id` (0 unknown, 1 informational, 2 low, 3 medium, 4 high, 5 critical,
 * 6 fatal, 99 other) as an analysis severity: the detector maps Falco priorities and audit
 * outcomes onto it, so it is the event source's own judgement of the event.
 */
export function severityOfEvent(severityId: number): Severity {
  if (severityId >= 5 && severityId <= 6) return 'critical';
  if (severityId === 4) return 'high';
  if (severityId === 3) return 'medium';
  return 'low';
}

/**
 * What the detection itself established about a finding, computed by Vigil's own code
 * (detector priority, the rule-based analysis of the same event) and never by a language
 * model: the reviewer's confidence and the severity floor are derived from it alone.
 */
export const detectionEvidenceSchema = z.object({
  /** Confidence of the deterministic rule-based analysis of the same finding(s). */
  ruleConfidence: z.number().min(0).max(1),
  /** The lowest severity an analysis may report: rule severity, event priority. */
  severityFloor: severitySchema,
  /** The detector's risk score of the finding(s), 0–100 (the highest), copied, never recomputed. */
  riskScore: z.number().int().min(0).max(100).optional(),
});
export type DetectionEvidence = z.infer<typeof detectionEvidenceSchema>;

/**
 * The analyst's structured verdict on a finding — the schema both the language model's
 * output and the offline analyser's output are validated against. `source` is honest
 * about where it came from; `degraded` says why a fallback was used.
 */
export const analysisSchema = z.object({
  techniques: z.array(attackTechniqueSchema).max(10),
  severity: severitySchema,
  confidence: z.number().min(0).max(1),
  summary: z.string().min(1).max(2000),
  rationale: z.string().min(1).max(8000),
  recommendedResponses: z.array(actionTypeSchema).max(7),
  source: z.enum(['model', 'rule-based']),
  model: z
    .object({
      provider: z.string(),
      name: z.string(),
      promptDigest: z.string(),
      usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }).optional(),
    })
    .optional(),
  degraded: z.string().optional(),
  /** Set by Vigil for every analysis; an analysis without it gets no confidence at review. */
  evidence: detectionEvidenceSchema.optional(),
  /**
   * What a language model claimed and Vigil did not take as fact: a lower severity than
   * the floor, a "benign" disposition, its self-reported confidence. A recommendation for
   * a human, shown beside the incident; never a closure.
   */
  advice: z
    .object({
      severity: severitySchema,
      confidence: z.number().min(0).max(1),
      disposition: z.enum(['malicious', 'suspicious', 'benign']).optional(),
    })
    .optional(),
});

export type Analysis = z.infer<typeof analysisSchema>;
