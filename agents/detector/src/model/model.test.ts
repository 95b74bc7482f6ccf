import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVigilError } from '@vigil/core';
import { FEATURE_COUNT } from './features.js';
import {
  ModelHolder,
  loadModel,
  parseModel,
  saveModel,
  serializeModel,
  MODEL_FORMAT,
} from './model.js';
import { EventScorer } from './scorer.js';
import { trainModel } from './train.js';
import { MIN_NOVELTY_GATE, calibrateNovelty, calibrateThreshold } from './calibration.js';
import { anonymousSecretRead, normalEvents } from './test-events.js';

const createdAt = new Date('2026-01-01T00:00:00Z');
const baseline = normalEvents(4000, 11);
const trained = trainModel(baseline, { seed: 5, trees: 50, alertRate: 0.01, createdAt });

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-model-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function isInvalid(pattern: RegExp) {
  return (e: unknown): boolean =>
    isVigilError(e, 'VIGIL_DETECTOR_MODEL_INVALID') && pattern.test((e as Error).message);
}

test('training is reproducible: same baseline, options and seed give the same model', () => {
  const again = trainModel(baseline, { seed: 5, trees: 50, alertRate: 0.01, createdAt });
  assert.equal(serializeModel(again.model), serializeModel(trained.model));
  const other = trainModel(baseline, { seed: 6, trees: 50, alertRate: 0.01, createdAt });
  assert.notEqual(other.model.id, trained.model.id);
});

test('the threshold flags about the target share of the baseline', () => {
  const { model, baselineScores } = trained;
  let above = 0;
  for (const s of baselineScores) if (s > model.threshold) above++;
  assert.ok(above / baselineScores.length <= 0.01 + 1e-9, `${above} above`);
  assert.equal(model.calibration.method, 'alert-rate');
  assert.equal(model.calibration.rate, 0.01);
  assert.equal(model.calibration.baselineEvents, 4000);
});

// The test baseline spans minutes: no warm-up, so the model's own gate is what is tested.
const noWarmup = { novelty: { warmupSeconds: 0, warmupMinEvents: 0 } };

test('an anonymous secret read from an unknown address scores above the threshold', () => {
  const scorer = new EventScorer(new ModelHolder(trained.model), noWarmup);
  for (const e of normalEvents(300, 12, Date.UTC(2026, 0, 5))) scorer.score(e);
  const s = scorer.score(anonymousSecretRead(Date.UTC(2026, 0, 5, 0, 1)));
  assert.ok(scorer.isAnomalous(s), `score ${s}, threshold ${trained.model.threshold}`);
  const top = scorer.topFeatures(3);
  assert.equal(top.length, 3);
  assert.ok(top[0]!.contribution >= top[1]!.contribution);
  // The attack's identity is new; its verb, status code and class are the baseline's most
  // common ones and must not be what explains it.
  const typical = new Set(['activity', 'outcome.code', 'severityId', 'eventClass']);
  assert.ok(
    top.every((f) => !typical.has(f.name)),
    JSON.stringify(top),
  );
});

test('a saved model loads back and scores every event identically', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'model.json');
  await saveModel(trained.model, path);
  const loaded = await loadModel(path);
  assert.equal(loaded.id, trained.model.id);
  assert.equal(loaded.threshold, trained.model.threshold);
  assert.deepEqual(loaded.calibration, trained.model.calibration);
  const a = new EventScorer(new ModelHolder(trained.model));
  const b = new EventScorer(new ModelHolder(loaded));
  for (const e of [
    ...normalEvents(500, 13, Date.UTC(2026, 0, 6)),
    anonymousSecretRead(Date.UTC(2026, 0, 6, 1)),
  ]) {
    assert.equal(b.score(e), a.score(e));
  }
  const doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  assert.equal(doc['format'], MODEL_FORMAT);
  assert.equal((doc['features'] as unknown[]).length, FEATURE_COUNT);
});

test('a model file of another format version is refused with a clear error', () => {
  const doc = JSON.parse(serializeModel(trained.model)) as Record<string, unknown>;
  assert.throws(
    () => parseModel(JSON.stringify({ ...doc, format: 'vigil.iforest/v2' }), 'm.json'),
    isInvalid(/^m\.json: format: is "vigil\.iforest\/v2", this build reads vigil\.iforest\/v1/),
  );
  assert.throws(
    () => parseModel(JSON.stringify({ ...doc, format: undefined }), 'm.json'),
    isInvalid(/format/),
  );
});

test('a corrupt or truncated model file is refused', async (t) => {
  const text = serializeModel(trained.model);
  assert.throws(
    () => parseModel(text.slice(0, text.length / 2), 'm.json'),
    isInvalid(/not valid JSON/),
  );
  const doc = JSON.parse(text) as {
    forest: Record<string, unknown>;
    threshold: number;
    features: string[];
  };
  // One flipped byte in the split values: the checksum no longer matches.
  const bytes = Buffer.from(doc.forest['threshold'] as string, 'base64');
  bytes[100] = bytes[100]! ^ 0x01;
  const flipped = { ...doc, forest: { ...doc.forest, threshold: bytes.toString('base64') } };
  assert.throws(
    () => parseModel(JSON.stringify(flipped)),
    isInvalid(/forest\.sha256.*corrupt|forest\.threshold/),
  );
  const short = {
    ...doc,
    forest: { ...doc.forest, feature: Buffer.from('abc').toString('base64') },
  };
  assert.throws(() => parseModel(JSON.stringify(short)), isInvalid(/forest\.feature/));
  assert.throws(
    () => parseModel(JSON.stringify({ ...doc, threshold: 3 })),
    isInvalid(/threshold: must be a number in \[0, 1\]/),
  );
  assert.throws(
    () => parseModel(JSON.stringify({ ...doc, threshold: doc.threshold / 2 })),
    isInvalid(/^model: id: .*altered/),
  );
  assert.throws(
    () => parseModel(JSON.stringify({ ...doc, features: doc.features.slice(1) })),
    isInvalid(/features: .*retrain/),
  );
  const dir = tempDir(t);
  await assert.rejects(
    loadModel(join(dir, 'missing.json')),
    isInvalid(/cannot read the model file \(ENOENT\)/),
  );
  writeFileSync(join(dir, 'empty.json'), '');
  await assert.rejects(
    loadModel(join(dir, 'empty.json')),
    isInvalid(/empty\.json: \(file\): not valid JSON/),
  );
});

test('a swap is atomic for scorers: each event is scored wholly by one model', async (t) => {
  const holder = new ModelHolder(trained.model);
  const scorer = new EventScorer(holder);
  const next = trainModel(baseline, { seed: 99, trees: 20, alertRate: 0.05, createdAt }).model;
  const e = anonymousSecretRead(Date.UTC(2026, 0, 7));
  scorer.score(e);
  assert.equal(scorer.lastModel, trained.model);
  const swaps: string[] = [];
  holder.onSwap((n, p) => swaps.push(`${p.id}->${n.id}`));
  assert.equal(holder.swap(next), trained.model);
  scorer.score(e);
  assert.equal(scorer.lastModel, next);
  assert.equal(scorer.isAnomalous(next.threshold + 1e-9), true);
  assert.deepEqual(swaps, [`${trained.model.id}->${next.id}`]);
  // A bad file leaves the live model in place.
  const dir = tempDir(t);
  writeFileSync(join(dir, 'bad.json'), '{"format":"vigil.iforest/v0"}');
  await assert.rejects(holder.reload(join(dir, 'bad.json')), isInvalid(/format/));
  assert.equal(holder.current, next);
});

test('calibration takes the (1 − rate) quantile and refuses rates outside [0, 1)', () => {
  const scores = Float64Array.from({ length: 1000 }, (_, i) => i / 1000);
  const { threshold, calibration } = calibrateThreshold(scores, 0.01);
  assert.equal(threshold, 0.989);
  assert.equal(calibration.baselineAlertRate, 0.01);
  assert.equal(calibrateThreshold(scores, 0).threshold, 0.999);
  assert.throws(() => calibrateThreshold(scores, 1), RangeError);
  assert.throws(
    () => trainModel(baseline.slice(0, 1)),
    (e) => isVigilError(e, 'VIGIL_DETECTOR_TRAIN_INVALID'),
  );
  assert.throws(() => trainModel(baseline, { alertRate: 0.1, contamination: 0.1 }), /not both/);
});

test('the novelty gate takes the smallest k ≥ 3 within budget, leave-one-out on the baseline', () => {
  // 1000 rows: 990 with no unseen value, 6 with 3, 4 with 5.
  const unseen = new Float64Array(1000);
  unseen.fill(3, 990, 996);
  unseen.fill(5, 996, 1000);
  assert.deepEqual(calibrateNovelty(unseen, 0.005, 20), { minUnseen: 4, baselineShare: 0.004 });
  assert.deepEqual(calibrateNovelty(unseen, 0.01, 20), { minUnseen: 3, baselineShare: 0.01 });
  assert.deepEqual(calibrateNovelty(unseen, 0, 20), { minUnseen: 0, baselineShare: 0 });
  assert.ok(trained.model.calibration.novelty.minUnseen >= MIN_NOVELTY_GATE);
});

test('an event with several never-seen values is flagged by the gate and names them', () => {
  const scorer = new EventScorer(new ModelHolder(trained.model), noWarmup);
  const gate = trained.model.calibration.novelty.minUnseen;
  scorer.score(anonymousSecretRead(Date.UTC(2026, 0, 8)));
  const unseen = scorer.unseenFields();
  assert.ok(unseen.length >= gate, unseen.join(','));
  assert.ok(unseen.includes('actor.user') && unseen.includes('actor.userClass'));
  assert.equal(scorer.isAnomalous(0), true, 'the gate flags it whatever the forest score');
  const noGate = trainModel(baseline, {
    seed: 5,
    trees: 50,
    alertRate: 0.01,
    createdAt,
    noveltyGate: false,
  }).model;
  assert.equal(noGate.calibration.novelty.minUnseen, 0);
  const plain = new EventScorer(new ModelHolder(noGate), noWarmup);
  plain.score(anonymousSecretRead(Date.UTC(2026, 0, 8)));
  assert.equal(plain.isAnomalous(0), false);
});
