import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAgentSystem } from '@vigil/registry';
import { ACTION_TYPES } from '@vigil/soc';
import { createDefaultRegistry } from './index.js';

const ROOT = new URL('../../../../../', import.meta.url).pathname;

// The harness learns the SOC's actions from vigil.yaml (`actions`), so the declaration and
// the code that implements them must not drift apart.
test("the SOC declaration's action catalogue is exactly what the remediator implements", async () => {
  const system = await loadAgentSystem(`${ROOT}vigil.yaml`);
  const declared = system.actions.map((a) => a.type);
  assert.deepEqual([...declared].sort(), [...ACTION_TYPES].sort());
  const registry = createDefaultRegistry();
  for (const type of declared) assert.ok(registry.has(type), `${type} has no implementation`);
  for (const action of system.actions) assert.notEqual(action.description, '', action.type);
});
