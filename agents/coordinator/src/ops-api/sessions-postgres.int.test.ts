import { after, before, type TestContext } from 'node:test';
import { openPostgresPool } from '@vigil/runtime';
import { startPostgres, type StartedPostgres } from '@vigil/testkit';
import { sessionTableContract } from './session-table.contract.js';
import { PostgresSessionTable } from './session-table-postgres.js';

// One server for the file, a fresh database per test.
let pg: StartedPostgres;
before(async () => {
  pg = await startPostgres();
});
after(() => pg?.stop());

let url: string | undefined;
let databases = 0;
async function tableOn(t: TestContext, at: string): Promise<PostgresSessionTable> {
  const pool = await openPostgresPool(at, {
    schema: 'SELECT 1',
    lock: 'vigil.test',
    code: 'VIGIL_TEST',
    what: 'test pool',
  });
  t.after(() => pool.end());
  return PostgresSessionTable.open(pool);
}
sessionTableContract('postgres', {
  async open(t) {
    url = await pg.createDatabase(`sessions_${++databases}`);
    return tableOn(t, url);
  },
  // Another pool on the same database: another coordinator replica.
  reopen: (t) => tableOn(t, url!),
});
