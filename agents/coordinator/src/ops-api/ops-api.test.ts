import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { opsApiFixture } from '../testing/ops-api-fixture.js';
import { OPENAPI_FILE, openApiFileText } from './openapi-file.js';
import { startOpsApi } from './server.js';

const decision = { reason: 'confirmed miner', approval: 'header.payload.signature' };

test('the checked-in openapi.json is what the route schemas generate', async () => {
  assert.equal(
    readFileSync(OPENAPI_FILE, 'utf8'),
    await openApiFileText(),
    'agents/coordinator/openapi.json is stale: run `npm run openapi -w @vigil/coordinator`',
  );
});

test('serves the generated OpenAPI 3.1 document at /v1/openapi.json without a token', async (t) => {
  const { app } = await opsApiFixture(t);
  const response = await app.inject({ url: '/v1/openapi.json' });
  assert.equal(response.statusCode, 200);
  const document = response.json<{ openapi: string; paths: Record<string, unknown> }>();
  assert.equal(document.openapi, '3.1.0');
  assert.ok(document.paths['/v1/approvals/{id}/approve']);
  assert.equal((await app.inject({ url: '/openapi.json' })).statusCode, 200);
});

test('refuses a request without a valid bearer token (401 VIGIL_API_UNAUTHENTICATED)', async (t) => {
  const { app } = await opsApiFixture(t);
  for (const headers of [{}, { authorization: 'Bearer vgl_wrong' }]) {
    const response = await app.inject({ url: '/v1/incidents', headers });
    assert.equal(response.statusCode, 401);
    assert.equal(response.json<{ code: string }>().code, 'VIGIL_API_UNAUTHENTICATED');
  }
});

test('lists incidents and approvals, filtered by a validated status', async (t) => {
  const { app, as } = await opsApiFixture(t);
  const incidents = await app.inject({ url: '/v1/incidents?status=open', headers: as('viewer') });
  assert.equal(incidents.statusCode, 200);
  assert.deepEqual(
    incidents.json<{ incidents: { id: string }[] }>().incidents.map((i) => i.id),
    ['inc-1'],
  );
  const pending = await app.inject({
    url: '/v1/approvals?status=pending',
    headers: as('viewer'),
  });
  assert.equal(pending.json<{ approvals: unknown[] }>().approvals.length, 1);
  const bad = await app.inject({ url: '/v1/approvals?status=maybe', headers: as('viewer') });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json<{ code: string }>().code, 'VIGIL_API_BAD_REQUEST');
  assert.match(bad.json<{ message: string }>().message, /status/);
});

test('finds an approval by its URL-encoded id (it contains a slash)', async (t) => {
  const { app, as } = await opsApiFixture(t);
  const found = await app.inject({ url: '/v1/approvals/inc-1%2Fp-1', headers: as('viewer') });
  assert.equal(found.statusCode, 200);
  assert.equal(found.json<{ approval: { id: string } }>().approval.id, 'inc-1/p-1');
  const missing = await app.inject({ url: '/v1/approvals/inc-9%2Fp-1', headers: as('viewer') });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json<{ code: string }>().code, 'VIGIL_APPROVAL_NOT_FOUND');
  const incident = await app.inject({ url: '/v1/incidents/nope', headers: as('viewer') });
  assert.equal(incident.json<{ code: string }>().code, 'VIGIL_INCIDENT_NOT_FOUND');
});

test('a viewer cannot approve (403 VIGIL_APPROVAL_FORBIDDEN) and nothing is decided', async (t) => {
  const { app, as, decided } = await opsApiFixture(t);
  const response = await app.inject({
    method: 'POST',
    url: '/v1/approvals/inc-1%2Fp-1/approve',
    headers: as('viewer'),
    payload: decision,
  });
  assert.equal(response.statusCode, 403);
  assert.equal(response.json<{ code: string }>().code, 'VIGIL_APPROVAL_FORBIDDEN');
  assert.equal(decided.length, 0);
});

test('an analyst decides as user:<id> with the signed decision passed through', async (t) => {
  const { app, as, decided } = await opsApiFixture(t);
  const response = await app.inject({
    method: 'POST',
    url: '/v1/approvals/inc-1%2Fp-1/reject',
    headers: as('analyst'),
    payload: decision,
  });
  assert.equal(response.statusCode, 200);
  assert.equal(response.json<{ approval: { status: string } }>().approval.status, 'rejected');
  assert.deepEqual(decided, [
    {
      id: 'inc-1/p-1',
      decision: 'reject',
      by: 'user:alice',
      reason: 'confirmed miner',
      approval: decision.approval,
    },
  ]);
});

test('a decision without a reason, with unknown fields or over 64 KiB is refused before deciding', async (t) => {
  const { app, as, decided } = await opsApiFixture(t);
  const post = (payload: unknown) =>
    app.inject({
      method: 'POST',
      url: '/v1/approvals/inc-1%2Fp-1/approve',
      headers: { ...as('analyst'), 'content-type': 'application/json' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  const noReason = await post({ reason: '  ', approval: 'a.b.c' });
  assert.equal(noReason.statusCode, 400);
  assert.match(noReason.json<{ message: string }>().message, /reason: a reason is required/);
  assert.equal((await post({ ...decision, extra: 1 })).statusCode, 400);
  const notJson = await post('{');
  assert.equal(notJson.statusCode, 400);
  assert.equal(notJson.json<{ code: string }>().code, 'VIGIL_API_BAD_REQUEST');
  const huge = await post({ ...decision, parameters: { blob: 'x'.repeat(70_000) } });
  assert.equal(huge.statusCode, 413);
  assert.equal(huge.json<{ code: string }>().code, 'VIGIL_API_BODY_TOO_LARGE');
  assert.equal(decided.length, 0);
});

test("the coordinator's VIGIL_APPROVAL_* errors keep their HTTP statuses", async (t) => {
  const { app, as } = await opsApiFixture(t);
  const post = (approval: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/approvals/inc-1%2Fp-1/approve',
      headers: as('analyst'),
      payload: { reason: 'ok', approval },
    });
  assert.equal((await post('stale')).statusCode, 410);
  assert.equal((await post('a.b.c')).statusCode, 200);
  const again = await post('a.b.c');
  assert.equal(again.statusCode, 409);
  assert.equal(again.json<{ code: string }>().code, 'VIGIL_APPROVAL_NOT_PENDING');
});

test('answers an unknown route with 404 VIGIL_API_NOT_FOUND', async (t) => {
  const { app, as } = await opsApiFixture(t);
  const response = await app.inject({ url: '/v1/nothing', headers: as('viewer') });
  assert.equal(response.statusCode, 404);
  assert.equal(response.json<{ code: string }>().code, 'VIGIL_API_NOT_FOUND');
});

test('listens on loopback and reports a taken port as VIGIL_CONFIG_PORT_IN_USE', async (t) => {
  const { store, dir } = await opsApiFixture(t);
  const deps = {
    coordinator: { summary: async () => undefined, decide: async () => assert.fail() },
    store,
    stateDir: dir,
    trustDomain: 'soc.test',
  };
  const api = await startOpsApi({ ...deps, port: 0 });
  t.after(() => api.close());
  assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const response = await fetch(`${api.url}/v1/openapi.json`);
  assert.equal(response.status, 200);
  await assert.rejects(startOpsApi({ ...deps, port: Number(new URL(api.url).port) }), {
    code: 'VIGIL_CONFIG_PORT_IN_USE',
  });
});
