import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  agentSpiffeIdIn as pkiAgentSpiffeIdIn,
  loadCredentialDirectory,
  readCertificateAuthority,
  type AgentCredentials,
} from '@vigil/pki';
import { agentSpiffeIdIn as registryAgentSpiffeIdIn } from '@vigil/registry';
import {
  TRANSPORT_ERROR_CODES as CODES,
  createAgentClient,
  createStaticPeerDirectory,
  startAgentServer,
  type AgentServer,
  type SkillCallContext,
  type TransportSystem,
} from './index.js';
import { issueDriverStyleCertificate } from './testing/certificates.js';
import { captureLogger, testIdentities, testSystem } from './testing/fixtures.js';

// identity.spiffeIds: service-account — agents are named as csi-driver-spiffe names the
// pods of their ServiceAccounts: spiffe://<td>/ns/<namespace>/sa/<agent>.
const agents = { callee: { skills: ['echo'] }, caller: { calls: ['callee'] } };
const system: TransportSystem = {
  ...testSystem(agents),
  metadata: { namespace: 'agents' },
  identity: { spiffeIds: 'service-account' },
};
const CALLER_ID = 'spiffe://test.vigil.local/ns/agents/sa/caller';

test('the registry and the PKI name an agent alike in both forms', () => {
  for (const form of ['agent', 'service-account'] as const) {
    const scheme = { ...system, identity: { spiffeIds: form } };
    assert.equal(
      registryAgentSpiffeIdIn(scheme, 'caller'),
      pkiAgentSpiffeIdIn(scheme, 'caller'),
      form,
    );
  }
  assert.equal(registryAgentSpiffeIdIn(system, 'caller'), CALLER_ID);
  assert.equal(
    registryAgentSpiffeIdIn(testSystem(agents), 'caller'),
    'spiffe://test.vigil.local/agent/caller',
  );
});

describe('A2A with service-account SPIFFE IDs (csi-driver-spiffe)', () => {
  let ids: Awaited<ReturnType<typeof testIdentities>>;
  let server: AgentServer;
  let driverDir: string;
  const serverLog = captureLogger('callee');
  const seen: SkillCallContext[] = [];

  /** Writes `tls.crt`, `tls.key` and `ca.crt` for `spiffeId` as the driver lays out its volume. */
  async function driverVolume(spiffeId: string): Promise<AgentCredentials> {
    const ca = (await readCertificateAuthority(ids.stateDir))!;
    const leaf = await issueDriverStyleCertificate(ca, spiffeId);
    const dir = mkdtempSync(join(driverDir, 'volume-'));
    writeFileSync(join(dir, 'tls.crt'), leaf.cert);
    writeFileSync(join(dir, 'tls.key'), leaf.key, { mode: 0o440 });
    writeFileSync(join(dir, 'ca.crt'), ca.certPem);
    return loadCredentialDirectory(dir);
  }

  function callerWith(credentials: AgentCredentials) {
    return createAgentClient({
      system,
      selfName: 'caller',
      credentials,
      peers: createStaticPeerDirectory({ callee: [server.url] }),
      logger: captureLogger('caller').logger,
      deadlineMs: 5_000,
    });
  }

  before(async () => {
    ids = await testIdentities(system);
    driverDir = mkdtempSync(join(tmpdir(), 'vigil-csi-'));
    // The callee serves with what the driver would have written into its pod.
    server = await startAgentServer({
      system,
      agentName: 'callee',
      credentials: await driverVolume('spiffe://test.vigil.local/ns/agents/sa/callee'),
      logger: serverLog.logger,
      skills: {
        echo: async (input, ctx) => {
          seen.push(ctx);
          return { echoed: input, caller: ctx.caller.name };
        },
      },
    });
  });

  after(async () => {
    await server.close();
    ids.cleanup();
    rmSync(driverDir, { recursive: true, force: true });
  });

  test('the local CA issues the service-account form, and a driver-issued caller is admitted as its agent', async (t) => {
    const local = await ids.credentials('caller');
    assert.equal(local.spiffeId, CALLER_ID, 'vigil up issues the same IDs as the cluster');
    for (const credentials of [local, await driverVolume(CALLER_ID)]) {
      const client = callerWith(credentials);
      t.after(() => client.close());
      // The caller also checked the callee's certificate and signed card against ns/agents/sa/callee.
      const out = await client.callSkill<{ caller: string }>('callee', 'echo', { n: 1 });
      assert.equal(out.caller, 'caller');
      assert.equal(seen.at(-1)?.caller.spiffeId, CALLER_ID);
    }
  });

  test('an /agent/<name> ID names no agent in a service-account system (one system, one form)', async (t) => {
    const client = callerWith(await driverVolume('spiffe://test.vigil.local/agent/caller'));
    t.after(() => client.close());
    await assert.rejects(
      client.callSkill('callee', 'echo', {}),
      (error: Error & { details?: Record<string, unknown> }) =>
        error.details?.['remoteCode'] === CODES.UNKNOWN_CALLER,
    );
  });

  test('a ServiceAccount of another namespace is not the agent of the same name', async (t) => {
    const client = callerWith(await driverVolume('spiffe://test.vigil.local/ns/other/sa/caller'));
    t.after(() => client.close());
    await assert.rejects(
      client.callSkill('callee', 'echo', {}),
      (error: Error & { details?: Record<string, unknown> }) =>
        error.details?.['remoteCode'] === CODES.UNKNOWN_CALLER,
    );
    await serverLog.waitFor(
      (l) =>
        l['code'] === CODES.UNKNOWN_CALLER &&
        l['caller'] === 'spiffe://test.vigil.local/ns/other/sa/caller',
    );
  });
});
