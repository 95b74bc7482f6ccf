import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { IncidentStore } from '../incident-store.js';
import { CONSOLE_CSP } from './console-assets.js';
import { createOpsApp } from './server.js';

test('serves the built console at / and its client routes with a strict CSP; the API stays authenticated and unknown paths 404', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-console-assets-'));
  const dist = join(dir, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(
    join(dist, 'index.html'),
    '<!doctype html><script type="module" src="/assets/app.js"></script>',
  );
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
  const store = new IncidentStore(join(dir, 'c.sqlite'));
  const app = await createOpsApp({
    coordinator: { summary: async () => undefined, decide: async () => assert.fail() },
    store,
    stateDir: dir,
    trustDomain: 'soc.test',
    consoleDir: dist,
  });
  t.after(async () => {
    await app.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const index = await app.inject({ url: '/' });
  assert.equal(index.statusCode, 200);
  assert.match(index.body, /assets\/app\.js/);
  assert.equal(index.headers['content-security-policy'], CONSOLE_CSP);
  assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
  const script = await app.inject({ url: '/assets/app.js' });
  assert.equal(script.statusCode, 200);
  assert.equal(script.headers['x-content-type-options'], 'nosniff');
  assert.equal((await app.inject({ url: '/v1/incidents' })).statusCode, 401);

  // A bookmark or reload of a client route gets the page, with the same CSP.
  const html = { accept: 'text/html,application/xhtml+xml' };
  const deepLink = await app.inject({ url: '/approvals/inc-1%2Fp1?x=1', headers: html });
  assert.equal(deepLink.statusCode, 200);
  assert.match(deepLink.body, /assets\/app\.js/);
  assert.equal(deepLink.headers['content-security-policy'], CONSOLE_CSP);
  // An API path, a missing file and a non-page request stay 404 in the API's shape.
  for (const [url, headers] of [
    ['/v1/nothing', html],
    ['/assets/missing.js', html],
    ['/approvals/x', { accept: 'application/json' }],
  ] as const) {
    const missing = await app.inject({ url, headers });
    assert.equal(missing.statusCode, 404, url);
    assert.equal(missing.json<{ code: string }>().code, 'VIGIL_API_NOT_FOUND', url);
  }
  const post = await app.inject({ method: 'POST', url: '/approvals/x', headers: html });
  assert.equal(post.statusCode, 404);
});
