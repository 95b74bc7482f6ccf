import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  createFilePeerDirectory,
  createServicePeerDirectory,
  createStaticPeerDirectory,
} from './peers.js';

test('the file peer directory reads endpoints.json and follows its changes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-peers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'endpoints.json');
  const peers = createFilePeerDirectory(path);
  assert.deepEqual(peers.resolve('echo'), [], 'a missing file means no peers yet');

  writeFileSync(
    path,
    JSON.stringify({ echo: ['https://127.0.0.1:4001', 'https://127.0.0.1:4002'] }),
  );
  assert.deepEqual(peers.resolve('echo'), ['https://127.0.0.1:4001', 'https://127.0.0.1:4002']);
  assert.deepEqual(peers.resolve('greeter'), []);

  writeFileSync(
    path,
    JSON.stringify({ echo: ['https://127.0.0.1:5001'], greeter: ['https://127.0.0.1:5002'] }),
  );
  assert.deepEqual(peers.resolve('echo'), ['https://127.0.0.1:5001']);
  assert.deepEqual(peers.resolve('greeter'), ['https://127.0.0.1:5002']);

  // A half-written or broken file keeps the last good content.
  writeFileSync(path, '{"echo": [');
  assert.deepEqual(peers.resolve('echo'), ['https://127.0.0.1:5001']);
});

test('a malformed endpoints file with no good content before is a clear error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-peers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'endpoints.json');
  writeFileSync(path, JSON.stringify({ echo: 'https://127.0.0.1:1' }));
  assert.throws(() => createFilePeerDirectory(path).resolve('echo'), {
    code: 'VIGIL_TRANSPORT_INVALID_OPTIONS',
    message: /"echo" must be an array of http\(s\) URLs/,
  });
});

test('the static peer directory returns copies and can be updated', () => {
  const peers = createStaticPeerDirectory({ a: ['https://x:1'] });
  peers.resolve('a').push('mutated');
  assert.deepEqual(peers.resolve('a'), ['https://x:1']);
  peers.set('a', ['https://y:2']);
  assert.deepEqual(peers.resolve('a'), ['https://y:2']);
});

test('in a cluster every agent is reached through its Service name on the A2A port', () => {
  const peers = createServicePeerDirectory('soc.svc', 8443);
  assert.deepEqual(peers.resolve('reviewer'), ['https://reviewer.soc.svc:8443']);
});
