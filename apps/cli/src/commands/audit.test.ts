import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWorkers } from './audit.js';

test('--workers takes auto or a whole number of threads from 0 to 64, and names what it refuses', () => {
  assert.equal(parseWorkers('auto'), 'auto');
  assert.equal(parseWorkers('0'), 0);
  assert.equal(parseWorkers('2'), 2);
  assert.equal(parseWorkers('64'), 64);
  for (const bad of ['', '-1', '1.5', '2x', ' 2', 'AUTO', '65', '1e3', '99999999999999999999']) {
    assert.throws(
      () => parseWorkers(bad),
      (e: Error & { code?: string }) =>
        e.code === 'VIGIL_USAGE' && e.message.includes(`--workers: "${bad}"`),
      bad,
    );
  }
});
