import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentSystem } from '@vigil/registry';
import { startGates, startWaves } from './start-order.js';

function system(calls: Record<string, string[]>): AgentSystem {
  return {
    agents: Object.entries(calls).map(([name, c]) => ({ name, calls: c })),
  } as unknown as AgentSystem;
}

test('callees start before their callers', () => {
  const s = system({
    coordinator: ['analyst', 'reviewer'],
    analyst: [],
    reviewer: ['policy'],
    policy: [],
  });
  assert.deepEqual(startWaves(s), [['analyst', 'policy'], ['reviewer'], ['coordinator']]);
  assert.deepEqual(startGates(s).get('coordinator'), ['analyst', 'reviewer']);
});

test('a call cycle does not deadlock the start: the closing edge is not a gate', () => {
  const s = system({ a: ['b'], b: ['a'] });
  const gates = startGates(s);
  assert.deepEqual(gates.get('a'), ['b']);
  assert.deepEqual(gates.get('b'), []);
  assert.deepEqual(startWaves(s), [['b'], ['a']]);
});

test('independent agents share the first wave in declaration order', () => {
  assert.deepEqual(startWaves(system({ x: [], y: [], z: [] })), [['x', 'y', 'z']]);
});
