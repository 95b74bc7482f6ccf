import { after, before } from 'node:test';
import { startPostgres, type StartedPostgres } from '@vigil/testkit';
import { PostgresAuditStore } from './postgres-store.js';
import { describeAuditStoreContract } from './store-contract.js';

// A real PostgreSQL server (Debian package), started on loopback for this file.
let server: StartedPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server.stop();
});
let n = 0;

describeAuditStoreContract('PostgresAuditStore', async () => {
  const url = await server.createDatabase(`audit_${++n}`);
  const store = await PostgresAuditStore.open(url);
  return {
    store,
    sql: async (statement, params = []) => {
      let i = 0;
      await store.pool.query(
        statement.replace(/\?/g, () => `$${++i}`),
        [...params],
      );
    },
    reopen: () => PostgresAuditStore.open(url),
  };
});
