/**
 * Console sessions outlive the coordinator process that opened them: kept in the
 * coordinator's SQLite database they survive a restart, and kept in PostgreSQL every
 * replica accepts them — and a sign-out on one replica is refused by the other.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { startPostgres } from '@vigil/testkit';
import { IncidentStore } from '../incident-store.js';
import { hashPassword } from '../password-hash.js';
import { PostgresIncidentStore } from '../postgres-incident-store.js';
import { TEST_ORIGIN, TEST_TRUST_DOMAIN } from '../testing/ops-api-fixture.js';
import { addConsoleUser } from '../users.js';
import { createOpsApp } from './server.js';
import { PostgresSessionTable } from './session-table-postgres.js';
import { SqliteSessionTable } from './session-table-sqlite.js';
import { CSRF_HEADER, SESSION_COOKIE, SessionStore } from './sessions.js';

const PASSWORD = 'correct horse battery';
const coordinator = {
  summary: async () => undefined,
  decide: async () => assert.fail('no decision'),
};

async function stateDir(t: TestContext): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sessions-restart-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  addConsoleUser(dir, 'ana', 'analyst', await hashPassword(PASSWORD));
  return dir;
}

async function signIn(app: FastifyInstance) {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { origin: TEST_ORIGIN },
    payload: { user: 'ana', password: PASSWORD },
  });
  assert.equal(response.statusCode, 200, response.body);
  const cookie = response.cookies.find((c) => c.name === SESSION_COOKIE)!;
  return {
    cookie: `${SESSION_COOKIE}=${cookie.value}`,
    csrf: response.json<{ csrfToken: string }>().csrfToken,
  };
}

const whoAmI = (app: FastifyInstance, cookie: string) =>
  app.inject({ url: '/v1/session', headers: { cookie } });

test("a console session survives a coordinator restart (the coordinator's SQLite)", async (t) => {
  const dir = await stateDir(t);
  const file = join(dir, 'coordinator.sqlite');
  const open = async () => {
    const store = new IncidentStore(file);
    const table = new SqliteSessionTable(file);
    const app = await createOpsApp({
      coordinator,
      store,
      stateDir: dir,
      trustDomain: TEST_TRUST_DOMAIN,
      origins: [TEST_ORIGIN],
      sessions: new SessionStore(table),
      consoleDir: undefined,
    });
    return {
      app,
      close: async () => {
        await app.close();
        table.close();
        store.close();
      },
    };
  };
  const first = await open();
  const { cookie, csrf } = await signIn(first.app);
  await first.close();

  const second = await open();
  t.after(() => second.close());
  const me = await whoAmI(second.app, cookie);
  assert.equal(me.statusCode, 200, me.body);
  assert.deepEqual(me.json<{ user: unknown }>().user, { id: 'ana', role: 'analyst' });
  assert.equal(me.json<{ csrfToken: string }>().csrfToken, csrf, 'the same CSRF token');
  // The database holds the token's hash, never the cookie.
  const db = new Database(file, { readonly: true });
  t.after(() => db.close());
  const token = decodeURIComponent(cookie.slice(SESSION_COOKIE.length + 1));
  const keys = db.prepare('SELECT key FROM console_sessions').all() as { key: string }[];
  assert.equal(keys.length, 1);
  assert.notEqual(keys[0]?.key, token);
});

test('a second coordinator replica on the same PostgreSQL accepts the session; a sign-out on it ends the session on both', async (t) => {
  const dir = await stateDir(t);
  const pg = await startPostgres(t);
  const replica = async () => {
    const store = await PostgresIncidentStore.open(pg.url);
    t.after(() => store.close());
    const app = await createOpsApp({
      coordinator,
      store,
      stateDir: dir,
      trustDomain: TEST_TRUST_DOMAIN,
      origins: [TEST_ORIGIN],
      sessions: new SessionStore(await PostgresSessionTable.open(store.pool)),
      consoleDir: undefined,
    });
    t.after(() => app.close());
    return { app, store };
  };
  const a = await replica();
  const b = await replica();
  const { cookie, csrf } = await signIn(a.app);
  const onB = await whoAmI(b.app, cookie);
  assert.equal(onB.statusCode, 200, onB.body);
  assert.equal(onB.json<{ csrfToken: string }>().csrfToken, csrf);

  const token = decodeURIComponent(cookie.slice(SESSION_COOKIE.length + 1));
  const { rows } = await a.store.pool.query<{ key: string }>('SELECT key FROM console_sessions');
  assert.equal(rows.length, 1);
  assert.notEqual(rows[0]?.key, token, 'the table keeps a hash, not the cookie');

  const out = await b.app.inject({
    method: 'DELETE',
    url: '/v1/session',
    headers: { cookie, origin: TEST_ORIGIN, [CSRF_HEADER]: csrf },
  });
  assert.equal(out.statusCode, 204, out.body);
  assert.equal((await whoAmI(a.app, cookie)).statusCode, 401, 'revoked on every replica');
  const { rows: revoked } = await a.store.pool.query<{ revoked_at: string | null }>(
    'SELECT revoked_at FROM console_sessions',
  );
  assert.notEqual(revoked[0]?.revoked_at, null, 'the sign-out is recorded');
});
