import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { createAuditWriter, openAuditStore } from '@vigil/audit';
import { ensureIdentities, loadAgentCredentials } from '@vigil/pki';
import { loadAgentSystem, spiffeIdOf } from '@vigil/registry';
import { statusPath, writeJsonAtomic, type SupervisorStatus } from '@vigil/supervisor';
import { opsApiFixture } from '../testing/ops-api-fixture.js';
import { minerFinding } from '../testing/recording-ports.js';

const VIGIL_YAML = fileURLToPath(new URL('../../../../vigil.yaml', import.meta.url));
const TRACE = 'ab'.repeat(16);

const READ_ROUTES = [
  '/v1/agents',
  '/v1/compliance',
  '/v1/audit',
  '/v1/audit/verification',
  '/v1/policies',
  '/v1/incidents/inc-live/trace',
] as const;

/** A detector replica's health server, answering /readyz with its scored-events counter. */
async function detectorHealth(t: TestContext, scored: number): Promise<number> {
  const server = createServer((_req, res) =>
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: 'ready', agentStatus: { scored, findings: 2 } })),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return (server.address() as AddressInfo).port;
}

/**
 * The ops API over the repository's own declaration, a real audit store written by the
 * coordinator's and reviewer's identities (a real CA in the state directory), and a
 * supervisor report naming a ready coordinator and a detector whose counters answer.
 */
async function readFixture(t: TestContext) {
  const system = await loadAgentSystem(VIGIL_YAML);
  const base = await opsApiFixture(t); // its state dir holds the users
  await ensureIdentities(base.dir, system);
  const audit = await openAuditStore({ backend: 'sqlite' }, base.dir);
  t.after(() => audit.close());
  const writerOf = async (name: string) => {
    const c = await loadAgentCredentials(base.dir, name);
    return createAuditWriter({
      store: audit,
      signer: { id: c.spiffeId, privateKeyPem: c.key, certPem: c.cert },
    });
  };
  const coordinator = await writerOf('coordinator');
  const reviewer = await writerOf('reviewer');
  const coordinatorId = spiffeIdOf(system, 'coordinator');
  const reviewerId = spiffeIdOf(system, 'reviewer');
  await reviewer.append({
    kind: 'policy-load',
    actor: reviewerId,
    what: { backend: 'wasm', revision: 'sha256:loaded-revision', bundle: 'policies/soc' },
    why: { rationale: 'start-up' },
  });
  const finding = await coordinator.append({
    kind: 'finding',
    actor: coordinatorId,
    correlationId: 'inc-live',
    traceId: TRACE,
    what: { findingId: 'f-1', disposition: 'new', score: 0.8 },
    why: { rationale: 'a new entity' },
  });
  await coordinator.append({
    kind: 'finding',
    actor: coordinatorId,
    correlationId: 'inc-live',
    traceId: TRACE,
    what: { disposition: 'rolled-up', count: 4, findingIds: ['f-2', 'f-3', 'f-4', 'f-5'] },
    why: { rationale: 'a storm' },
  });
  await reviewer.append({
    kind: 'verdict',
    actor: reviewerId,
    correlationId: 'inc-live',
    traceId: TRACE,
    what: { decision: 'mutate', parentEntryId: finding.hash },
    why: { reasons: ['narrowed'], revision: 'sha256:loaded-revision' },
  });
  await coordinator.close();
  await reviewer.close();

  const healthPort = await detectorHealth(t, 3000);
  const now = new Date().toISOString();
  const replica = (overrides: Partial<SupervisorStatus['agents'][number]['replicas'][number]>) => ({
    replica: 0,
    pid: process.pid,
    state: 'ready' as const,
    url: 'https://127.0.0.1:1',
    port: 1,
    healthPort: 1,
    restarts: 0,
    startedAt: now,
    readyAt: now,
    lastExit: null,
    lastError: null,
    nextRestartAt: null,
    rssBytes: 50 * 2 ** 20,
    certificate: { notAfter: '2099-01-01T00:00:00.000Z', fingerprintSha256: 'ff' },
    ...overrides,
  });
  const status: SupervisorStatus = {
    version: 1,
    system: system.metadata.name,
    runtime: 'process',
    configPath: VIGIL_YAML,
    supervisor: { pid: process.pid, state: 'running', startedAt: now },
    updatedAt: now,
    agents: [
      {
        name: 'coordinator',
        spiffeId: coordinatorId,
        memoryBytes: 512 * 2 ** 20,
        certificate: { notAfter: '2099-01-01T00:00:00.000Z', fingerprintSha256: 'ee' },
        replicas: [replica({})],
      },
      {
        name: 'detector',
        spiffeId: spiffeIdOf(system, 'detector'),
        memoryBytes: 512 * 2 ** 20,
        certificate: null,
        replicas: [
          replica({ healthPort, restarts: 2 }),
          replica({
            replica: 1,
            state: 'restarting',
            pid: null,
            startedAt: null,
            restarts: 1,
            lastError: { code: 'VIGIL_X', message: 'exited', at: now },
          }),
        ],
      },
    ],
  };
  writeJsonAtomic(statusPath(base.dir), status);
  const caPem = (await loadAgentCredentials(base.dir, 'coordinator')).ca;
  // This fixture's own users and incidents; the first one's state directory is the read source.
  const { app, as, store } = await opsApiFixture(t, {
    reads: { system, stateDir: base.dir, audit, caPem: () => caPem },
  });
  store.recordFinding('inc-live', { ...minerFinding, id: 'f-live' }, Date.now(), {
    title: 'live',
    severity: 'high',
  });
  return { app, as, system, finding };
}

async function get<T>(
  app: Awaited<ReturnType<typeof readFixture>>['app'],
  url: string,
  headers: Record<string, string>,
) {
  const response = await app.inject({ method: 'GET', url, headers });
  return { status: response.statusCode, body: response.json<T>(), text: response.body };
}

test('every read route refuses an unauthenticated caller with 401 and answers a viewer', async (t) => {
  const { app, as } = await readFixture(t);
  for (const url of READ_ROUTES) {
    const anonymous = await get<{ code: string }>(app, url, {});
    assert.equal(anonymous.status, 401, url);
    assert.equal(anonymous.body.code, 'VIGIL_API_UNAUTHENTICATED', url);
    const viewer = await get(app, url, as('viewer'));
    assert.equal(viewer.status, 200, `${url}: ${viewer.text}`);
    // No key material or password hash in any answer.
    assert.doesNotMatch(viewer.text, /PRIVATE KEY|scrypt|passwordHash/i, url);
  }
});

test('GET /v1/agents joins the registry with the supervisor report', async (t) => {
  const { app, as, system } = await readFixture(t);
  const { body } = await get<{
    supervisor: { alive: boolean } | null;
    agents: {
      name: string;
      spiffeId: string;
      callers: string[];
      calls: string[];
      health: string;
      restarts: number;
      memoryBytes: number | null;
      certificate: { notAfter: string } | null;
      skills: { id: string }[];
      autonomy: { autoExecute: string[] };
      instances: { state: string; lastError: { code: string } | null }[];
    }[];
  }>(app, '/v1/agents', as('viewer'));
  assert.equal(body.supervisor?.alive, true);
  assert.deepEqual(
    body.agents.map((a) => a.name),
    system.agents.map((a) => a.name),
  );
  const coordinator = body.agents.find((a) => a.name === 'coordinator')!;
  assert.equal(coordinator.spiffeId, 'spiffe://soc.vigil.local/agent/coordinator');
  assert.equal(coordinator.health, 'healthy');
  assert.equal(coordinator.certificate?.notAfter, '2099-01-01T00:00:00.000Z');
  assert.ok(coordinator.callers.includes('detector'));
  assert.ok(coordinator.calls.includes('reviewer'));
  assert.ok(coordinator.skills.some((s) => s.id === 'handle-finding'));
  const detector = body.agents.find((a) => a.name === 'detector')!;
  assert.equal(detector.health, 'degraded');
  assert.equal(detector.restarts, 3);
  assert.equal(detector.memoryBytes, 50 * 2 ** 20); // the running replica only
  assert.equal(detector.instances[1]?.lastError?.code, 'VIGIL_X');
  // An agent the report does not name is unknown, not healthy.
  assert.equal(body.agents.find((a) => a.name === 'notifier')?.health, 'unknown');
  assert.ok(body.agents.find((a) => a.name === 'remediator')!.autonomy.autoExecute.length > 0);
  // Agent settings are the agent's own (they may name secrets' places): not answered.
  assert.ok(body.agents.every((a) => !('settings' in a)));
});

test('GET /v1/compliance: the metrics of vigil metrics, a trend and events in → findings → incidents', async (t) => {
  const { app, as, system } = await readFixture(t);
  const { body } = await get<{
    entries: number;
    fiveSignal: { agents: { agent: string; signals: Record<string, boolean> }[] };
    mutation: { mutate: number; rate: number | null };
    trend: { entries: number }[];
    funnel: {
      events: number | null;
      eventsSince: string | null;
      findings: number;
      incidents: number;
    };
  }>(app, '/v1/compliance', as('viewer'));
  assert.equal(body.entries, 4);
  assert.equal(body.fiveSignal.agents.length, system.agents.length);
  const reviewer = body.fiveSignal.agents.find((a) => a.agent === 'reviewer')!;
  assert.equal(reviewer.signals['identity'], true);
  assert.equal(reviewer.signals['communication'], true); // shares trace and incident with the coordinator
  assert.equal(body.mutation.mutate, 1);
  assert.equal(body.mutation.rate, 1);
  assert.equal(
    body.trend.reduce((n, p) => n + p.entries, 0),
    4,
  );
  // 3,000 events the detector scored; 1 + 4 rolled-up findings; the incident opened now.
  const { eventsSince, ...counts } = body.funnel;
  assert.deepEqual(counts, { events: 3000, findings: 5, incidents: 1 });
  assert.ok(eventsSince !== null && Date.parse(eventsSince) <= Date.now());
  const bad = await get<{ code: string }>(app, '/v1/compliance?from=yesterday', as('viewer'));
  assert.equal(bad.status, 400);
});

test('GET /v1/audit searches by incident, trace and agent, newest first, in capped pages', async (t) => {
  const { app, as } = await readFixture(t);
  type Page = { entries: { kind: string; actor: string; sequence: number }[]; next: number | null };
  const all = await get<Page>(app, '/v1/audit', as('viewer'));
  assert.deepEqual(
    all.body.entries.map((e) => e.kind),
    ['verdict', 'finding', 'finding', 'policy-load'],
  );
  const byIncident = await get<Page>(app, '/v1/audit?incident=inc-live', as('viewer'));
  assert.equal(byIncident.body.entries.length, 3);
  const byTrace = await get<Page>(app, `/v1/audit?trace=${TRACE}`, as('viewer'));
  assert.equal(byTrace.body.entries.length, 3);
  const byAgent = await get<Page>(app, '/v1/audit?agent=reviewer', as('viewer'));
  assert.deepEqual(
    byAgent.body.entries.map((e) => e.kind),
    ['verdict', 'policy-load'],
  );
  // Pages of one, following `next`, reach every entry once and end with null.
  const seen: string[] = [];
  let before: number | null | undefined;
  do {
    const page = await get<Page>(
      app,
      `/v1/audit?limit=1${before ? `&before=${before}` : ''}`,
      as('viewer'),
    );
    seen.push(...page.body.entries.map((e) => e.kind));
    before = page.body.next;
  } while (before !== null);
  assert.deepEqual(seen, ['verdict', 'finding', 'finding', 'policy-load']);
  assert.equal((await get(app, '/v1/audit?limit=501', as('viewer'))).status, 400);
  assert.equal((await get(app, '/v1/audit?trace=not-hex', as('viewer'))).status, 400);
});

test('GET /v1/audit/verification answers the latest vigil audit verify', async (t) => {
  const { app, as } = await readFixture(t);
  const { body } = await get<{
    ok: boolean;
    entries: number;
    checkedAt: number;
    firstProblem: unknown;
    chains: unknown[];
  }>(app, '/v1/audit/verification', as('viewer'));
  assert.equal(body.ok, true);
  assert.equal(body.entries, 4);
  assert.equal(body.firstProblem, null);
  assert.equal(body.chains.length, 2);
  // Within a minute the same result is answered, not a new run.
  const again = await get<{ checkedAt: number }>(app, '/v1/audit/verification', as('viewer'));
  assert.equal(again.body.checkedAt, body.checkedAt);
});

test('GET /v1/incidents/{id}/trace is the vigil trace chain as rows; an unknown id is 404', async (t) => {
  const { app, as, finding } = await readFixture(t);
  const { body } = await get<{
    incidentIds: string[];
    steps: { entry: { kind: string; hash: string }; parentId: string | null; depth: number }[];
  }>(app, '/v1/incidents/inc-live/trace', as('viewer'));
  assert.deepEqual(body.incidentIds, ['inc-live']);
  const verdict = body.steps.find((s) => s.entry.kind === 'verdict')!;
  assert.equal(verdict.parentId, finding.hash); // its explicit parentEntryId
  assert.equal(verdict.depth, 1);
  const missing = await get<{ code: string }>(app, '/v1/incidents/nope/trace', as('viewer'));
  assert.equal(missing.status, 404);
  assert.equal(missing.body.code, 'VIGIL_AUDIT_NOT_FOUND');
});

test('GET /v1/policies: the loaded revision, every rule with its tests and coverage', async (t) => {
  const { app, as } = await readFixture(t);
  const { body } = await get<{
    revision: string | null;
    tests: { failed: number; coveragePercent: number } | null;
    rules: { id: string; testedBy: string[]; coverage: { firedDefinitions: number } | null }[];
  }>(app, '/v1/policies', as('viewer'));
  assert.equal(body.revision, 'sha256:loaded-revision');
  assert.equal(body.tests?.failed, 0);
  assert.ok((body.tests?.coveragePercent ?? 0) >= 90);
  const namespace = body.rules.find((r) => r.id === 'deny.vigil-namespace');
  assert.ok(namespace && namespace.testedBy.length > 0);
  assert.ok((namespace.coverage?.firedDefinitions ?? 0) > 0);
});

test('an API started without read sources answers 503 on the read routes', async (t) => {
  const { app, as } = await opsApiFixture(t);
  const response = await app.inject({ method: 'GET', url: '/v1/agents', headers: as('viewer') });
  assert.equal(response.statusCode, 503);
  assert.equal(response.json<{ code: string }>().code, 'VIGIL_API_UNAVAILABLE');
});
