import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CategoryCounts, PART_SEPARATOR } from './category-counts.js';

const join = (...parts: string[]): string => parts.join(PART_SEPARATOR);

test('a tuple counted part by part reads back whole, and only whole', () => {
  const t = new CategoryCounts(3);
  t.add('alice', 'get', 'pods', 2);
  t.add('alice', 'get', 'pods', 1);
  t.add('alice', 'list', 'pods', 1);
  assert.equal(t.get('alice', 'get', 'pods'), 3);
  assert.equal(t.get('alice', 'get', 'secrets'), 0);
  assert.equal(t.get('bob', 'get', 'pods'), 0);
  assert.equal(t.total, 4);
});

test('the joined form a model file stores round-trips', () => {
  const t = new CategoryCounts(3);
  t.add('web', '10.42.1.0/24', '', 5);
  t.add('web', '∅', '', 1);
  const copy = new CategoryCounts(3);
  for (const [joined, n] of t.entries()) copy.addJoined(joined, n);
  assert.deepEqual([...copy.entries()], [...t.entries()]);
  assert.equal(copy.get('web', '10.42.1.0/24', ''), 5);
  assert.deepEqual([...t.entries()][0], [join('web', '10.42.1.0/24', ''), 5]);
});

test('single-part values are plain keys', () => {
  const t = new CategoryCounts(1);
  t.addJoined('get', 7);
  assert.equal(t.get('get', 'ignored', 'ignored'), 7);
  assert.deepEqual([...t.entries()], [['get', 7]]);
});

test('a joined value with the wrong number of parts counts towards the total only', () => {
  const t = new CategoryCounts(3);
  t.addJoined(join('a', 'b'), 4);
  t.addJoined(join('a', 'b', 'c', 'd'), 1);
  assert.equal(t.total, 5);
  assert.deepEqual([...t.entries()], []);
});
