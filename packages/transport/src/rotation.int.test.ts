import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { test } from 'node:test';
import { issueAgentCertificate, loadAgentCredentials } from '@vigil/pki';
import {
  createAgentClient,
  createStaticPeerDirectory,
  startAgentServer,
  verifyAgentCard,
} from './index.js';
import { captureLogger, testIdentities, testSystem } from './testing/fixtures.js';

const system = testSystem({ callee: { skills: ['work'] }, caller: { calls: ['callee'] } });

/** The certificate the server presents to a new TLS connection. */
async function presentedCertificate(
  url: string,
  creds: { cert: string; key: string; ca: string },
): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: hostname,
        port: Number(port),
        cert: creds.cert,
        key: creds.key,
        ca: creds.ca,
        checkServerIdentity: () => undefined,
      },
      () => {
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        socket.end();
        resolve(fingerprint);
      },
    );
    socket.on('error', reject);
  });
}

test('certificate rotation while calls are in flight loses no call', async (t) => {
  const ids = await testIdentities(system);
  t.after(() => ids.cleanup());
  const log = captureLogger();
  let releaseGate!: () => void;
  const gate = new Promise<void>((resolve) => (releaseGate = resolve));
  let started = 0;
  const startedWaiters: { count: number; resolve: () => void }[] = [];
  const whenStarted = (count: number): Promise<void> =>
    started >= count
      ? Promise.resolve()
      : new Promise((resolve) => startedWaiters.push({ count, resolve }));

  const server = await startAgentServer({
    system,
    agentName: 'callee',
    credentials: await ids.credentials('callee'),
    logger: log.logger,
    skills: {
      work: async (input) => {
        started += 1;
        startedWaiters.filter((w) => started >= w.count).forEach((w) => w.resolve());
        await gate;
        return input;
      },
    },
  });
  t.after(() => server.close());

  let callerCreds = await ids.credentials('caller');
  const client = createAgentClient({
    system,
    selfName: 'caller',
    credentials: () => callerCreds,
    peers: createStaticPeerDirectory({ callee: [server.url] }),
    logger: log.logger,
    deadlineMs: 30_000,
  });
  t.after(() => client.close());

  const oldServerFingerprint = new X509Certificate((await ids.credentials('callee')).cert)
    .fingerprint256;
  // Wave 1: calls in flight on connections made with the old certificates.
  const wave1 = Array.from({ length: 10 }, (_, i) =>
    client.callSkill('callee', 'work', { wave: 1, i }),
  );
  await whenStarted(10);
  assert.equal(server.inFlight(), 10);

  // Rotate both identities on disk, reload the server, and let the client pick its new credentials up.
  await issueAgentCertificate(ids.stateDir, system, 'callee', { reason: 'test rotation' });
  await issueAgentCertificate(ids.stateDir, system, 'caller', { reason: 'test rotation' });
  const newCallee = await loadAgentCredentials(ids.stateDir, 'callee');
  await server.reloadCredentials(newCallee);
  callerCreds = await loadAgentCredentials(ids.stateDir, 'caller');

  // Wave 2: new calls go over new connections (new client certificate, new server context).
  const wave2 = Array.from({ length: 10 }, (_, i) =>
    client.callSkill('callee', 'work', { wave: 2, i }),
  );
  await whenStarted(20);
  assert.equal(server.inFlight(), 20);

  releaseGate();
  const results = await Promise.allSettled([...wave1, ...wave2]);
  const rejected = results.filter((result) => result.status === 'rejected');
  assert.deepEqual(rejected, [], 'no call was lost');
  assert.deepEqual(
    results.map((result) => (result as PromiseFulfilledResult<unknown>).value),
    [
      ...Array.from({ length: 10 }, (_, i) => ({ wave: 1, i })),
      ...Array.from({ length: 10 }, (_, i) => ({ wave: 2, i })),
    ],
  );

  // New connections see the new server certificate; the card is re-signed with it.
  const presented = await presentedCertificate(server.url, callerCreds);
  assert.equal(presented, new X509Certificate(newCallee.cert).fingerprint256);
  assert.notEqual(presented, oldServerFingerprint);
  const verdict = await verifyAgentCard(server.agentCard(), {
    caPem: newCallee.ca,
    expectedSpiffeId: newCallee.spiffeId,
  });
  assert.equal(verdict.ok, true);
  const x5c = JSON.parse(
    Buffer.from(server.agentCard().signatures![0]!.protected, 'base64url').toString(),
  ) as { x5c: string[] };
  assert.equal(x5c.x5c[0], new X509Certificate(newCallee.cert).raw.toString('base64'));
  assert.deepEqual(await client.callSkill('callee', 'work', { after: true }), { after: true });
  await log.waitFor((line) => /credentials changed; new connection pool/.test(String(line['msg'])));
});

test('reloadCredentials refuses credentials of another identity and keeps serving', async (t) => {
  const ids = await testIdentities(system);
  t.after(() => ids.cleanup());
  const log = captureLogger();
  const server = await startAgentServer({
    system,
    agentName: 'callee',
    credentials: await ids.credentials('callee'),
    logger: log.logger,
    skills: { work: async (input) => input },
  });
  t.after(() => server.close());
  await assert.rejects(server.reloadCredentials(await ids.credentials('caller')), {
    code: 'VIGIL_TRANSPORT_INVALID_OPTIONS',
  });
  const client = createAgentClient({
    system,
    selfName: 'caller',
    credentials: await ids.credentials('caller'),
    peers: createStaticPeerDirectory({ callee: [server.url] }),
    logger: log.logger,
  });
  t.after(() => client.close());
  assert.deepEqual(await client.callSkill('callee', 'work', 1), 1);
});
