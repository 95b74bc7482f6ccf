import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Incident } from '../api/types.js';
import {
  applyUpdates,
  entityOf,
  matches,
  NO_FILTER,
  stormCount,
  techniquesOf,
  visibleIncidents,
} from './list.js';

const incident = (over: Partial<Incident> = {}): Incident => ({
  id: 'inc-1',
  status: 'closed',
  title: 'T1059 shell spawned in web-1',
  severity: 'high',
  createdAt: 1_000,
  updatedAt: 2_000,
  findings: 1,
  ...over,
});

test('a storm is one row that carries the count of findings rolled into it', () => {
  const storm = incident({
    findings: 501,
    rollup: {
      storms: { s: 500 },
      count: 500,
      firstAt: 1,
      lastAt: 2,
      maxScore: 0.9,
      entities: { 'workload:web-1': 480, 'actor:bob': 20 },
      latest: [],
    },
  });
  assert.equal(stormCount(storm), 500);
  assert.equal(stormCount(incident()), 0);
  assert.equal(entityOf(storm), 'workload:web-1');
  assert.equal(visibleIncidents([storm], NO_FILTER).length, 1);
  assert.equal(matches(incident(), { ...NO_FILTER, stormsOnly: true }), false);
  assert.equal(matches(storm, { ...NO_FILTER, stormsOnly: true }), true);
});

test('techniques come from the API, else from ids in the title', () => {
  assert.deepEqual(techniquesOf(incident({ techniques: ['T1611'] })), ['T1611']);
  assert.deepEqual(techniquesOf(incident({ title: 'T1059.004 and T1059.004, T1105' })), [
    'T1059.004',
    'T1105',
  ]);
  assert.deepEqual(techniquesOf(incident({ title: 'no id here' })), []);
});

test('filters combine severity, state and text over id, title, entity and technique', () => {
  const a = incident({
    id: 'a',
    severity: 'critical',
    status: 'awaiting-approval',
    entity: 'host:db-7',
  });
  const b = incident({ id: 'b', severity: 'low', title: 'port scan', techniques: ['T1046'] });
  const all = [a, b];
  const ids = (f: Partial<typeof NO_FILTER>) =>
    visibleIncidents(all, { ...NO_FILTER, ...f }).map((i) => i.id);
  assert.deepEqual(ids({ severities: ['critical'] }), ['a']);
  assert.deepEqual(ids({ statuses: ['closed'] }), ['b']);
  assert.deepEqual(ids({ text: 'DB-7' }), ['a']);
  assert.deepEqual(ids({ text: 't1046' }), ['b']);
  assert.deepEqual(ids({ text: 'nothing' }), []);
  assert.deepEqual(ids({ severities: ['critical'], statuses: ['closed'] }), []);
});

test('rows waiting for a human come first, then by severity, then the latest update', () => {
  const rows = visibleIncidents(
    [
      incident({ id: 'old-high', updatedAt: 1 }),
      incident({ id: 'new-high', updatedAt: 9 }),
      incident({ id: 'crit', severity: 'critical' }),
      incident({ id: 'waiting-low', severity: 'low', status: 'awaiting-approval' }),
      incident({ id: 'odd', severity: 'weird' }),
    ],
    NO_FILTER,
  );
  assert.deepEqual(
    rows.map((r) => r.id),
    ['waiting-low', 'crit', 'new-high', 'old-high', 'odd'],
  );
});

test('a live update replaces the row unless it is older than the one shown', () => {
  const start = new Map([['inc-1', incident()]]);
  const newer = applyUpdates(start, [incident({ status: 'awaiting-approval', updatedAt: 3_000 })]);
  assert.equal(newer.get('inc-1')?.status, 'awaiting-approval');
  assert.equal(applyUpdates(newer, [incident({ updatedAt: 2_500 })]), newer);
  assert.equal(applyUpdates(newer, [incident({ id: 'inc-2' })]).size, 2);
});

test('a reload that changes nothing keeps the same map (no render)', () => {
  const rows = Array.from({ length: 10_000 }, (_, i) => incident({ id: `inc-${i}` }));
  const loaded = applyUpdates(new Map(), rows);
  assert.equal(loaded.size, 10_000);
  assert.equal(
    applyUpdates(
      loaded,
      rows.map((r) => ({ ...r })),
    ),
    loaded,
  );
});

test('10,000 incidents are filtered and ordered in one pass', () => {
  const many = Array.from({ length: 10_000 }, (_, i) =>
    incident({ id: `inc-${i}`, severity: i % 2 ? 'high' : 'low', updatedAt: i }),
  );
  const rows = visibleIncidents(many, { ...NO_FILTER, severities: ['high'] });
  assert.equal(rows.length, 5_000);
  assert.equal(rows[0]?.id, 'inc-9999');
});
