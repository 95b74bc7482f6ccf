import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  closestMatch,
  editDistance,
  levenshtein,
  parseCpuQuantity,
  parseMemoryQuantity,
  parseQuantity,
} from './index.js';

test('parses quantities with binary, decimal and exponent suffixes', () => {
  const cases: [string, number][] = [
    ['1Ki', 1024],
    ['256Mi', 256 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['500m', 0.5],
    ['2', 2],
    ['64M', 64e6],
    ['1k', 1000],
    ['1e3', 1000],
    ['.5', 0.5],
  ];
  for (const [text, value] of cases)
    assert.deepEqual(parseQuantity(text), { ok: true, value }, text);
  for (const text of ['', 'Mi', '1 Mi', '-1', '1mi', '1MB', '1.2.3', '0x10']) {
    assert.equal(parseQuantity(text).ok, false, text);
  }
});

test('memory is whole bytes, at least 32Mi, and never in millibytes', () => {
  assert.deepEqual(parseMemoryQuantity('128Mi'), { ok: true, value: 134_217_728 });
  assert.deepEqual(parseMemoryQuantity(134_217_728), { ok: true, value: 134_217_728 });
  assert.deepEqual(parseMemoryQuantity('256m'), {
    ok: false,
    message: '"256m" means 256 thousandths of a byte',
    hint: 'did you mean "256Mi"?',
  });
  assert.equal(parseMemoryQuantity('31Mi').ok, false);
  assert.deepEqual(parseMemoryQuantity('512mb'), {
    ok: false,
    message: '"512mb" is not a Kubernetes quantity (for example 256Mi, 1Gi, 500m, 2)',
    hint: 'did you mean "512Mi"?',
  });
  assert.equal((parseMemoryQuantity('2GB') as { hint?: string }).hint, 'did you mean "2Gi"?');
});

test('cpu is millicores, at least 1m', () => {
  assert.deepEqual(parseCpuQuantity('500m'), { ok: true, value: 500 });
  assert.deepEqual(parseCpuQuantity(0.25), { ok: true, value: 250 });
  assert.deepEqual(parseCpuQuantity('2'), { ok: true, value: 2000 });
  assert.deepEqual(parseCpuQuantity('0.1'), { ok: true, value: 100 });
  assert.equal(parseCpuQuantity('0').ok, false);
  assert.deepEqual(
    parseCpuQuantity('0.1m'),
    { ok: true, value: 1 },
    'rounded up as Kubernetes does',
  );
});

test('suggests close names and nothing for distant ones', () => {
  assert.equal(levenshtein('notifer', 'notifier'), 1);
  assert.equal(levenshtein('', 'abc'), 3);
  assert.equal(levenshtein('kitten', 'sitting'), 3);
  assert.equal(levenshtein('hots', 'host'), 2);
  assert.equal(editDistance('hots', 'host'), 1, 'a transposition is one edit');
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'ab'), 2);
  assert.equal(closestMatch('hots', ['host', 'port']), 'host');
  assert.equal(closestMatch('notifer', ['analyst', 'notifier']), 'notifier');
  assert.equal(closestMatch('Analyst', ['analyst']), 'analyst');
  assert.equal(closestMatch('database', ['analyst', 'notifier']), undefined);
  assert.equal(closestMatch('ab', ['xy']), undefined);
});
