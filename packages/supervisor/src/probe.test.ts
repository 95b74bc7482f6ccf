import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { probe } from './probe.js';

async function server(answerAfterMs: number | 'never') {
  const s = createServer((_req, res) => {
    if (answerAfterMs === 'never') return;
    setTimeout(() => res.end('{"ok":true}'), answerAfterMs);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/livez`,
    close: () => {
      s.closeAllConnections();
      return new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

/** Blocks this process's event loop, as a starved machine does to the supervisor. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

test('a probe that gets no answer fails at its deadline', async (t) => {
  const s = await server('never');
  t.after(() => s.close());
  const started = Date.now();
  const r = await probe(s.url, 200);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : '', /no answer within 200 ms/);
  assert.ok(Date.now() - started < 1000);
});

test("a deadline missed because the prober's own event loop stalled is not the agent's failure", async () => {
  // The answer comes at once, but this process cannot read it until the stall ends, after
  // the deadline: the timer fires late, so the probe gives the agent one more deadline.
  const s = await server(0);
  try {
    const pending = probe(s.url, 300);
    stall(700);
    const r = await pending;
    assert.equal(r.ok, true, JSON.stringify(r));
  } finally {
    await s.close();
  }
});

test('an agent still silent after the extension fails', async () => {
  const s = await server('never');
  try {
    const pending = probe(s.url, 200);
    stall(400);
    const r = await pending;
    assert.equal(r.ok, false);
  } finally {
    await s.close();
  }
});
