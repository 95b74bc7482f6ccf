import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SecurityEvent } from '../events/security-event.js';
import { ModelHolder } from './model.js';
import { EventScorer } from './scorer.js';
import { anonymousSecretRead, normalEvents } from './test-events.js';
import { trainModel } from './train.js';

const createdAt = new Date('2026-01-01T00:00:00Z');
const baseline = normalEvents(4000, 11);
/** A model of another estate (a generated baseline, as the bootstrap model is). */
const foreign = trainModel(baseline, {
  seed: 5,
  trees: 50,
  alertRate: 0.01,
  createdAt,
  estateHistory: false,
}).model;

const HOUR = 3_600_000;

/** This estate: other people, other namespaces, other agents than the model's baseline. */
function ourEstate(n: number, start: number, spacingMs: number): SecurityEvent[] {
  return normalEvents(n, 99, start).map((e, i) => ({
    ...e,
    time: start + i * spacingMs,
    actor: {
      ...e.actor,
      ...(e.actor.user === undefined ? {} : { user: `${e.actor.user}-ours`.replace('@', '.') }),
      ...(e.actor.userAgent === undefined ? {} : { userAgent: `ours-${e.actor.userAgent}` }),
    },
    ...(e.resource === undefined
      ? {}
      : { resource: { ...e.resource, namespace: `team-${e.resource.namespace ?? ''}` } }),
    ...(e.workload === undefined
      ? {}
      : { workload: { ...e.workload, namespace: `team-${e.workload.namespace ?? ''}` } }),
  }));
}

function paged(scorer: EventScorer, events: readonly SecurityEvent[]): number {
  let n = 0;
  for (const e of events) {
    scorer.score(e);
    if (scorer.noveltyVerdict === 'novel') n++;
  }
  return n;
}

test('on an estate the model never saw, the gate learns through the warm-up and then pages on what this estate never did', () => {
  const scorer = new EventScorer(new ModelHolder(foreign), {
    novelty: { warmupSeconds: 6 * 3600, warmupMinEvents: 500, budgetPerHour: 1000 },
  });
  const t0 = Date.UTC(2026, 1, 1);
  // Six hours of this estate's traffic, one event every 10 s: all of it is new to the model.
  const warmup = ourEstate(2200, t0, 10_000);
  assert.equal(paged(scorer, warmup), 0, 'no page during the warm-up');
  const before = scorer.noveltyStats();
  assert.equal(before.warmedUp, true);
  // The next day, the same estate's ordinary traffic: the gate knows it now.
  const day2 = ourEstate(2000, t0 + 7 * HOUR, 10_000);
  const onNormal = paged(scorer, day2);
  assert.ok(onNormal / day2.length < 0.01, `${onNormal} of ${day2.length} normal events paged`);
  // An anonymous secret read from a public address is something this estate never did.
  scorer.score(anonymousSecretRead(t0 + 13 * HOUR));
  assert.equal(scorer.noveltyVerdict, 'novel');
  // Without learning (today's gate, a model of another estate), nearly everything pages.
  const cold = new EventScorer(new ModelHolder(foreign), {
    novelty: { warmupSeconds: 0, warmupMinEvents: 0, budgetPerHour: 1e9 },
  });
  const coldPaged = paged(cold, ourEstate(200, t0, 10_000));
  assert.ok(coldPaged > 0, 'without warm-up the unseen estate does page');
});

test('each identity class learns apart: what service accounts did in the warm-up does not make an anonymous caller known', () => {
  const scorer = new EventScorer(new ModelHolder(foreign), {
    novelty: { warmupSeconds: 60, warmupMinEvents: 0, budgetPerHour: 1000 },
  });
  const t = Date.UTC(2026, 1, 2);
  const asServiceAccount: SecurityEvent = {
    ...anonymousSecretRead(t),
    actor: { user: 'system:serviceaccount:team:reader', sourceIp: '203.0.113.9' },
  };
  // The warm-up minute: a service account reads the secret from that address.
  for (let i = 0; i <= 60; i++) scorer.score({ ...asServiceAccount, time: t + i * 1000 });
  scorer.score({ ...asServiceAccount, time: t + 61_000 });
  assert.equal(scorer.noveltyVerdict, 'known', 'learned in the warm-up');
  scorer.score(anonymousSecretRead(t + 62_000));
  assert.equal(scorer.noveltyVerdict, 'novel');
  // After the warm-up nothing more is learned: a repeated attack pages on every event.
  scorer.score(anonymousSecretRead(t + 63_000));
  assert.equal(scorer.noveltyVerdict, 'novel');
});

test('the alert budget caps gate pages per class and hour, counting the rest as suppressed', () => {
  const scorer = new EventScorer(new ModelHolder(foreign), {
    novelty: { warmupSeconds: 0, warmupMinEvents: 0, budgetPerHour: 3 },
  });
  const t = Date.UTC(2026, 1, 3);
  const novel = (i: number, at: number): SecurityEvent => ({
    ...anonymousSecretRead(at),
    id: `n${i}`,
    actor: {
      user: 'system:anonymous',
      groups: ['system:unauthenticated'],
      userAgent: `scanner-${i}/1`,
      sourceIp: `198.51.${i}.7`,
    },
    resource: { type: `thing${i}`, namespace: `ns-${i}`, name: 'x' },
  });
  const verdicts: string[] = [];
  for (let i = 0; i < 6; i++) {
    scorer.score(novel(i, t + i * 1000));
    verdicts.push(scorer.noveltyVerdict);
  }
  assert.deepEqual(verdicts, [
    'novel',
    'novel',
    'novel',
    'over-budget',
    'over-budget',
    'over-budget',
  ]);
  const stats = scorer.noveltyStats().byClass['anonymous'];
  assert.equal(stats?.novel, 3);
  assert.equal(stats?.suppressed, 3);
  // An hour later the budget has refilled.
  scorer.score(novel(7, t + HOUR + 6000));
  assert.equal(scorer.noveltyVerdict, 'novel');
});

test("a model trained on this estate's own history counts it towards the warm-up", () => {
  const own = trainModel(normalEvents(4000, 11, Date.UTC(2026, 0, 1)), {
    seed: 5,
    trees: 50,
    alertRate: 0.01,
    createdAt,
  }).model;
  assert.equal(own.calibration.novelty.estateHistoryEvents, 4000);
  assert.ok((own.calibration.novelty.estateHistorySeconds ?? 0) > 390);
  assert.equal(foreign.calibration.novelty.estateHistorySeconds, 0);
  const warm = new EventScorer(new ModelHolder(own), {
    novelty: { warmupSeconds: 300, warmupMinEvents: 1000 },
  });
  assert.equal(warm.noveltyStats().warmedUp, true);
  const cold = new EventScorer(new ModelHolder(foreign), {
    novelty: { warmupSeconds: 300, warmupMinEvents: 1000 },
  });
  assert.equal(cold.noveltyStats().warmedUp, false);
});

test("a model of another estate pages through its forest threshold only after the gate warmed up on this estate's traffic", () => {
  const options = { novelty: { warmupSeconds: 5 * 3600, warmupMinEvents: 500, budgetPerHour: 0 } };
  const t0 = Date.UTC(2026, 1, 1);
  const events = ourEstate(2200, t0, 10_000);
  const overThreshold = (scorer: EventScorer, slice: readonly SecurityEvent[]) => {
    let above = 0;
    let paged = 0;
    for (const e of slice) {
      const s = scorer.score(e);
      if (s > foreign.threshold) above++;
      if (scorer.isAnomalous(s)) paged++;
    }
    return { above, paged };
  };
  const scorer = new EventScorer(new ModelHolder(foreign), options);
  const warming = overThreshold(scorer, events.slice(0, 1700));
  assert.ok(
    warming.above > 0,
    'the foreign forest does score some of this estate over its threshold',
  );
  assert.equal(warming.paged, 0, 'none pages before the warm-up is over');
  assert.equal(scorer.noveltyStats().warmedUp, false);
  overThreshold(scorer, events.slice(1700, 1900));
  assert.equal(scorer.noveltyStats().warmedUp, true);
  const after = overThreshold(scorer, events.slice(1900));
  assert.ok(after.above > 0);
  assert.equal(after.paged, after.above, 'after the warm-up the threshold pages again');
  // A model trained on this estate's own history pages at once.
  const own = trainModel(baseline, { seed: 5, trees: 50, alertRate: 0.01, createdAt }).model;
  const ownScorer = new EventScorer(new ModelHolder(own), options);
  const first = ownScorer.score(anonymousSecretRead(t0));
  assert.equal(ownScorer.isAnomalous(first), first > own.threshold);
});
