import { access, mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isVigilError, type Logger } from '@vigil/core';
import { normaliseEvent } from '../events/normalise.js';
import type { SecurityEvent } from '../events/security-event.js';
import { loadModel, saveModel } from '../model/model.js';
import { trainModel } from '../model/train.js';

/** `settings.bootstrap`: how to train a first model when none exists yet. */
export interface BootstrapSettings {
  /** Seed of the generated baseline traffic (different from the demo stream's). */
  readonly seed: number;
  readonly days: number;
  readonly eventsPerDay: number;
  /** Target share of baseline events above the threshold. */
  readonly alertRate: number;
  /** The generated baseline stands for the estate's history (the demo estate only). */
  readonly estateHistory: boolean;
}

/**
 * When `modelPath` does not exist — or holds a model of another build's feature columns,
 * which no build can score with (it is kept beside as `<path>.previous`) — trains a model
 * on a generated baseline of the demo estate's normal traffic (attack lines removed) and saves it there. For the demo and
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
  } catch {
    return train(modelPath, settings, logger, 'no detector model');
  }
  try {
    await loadModel(modelPath);
    return false;
  } catch (error) {
    // Any other problem is reported by the agent's own load, with the retrain command.
    if (!isVigilError(error, 'VIGIL_DETECTOR_MODEL_INVALID')) return false;
    if (error.details['field'] !== 'features') return false;
    await rename(modelPath, `${modelPath}.previous`);
    return train(modelPath, settings, logger, "detector model of another build's features");
  }
}

async function train(
  modelPath: string,
  settings: BootstrapSettings,
  logger: Logger,
  why: string,
): Promise<boolean> {
  const started = Date.now();
  // Loaded only to train: a detector that has its model never holds the generator.
  const { generateScenario } = await import('@vigil/soc-scenario/generate');
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
  const { model } = trainModel(baseline, {
    alertRate: settings.alertRate,
    seed: 1,
    estateHistory: settings.estateHistory,
  });
  await mkdir(dirname(modelPath), { recursive: true });
  await saveModel(model, modelPath);
  logger.warn(
    { modelPath, baseline: baseline.length, ms: Date.now() - started },
    `${why}: trained a bootstrap model on generated demo-estate traffic; train on your own cluster history with \`vigil detector train\``,
  );
  return true;
}
