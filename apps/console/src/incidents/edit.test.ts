import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProposedAction } from '../api/types.js';
import { parseParameterEdit, reasonProblem } from './edit.js';

const action: ProposedAction = {
  type: 'scale-to-zero',
  target: { name: 'web' },
  parameters: { replicas: 0, why: 'x' },
};

test('an unchanged edit is the original action, whatever the key order', () => {
  assert.deepEqual(parseParameterEdit('{"why":"x","replicas":0}', action), {
    ok: true,
    parameters: { why: 'x', replicas: 0 },
    changed: false,
  });
});

test('a changed parameter is an edit the reviewer must judge again', () => {
  const parsed = parseParameterEdit('{"replicas":1,"why":"x"}', action);
  assert.equal(parsed.ok && parsed.changed, true);
});

test('edits that are not a JSON object are refused with a message', () => {
  for (const text of ['', '[1]', '3', 'null', '{"a":']) {
    const parsed = parseParameterEdit(text, action);
    assert.equal(parsed.ok, false, text);
    assert.match(parsed.ok ? '' : parsed.message, /^parameters: /);
  }
});

test('a reason is mandatory and bounded', () => {
  assert.ok(reasonProblem(''));
  assert.ok(reasonProblem('   \n'));
  assert.ok(reasonProblem('x'.repeat(2001)));
  assert.equal(reasonProblem('confirmed with the service owner'), undefined);
});
