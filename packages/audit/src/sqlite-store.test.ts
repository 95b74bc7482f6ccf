import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { SqliteAuditStore } from './sqlite-store.js';
import { describeAuditStoreContract } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describeAuditStoreContract('SqliteAuditStore', () => {
  const path = join(dir, `audit-${++n}.db`);
  const store = new SqliteAuditStore(path);
  return Promise.resolve({
    store,
    sql: (statement, params = []) => {
      store.database.prepare(statement).run(...params);
      return Promise.resolve();
    },
    reopen: () => Promise.resolve(new SqliteAuditStore(path)),
  });
});
