import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coordinatorSettingsSchema } from './agent.js';
import { DEFAULT_CORRELATION } from './correlator.js';

test('correlation and storm settings default to the correlator defaults', () => {
  assert.deepEqual(coordinatorSettingsSchema.parse({}).correlation, DEFAULT_CORRELATION);
});

test('bad correlation settings are refused together, each named by its field', () => {
  const result = coordinatorSettingsSchema.safeParse({
    correlation: { rollupWindowMs: -1, perEntityBurst: 0, window: 5 },
  });
  assert.equal(result.success, false);
  const paths = result.error?.issues.map((i) => i.path.join('.'));
  assert.ok(paths?.includes('correlation.rollupWindowMs'));
  assert.ok(paths?.includes('correlation.perEntityBurst'));
  assert.ok(result.error?.issues.some((i) => i.message.includes('"window"')));
});
