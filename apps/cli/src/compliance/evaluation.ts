/**
 * The evaluation a report carries (Art. 15(1) and 15(3): accuracy levels and their
 * metrics): the `--json` output of `vigil eval`, read back and checked at the edge. Only
 * the figures the report shows are read; the file's SHA-256 pins which run it was.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { COMPLIANCE_ERROR_CODES, ComplianceError } from './errors.js';

const ratio = z.number().min(0).max(1).nullable();

const evalDocumentSchema = z.object({
  scenario: z.string(),
  scenarioSha256: z.string().regex(/^[0-9a-f]{64}$/),
  evaluatedAt: z.iso.datetime(),
  runs: z
    .array(
      z.object({
        analyst: z.string(),
        model: z.string().nullable(),
        score: z.object({
          detection: z.object({
            attackEvents: z.number().int().nonnegative(),
            recall: ratio,
            precision: ratio,
            techniques: z.array(
              z.object({
                technique: z.string(),
                events: z.number().int().nonnegative(),
                recall: ratio,
                precision: ratio,
              }),
            ),
          }),
          verdicts: z.object({ met: z.number().int().nonnegative(), correctness: ratio }),
          unsafe: z.array(z.unknown()),
          timeToDecision: z.object({ p50Ms: z.number().nullable(), p95Ms: z.number().nullable() }),
        }),
        checks: z.array(z.object({ name: z.string(), ok: z.boolean() })),
      }),
    )
    .min(1),
});

/** One analyst's figures, as the report shows them. */
export interface EvaluatedAnalyst {
  readonly analyst: string;
  readonly model: string | null;
  readonly attackEvents: number;
  readonly recall: number | null;
  readonly precision: number | null;
  readonly techniques: readonly {
    readonly technique: string;
    readonly events: number;
    readonly recall: number | null;
    readonly precision: number | null;
  }[];
  readonly verdictCorrectness: number | null;
  readonly unsafeActions: number;
  readonly timeToDecisionP50Ms: number | null;
  readonly timeToDecisionP95Ms: number | null;
  readonly thresholds: { readonly passed: number; readonly failed: readonly string[] };
}

/** A `vigil eval` run carried by the report. */
export interface EvaluationEvidence {
  readonly file: string;
  readonly sha256: string;
  readonly scenario: string;
  readonly scenarioSha256: string;
  readonly evaluatedAt: string;
  readonly analysts: readonly EvaluatedAnalyst[];
}

/** Reads `vigil eval --json` output at `path`; a bad file is an error naming it and the field. */
export async function readEvaluation(path: string): Promise<EvaluationEvidence> {
  const invalid = (why: string): ComplianceError =>
    new ComplianceError(
      COMPLIANCE_ERROR_CODES.EVALUATION_INVALID,
      `--eval ${path}: ${why} (expected the output of \`vigil --json eval …\`)`,
    );
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw invalid(`cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw invalid(`is not JSON: ${(error as Error).message}`);
  }
  const parsed = evalDocumentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`${issue.path.join('.') || '(document)'}: ${issue.message}`);
  }
  const doc = parsed.data;
  return {
    file: path,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    scenario: doc.scenario,
    scenarioSha256: doc.scenarioSha256,
    evaluatedAt: doc.evaluatedAt,
    analysts: doc.runs.map((r) => ({
      analyst: r.analyst,
      model: r.model,
      attackEvents: r.score.detection.attackEvents,
      recall: r.score.detection.recall,
      precision: r.score.detection.precision,
      techniques: r.score.detection.techniques,
      verdictCorrectness: r.score.verdicts.correctness,
      unsafeActions: r.score.unsafe.length,
      timeToDecisionP50Ms: r.score.timeToDecision.p50Ms,
      timeToDecisionP95Ms: r.score.timeToDecision.p95Ms,
      thresholds: {
        passed: r.checks.filter((c) => c.ok).length,
        failed: r.checks.filter((c) => !c.ok).map((c) => c.name),
      },
    })),
  };
}
