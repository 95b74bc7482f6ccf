import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  TRANSPORT_ERROR_CODES as CODES,
  createAgentClient,
  createStaticPeerDirectory,
  startAgentServer,
} from './index.js';
import { captureLogger, deadPort, testIdentities, testSystem } from './testing/fixtures.js';

const system = testSystem({
  slow: { skills: ['work'] },
  fast: { skills: ['work'] },
  caller: { calls: ['slow', 'fast'] },
});

async function setup(t: { after(fn: () => unknown): void }) {
  const ids = await testIdentities(system);
  t.after(() => ids.cleanup());
  const log = captureLogger();
  const aborted: unknown[] = [];
  let notifyAbort: (() => void) | undefined;
  let notifyHangStarted: (() => void) | undefined;
  const hangStarted = new Promise<void>((resolve) => (notifyHangStarted = resolve));
  const slow = await startAgentServer({
    system,
    agentName: 'slow',
    credentials: await ids.credentials('slow'),
    logger: log.logger,
    // A hung peer: `{ hang: true }` never answers and gives up only when its call is cancelled.
    skills: {
      work: (input, ctx) =>
        new Promise((resolve, reject) => {
          if (!(input as { hang?: boolean }).hang) return resolve(input);
          notifyHangStarted?.();
          ctx.signal.addEventListener('abort', () => {
            aborted.push(ctx.signal.reason);
            notifyAbort?.();
            reject(new Error('cancelled'));
          });
        }),
    },
  });
  const fast = await startAgentServer({
    system,
    agentName: 'fast',
    credentials: await ids.credentials('fast'),
    logger: log.logger,
    skills: { work: async (input) => input },
  });
  t.after(async () => {
    await Promise.all([slow.close(), fast.close()]);
  });
  const callerCreds = await ids.credentials('caller');
  return {
    log,
    slow,
    fast,
    callerCreds,
    aborted,
    hangStarted,
    whenAborted: () =>
      new Promise<void>((resolve) => (aborted.length > 0 ? resolve() : (notifyAbort = resolve))),
  };
}

describe('client resilience', () => {
  test('a hung peer costs the caller its deadline while calls to another peer succeed', async (t) => {
    const { log, slow, fast, callerCreds, aborted, hangStarted, whenAborted } = await setup(t);
    const client = createAgentClient({
      system,
      selfName: 'caller',
      credentials: callerCreds,
      peers: createStaticPeerDirectory({ slow: [slow.url], fast: [fast.url] }),
      logger: log.logger,
      deadlineMs: 10_000,
    });
    t.after(() => client.close());
    // Warm the connection and the verified card, so the deadline is spent in the handler.
    assert.deepEqual(await client.callSkill('slow', 'work', { hang: false }), { hang: false });
    const hung = client.callSkill(
      'slow',
      'work',
      { hang: true },
      { deadlineMs: 1_500, idempotent: true },
    );
    const outcome = hung.then(
      () => 'resolved',
      (error: { code?: string }) => error.code,
    );
    await Promise.race([
      hangStarted,
      outcome.then((code) =>
        assert.fail(`the call ended (${code}) before the hung handler started`),
      ),
    ]);
    // While the hung call waits, unrelated calls go through.
    for (let i = 0; i < 5; i++)
      assert.deepEqual(await client.callSkill('fast', 'work', { i }), { i });
    assert.equal(await outcome, CODES.DEADLINE_EXCEEDED);
    // The callee's handler was told: the deadline travelled with the call.
    await whenAborted();
    assert.equal(aborted.length, 1);
    // A deadline is not retried, even for an idempotent call: one handler ran.
    assert.deepEqual(await client.callSkill('fast', 'work', 'after'), 'after');
  });

  test('retries an idempotent call on another replica after a connection failure, but never a non-idempotent one', async (t) => {
    const { log, fast, callerCreds } = await setup(t);
    const dead = `https://127.0.0.1:${await deadPort()}`;
    const make = () =>
      createAgentClient({
        system,
        selfName: 'caller',
        credentials: callerCreds,
        // Round-robin starts with the dead replica.
        peers: createStaticPeerDirectory({ fast: [dead, fast.url] }),
        logger: log.logger,
        random: () => 0,
      });
    const idempotent = make();
    t.after(() => idempotent.close());
    assert.deepEqual(await idempotent.callSkill('fast', 'work', 'x', { idempotent: true }), 'x');
    await log.waitFor(
      (line) => line['msg'] === 'retrying idempotent call' && line['code'] === CODES.UNAVAILABLE,
    );

    const once = make();
    t.after(() => once.close());
    await assert.rejects(once.callSkill('fast', 'work', 'y'), { code: CODES.UNAVAILABLE });
  });

  test('the circuit opens after consecutive failures, refuses without calling, half-opens after the reset timeout and closes on a good probe', async (t) => {
    const { log, fast, callerCreds } = await setup(t);
    const dead = `https://127.0.0.1:${await deadPort()}`;
    const peers = createStaticPeerDirectory({ fast: [dead] });
    let now = 1_000_000;
    const client = createAgentClient({
      system,
      selfName: 'caller',
      credentials: callerCreds,
      peers,
      logger: log.logger,
      breaker: { failureThreshold: 3, resetTimeoutMs: 5_000, now: () => now },
    });
    t.after(() => client.close());

    for (let i = 0; i < 3; i++) {
      assert.equal(client.circuitState('fast'), 'closed');
      await assert.rejects(client.callSkill('fast', 'work', i), { code: CODES.UNAVAILABLE });
    }
    assert.equal(client.circuitState('fast'), 'open');
    // Even with a healthy endpoint now known, an open circuit does not call.
    peers.set('fast', [fast.url]);
    await assert.rejects(
      client.callSkill('fast', 'work', 'x'),
      (error: { code?: string; details?: Record<string, unknown> }) => {
        assert.equal(error.code, CODES.CIRCUIT_OPEN);
        assert.equal(error.details?.['retryAfterMs'], 5_000);
        return true;
      },
    );

    // After the reset timeout one probe goes through; it fails against the dead peer and re-opens.
    peers.set('fast', [dead]);
    now += 5_000;
    assert.equal(client.circuitState('fast'), 'half-open');
    await assert.rejects(client.callSkill('fast', 'work', 'probe'), { code: CODES.UNAVAILABLE });
    assert.equal(client.circuitState('fast'), 'open');

    // Next time the probe succeeds and the circuit closes.
    peers.set('fast', [fast.url]);
    now += 5_000;
    assert.equal(client.circuitState('fast'), 'half-open');
    assert.equal(await client.callSkill('fast', 'work', 'probe'), 'probe');
    assert.equal(client.circuitState('fast'), 'closed');
    await log.waitFor(
      (line) => line['to'] === 'open' && line['peer'] === 'fast' && line['level'] === 40,
    );
  });

  test('a closed client refuses new calls', async (t) => {
    const { log, fast, callerCreds } = await setup(t);
    const client = createAgentClient({
      system,
      selfName: 'caller',
      credentials: callerCreds,
      peers: createStaticPeerDirectory({ fast: [fast.url] }),
      logger: log.logger,
    });
    assert.equal(await client.callSkill('fast', 'work', 1), 1);
    await client.close();
    await assert.rejects(client.callSkill('fast', 'work', 2), { code: CODES.CLOSED });
  });

  test('an unknown peer or an empty directory is a clear error', async (t) => {
    const { log, callerCreds } = await setup(t);
    const client = createAgentClient({
      system,
      selfName: 'caller',
      credentials: callerCreds,
      peers: createStaticPeerDirectory({}),
      logger: log.logger,
    });
    t.after(() => client.close());
    await assert.rejects(client.callSkill('nobody', 'work', 1), {
      code: CODES.PEER_UNKNOWN,
      message: /"nobody" is not declared/,
    });
    await assert.rejects(client.callSkill('fast', 'work', 1), {
      code: CODES.PEER_UNKNOWN,
      message: /no endpoint/,
    });
  });
});
