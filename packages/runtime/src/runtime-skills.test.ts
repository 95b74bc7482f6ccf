import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCallGate } from './runtime-skills.js';

test('the call gate counts calls in flight and tells a drain when the last one ends', async () => {
  const gate = createCallGate();
  assert.equal(gate.phase(), 'starting');
  gate.open();
  assert.equal(gate.phase(), 'ready');
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const call = gate.run(() => finished.then(() => 'answer'));
  assert.equal(gate.inFlight(), 1);
  gate.drain();
  assert.equal(gate.phase(), 'draining');
  let idle = false;
  const drained = gate.idle().then(() => (idle = true));
  await Promise.resolve();
  assert.equal(idle, false, 'not idle while a call runs');
  finish();
  assert.equal(await call, 'answer');
  await drained;
  assert.equal(gate.inFlight(), 0);
});

test('a call that throws still leaves the gate', async () => {
  const gate = createCallGate();
  await assert.rejects(
    gate.run(() => Promise.reject(new Error('skill failed'))),
    /skill failed/,
  );
  assert.equal(gate.inFlight(), 0);
  await gate.idle();
});
