import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHealthServer } from './health-server.js';

test('livez answers while readyz follows the phase with its reasons', async (t) => {
  let phase: 'starting' | 'ready' | 'draining' = 'starting';
  const health = await startHealthServer({
    phase: () => phase,
    inFlight: () => 3,
    describe: () => ({ agent: 'a' }),
  });
  t.after(() => health.close());
  const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${health.url}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  assert.equal((await get('/livez')).status, 200);
  assert.deepEqual(await get('/readyz'), {
    status: 503,
    body: { status: 'starting', inFlight: 3, agent: 'a' },
  });
  phase = 'ready';
  assert.equal((await get('/readyz')).status, 200);
  phase = 'draining';
  assert.equal((await get('/readyz')).status, 503);
  assert.equal((await get('/livez')).status, 200);
  assert.equal((await get('/nope')).status, 404);
});
