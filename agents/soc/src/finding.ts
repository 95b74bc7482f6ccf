import { z } from 'zod';

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
  /** Correlation keys: findings sharing one of these, close in time, join one incident. */
  entities: z.object({
    workload: z.string().optional(),
    actor: z.string().optional(),
    addresses: z.array(z.string()).default([]),
  }),
});

export type Finding = z.infer<typeof findingSchema>;
