import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHealthServer } from './health.js';

test('livez answers 200; readyz answers 503 with reasons until ready and every check passes', async (t) => {
  let dbOk: boolean | string = 'database not open';
  const health = await startHealthServer({ checks: { database: () => dbOk } });
  t.after(() => health.close());
  assert.equal((await fetch(`${health.url}/livez`)).status, 200);

  const notReady = await fetch(`${health.url}/readyz`);
  assert.equal(notReady.status, 503);
  assert.deepEqual(await notReady.json(), {
    status: 'not ready',
    failing: { ready: 'not ready', database: 'database not open' },
  });

  health.setReady(true);
  dbOk = true;
  const ready = await fetch(`${health.url}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: 'ok' });

  health.setReady(false);
  assert.equal((await fetch(`${health.url}/readyz`)).status, 503);
  assert.equal((await fetch(`${health.url}/nope`)).status, 404);
});
