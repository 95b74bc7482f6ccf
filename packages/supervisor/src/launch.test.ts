import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { agentCommand, planMemory, residentBytes, tsxLoaderUrl } from './launch.js';

const MIB = 1024 * 1024;

test('the V8 heap gets 75% of resources.memory and the resident ceiling is the whole of it', () => {
  const plan = planMemory(256 * MIB, { prlimitAvailable: true });
  assert.equal(plan.heapMiB, 192);
  assert.equal(plan.rssLimitBytes, 256 * MIB);
  assert.equal(plan.rlimitDataBytes, 512 * MIB);
  assert.equal(planMemory(4096 * MIB, { prlimitAvailable: true }).rlimitDataBytes, 8192 * MIB);
});

test('no rlimit is planned without prlimit or when disabled', () => {
  assert.equal(planMemory(256 * MIB, { prlimitAvailable: false }).rlimitDataBytes, undefined);
  assert.equal(
    planMemory(256 * MIB, { prlimitAvailable: true, rlimit: false }).rlimitDataBytes,
    undefined,
  );
});

test('the agent command runs node through prlimit with the tsx loader and the heap limit', () => {
  const memory = planMemory(128 * MIB, { prlimitAvailable: true });
  const cmd = agentCommand({ entryScript: '/x/entry.ts', memory, prlimitPath: '/usr/bin/prlimit' });
  assert.equal(cmd.file, '/usr/bin/prlimit');
  assert.deepEqual(cmd.args.slice(0, 3), [
    `--data=${512 * MIB}:${512 * MIB}`,
    '--',
    process.execPath,
  ]);
  assert.ok(cmd.args.includes('--max-old-space-size=96'));
  assert.equal(cmd.args.at(-1), '/x/entry.ts');
  const direct = agentCommand({ entryScript: '/x/entry.ts', memory, prlimitPath: undefined });
  assert.equal(direct.file, process.execPath);
});

test('agents get a small young generation unless the system overrides it', () => {
  const memory = planMemory(128 * MIB, { prlimitAvailable: false });
  const plain = agentCommand({ entryScript: '/x/entry.js', memory, prlimitPath: undefined }).args;
  assert.ok(plain.includes('--max-semi-space-size=1'));
  const overridden = agentCommand({
    entryScript: '/x/entry.js',
    memory,
    prlimitPath: undefined,
    nodeArgs: ['--max-semi-space-size=8'],
  }).args;
  // V8 takes the last occurrence of a flag: the system's own comes after the default.
  assert.ok(
    overridden.lastIndexOf('--max-semi-space-size=8') >
      overridden.indexOf('--max-semi-space-size=1'),
  );
});

test('the tsx loader resolves to an existing file wherever the process runs from', () => {
  assert.ok(existsSync(fileURLToPath(tsxLoaderUrl())));
});

test(
  'resident memory of this process is read from /proc on Linux',
  { skip: process.platform !== 'linux' },
  () => {
    const rss = residentBytes(process.pid);
    assert.ok(rss !== undefined && rss > 1 * MIB);
  },
);

test('a compiled agent runs on plain Node with the vigil-dist condition, without tsx', () => {
  const command = agentCommand({
    entryScript: '/repo/packages/runtime/dist/entry.js',
    memory: { memoryBytes: 128 * 1024 * 1024, heapMiB: 96, rlimitDataBytes: undefined } as never,
    prlimitPath: undefined,
    compiled: true,
  });
  assert.ok(command.args.includes('--conditions=vigil-dist'));
  assert.ok(!command.args.includes('--import'), 'no TypeScript loader');
  assert.equal(command.args.at(-1), '/repo/packages/runtime/dist/entry.js');
});
