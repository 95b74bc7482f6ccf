import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { SqliteAuditStore } from './sqlite-store.js';
import { describeAuditStoreContract, type ContractStore } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function freshStore(): Promise<ContractStore> {
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
}

describeAuditStoreContract('SqliteAuditStore', freshStore);

// The same contract with verification reading and hashing in worker threads, in slices of
// a few entries and pages of 3 rows, so every tampering case is also found at the right
// entry when the log is checked in parallel and reassembled in store order.
describeAuditStoreContract('SqliteAuditStore, verified by worker threads', freshStore, {
  verify: { workers: 2, pageSize: 3 },
});
