import { z } from 'zod';
import { analysisSchema } from '@vigil/soc';

/**
 * What the coordinator sends the reviewer for one proposal. The proposal is signed by
 * the remediator that computed it; the reviewer trusts the signature, not the sender,
 * for who requested the action and for its asset and blast radius.
 */
export const reviewRequestSchema = z.object({
  incidentId: z.string().min(1),
  proposal: z.object({
    id: z.string().min(1),
    action: z.object({
      type: z.string(),
      target: z.record(z.string(), z.unknown()),
      parameters: z.record(z.string(), z.unknown()),
    }),
    asset: z.record(z.string(), z.unknown()),
    blastRadius: z
      .object({
        pods: z.number().int().min(0),
        replicas: z.number().int().min(0),
        users: z.number().int().min(0),
      })
      .loose(),
    signature: z.string().min(1),
  }),
  analysis: analysisSchema,
  detectorScore: z.number().min(0).max(1),
  /** Addresses and pods observed in the finding (inputs of the narrowing mutations). */
  observed: z
    .object({ addresses: z.array(z.string()).default([]), pods: z.array(z.string()).default([]) })
    .default({ addresses: [], pods: [] }),
});

export type ReviewRequest = z.infer<typeof reviewRequestSchema>;
