import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { assetSizes, DIST_ASSETS } from './bundle-size.js';

/** The budget: the console's JavaScript under 300 KB gzipped. */
const JS_BUDGET_BYTES = 300 * 1000;

test('the built console ships less than 300 KB of JavaScript gzipped', () => {
  assert.ok(
    existsSync(DIST_ASSETS),
    `${DIST_ASSETS} is missing: scripts/setup.sh builds it (or npm run build -w @vigil/console)`,
  );
  const js = assetSizes().filter((s) => s.file.endsWith('.js'));
  assert.ok(js.length > 0, 'the build has JavaScript');
  const total = js.reduce((n, s) => n + s.gzipBytes, 0);
  assert.ok(total < JS_BUDGET_BYTES, `${total} B gzipped: ${JSON.stringify(js)}`);
});
