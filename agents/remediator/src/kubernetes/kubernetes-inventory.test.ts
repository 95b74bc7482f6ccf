import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesInventorySource } from './kubernetes-inventory.js';

test('a watch event without an object is dropped and logged, not an unhandled rejection', async (t) => {
  // An API (or a proxy in front of it) that lists nothing and then streams malformed events.
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (new URL(req.url ?? '/', 'http://x').searchParams.get('watch') === 'true') {
      res.write('{"type":"ADDED"}\n{"type":"MODIFIED","object":{"kind":"Pod"}}\n');
      return; // held open, as a watch is
    }
    res.end(JSON.stringify({ kind: 'List', metadata: { resourceVersion: '7' }, items: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true, // plain HTTP on loopback: the client insists on the flag
      },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  const warnings: string[] = [];
  const logger = { warn: (_o: unknown, msg: string) => void warnings.push(msg) } as never;
  const source = new KubernetesInventorySource(kc, { logger });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await source.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  assert.equal((await source.inventory()).pods().length, 0);
  const deadline = Date.now() + 5000;
  while (warnings.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(unhandled, []);
  assert.ok(warnings.length >= 20, `each malformed event is logged (${warnings.length})`);
  assert.ok(
    source.status().every((s) => s.connected),
    'the watches stay up',
  );
});
