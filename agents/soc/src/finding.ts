import { z } from 'zod';
import { attackTechniqueSchema, severitySchema } from './analysis.js';
import { riskSchema } from './risk.js';

/**
 * One detection rule that matched the event (the detector's rule tier, rules as data).
 * `source` is the rule's provenance: `vigil` for Vigil's own rules, `sigma:<uuid>` for a
 * SigmaHQ rule, `falco` for a rule Falco itself evaluated.
 */
export const ruleHitSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  techniques: z.array(attackTechniqueSchema),
  severity: severitySchema,
  source: z.string(),
});

export type RuleHit = z.infer<typeof ruleHitSchema>;

/**
 * What the detection decided, independently of any analyst: `severity` is the highest
 * severity of the rules that fired. An analysis (model or offline) is never below it.
 */
export const detectionSchema = z.object({
  severity: severitySchema,
  ruleHits: z.array(ruleHitSchema).min(1),
});

export type Detection = z.infer<typeof detectionSchema>;

/**
 * What the detector forwards for each anomalous event: the score, why (top features),
 * the normalised event, and the entities used to correlate findings into incidents.
 * The event is the detector's `SecurityEvent`, carried as JSON (`event.raw` is the
 * original record, kept as evidence).
 */
export const findingSchema = z.object({
  id: z.string().min(1),
  detectedAt: z.number(),
  score: z.number().min(0).max(1),
  threshold: z.number().min(0).max(1),
  modelVersion: z.string(),
  topFeatures: z.array(z.object({ name: z.string(), value: z.number(), contribution: z.number() })),
  event: z
    .object({
      id: z.string(),
      time: z.number(),
      format: z.string(),
      classUid: z.number(),
      activity: z.string(),
      severityId: z.number(),
      actor: z.record(z.string(), z.unknown()),
      tags: z.array(z.string()),
      raw: z.unknown(),
    })
    .loose(),
  /** Present when one or more detection rules fired; absent for a forest-only anomaly. */
  detection: detectionSchema.optional(),
  /**
   * The detector's risk of the finding (`riskScoreOf`: rule severity × anomaly × asset
   * criticality). Every detector of this version sets it; a finding queued by an earlier
   * one has none and is ranked by its severity alone.
   */
  risk: riskSchema.optional(),
  /** Correlation keys: findings sharing one of these, close in time, join one incident. */
  entities: z.object({
    workload: z.string().optional(),
    actor: z.string().optional(),
    addresses: z.array(z.string()).default([]),
  }),
});

export type Finding = z.infer<typeof findingSchema>;
