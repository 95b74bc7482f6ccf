import { z } from 'zod';
import { VigilError } from '@vigil/core';

/**
 * `settings` of an echo agent in `vigil.yaml`. Everything under `testHooks` exists to
 * let the harness's own integration tests make an agent misbehave on purpose; a real
 * deployment never sets it.
 */
export const EchoSettingsSchema = z
  .object({
    /** Deadline of the relay's outgoing call, ms (default: the client's). */
    relayDeadlineMs: z.number().int().positive().optional(),
    /** TEST HOOKS — deliberate misbehaviour for the supervisor's tests. */
    testHooks: z
      .object({
        /** Calling this skill spins the event loop forever (a busy, unresponsive agent). */
        busyLoopOnSkill: z.string().min(1).optional(),
        /** Calling this skill never answers (a hung call; the event loop stays alive). */
        hangOnSkill: z.string().min(1).optional(),
        /** Calling this skill allocates JavaScript memory until the V8 heap limit kills the process. */
        leakOnSkill: z.string().min(1).optional(),
        /**
         * Calling this skill first allocates `input.allocateMiB` MiB of touched off-heap
         * memory (one Buffer); with `input.hold: true` it keeps it until the call is
         * aborted, else it releases it and answers.
         */
        allocateOnSkill: z.string().min(1).optional(),
        /** `echo` waits until this file exists before answering (to hold a call in flight). */
        holdEchoUntilFile: z.string().min(1).optional(),
        /** `start()` throws: the process exits at every start (a crash loop). */
        failStart: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type EchoSettings = z.infer<typeof EchoSettingsSchema>;

/** The one error class of the echo agent (`VIGIL_ECHO_*`). */
export class EchoError extends VigilError {}

/**
 * Validates the settings of agent `agentName`.
 * @throws EchoError `VIGIL_ECHO_SETTINGS_INVALID` naming every bad field.
 */
export function parseEchoSettings(agentName: string, settings: unknown): EchoSettings {
  const parsed = EchoSettingsSchema.safeParse(settings ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) =>
        `agents.${agentName}.settings${i.path.map((p) => `.${String(p)}`).join('')}: ${i.message}`,
    );
    throw new EchoError('VIGIL_ECHO_SETTINGS_INVALID', problems.join('; '), {
      details: { problems },
    });
  }
  return parsed.data;
}
