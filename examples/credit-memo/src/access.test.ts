import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadAgentSystem } from '@vigil/registry';
import { sourceGrants } from './agent-kit.js';
import { SOURCES } from './contracts.js';
import { ENTRYPOINTS, loadCreditPolicy } from './policy.js';
import { buildRoster } from './roster.js';

const DECLARATION = fileURLToPath(new URL('../vigil.yaml', import.meta.url));

test('in the shipped declaration each collector may read its own source and no other', async () => {
  const system = await loadAgentSystem(DECLARATION);
  const access = await loadCreditPolicy(ENTRYPOINTS.access, { grants: sourceGrants(system) });
  const id = (name: string) => `spiffe://${system.trustDomain}/agent/${name}`;
  for (const own of SOURCES) {
    for (const source of SOURCES) {
      const d = access.evaluate({
        agent: `collect-${own}`,
        spiffeId: id(`collect-${own}`),
        source,
      }) as { allow: boolean };
      assert.equal(d.allow, own === source, `collect-${own} reading ${source}`);
    }
  }
  // Agents that are not collectors hold no source grant at all.
  const d = access.evaluate({ agent: 'drafter', spiffeId: id('drafter'), source: 'kyc' }) as {
    allow: boolean;
    reasons: string[];
  };
  assert.equal(d.allow, false);
  assert.match(d.reasons[0]!, /drafter is not granted source kyc/);
});

test('the orchestrator finds a collector, analyst and reviewer for every job, and names the missing ones', async () => {
  const system = await loadAgentSystem(DECLARATION);
  const self = system.agents.find((a) => a.name === 'memo-orchestrator')!;
  const roster = buildRoster(self, system.agents);
  assert.equal(roster.collectors.kyc, 'collect-kyc');
  assert.equal(roster.analysts.rating, 'risk-rating');
  assert.equal(roster.reviewers['structure'], 'review-structure');
  const without = {
    ...self,
    calls: self.calls.filter((c) => c !== 'collect-kyc' && c !== 'risk-rating'),
  };
  assert.throws(() => buildRoster(without, system.agents), /collector for kyc, analyst for rating/);
});
