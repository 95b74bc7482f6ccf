import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProposedAction } from '../api/types.js';
import { actionsDiffer, canonicalJson } from './actions.js';

test('actions are equal regardless of key order', () => {
  const a: ProposedAction = {
    type: 'block-ip',
    target: { cidr: '10.0.0.0/16' },
    parameters: { a: 1, b: [1, 2] },
  };
  const b: ProposedAction = {
    parameters: { b: [1, 2], a: 1 },
    target: { cidr: '10.0.0.0/16' },
    type: 'block-ip',
  };
  assert.equal(canonicalJson(a), canonicalJson(b));
  assert.equal(actionsDiffer(a, b), false);
});

test('a rewritten target is a mutation', () => {
  const a: ProposedAction = { type: 'block-ip', target: { cidr: '10.0.0.0/16' }, parameters: {} };
  assert.equal(actionsDiffer(a, { ...a, target: { cidr: '10.0.0.7/32' } }), true);
  assert.equal(actionsDiffer(a, { ...a, type: 'isolate-pod' }), true);
});
