import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { normaliseEvent } from '../events/normalise.js';
import type { SecurityEvent } from '../events/security-event.js';
import { DEFAULT_RULES_DIR, loadRuleSet, loadRules } from './load.js';
import { compileRule, RuleSet } from './rule.js';
import { DEFAULT_RULE_CONTEXT } from './condition.js';

function normalised(raw: unknown): SecurityEvent {
  const result = normaliseEvent(raw);
  if (!result.ok) throw new Error(`fixture does not normalise: ${result.reason}`);
  return result.event;
}

const rules = loadRules();

describe('every shipped rule against its own fixtures', () => {
  for (const rule of rules) {
    const compiled = compileRule(rule);
    it(`${rule.id} fires on each positive fixture and on no negative one`, () => {
      rule.fixtures.positive.forEach((raw, i) =>
        assert.ok(
          compiled.matches(normalised(raw), DEFAULT_RULE_CONTEXT),
          `positive fixture ${i} did not fire`,
        ),
      );
      rule.fixtures.negative.forEach((raw, i) =>
        assert.ok(
          !compiled.matches(normalised(raw), DEFAULT_RULE_CONTEXT),
          `negative fixture ${i} fired`,
        ),
      );
    });
  }
});

describe('the shipped rule set', () => {
  it('records a source and licence for every rule, with commit and path for vendored ones', () => {
    for (const rule of rules) {
      assert.ok(rule.source.licence.length > 0, rule.id);
      if (rule.source.kind === 'sigma') {
        assert.match(rule.source.commit ?? '', /^[0-9a-f]{40}$/, rule.id);
        assert.match(rule.source.path ?? '', /^rules\/application\/kubernetes\//, rule.id);
      }
    }
  });

  it('loads the vendored SigmaHQ Kubernetes audit rules with their ids, levels and ATT&CK tags', () => {
    const hostPath = rules.find((r) => r.source.ref === '402b955c-8fe0-4a8c-b635-622b4ac5f902');
    assert.ok(hostPath);
    assert.deepEqual(hostPath.techniques, ['T1611']);
    assert.equal(hostPath.severity, 'low');
    assert.ok(rules.filter((r) => r.source.kind === 'sigma').length >= 14);
  });

  it('names a technique for every alerting rule except the tag-mapped Falco rule', () => {
    for (const r of rules)
      if (r.action === 'alert' && !r.techniquesFromTags) assert.ok(r.techniques.length > 0, r.id);
  });

  it('makes an EKS-wrapped cluster-admin binding an alert with the inner event read', () => {
    const set = loadRuleSet();
    const raw = rules.find((r) => r.id === 'vigil-k8s-bind-cluster-admin')!.fixtures.positive[0];
    const verdict = set.evaluate(normalised(raw));
    assert.equal(verdict.alert, true);
    const hit = verdict.hits.find((h) => h.id === 'vigil-k8s-bind-cluster-admin');
    assert.deepEqual(hit, {
      id: 'vigil-k8s-bind-cluster-admin',
      title: 'ClusterRoleBinding to cluster-admin created or changed',
      techniques: ['T1098.006'],
      severity: 'critical',
      source: 'vigil',
    });
    assert.ok(verdict.hits.some((h) => h.source === 'sigma:10b97915-ec8d-455f-a815-9a78926585f6'));
  });

  it('does not alert on an anonymous load-balancer health check or a kubelet reading a secret', () => {
    const set = loadRuleSet();
    const health = {
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Event',
      verb: 'get',
      user: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
      requestURI: '/livez',
      responseStatus: { code: 200 },
    };
    assert.deepEqual(set.evaluate(normalised(health)).hits, []);
    const kubelet = {
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Event',
      verb: 'get',
      user: { username: 'system:node:node-a', groups: ['system:nodes'] },
      objectRef: { resource: 'secrets', namespace: 'shop', name: 'db' },
    };
    assert.equal(set.evaluate(normalised(kubelet)).alert, false);
  });

  it('maps a Falco alert through its tags and priority, and never alerts on its operational messages', () => {
    const set = loadRuleSet();
    const falco = {
      output: 'Warning sensitive file opened',
      priority: 'Error',
      rule: 'Read sensitive file untrusted',
      source: 'syscall',
      tags: ['T1555', 'mitre_credential_access', 'filesystem'],
      time: '2026-11-20T14:03:11Z',
      output_fields: { 'fd.name': '/etc/shadow' },
    };
    const verdict = set.evaluate(normalised(falco));
    assert.equal(verdict.alert, true);
    const hit = verdict.hits.find((h) => h.id === 'vigil-falco-alert');
    assert.deepEqual(hit?.techniques, ['T1555']);
    assert.equal(hit?.severity, 'high');
    const drop = {
      output: 'Falco internal: syscall event drop. 15 system calls dropped in last second.',
      priority: 'Critical',
      rule: 'Falco internal: syscall event drop',
      source: 'internal',
      time: '2026-11-20T14:03:11Z',
      output_fields: {},
    };
    assert.deepEqual(set.evaluate(normalised(drop)).hits, []);
  });

  it('an annotate-only hit is evidence, not an alert', () => {
    const set = loadRuleSet();
    const verdict = set.evaluate(
      normalised({
        apiVersion: 'audit.k8s.io/v1',
        kind: 'Event',
        verb: 'patch',
        user: { username: 'oidc:alice@example.com' },
        objectRef: { resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' },
      }),
    );
    assert.equal(verdict.alert, false);
    assert.deepEqual(
      verdict.hits.map((h) => h.id),
      ['sigma-ad9012a6-e518-4432-9890-f3b82b8fc71f'],
    );
  });
});

describe('loading rules', () => {
  function rulesDir(vigil: string, overlayRules = '[]'): string {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-'));
    mkdirSync(join(dir, 'vigil'));
    mkdirSync(join(dir, 'sigma'));
    writeFileSync(join(dir, 'vigil', 'a.yaml'), vigil);
    writeFileSync(
      join(dir, 'sigma', 'overlay.yaml'),
      `repository: r\ncommit: ${'a'.repeat(40)}\nlicence: DRL-1.1\nrules: ${overlayRules}\n`,
    );
    return dir;
  }
  const rule = (id: string, condition: string) =>
    `  - id: ${id}\n    title: t\n    techniques: [T1609]\n    severity: low\n    source: { kind: vigil, licence: Apache-2.0 }\n    condition: ${condition}\n    fixtures: { positive: [{}], negative: [{}] }\n`;

  it('refuses a condition with two operators, naming the file and rule', () => {
    const dir = rulesDir(`rules:\n${rule('x', '{ field: activity, equals: get, in: [list] }')}`);
    assert.throws(
      () => loadRules(dir),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'VIGIL_DETECTOR_RULE_INVALID');
        assert.match(e.message, /a\.yaml rules\[0\]/);
        assert.match(e.message, /exactly one of/);
        return true;
      },
    );
  });

  it('refuses an invalid regular expression and a duplicated id', () => {
    assert.throws(
      () => loadRules(rulesDir(`rules:\n${rule('x', "{ field: rule, matches: '(' }")}`)),
      /not a valid regular expression/,
    );
    const twice = `rules:\n${rule('x', '{ field: activity, equals: get }')}${rule('x', '{ field: activity, equals: list }')}`;
    assert.throws(() => loadRules(rulesDir(twice)), /rule id x is declared twice/);
  });

  it('refuses a technique id that is not ATT&CK-shaped', () => {
    const bad = rule('x', '{ field: activity, equals: get }').replace('T1609', 'privesc');
    assert.throws(() => loadRules(rulesDir(`rules:\n${bad}`)), /techniques\.0/);
  });

  it('refuses a Sigma rule using an untranslated modifier rather than half-translating it', () => {
    const dir = rulesDir(
      `rules:\n${rule('x', '{ field: activity, equals: get }')}`,
      `[{ file: s.yml, upstreamPath: p, action: alert, fixtures: { positive: [{}], negative: [{}] } }]`,
    );
    writeFileSync(
      join(dir, 'sigma', 's.yml'),
      'title: t\nid: s-1\nlogsource: { product: kubernetes, service: audit }\ndetection:\n  sel: { userAgent|base64: kubectl }\n  condition: sel\nlevel: low\n',
    );
    assert.throws(() => loadRules(dir), /modifier base64 is not supported/);
  });

  it('ships the default directory beside the package', () => {
    assert.ok(readFileSync(join(DEFAULT_RULES_DIR, 'sigma', 'LICENSE'), 'utf8').includes('DRL'));
  });
});

describe('path semantics', () => {
  const ev = (requestObject: unknown) =>
    ({ activity: 'create', resource: { type: 'pods' }, requestObject }) as unknown;
  const only = (condition: unknown) =>
    new RuleSet([
      compileRule({
        id: 'p',
        title: 'p',
        techniques: ['T1611'],
        severity: 'high',
        action: 'alert',
        techniquesFromTags: false,
        severityFromEvent: false,
        source: { kind: 'vigil', licence: 'x', references: [] },
        condition: condition as never,
        fixtures: { positive: [{}], negative: [{}] },
      }),
    ]);

  it('finds containers in pods, workload templates, CronJob templates and ephemeral containers', () => {
    const set = only({ field: 'container.securityContext.privileged', equals: true });
    const c = [{ securityContext: { privileged: true } }];
    assert.equal(set.evaluate(ev({ spec: { containers: c } }) as never).alert, true);
    assert.equal(
      set.evaluate(ev({ spec: { template: { spec: { initContainers: c } } } }) as never).alert,
      true,
    );
    assert.equal(
      set.evaluate(
        ev({ spec: { jobTemplate: { spec: { template: { spec: { containers: c } } } } } }) as never,
      ).alert,
      true,
    );
    assert.equal(set.evaluate(ev({ spec: { ephemeralContainers: c } }) as never).alert, true);
    assert.equal(set.evaluate(ev({ spec: { containers: [{}] } }) as never).alert, false);
    assert.equal(set.evaluate(ev(undefined) as never).alert, false);
  });

  it('exists: false holds only where the path reaches nothing', () => {
    const set = only({ field: 'podSpec.hostNetwork', exists: false });
    assert.equal(set.evaluate(ev({ spec: {} }) as never).alert, true);
    assert.equal(set.evaluate(ev({ spec: { hostNetwork: false } }) as never).alert, false);
  });
});

describe('the cidr operator', () => {
  const set = (cidr: unknown) =>
    new RuleSet([
      compileRule({
        id: 'c',
        title: 'c',
        techniques: ['T1078'],
        severity: 'high',
        action: 'alert',
        techniquesFromTags: false,
        severityFromEvent: false,
        source: { kind: 'vigil', licence: 'x', references: [] },
        condition: { field: 'actor.sourceIp', cidr } as never,
        fixtures: { positive: [{}], negative: [{}] },
      }),
    ]);
  const from = (sourceIp: string) => ({ actor: { sourceIp } }) as never;

  it('holds for IPv4, IPv6 and IPv4-mapped addresses inside a range and for nothing else', () => {
    const private4 = set(['10.0.0.0/8', 'fc00::/7']);
    assert.equal(private4.evaluate(from('10.2.3.4')).alert, true);
    assert.equal(private4.evaluate(from('::ffff:10.2.3.4')).alert, true);
    assert.equal(private4.evaluate(from('fd00::1')).alert, true);
    assert.equal(private4.evaluate(from('11.2.3.4')).alert, false);
    assert.equal(private4.evaluate(from('not-an-ip')).alert, false);
  });

  it('refuses a range that is not a CIDR when the rule loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cidr-'));
    mkdirSync(join(dir, 'vigil'));
    writeFileSync(
      join(dir, 'vigil', 'r.yaml'),
      `rules:\n  - id: vigil-c\n    title: t\n    techniques: [T1078]\n    severity: low\n    source: { kind: vigil, licence: Apache-2.0 }\n    condition: { field: actor.sourceIp, cidr: [10.0.0.0/33] }\n    fixtures: { positive: [{}], negative: [{}] }\n`,
    );
    assert.throws(() => loadRuleSet(dir), /not a list of CIDR ranges/);
  });
});
