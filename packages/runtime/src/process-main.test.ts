import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VigilError } from '@vigil/core';
import { RuntimeError } from './errors.js';
import { isConfigurationError } from './process-main.js';

test('configuration errors are told apart from failures a restart may fix', () => {
  assert.equal(isConfigurationError(new VigilError('VIGIL_CONFIG_INVALID', 'x')), true);
  assert.equal(isConfigurationError(new RuntimeError('VIGIL_RUNTIME_SKILL_MISSING', 'x')), true);
  assert.equal(
    isConfigurationError(
      new RuntimeError('VIGIL_RUNTIME_START_FAILED', 'x', {
        details: { causeCode: 'VIGIL_ECHO_SETTINGS_INVALID' },
      }),
    ),
    true,
  );
  assert.equal(
    isConfigurationError(
      new RuntimeError('VIGIL_RUNTIME_START_FAILED', 'x', {
        details: { causeCode: 'VIGIL_DB_DOWN' },
      }),
    ),
    false,
  );
  assert.equal(isConfigurationError(new RuntimeError('VIGIL_RUNTIME_LISTEN_FAILED', 'x')), false);
  assert.equal(isConfigurationError(new Error('boom')), false);
});
