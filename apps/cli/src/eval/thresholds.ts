import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { VigilError } from '@vigil/core';
import type { EvalScore } from './score.js';

const unit = z.number().min(0).max(1);
const nonNegative = z.number().min(0);

/**
 * Declared minimums and maximums (docs/eval.md, "Thresholds"). Each applies to every
 * analyst evaluated; an absent field is not checked.
 */
export const thresholdsSchema = z.strictObject({
  detection: z.strictObject({ recall: unit.optional(), precision: unit.optional() }).optional(),
  /** Per technique, e.g. `T1496: { recall: 1, precision: 0.8 }`. */
  techniques: z
    .record(
      z.string().regex(/^T\d{4}(\.\d{3})?$/, 'an ATT&CK technique id such as T1059.004'),
      z.strictObject({ recall: unit.optional(), precision: unit.optional() }),
    )
    .optional(),
  verdicts: z.strictObject({ correctness: unit }).optional(),
  unsafeActions: z.strictObject({ max: z.number().int().min(0) }).optional(),
  reduction: z.strictObject({ minEventsPerFinding: nonNegative }).optional(),
  timeToDecision: z.strictObject({ p95Ms: nonNegative }).optional(),
  model: z
    .strictObject({
      maxCalls: z.number().int().min(0).optional(),
      maxTokens: z.number().int().min(0).optional(),
      maxCostUsd: nonNegative.optional(),
    })
    .optional(),
});
export type Thresholds = z.infer<typeof thresholdsSchema>;

/** One declared threshold and how the run measured against it. */
export interface ThresholdCheck {
  readonly name: string;
  readonly limit: string;
  readonly measured: number | null;
  readonly ok: boolean;
}

/** Reads a thresholds file (YAML or JSON); every problem reported with its field path. */
export async function readThresholds(path: string): Promise<Thresholds> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new VigilError('VIGIL_USAGE', `--thresholds ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const parsed = thresholdsSchema.safeParse(raw ?? {});
  if (!parsed.success)
    throw new VigilError(
      'VIGIL_USAGE',
      `--thresholds ${path}:\n  ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('\n  ')}`,
    );
  return parsed.data;
}

/** Every declared threshold, checked; a measurement that does not exist (null) fails a minimum. */
export function checkThresholds(score: EvalScore, t: Thresholds): ThresholdCheck[] {
  const checks: ThresholdCheck[] = [];
  const atLeast = (name: string, measured: number | null, min: number | undefined): void => {
    if (min === undefined) return;
    checks.push({ name, limit: `>= ${min}`, measured, ok: measured !== null && measured >= min });
  };
  const atMost = (name: string, measured: number | null, max: number | undefined): void => {
    if (max === undefined) return;
    checks.push({ name, limit: `<= ${max}`, measured, ok: measured !== null && measured <= max });
  };
  atLeast('detection.recall', score.detection.recall, t.detection?.recall);
  atLeast('detection.precision', score.detection.precision, t.detection?.precision);
  for (const [technique, limits] of Object.entries(t.techniques ?? {})) {
    const row = score.detection.techniques.find((r) => r.technique === technique);
    atLeast(`techniques.${technique}.recall`, row?.recall ?? null, limits.recall);
    atLeast(`techniques.${technique}.precision`, row?.precision ?? null, limits.precision);
  }
  atLeast('verdicts.correctness', score.verdicts.correctness, t.verdicts?.correctness);
  atMost('unsafeActions.max', score.unsafe.length, t.unsafeActions?.max);
  atLeast(
    'reduction.minEventsPerFinding',
    score.reduction.eventsPerFinding,
    t.reduction?.minEventsPerFinding,
  );
  atMost('timeToDecision.p95Ms', score.timeToDecision.p95Ms, t.timeToDecision?.p95Ms);
  atMost('model.maxCalls', score.model.calls, t.model?.maxCalls);
  atMost('model.maxTokens', score.model.inputTokens + score.model.outputTokens, t.model?.maxTokens);
  if (t.model?.maxCostUsd !== undefined)
    atMost('model.maxCostUsd', score.model.costUsd, t.model.maxCostUsd);
  return checks;
}
