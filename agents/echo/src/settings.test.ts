import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVigilError } from '@vigil/core';
import { parseEchoSettings } from './settings.js';

test('accepts empty settings and the documented test hooks', () => {
  assert.deepEqual(parseEchoSettings('a', {}), {});
  assert.deepEqual(parseEchoSettings('a', { testHooks: { busyLoopOnSkill: 'echo' } }), {
    testHooks: { busyLoopOnSkill: 'echo' },
  });
});

test('rejects unknown and mistyped settings with their field paths', () => {
  assert.throws(
    () => parseEchoSettings('front', { relayDeadlineMs: -1, testHooks: { busyLoop: true } }),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_ECHO_SETTINGS_INVALID') &&
      /agents\.front\.settings\.relayDeadlineMs/.test(e.message) &&
      /agents\.front\.settings\.testHooks/.test(e.message),
  );
});
