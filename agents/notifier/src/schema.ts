import { z } from 'zod';

/** The `notify` skill's input: one {@link Notification}, validated at the edge. */
export const notificationSchema = z.object({
  incidentId: z.string().min(1),
  kind: z.enum(['incident', 'escalation', 'approval-expired', 'degraded', 'failed']),
  title: z.string().min(1).max(300),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  summary: z.string().max(4000),
  verdicts: z
    .array(
      z.object({
        action: z.string(),
        target: z.string(),
        decision: z.string(),
        reasons: z.array(z.string()),
        outcome: z.string().optional(),
      }),
    )
    .max(50),
  degraded: z.array(z.string()).max(20),
  traceLink: z.string().min(1),
  dedupKey: z.string().min(1),
  group: z.string().min(1).max(500).optional(),
  findings: z.number().int().min(1).optional(),
});
