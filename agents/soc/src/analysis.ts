import { z } from 'zod';
import { actionTypeSchema } from './actions.js';

/** MITRE ATT&CK technique id, e.g. `T1609` or `T1552.007`. */
export const attackTechniqueSchema = z
  .string()
  .regex(/^T\d{4}(\.\d{3})?$/, 'an ATT&CK technique id such as T1609');

export const severitySchema = z.enum(['low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof severitySchema>;

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
});

export type Analysis = z.infer<typeof analysisSchema>;
