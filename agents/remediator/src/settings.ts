import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { RemediatorError, REMEDIATOR_ERROR_CODES, formatProblems, problemsOf } from './errors.js';

/**
 * The remediator's `settings` in vigil.yaml (parsed once at start-up):
 *
 * ```yaml
 * settings:
 *   executor: dry-run                             # or kubernetes
 *   inventory: examples/soc-demo/inventory.yaml   # dry-run: the starting inventory
 *   reviewer: reviewer                            # agent whose verdicts are accepted
 *   identityProvider:                             # disable-user / enable-user webhook
 *     url: https://idp.example.com/hooks/vigil
 *     secretEnv: VIGIL_IDP_WEBHOOK_SECRET         # name of the env var holding the HMAC secret
 * ```
 */
export const remediatorSettingsSchema = z
  .object({
    executor: z.enum(['dry-run', 'kubernetes']).default('dry-run'),
    inventory: z.string().min(1).default('examples/soc-demo/inventory.yaml'),
    reviewer: z.string().min(1).default('reviewer'),
    identityProvider: z
      .object({
        url: z.url(),
        secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name'),
      })
      .strict()
      .optional(),
  })
  .strict();

export type RemediatorSettings = z.infer<typeof remediatorSettingsSchema>;

/** Validates `settings`; throws `VIGIL_REMEDIATOR_INVALID` naming every bad field. */
export function parseRemediatorSettings(
  settings: unknown,
  source = 'settings',
): RemediatorSettings {
  const parsed = remediatorSettingsSchema.safeParse(settings ?? {});
  if (!parsed.success) {
    const problems = problemsOf(parsed.error.issues, source);
    throw new RemediatorError(
      REMEDIATOR_ERROR_CODES.invalid,
      `invalid remediator settings: ${formatProblems(problems)}`,
      { details: { problems } },
    );
  }
  return Object.freeze(parsed.data);
}

/** Resolves a settings path against `baseDir` (the directory of vigil.yaml). */
export function resolveSettingsPath(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}
