/**
 * Loads the rule tier from a directory: every `*.yaml` under `vigil/` (Vigil's own rules,
 * `rules: [...]` per file) and the SigmaHQ rules vendored under `sigma/`, which run as
 * `sigma/overlay.yaml` says (action, benign exceptions, fixtures) with the provenance it
 * records. Everything is validated and compiled once; a bad rule refuses the whole load.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { conditionSchema } from './condition.js';
import { RuleError } from './errors.js';
import { RuleSet, compileRule, ruleSchema, type Rule } from './rule.js';
import { translateSigma } from './sigma.js';

/** The rules shipped with the detector (`agents/detector/rules`), from `src/` or `dist/`. */
export const DEFAULT_RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));

// `definitions` holds YAML anchors shared by a file's rules (identity lists, exceptions).
const ruleFileSchema = z.strictObject({
  definitions: z.unknown().optional(),
  rules: z.array(z.unknown()).min(1),
});

const overlaySchema = z.strictObject({
  definitions: z.unknown().optional(),
  repository: z.string(),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  licence: z.string(),
  rules: z.array(
    z.strictObject({
      file: z.string().regex(/^[\w.-]+\.ya?ml$/),
      upstreamPath: z.string(),
      action: z.enum(['alert', 'annotate']),
      except: conditionSchema.optional(),
      fixtures: ruleSchema.shape.fixtures,
    }),
  ),
});

/** Reads, validates and translates every rule under `dir`. Throws `VIGIL_DETECTOR_RULE_INVALID`. */
export function loadRules(dir: string = DEFAULT_RULES_DIR): Rule[] {
  const rules: Rule[] = [];
  const vigilDir = join(dir, 'vigil');
  for (const name of readdirSync(vigilDir)
    .filter((n) => n.endsWith('.yaml'))
    .sort()) {
    const file = join(vigilDir, name);
    const doc = validate(ruleFileSchema, readYaml(file), file);
    doc.rules.forEach((r, i) =>
      rules.push(validate(ruleSchema, r, `${file} rules[${i}]${idOf(r)}`)),
    );
  }
  const overlayFile = join(dir, 'sigma', 'overlay.yaml');
  const overlay = validate(overlaySchema, readYaml(overlayFile), overlayFile);
  for (const entry of overlay.rules) {
    const translated = translateSigma(readYaml(join(dir, 'sigma', entry.file)), entry, {
      repository: overlay.repository,
      path: entry.upstreamPath,
      commit: overlay.commit,
      licence: overlay.licence,
    });
    rules.push(validate(ruleSchema, translated, `${overlayFile} (${entry.file})`));
  }
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.id))
      throw new RuleError('VIGIL_DETECTOR_RULE_INVALID', `rule id ${r.id} is declared twice`);
    seen.add(r.id);
  }
  return rules;
}

/** Loads and compiles the rule tier (see {@link loadRules}). */
export function loadRuleSet(dir: string = DEFAULT_RULES_DIR): RuleSet {
  return new RuleSet(loadRules(dir).map(compileRule));
}

function readYaml(file: string): unknown {
  try {
    return parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new RuleError('VIGIL_DETECTOR_RULE_INVALID', `${file}: cannot read rules`, { cause });
  }
}

/** ` (id)` when the unvalidated rule has a string id, so an error names the rule. */
function idOf(rule: unknown): string {
  const id = (rule as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? ` (${id})` : '';
}

function validate<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new RuleError('VIGIL_DETECTOR_RULE_INVALID', `${where}: ${problems.join('; ')}`, {
    details: { problems },
  });
}
