import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { riskSchema, riskScoreOf, type AssetCriticality } from './risk.js';
import { SEVERITY_ORDER } from './analysis.js';

const CRITICALITIES: readonly AssetCriticality[] = ['low', 'medium', 'high', 'critical'];

describe('riskScoreOf', () => {
  it('is 100 × S × (0.5 + 0.5 × anomaly) × C, rounded', () => {
    assert.equal(riskScoreOf('critical', 1, 'critical'), 100);
    assert.equal(riskScoreOf('critical', 0, 'critical'), 50);
    assert.equal(riskScoreOf('low', 0, 'low'), 10);
    // 100 × 0.8 × (0.5 + 0.5 × 0.6) × 0.75 = 48
    assert.equal(riskScoreOf('high', 0.6, 'medium'), 48);
  });

  it('never falls when the severity, the anomaly or the criticality rises', () => {
    for (const [si, s] of SEVERITY_ORDER.entries())
      for (const [ci, c] of CRITICALITIES.entries())
        for (const a of [0, 0.25, 0.5, 0.75, 1]) {
          const here = riskScoreOf(s, a, c);
          if (si > 0) assert.ok(here >= riskScoreOf(SEVERITY_ORDER[si - 1]!, a, c));
          if (ci > 0) assert.ok(here >= riskScoreOf(s, a, CRITICALITIES[ci - 1]!));
          if (a > 0) assert.ok(here >= riskScoreOf(s, a - 0.25, c));
        }
  });

  it('a critical rule keeps half its weight on an event the forest finds ordinary', () => {
    assert.ok(riskScoreOf('critical', 0, 'medium') > riskScoreOf('low', 1, 'medium'));
  });

  it('clamps an anomaly outside [0, 1] and the schema holds scores to integers 0–100', () => {
    assert.equal(riskScoreOf('high', 7, 'high'), riskScoreOf('high', 1, 'high'));
    assert.equal(riskScoreOf('high', -1, 'high'), riskScoreOf('high', 0, 'high'));
    const risk = { severity: 'high', anomaly: 0.5, criticality: 'high', asset: 'default' };
    assert.ok(riskSchema.safeParse({ ...risk, score: 54 }).success);
    assert.ok(!riskSchema.safeParse({ ...risk, score: 54.5 }).success);
    assert.ok(!riskSchema.safeParse({ ...risk, score: 101 }).success);
  });
});
