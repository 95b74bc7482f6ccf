import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { sessionTableContract } from './session-table.contract.js';
import { MemorySessionTable } from './session-table.js';
import { SqliteSessionTable } from './session-table-sqlite.js';

sessionTableContract('memory', { open: async () => new MemorySessionTable() });

let file: string | undefined;
function sqliteOn(t: TestContext, path: string): SqliteSessionTable {
  const table = new SqliteSessionTable(path);
  t.after(() => table.close());
  return table;
}
sessionTableContract('sqlite', {
  async open(t) {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sessions-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    file = join(dir, 'coordinator.sqlite');
    return sqliteOn(t, file);
  },
  async reopen(t) {
    return sqliteOn(t, file!);
  },
});
