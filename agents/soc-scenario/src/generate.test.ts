import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateScenario } from './generate.js';
import { Rng } from './rng.js';

const scenario = generateScenario({ seed: 7 });

test('is reproducible from its seed and differs across seeds', () => {
  const again = generateScenario({ seed: 7 });
  assert.deepEqual(again.lines, scenario.lines);
  assert.deepEqual(again.labels, scenario.labels);
  const other = generateScenario({ seed: 8 });
  assert.notDeepEqual(other.lines.slice(0, 50), scenario.lines.slice(0, 50));
});

test('writes exactly the requested number of events', () => {
  assert.equal(scenario.lines.length, 3000);
  const small = generateScenario({ seed: 3, events: 500, minutes: 120 });
  assert.equal(small.lines.length, 500);
});

test('labels every line and marks each injected attack with its technique', () => {
  assert.equal(scenario.labels.length, scenario.lines.length);
  scenario.labels.forEach((l, i) => assert.equal(l.line, i + 1));
  const attacks = new Map<string, number>();
  for (const l of scenario.labels) {
    if (l.attack === null) {
      assert.equal(l.technique, null);
      continue;
    }
    assert.match(l.technique ?? '', /^T\d{4}(\.\d{3})?$/);
    attacks.set(l.attack, (attacks.get(l.attack) ?? 0) + 1);
  }
  assert.deepEqual([...attacks.keys()].sort(), [
    'anonymous-access',
    'cryptominer',
    'exfil-new-destination',
    'ledger-drift',
    'privileged-pod',
    'rbac-escalation',
    'sa-token-theft',
    'soc-tamper',
  ]);
  for (const [id, n] of attacks) assert.ok(n >= 3, `${id} has several events`);
  assert.equal(
    scenario.summary.attackEvents,
    [...attacks.values()].reduce((a, b) => a + b, 0),
  );
});

test('the default scenario stays under 3 MB', () => {
  const bytes = scenario.lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  assert.ok(bytes < 3 * 1024 * 1024, `${bytes} bytes`);
});

test('rejects too few events or a bad start', () => {
  assert.throws(() => generateScenario({ events: 10 }), /at least 200/);
  assert.throws(() => generateScenario({ start: 'soon' }), /start is not a date/);
});

test('the PRNG is deterministic and roughly uniform', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 10000 }, () => a.next());
  assert.deepEqual(
    xs.slice(0, 5),
    Array.from({ length: 5 }, () => b.next()),
  );
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02);
  assert.match(
    new Rng(1).uuid(),
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
});
