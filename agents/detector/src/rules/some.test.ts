import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  compileCondition,
  conditionSchema,
  DEFAULT_RULE_CONTEXT,
  MAX_SOME_DEPTH,
  type Condition,
} from './condition.js';
import { loadRules } from './load.js';

const holds = (condition: unknown, event: unknown): boolean =>
  compileCondition(conditionSchema.parse(condition))(event, DEFAULT_RULE_CONTEXT);

const secretsReader = {
  some: {
    path: 'requestObject.rules',
    where: {
      all: [
        { field: 'resources', equals: 'secrets' },
        { field: 'verbs', in: ['get', 'list'] },
      ],
    },
  },
};
const role = (rules: unknown) => ({ requestObject: { rules } });

describe('the some quantifier', () => {
  it('holds when one element satisfies every inner condition', () => {
    const event = role([
      { resources: ['pods'], verbs: ['watch'] },
      { resources: ['configmaps', 'secrets'], verbs: ['list'] },
    ]);
    assert.equal(holds(secretsReader, event), true);
  });

  it('does not hold when the inner conditions are met by two different elements', () => {
    const event = role([
      { resources: ['secrets'], verbs: ['watch'] },
      { resources: ['pods'], verbs: ['get', 'list'] },
    ]);
    assert.equal(holds(secretsReader, event), false);
    // The flat form is what `some` exists to replace: it matches across entries.
    const flat = {
      all: [
        { field: 'requestObject.rules.resources', equals: 'secrets' },
        { field: 'requestObject.rules.verbs', in: ['get', 'list'] },
      ],
    };
    assert.equal(holds(flat, event), true);
  });

  it('does not hold on an empty, absent or non-array path, nor on scalar elements', () => {
    assert.equal(holds(secretsReader, role([])), false);
    assert.equal(holds(secretsReader, { requestObject: {} }), false);
    assert.equal(holds(secretsReader, {}), false);
    assert.equal(holds(secretsReader, role(['secrets', 'get'])), false);
    assert.equal(holds(secretsReader, role({ resources: ['secrets'], verbs: ['get'] })), true);
  });

  it('reads where-fields relative to the element, exists: false included', () => {
    const noNames = {
      some: {
        path: 'requestObject.rules',
        where: {
          all: [
            { field: 'resources', equals: 'secrets' },
            { field: 'resourceNames', exists: false },
          ],
        },
      },
    };
    assert.equal(holds(noNames, role([{ resources: ['secrets'], resourceNames: ['tls'] }])), false);
    assert.equal(
      holds(
        noNames,
        role([{ resources: ['secrets'], resourceNames: ['tls'] }, { resources: ['secrets'] }]),
      ),
      true,
    );
    // `not some` is "no element": every entry must fail the inner condition.
    assert.equal(
      holds({ not: secretsReader }, role([{ resources: ['secrets'], verbs: ['get'] }])),
      false,
    );
  });

  it('nests: an element of an element, each level on its own element', () => {
    const hostPortOnOne = {
      some: {
        path: 'container',
        where: {
          some: {
            path: 'ports',
            where: {
              all: [
                { field: 'hostPort', equals: 22 },
                { field: 'protocol', equals: 'TCP' },
              ],
            },
          },
        },
      },
    };
    const pod = (ports: unknown) => ({ requestObject: { spec: { containers: [{ ports }] } } });
    assert.equal(holds(hostPortOnOne, pod([{ hostPort: 22, protocol: 'TCP' }])), true);
    assert.equal(
      holds(
        hostPortOnOne,
        pod([
          { hostPort: 22, protocol: 'UDP' },
          { hostPort: 80, protocol: 'TCP' },
        ]),
      ),
      false,
    );
  });

  it(`refuses some nested more than ${MAX_SOME_DEPTH} deep, naming where`, () => {
    let c: Condition = { field: 'x', equals: 1 };
    for (let i = 0; i < MAX_SOME_DEPTH; i++) c = { some: { path: 'a', where: c } };
    assert.equal(conditionSchema.safeParse(c).success, true);
    const parsed = conditionSchema.safeParse({ all: [{ some: { path: 'a', where: c } }] });
    assert.equal(parsed.success, false);
    assert.deepEqual(parsed.error?.issues[0]?.path, [
      'all',
      0,
      'some',
      'where',
      'some',
      'where',
      'some',
      'where',
      'some',
    ]);
  });

  it('refuses at load a some without where, with an unknown key or over actor.sourceClass, naming rule and field', () => {
    const load = (condition: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-some-'));
      mkdirSync(join(dir, 'vigil'));
      mkdirSync(join(dir, 'sigma'));
      writeFileSync(
        join(dir, 'vigil', 'r.yaml'),
        `rules:\n  - id: vigil-s\n    title: t\n    techniques: [T1098]\n    severity: low\n    source: { kind: vigil, licence: Apache-2.0 }\n    condition: ${condition}\n    fixtures: { positive: [{}], negative: [{}] }\n`,
      );
      writeFileSync(
        join(dir, 'sigma', 'overlay.yaml'),
        `repository: r\ncommit: ${'a'.repeat(40)}\nlicence: DRL-1.1\nrules: []\n`,
      );
      return () => loadRules(dir);
    };
    assert.throws(
      load('{ some: { path: requestObject.rules } }'),
      /r\.yaml rules\[0\] \(vigil-s\).*condition/,
    );
    assert.throws(
      load(
        '{ some: { path: requestObject.rules, where: { field: verbs, equals: get }, when: 1 } }',
      ),
      /vigil-s/,
    );
    assert.throws(
      load(
        '{ some: { path: requestObject.rules, where: { field: verbs, equals: get, in: [list] } } }',
      ),
      /condition\.some\.where.*exactly one of/,
    );
    assert.throws(
      load('{ some: { path: actor.sourceClass, where: { field: x, equals: 1 } } }'),
      /condition\.some\.path.*single value/,
    );
  });
});
