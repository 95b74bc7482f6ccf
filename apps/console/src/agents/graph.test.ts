import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callEdges } from './graph.js';

test('edges come from callers and declared calls, each once', () => {
  assert.deepEqual(
    callEdges([
      { name: 'analyst', callers: ['coordinator'] },
      { name: 'coordinator', calls: ['analyst', 'reviewer'] },
      { name: 'reviewer', callers: ['coordinator', 'remediator'] },
    ]),
    [
      { from: 'coordinator', to: 'analyst' },
      { from: 'coordinator', to: 'reviewer' },
      { from: 'remediator', to: 'reviewer' },
    ],
  );
});
