import { z } from 'zod';
import { defineSkill } from '@vigil/core';

const callerSchema = z.object({ name: z.string(), spiffeId: z.string() });

/** Output of the `echo` skill. */
export const echoOutputSchema = z.object({
  /** The input, as received. */
  echo: z.json(),
  agent: z.string(),
  replica: z.number().int().min(0),
  pid: z.number().int(),
  caller: callerSchema,
  traceId: z.string().optional(),
});
export type EchoOutput = z.infer<typeof echoOutputSchema>;

/** Output of the `relay` skill. */
export const relayOutputSchema = z.object({
  relayedBy: z.string(),
  to: z.string(),
  reply: echoOutputSchema,
  /** Time of the outgoing mTLS call as seen by the relaying agent, ms. */
  hopMs: z.number().min(0),
  traceId: z.string().optional(),
});
export type RelayOutput = z.infer<typeof relayOutputSchema>;

/** The echo agent's skills: `echo` takes any JSON value; `relay` names its callee or takes the first of `calls`. */
export const ECHO_SKILLS = Object.freeze({
  echo: defineSkill({ id: 'echo', input: z.json(), output: echoOutputSchema }),
  relay: defineSkill({
    id: 'relay',
    input: z
      .object({ to: z.string().min(1).optional(), message: z.json().optional() })
      .nullish()
      .transform((value) => value ?? {}),
    output: relayOutputSchema,
  }),
});
