import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callEdges } from './graph.js';

test('edges come from allowed callers and declared calls, each once', () => {
  assert.deepEqual(
    callEdges([
      { name: 'analyst', allowedCallers: ['coordinator'] },
      { name: 'coordinator', calls: ['analyst', 'reviewer'] },
      { name: 'reviewer', allowedCallers: ['coordinator', 'remediator'] },
    ]),
    [
      { from: 'coordinator', to: 'analyst' },
      { from: 'coordinator', to: 'reviewer' },
      { from: 'remediator', to: 'reviewer' },
    ],
  );
});
