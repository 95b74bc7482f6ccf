import type { z } from 'zod';
import type { AgentSystem } from '@vigil/registry';
import { resolveSystemPath } from '@vigil/registry';
import type { AgentContext } from '@vigil/runtime';
import { SOURCES, type Figure, type SourceName } from './contracts.js';
import { CREDIT_ERROR_CODES, CreditError } from './errors.js';
import { formatFigure } from './format.js';
import { SHIPPED_DATA_DIR } from './sources.js';

/** Parses an agent's `settings` once at start-up; errors name the agent and the field. */
export function parseSettings<T extends z.ZodType>(schema: T, ctx: AgentContext): z.infer<T> {
  const parsed = schema.safeParse(ctx.spec.settings);
  if (!parsed.success) {
    throw new CreditError(
      CREDIT_ERROR_CODES.SETTINGS_INVALID,
      `agents.${ctx.spec.name}.settings: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/**
 * Source grants of every agent, from `permissions.tools: [source:<name>]`: the policy
 * data of the access policy, so the declaration is the only place a grant is made.
 */
export function sourceGrants(system: AgentSystem): Record<string, SourceName[]> {
  return Object.fromEntries(
    system.agents.map((a) => [
      a.name,
      a.permissions.tools
        .filter((t) => t.startsWith('source:'))
        .map((t) => t.slice('source:'.length))
        .filter((s): s is SourceName => (SOURCES as readonly string[]).includes(s)),
    ]),
  );
}

/** The data directory: `settings.dataDir` relative to the declaration, else the shipped data. */
export function dataDirOf(system: AgentSystem, dataDir: string | undefined): string {
  return dataDir === undefined ? SHIPPED_DATA_DIR : resolveSystemPath(system, dataDir);
}

/** What `vigil trace` prints for a figure: value, formula and the ids it came from. */
export function figureRationale(f: Figure): string {
  const inputs =
    f.inputs.length > 4
      ? `${f.inputs.slice(0, 4).join(', ')} … (+${f.inputs.length - 4})`
      : f.inputs.join(', ');
  return `${f.id} = ${formatFigure(f)}${f.note === undefined ? '' : ` [${f.note}]`} — ${f.formula}; from ${inputs}`;
}
