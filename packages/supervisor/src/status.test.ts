import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isVigilError } from '@vigil/core';
import { isProcessAlive, readSupervisorStatus, statusPath, writeJsonAtomic } from './status.js';

test('status is written atomically and read back with the supervisor liveness', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-status-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const status = {
    version: 1,
    system: 's',
    configPath: '/c',
    supervisor: { pid: process.pid, state: 'running', startedAt: new Date().toISOString() },
    updatedAt: new Date().toISOString(),
    agents: [],
  };
  writeJsonAtomic(statusPath(dir), status);
  assert.deepEqual(readdirSync(join(dir, 'run')), ['status.json']);
  const read = readSupervisorStatus(dir);
  assert.equal(read.supervisorAlive, true);
  assert.equal(read.status.system, 's');
  writeJsonAtomic(statusPath(dir), {
    ...status,
    supervisor: { ...status.supervisor, state: 'stopped' },
  });
  assert.equal(readSupervisorStatus(dir).supervisorAlive, false);
});

test('reading the status of a state directory without a supervisor fails with a coded error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-status-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.throws(
    () => readSupervisorStatus(dir),
    (e: unknown) => isVigilError(e, 'VIGIL_SUPERVISOR_NO_STATUS'),
  );
});

test('a pid that does not exist is not alive', () => {
  assert.equal(isProcessAlive(process.pid), true);
  assert.equal(isProcessAlive(2 ** 22 + 12345), false);
});
