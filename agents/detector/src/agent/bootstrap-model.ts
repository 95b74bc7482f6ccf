import { access, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '@vigil/core';
import { normaliseEvent } from '../events/normalise.js';
import type { SecurityEvent } from '../events/security-event.js';
import { saveModel } from '../model/model.js';
import { trainModel } from '../model/train.js';
import { generateScenario } from '../scenario/generate.js';

/** `settings.bootstrap`: how to train a first model when none exists yet. */
export interface BootstrapSettings {
  /** Seed of the generated baseline traffic (different from the demo stream's). */
  readonly seed: number;
  readonly days: number;
  readonly eventsPerDay: number;
  /** Target share of baseline events above the threshold. */
  readonly alertRate: number;
}

/**
 * When `modelPath` does not exist, trains a model on a generated baseline of the demo
 * estate's normal traffic (attack lines removed) and saves it there. For the demo and
 * first runs only: a production detector is trained on its own cluster's history with
 * `vigil detector train`, and the log line says so.
 */
export async function ensureBootstrapModel(
  modelPath: string,
  settings: BootstrapSettings,
  logger: Logger,
): Promise<boolean> {
  try {
    await access(modelPath);
    return false;
  } catch {
    // no model yet: train one below
  }
  const started = Date.now();
  const scenario = generateScenario({
    seed: settings.seed,
    events: settings.eventsPerDay * settings.days,
    minutes: 1440 * settings.days,
  });
  const baseline: SecurityEvent[] = [];
  scenario.lines.forEach((line, i) => {
    if (scenario.labels[i]?.attack !== null) return;
    const normalised = normaliseEvent(JSON.parse(line));
    if (normalised.ok) baseline.push(normalised.event);
  });
  const { model } = trainModel(baseline, { alertRate: settings.alertRate, seed: 1 });
  await mkdir(dirname(modelPath), { recursive: true });
  await saveModel(model, modelPath);
  logger.warn(
    { modelPath, baseline: baseline.length, ms: Date.now() - started },
    'no detector model: trained a bootstrap model on generated demo-estate traffic; train on your own cluster history with `vigil detector train`',
  );
  return true;
}
