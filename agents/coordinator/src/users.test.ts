import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  authenticatePassword,
  ensureBootstrapAdmin,
  ensureBootstrapPassword,
  passwordFile,
  usersFile,
} from './users.js';

test('the bootstrap admin gets a console password once, kept 0600 beside its token', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-users-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(ensureBootstrapAdmin(dir), 'admin');
  assert.equal(await ensureBootstrapPassword(dir), true);
  const password = readFileSync(passwordFile(dir, 'admin'), 'utf8').trim();
  assert.equal(statSync(passwordFile(dir, 'admin')).mode & 0o777, 0o600);
  assert.deepEqual(await authenticatePassword(dir, 'admin', password), {
    id: 'admin',
    role: 'admin',
  });
  assert.doesNotMatch(readFileSync(usersFile(dir), 'utf8'), new RegExp(password));
  assert.equal(await ensureBootstrapPassword(dir), false, 'kept, not replaced');
});
