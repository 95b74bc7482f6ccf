import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { minerFinding } from '../testing/recording-ports.js';
import { opsApiFixture } from '../testing/ops-api-fixture.js';
import { startOpsApi } from './server.js';

interface Event {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
}

/** Opens the stream and returns a reader of its events (parsed as text/event-stream). */
async function openStream(t: TestContext, url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  t.after(() => controller.abort());
  const response = await fetch(`${url}/v1/incidents/events`, {
    headers,
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = response.body!.getReader();
  let buffer = '';
  const decoder = new TextDecoder();
  return async function next(): Promise<Event> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: Record<string, string> = {};
        for (const line of block.split('\n')) {
          const m = /^(id|event|data): (.*)$/.exec(line);
          if (m) event[m[1]!] = m[2]!;
        }
        if (event['event']) return event;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += decoder.decode(value, { stream: true });
    }
  };
}

async function live(t: TestContext) {
  const fixture = await opsApiFixture(t);
  const api = await startOpsApi({
    coordinator: { summary: async () => undefined, decide: async () => assert.fail() },
    store: fixture.store,
    stateDir: fixture.dir,
    trustDomain: 'soc.test',
    port: 0,
  });
  t.after(() => api.close());
  return { ...fixture, url: api.url };
}

test('streams each incident change as its current row; a storm is one row with its count', async (t) => {
  const { url, as, store } = await live(t);
  const next = await openStream(t, url, as('viewer'));
  store.recordFinding('inc-2', { ...minerFinding, id: 'f-2' }, 5_000, {
    title: 'miner on web-2',
    severity: 'high',
  });
  const opened = await next();
  assert.equal(opened.event, 'incident');
  assert.equal(JSON.parse(opened.data!).id, 'inc-2');
  // 50 repeats of a storm in one burst: coalesced, the row carries the count.
  store.recordRollups(
    Array.from({ length: 50 }, (_, i) => ({
      incidentId: 'inc-2',
      stormKey: 'k',
      finding: { ...minerFinding, id: `s-${i}` },
      at: 6_000 + i,
    })),
  );
  const storm = JSON.parse((await next()).data!) as {
    id: string;
    findings: number;
    rollup: { count: number };
  };
  assert.equal(storm.id, 'inc-2');
  assert.equal(storm.rollup.count, 50);
  assert.equal(storm.findings, 51);
});

test('resumes from Last-Event-ID with what changed since; an unknown id gets reset', async (t) => {
  const { url, as, store } = await live(t);
  const first = await openStream(t, url, as('viewer'));
  store.setStatus('inc-1', 'awaiting-approval', 7_000);
  const seen = await first();
  store.setTitle('inc-1', 'renamed while away', 'critical');
  const resumed = await openStream(t, url, { ...as('viewer'), 'last-event-id': seen.id! });
  const missed = await resumed();
  assert.equal(missed.event, 'incident');
  assert.equal(JSON.parse(missed.data!).title, 'renamed while away');
  const stale = await openStream(t, url, { ...as('viewer'), 'last-event-id': 'deadbeef-1' });
  assert.equal((await stale()).event, 'reset');
});

test('the stream needs a signed-in user', async (t) => {
  const { url } = await live(t);
  assert.equal((await fetch(`${url}/v1/incidents/events`)).status, 401);
});
