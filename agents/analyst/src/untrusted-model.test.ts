import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyseFinding } from './analyst.js';
import { analyseOffline } from './offline-analyser.js';
import { findingFor } from './testing/findings.js';
import { guardModelAnalysis } from './untrusted-model.js';

const risky = () =>
  findingFor(
    { format: 'falco', activity: 'Terminal shell in container', severityId: 5 },
    {
      risk: { score: 83, severity: 'critical', anomaly: 0.72, criticality: 'high', asset: 'x' },
    },
  );

test("the detector's risk score reaches the analysis evidence unchanged, whatever a model claims", () => {
  const finding = risky();
  const offline = analyseOffline(finding);
  const claims = {
    ...offline,
    source: 'model' as const,
    severity: 'low' as const,
    // A model's structured output that tries to write the evidence itself.
    evidence: { ruleConfidence: 1, severityFloor: 'low' as const, riskScore: 0 },
  };
  const analysis = guardModelAnalysis(claims, finding, { systemPrompt: 'p' });
  assert.equal(analysis.evidence?.riskScore, 83);
  assert.equal(analysis.evidence?.severityFloor, 'critical');
});

test('the offline analysis carries the risk score too; a finding without one has none', async () => {
  assert.equal((await analyseFinding(risky(), {})).evidence?.riskScore, 83);
  const { risk: _, ...older } = risky();
  assert.equal((await analyseFinding(older, {})).evidence?.riskScore, undefined);
});
