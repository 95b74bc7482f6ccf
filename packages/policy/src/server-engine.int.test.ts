import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { startOpaServer, type OpaServer } from '@vigil/testkit';
import { POLICY_ERROR_CODES } from './errors.js';
import { describePolicyEngineContract } from './policy-engine.contract.js';
import { OpaServerPolicyEngine } from './server-engine.js';
import { SOC_BUNDLE_DIR, SOC_DATA, SOC_ENTRYPOINT, baseInput } from './testing/fixtures.js';

let opa: OpaServer;
before(async () => {
  opa = await startOpaServer();
});
after(() => opa.close());

/**
 * An HTTP server that accepts policy and data uploads but never answers a decision
 * request: the one test double here, because a real OPA cannot be made slow on demand.
 */
async function hangingServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":[]}');
    } else if (req.method === 'PUT') {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    }
    // POST: never answered.
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}`, server };
}

describePolicyEngineContract('OpaServerPolicyEngine', {
  create: (options = {}) =>
    OpaServerPolicyEngine.create({
      url: opa.url,
      bundleDir: SOC_BUNDLE_DIR,
      entrypoint: SOC_ENTRYPOINT,
      data: SOC_DATA,
      ...options,
    }),
  broken: async (options = {}) => {
    // A real OPA server that dies after the policy is loaded: connection refused.
    const doomed = await startOpaServer();
    try {
      return await OpaServerPolicyEngine.create({
        url: doomed.url,
        bundleDir: SOC_BUNDLE_DIR,
        entrypoint: SOC_ENTRYPOINT,
        data: SOC_DATA,
        ...options,
      });
    } finally {
      await doomed.close();
    }
  },
  slow: async (options) => {
    const { url, server } = await hangingServer();
    const stop = async (): Promise<void> => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    };
    const engine = await OpaServerPolicyEngine.create({
      url,
      bundleDir: SOC_BUNDLE_DIR,
      entrypoint: SOC_ENTRYPOINT,
      data: SOC_DATA,
      ...options,
    }).catch(async (error: unknown) => {
      await stop();
      throw error;
    });
    return {
      backend: engine.backend,
      revision: engine.revision,
      evaluate: (input: unknown) => engine.evaluate(input),
      close: async () => {
        await engine.close();
        await stop();
      },
    };
  },
});

test('fails closed when the OPA server has no such entrypoint', async (t) => {
  const engine = await OpaServerPolicyEngine.create({
    url: opa.url,
    bundleDir: SOC_BUNDLE_DIR,
    entrypoint: 'vigil/soc/review/no_such_rule',
    data: SOC_DATA,
  });
  t.after(() => engine.close());
  const decision = await engine.evaluate(baseInput());
  assert.equal(decision.decision, 'deny');
  assert.deepEqual(decision.rules, ['vigil.fail-closed.output-invalid']);
});

test('refuses to start against an unreachable server or a non-http URL', async () => {
  const doomed = await startOpaServer();
  await doomed.close();
  await assert.rejects(
    OpaServerPolicyEngine.create({
      url: doomed.url,
      bundleDir: SOC_BUNDLE_DIR,
      entrypoint: SOC_ENTRYPOINT,
      data: SOC_DATA,
    }),
    { code: POLICY_ERROR_CODES.LOAD_FAILED },
  );
  await assert.rejects(
    OpaServerPolicyEngine.create({
      url: 'ftp://x',
      bundleDir: SOC_BUNDLE_DIR,
      entrypoint: SOC_ENTRYPOINT,
      data: SOC_DATA,
    }),
    { code: POLICY_ERROR_CODES.CONFIG },
  );
});

test('replaces modules left on the server by an older version of the bundle', async (t) => {
  const server = await startOpaServer(t);
  const put = await fetch(`${server.url}/v1/policies/vigil/stale.rego`, {
    method: 'PUT',
    headers: { 'content-type': 'text/plain' },
    body: 'package vigil.soc.review\n\nleftover := true\n',
  });
  assert.equal(put.status, 200);
  const engine = await OpaServerPolicyEngine.create({
    url: server.url,
    bundleDir: SOC_BUNDLE_DIR,
    entrypoint: SOC_ENTRYPOINT,
    data: SOC_DATA,
  });
  t.after(() => engine.close());
  const listing = (await (await fetch(`${server.url}/v1/policies`)).json()) as {
    result: { id: string }[];
  };
  const ids = listing.result.map((p) => p.id).sort();
  assert.ok(!ids.includes('vigil/stale.rego'), ids.join(', '));
  assert.ok(ids.includes('vigil/review.rego'));
  assert.equal((await engine.evaluate(baseInput())).decision, 'allow');
});
