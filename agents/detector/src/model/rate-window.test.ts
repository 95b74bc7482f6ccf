import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlidingWindowCounter } from './rate-window.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

test('counts events of a key within the window and forgets those that left it', () => {
  const c = new SlidingWindowCounter({ windowSeconds: 60 });
  assert.equal(c.record('alice', T0), 1);
  assert.equal(c.record('alice', T0 + 500), 2);
  assert.equal(c.record('alice', T0 + 30_000), 3);
  assert.equal(c.record('bob', T0 + 30_000), 1);
  // At T0+60s the bucket of second T0 has left the 60-second window: 2 of alice's 3 remain.
  assert.equal(c.count('alice', T0 + 60_000), 1);
  assert.equal(c.record('alice', T0 + 59_999), 2, 'a late event counts in the latest bucket');
  assert.equal(c.count('alice', T0 + 10 * 60_000), 0, 'a long gap clears the whole window');
  assert.equal(c.record('alice', T0 + 10 * 60_000), 1);
});

test('a burst is counted exactly and drains second by second', () => {
  const c = new SlidingWindowCounter({ windowSeconds: 10 });
  for (let s = 0; s < 10; s++) for (let k = 0; k < 5; k++) c.record('pod', T0 + s * 1000 + k);
  assert.equal(c.count('pod', T0 + 9_000), 50);
  assert.equal(c.count('pod', T0 + 10_000), 45);
  assert.equal(c.count('pod', T0 + 14_000), 25);
  assert.equal(c.count('pod', T0 + 19_000), 0);
});

test('the entity map never exceeds its cap and evicts the least recently seen', () => {
  const c = new SlidingWindowCounter({ windowSeconds: 60, maxEntities: 100 });
  for (let i = 0; i < 10_000; i++) {
    c.record(`ip-${i}`, T0 + i);
    c.record('hot', T0 + i); // seen constantly: never the least recent
    assert.ok(c.size <= 100);
  }
  assert.equal(c.size, 100);
  assert.equal(c.count('ip-0', T0 + 10_000), 0, 'evicted long ago');
  assert.equal(c.count('ip-9999', T0 + 10_000), 1);
  assert.ok(c.count('hot', T0 + 10_000) > 9_000, 'the hot key kept its history');
});

test('refuses nonsensical window settings', () => {
  assert.throws(() => new SlidingWindowCounter({ windowSeconds: 0 }), /windowSeconds/);
  assert.throws(() => new SlidingWindowCounter({ maxEntities: 0 }), /maxEntities/);
});
