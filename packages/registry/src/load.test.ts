import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isMap, isSeq, parseDocument } from 'yaml';
import { isVigilError } from '@vigil/core';
import {
  formatProblem,
  loadAgentSystem,
  loadAgentSystemSync,
  parseAgentSystem,
  RegistryError,
  resolveSystemPath,
  type ConfigProblem,
} from './index.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

/** The 1-based line of the first line of `text` containing `marker`. */
function lineOf(text: string, marker: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(marker));
  assert.notEqual(index, -1, `marker ${marker} not in the test document`);
  return index + 1;
}

/** Parses `text`, expects a RegistryError with `code`, and returns it. */
function expectError(text: string, code = 'VIGIL_CONFIG_INVALID'): RegistryError {
  let returned: unknown;
  try {
    returned = parseAgentSystem(text, 'test.yaml');
  } catch (error) {
    assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(isVigilError(error, code));
    return error;
  }
  assert.fail(`expected ${code}, but the declaration loaded: ${JSON.stringify(returned)}`);
}

function only(error: RegistryError): ConfigProblem {
  assert.equal(error.problems.length, 1, error.message);
  return error.problems[0] as ConfigProblem;
}

const HEADER = `apiVersion: vigil.dev/v1alpha1
kind: AgentSystem
metadata:
  name: test
trustDomain: test.vigil.local
`;

/** A valid three-agent system whose agents section is `agents`. */
function system(agents: string, extra = ''): string {
  return `${HEADER}agents:\n${agents}${extra}`;
}

const THREE = `  - name: coordinator
    role: Coordination
    implementation: '@vigil/echo'
    calls: [analyst, notifier]
  - name: analyst
    role: Analysis
    implementation: '@vigil/echo'
  - name: notifier
    role: Notification
    implementation: '@vigil/echo'
`;

test('loads the SOC declaration at the repository root', async () => {
  const soc = await loadAgentSystem(join(ROOT, 'vigil.yaml'));
  assert.deepEqual(
    soc.agents.map((a) => a.name),
    ['detector', 'coordinator', 'analyst', 'remediator', 'reviewer', 'notifier'],
  );
  assert.equal(soc.trustDomain, 'soc.vigil.local');
  const skills = Object.fromEntries(soc.agents.map((a) => [a.name, a.skills.map((s) => s.id)]));
  assert.deepEqual(skills, {
    detector: ['ingest-events'],
    coordinator: ['handle-finding', 'resume-incident'],
    analyst: ['analyse-finding'],
    remediator: ['propose-actions', 'execute-action', 'undo-action'],
    reviewer: ['review-action'],
    notifier: ['notify'],
  });
  for (const agent of soc.agents) {
    assert.equal(agent.implementation, `@vigil/${agent.name}`);
  }
  // Limits sit above each agent's measured idle RSS (≈130–220 MiB) and within budget.
  for (const agent of soc.agents) {
    const mib = agent.resources.memoryBytes / 2 ** 20;
    assert.ok(mib >= 160 && mib <= 256, `${agent.name}: ${mib} MiB`);
  }
  assert.equal(soc.policy.escalation.confidenceThreshold, 0.55);
  assert.equal(soc.policy.escalation.maxBlastRadius, 10);
  assert.ok(soc.policy.escalation.alwaysEscalate.namespaces.includes('kube-system'));
  assert.deepEqual(
    soc.notifications.channels.map((c) => c.type),
    ['webhook', 'email'],
  );
  assert.equal(soc.model.provider, 'offline');
  assert.equal(resolveSystemPath(soc, soc.policy.bundle), join(ROOT, 'policies/soc'));
});

test('loads the two-agent example', () => {
  const example = loadAgentSystemSync(join(ROOT, 'examples/two-agent/vigil.yaml'));
  assert.deepEqual(
    example.agents.map((a) => [a.name, a.implementation, [...a.calls]]),
    [
      ['greeter', '@vigil/echo', ['echo']],
      ['echo', '@vigil/echo', []],
    ],
  );
});

test('fills every default and derives memoryBytes and cpuMillis', () => {
  const s = parseAgentSystem(system(THREE), 'test.yaml');
  assert.equal(s.metadata.namespace, 'vigil');
  const analyst = s.agents[1];
  assert.ok(analyst);
  assert.equal(analyst.description, '');
  assert.equal(analyst.replicas, 1);
  assert.deepEqual(analyst.resources, {
    cpu: '250m',
    memory: '128Mi',
    memoryBytes: 128 * 1024 * 1024,
    cpuMillis: 250,
  });
  assert.deepEqual(analyst.restartPolicy, {
    policy: 'always',
    initialBackoffMs: 1000,
    maxBackoffMs: 30000,
    crashLoop: { restarts: 5, windowSeconds: 60 },
  });
  assert.deepEqual(analyst.permissions, { rules: [], tools: [] });
  assert.deepEqual(analyst.autonomy, { autoExecute: [] });
  assert.deepEqual(analyst.settings, {});
  assert.deepEqual(s.storage, {
    audit: { backend: 'sqlite' },
    checkpoints: { backend: 'sqlite' },
    state: { backend: 'sqlite' },
  });
  assert.equal(analyst.stateful, false);
  assert.deepEqual(s.policy, {
    engine: 'wasm',
    bundle: 'policies', // not the SOC's: a system names its own
    failClosed: 'deny',
    verdictTtlSeconds: 300,
    maxReviewRounds: 2,
    settings: {},
    escalation: {
      confidenceThreshold: 0.6,
      maxBlastRadius: 10,
      alwaysEscalate: { namespaces: [], kinds: [], labels: [] },
    },
    approvals: { ttlSeconds: 3600 },
  });
  assert.deepEqual(s.model, { provider: 'offline', timeoutMs: 30000 });
  assert.deepEqual(s.notifications, {
    channels: [],
    retry: { maxAttempts: 5, initialBackoffMs: 500, maxBackoffMs: 30000 },
    rateLimit: { perMinute: 30, burst: 10 },
    summaries: { similarWindowSeconds: 300, intervalSeconds: 10 },
    dedupWindowSeconds: 600,
  });
  assert.deepEqual(s.audit, { retentionDays: 90, checkpointEvery: 1000 });
  assert.deepEqual(s.telemetry, {});
});

test('parses Kubernetes quantities', () => {
  const s = parseAgentSystem(
    system(`  - name: a
    role: A
    implementation: '@vigil/echo'
    resources: { cpu: 1.5, memory: 1Gi }
  - name: b
    role: B
    implementation: '@vigil/echo'
    resources: { cpu: '2', memory: 64M }
`),
    'test.yaml',
  );
  assert.deepEqual(s.agents[0]?.resources, {
    cpu: '1.5',
    memory: '1Gi',
    memoryBytes: 2 ** 30,
    cpuMillis: 1500,
  });
  assert.deepEqual(s.agents[1]?.resources, {
    cpu: '2',
    memory: '64M',
    memoryBytes: 64_000_000,
    cpuMillis: 2000,
  });
});

test('returns a deep-frozen system', () => {
  const s = parseAgentSystem(system(THREE), 'test.yaml');
  assert.ok(Object.isFrozen(s));
  assert.ok(Object.isFrozen(s.agents));
  assert.ok(Object.isFrozen(s.agents[0]?.calls));
  assert.ok(Object.isFrozen(s.policy.escalation.alwaysEscalate.labels));
  assert.throws(() => {
    (s.agents[0]?.calls as string[]).push('x');
  }, TypeError);
});

test('reports a call to an unknown agent with its path, line and a did-you-mean', () => {
  const text = system(THREE.replace('calls: [analyst, notifier]', 'calls: [analyst, notifer]'));
  const problem = only(expectError(text));
  assert.deepEqual(problem, {
    path: 'agents[0].calls[1]',
    message: 'unknown agent "notifer"',
    line: lineOf(text, 'notifer'),
    hint: 'did you mean "notifier"?',
  });
  assert.equal(
    formatProblem(problem),
    `agents[0].calls[1]: unknown agent "notifer" (line ${lineOf(text, 'notifer')}) — did you mean "notifier"?`,
  );
});

test('lists the declared agents when an unknown callee resembles none', () => {
  const text = system(THREE.replace('calls: [analyst, notifier]', 'calls: [database]'));
  const problem = only(expectError(text));
  assert.equal(problem.hint, 'declared agents: coordinator, analyst, notifier');
});

test('reports a duplicate agent name where it is repeated, naming the first', () => {
  const text = system(`${THREE}  - name: analyst
    role: Second analyst
    implementation: '@vigil/echo'
`);
  const problem = only(expectError(text));
  assert.equal(problem.path, 'agents[3].name');
  assert.equal(problem.line, lineOf(text, 'role: Second analyst') - 1);
  assert.equal(
    problem.message,
    `duplicate agent name "analyst", first declared at agents[1] (line ${lineOf(text, 'name: analyst')})`,
  );
});

test('reports an agent that calls itself', () => {
  const text = system(THREE.replace('calls: [analyst, notifier]', 'calls: [analyst, coordinator]'));
  assert.deepEqual(only(expectError(text)), {
    path: 'agents[0].calls[1]',
    message: 'agent "coordinator" may not call itself',
    line: lineOf(text, 'calls: [analyst, coordinator]'),
  });
});

test('the A2A edge settings default to 1.0 only, and a default skill must be a declared skill', () => {
  const loaded = parseAgentSystem(system(THREE), 'test.yaml');
  assert.deepEqual(loaded.agents[0]?.a2a, { protocolVersions: ['1.0'] });
  const text = system(
    THREE.replace(
      '    calls: [analyst, notifier]\n',
      "    calls: [analyst, notifier]\n    skills: [{ id: relay }]\n    a2a: { defaultSkill: rely, protocolVersions: ['0.3'] }\n",
    ),
  );
  const problems = expectError(text).problems.map((problem) => [problem.path, problem.message]);
  assert.deepEqual(problems, [
    [
      'agents[0].a2a.protocolVersions',
      'protocolVersions must include "1.0" (Vigil agents speak A2A 1.0)',
    ],
    [
      'agents[0].a2a.defaultSkill',
      'default skill "rely" is not one of the agent\'s skills (relay)',
    ],
  ]);
});

test('reports a call cycle with its path', () => {
  const text = system(`  - name: a
    role: A
    implementation: '@vigil/echo'
    calls: [b]
  - name: b
    role: B
    implementation: '@vigil/echo'
    calls:
      - c
  - name: c
    role: C
    implementation: '@vigil/echo'
    calls:
      - d
      - a # closes the cycle
  - name: d
    role: D
    implementation: '@vigil/echo'
`);
  const problem = only(expectError(text));
  assert.equal(problem.path, 'agents[2].calls[1]');
  assert.equal(problem.line, lineOf(text, 'closes the cycle'));
  assert.match(problem.message, /^call cycle a → b → c → a: the call graph must be acyclic/);
});

test('reports a callee listed twice', () => {
  const text = system(THREE.replace('calls: [analyst, notifier]', 'calls: [analyst, analyst]'));
  assert.equal(only(expectError(text)).message, '"analyst" is listed twice');
});

test('rejects memory written with a non-Kubernetes unit, with the fix', () => {
  const text = system(
    THREE.replace('role: Analysis\n', 'role: Analysis\n    resources: { memory: 256MB }\n'),
  );
  assert.deepEqual(only(expectError(text)), {
    path: 'agents[1].resources.memory',
    message: '"256MB" is not a Kubernetes quantity (for example 256Mi, 1Gi, 500m, 2)',
    line: lineOf(text, '256MB'),
    hint: 'did you mean "256Mi"?',
  });
});

test('rejects memory in millibytes and too little memory', () => {
  const text = system(
    THREE.replace('role: Analysis\n', 'role: Analysis\n    resources: { memory: 512m }\n').replace(
      'role: Notification\n',
      'role: Notification\n    resources:\n      memory: 16Mi\n',
    ),
  );
  const error = expectError(text);
  assert.deepEqual(
    error.problems.map((p) => [p.path, p.line, p.hint]),
    [
      ['agents[1].resources.memory', lineOf(text, '512m'), 'did you mean "512Mi"?'],
      ['agents[2].resources.memory', lineOf(text, '16Mi'), undefined],
    ],
  );
  assert.match(error.problems[1]?.message ?? '', /at least 32Mi/);
});

test('rejects a CPU quantity that is not one', () => {
  const text = system(
    THREE.replace('role: Analysis\n', 'role: Analysis\n    resources: { cpu: lots }\n'),
  );
  const problem = only(expectError(text));
  assert.equal(problem.path, 'agents[1].resources.cpu');
  assert.match(problem.message, /"lots" is not a Kubernetes quantity/);
});

test('rejects a trust domain that breaks the SPIFFE rules', () => {
  const upper = system(THREE).replace(
    'trustDomain: test.vigil.local',
    'trustDomain: Test.Vigil.Local',
  );
  assert.deepEqual(only(expectError(upper)), {
    path: 'trustDomain',
    message:
      '"Test.Vigil.Local" is not a SPIFFE trust domain (only lowercase letters, digits, ".", "-" and "_")',
    line: 5,
    hint: 'did you mean "test.vigil.local"?',
  });
  const scheme = system(THREE).replace(
    'trustDomain: test.vigil.local',
    'trustDomain: spiffe://test.vigil.local',
  );
  assert.equal(only(expectError(scheme)).hint, 'did you mean "test.vigil.local"?');
  const port = system(THREE).replace('trustDomain: test.vigil.local', "trustDomain: 'vigil:8443'");
  assert.equal(only(expectError(port)).path, 'trustDomain');
});

test('rejects agent names that are not DNS-1123 labels', () => {
  const text = system(
    THREE.replace('name: analyst', 'name: Threat_Analyst').replace(
      'calls: [analyst, notifier]',
      'calls: [Threat_Analyst, notifier]',
    ),
  );
  assert.deepEqual(only(expectError(text)), {
    path: 'agents[1].name',
    message:
      '"Threat_Analyst" is not a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)',
    line: lineOf(text, 'name: Threat_Analyst'),
    hint: 'did you mean "threat-analyst"?',
  });
});

test('rejects unknown fields with a did-you-mean for the known key (and no "is required" for it)', () => {
  const text = system(THREE.replace('role: Analysis', 'rol: Analysis'), 'polcy:\n  engine: wasm\n');
  assert.deepEqual(
    expectError(text).problems.map((p) => formatProblem(p)),
    [
      `agents[1].rol: unknown field "rol" (line ${lineOf(text, 'rol:')}) — did you mean "role"?`,
      `polcy: unknown field "polcy" (line ${lineOf(text, 'polcy')}) — did you mean "policy"?`,
    ],
  );
});

test('suggests known keys at any depth, through defaults, transforms and channel types', () => {
  const text = system(
    THREE.replace(
      'role: Analysis\n',
      `role: Analysis
    resources: { memroy: 64Mi }
    restartPolicy: { crashLoop: { restart: 3 } }
    permissions: { rules: [{ apiGroup: [''], resources: [pods], verbs: [get] }] }
    skills: [{ id: analyse, tag: [x] }]
`,
    ),
    `notifications:
  channels:
    - { name: mail, type: email, smtp: { hots: localhost }, from: a@b, to: [c@d] }
    - { name: other, type: carrier-pigeon, urll: x }
`,
  );
  const found = expectError(text).problems.map((p) => [p.path, p.hint]);
  assert.deepEqual(found, [
    ['agents[1].resources.memroy', 'did you mean "memory"?'],
    ['agents[1].restartPolicy.crashLoop.restart', 'did you mean "restarts"?'],
    ['agents[1].permissions.rules[0].apiGroup', 'did you mean "apiGroups"?'],
    ['agents[1].skills[0].tag', 'did you mean "tags"?'],
    ['notifications.channels[0].smtp.hots', 'did you mean "host"?'],
    ['notifications.channels[1].type', undefined],
  ]);
});

test('suggests the environment-variable field when a secret is written inline', () => {
  const text = system(
    THREE,
    `model:\n  provider: openai\n  model: gpt-4o-mini\n  apiKey: sk-not-a-real-key\n`,
  );
  const error = expectError(text);
  const problem = only(error);
  assert.equal(problem.path, 'model.apiKey');
  assert.match(problem.hint ?? '', /name of the environment variable .* "apiKeyEnv"/);
  assert.doesNotMatch(error.message, /sk-not-a-real-key/);
});

test('rejects a wrong apiVersion and kind', () => {
  const text = system(THREE)
    .replace('vigil.dev/v1alpha1', 'vigil.dev/v1')
    .replace('kind: AgentSystem', 'kind: AgentSytem');
  const error = expectError(text);
  assert.deepEqual(
    error.problems.map((p) => formatProblem(p)),
    [
      'apiVersion: must be "vigil.dev/v1alpha1", got the string "vigil.dev/v1" (line 1)',
      'kind: must be "AgentSystem", got the string "AgentSytem" (line 2) — did you mean "AgentSystem"?',
    ],
  );
});

test('reports YAML syntax errors with line and column', () => {
  const text = `${HEADER}agents:\n  - name: a\n    role: [unclosed\n    implementation: '@vigil/echo'\n`;
  const error = expectError(text, 'VIGIL_CONFIG_YAML');
  assert.ok(error.problems.length >= 1);
  const first = error.problems[0];
  assert.equal(first?.path, '');
  assert.equal(typeof first?.column, 'number');
  assert.ok((first?.line ?? 0) >= lineOf(text, 'unclosed'), error.message);
  assert.match(
    error.message,
    /^test\.yaml is not well-formed YAML \(\d+ problems?\):\n {2}.*\(line \d+, column \d+\)/,
  );
});

test('reports a duplicate YAML key as a syntax error on its line', () => {
  const text = `${HEADER}trustDomain: again.vigil.local\nagents: []\n`;
  const problem = only(expectError(text, 'VIGIL_CONFIG_YAML'));
  assert.equal(problem.line, lineOf(text, 'again.vigil.local'));
  assert.match(problem.message, /unique/);
});

test('reports an empty document', () => {
  const problem = only(expectError('# nothing here\n'));
  assert.match(problem.message, /the document is empty/);
});

test('reports every problem together, in source order, one per line', () => {
  const text = `apiVersion: vigil.dev/v1alpha1
kind: AgentSystem
metadata:
  name: Test System
trustDomain: test.vigil.local
agents:
  - name: coordinator
    role: Coordination
    implementation: '@vigil/echo'
    replicas: 0
    calls: [anaylst, coordinator]
  - name: analyst
    implementation: '@vigil/echo'
    resources: { memory: 1GB }
    permissions:
      rules:
        - apiGroups: ['']
          resources: [pods]
          verbs: [gett]
notifications:
  channels:
    - name: ops
      type: slak
      url: http://127.0.0.1:1/
`;
  const error = expectError(text);
  assert.deepEqual(
    error.problems.map((p) => [p.path, p.line]),
    [
      ['metadata.name', 4],
      ['agents[0].replicas', 10],
      ['agents[0].calls[0]', 11],
      ['agents[0].calls[1]', 11],
      ['agents[1].role', 12],
      ['agents[1].resources.memory', 14],
      ['agents[1].permissions.rules[0].verbs[0]', 19],
      ['notifications.channels[0].type', 23],
    ],
  );
  const lines = error.message.split('\n');
  assert.equal(lines[0], 'invalid AgentSystem declaration test.yaml (8 problems):');
  assert.equal(lines.length, 9);
  assert.ok(
    lines.includes(
      '  agents[0].calls[0]: unknown agent "anaylst" (line 11) — did you mean "analyst"?',
    ),
  );
  assert.ok(
    lines.includes(
      '  agents[1].permissions.rules[0].verbs[0]: "gett" is not a Kubernetes RBAC verb (line 19) — did you mean "get"?',
    ),
  );
  assert.ok(
    lines.includes(
      '  notifications.channels[0].type: must be one of "webhook", "slack", "email", "pagerduty", got the string "slak" (line 23) — did you mean "slack"?',
    ),
  );
  assert.ok(
    lines.includes(
      '  agents[1].resources.memory: "1GB" is not a Kubernetes quantity (for example 256Mi, 1Gi, 500m, 2) (line 14) — did you mean "1Gi"?',
    ),
  );
});

test('validates notification channels by type', () => {
  const text = system(
    THREE,
    `notifications:
  channels:
    - name: mail
      type: email
      smtp: { host: 127.0.0.1 }
      from: vigil@localhost
      to: []
    - name: hook
      type: webhook
      url: ftp://example.invalid/x
      secretEnv: HOOK_KEY
      secret: hunter2
    - name: mail
      type: slack
      url: https://hooks.example.invalid/a
      urlEnv: SLACK_URL
`,
  );
  const error = expectError(text);
  assert.deepEqual(
    error.problems.map((p) => [p.path, p.message]),
    [
      ['notifications.channels[0].to', 'needs at least 1 entry'],
      ['notifications.channels[1].url', 'must be an http or https URL'],
      ['notifications.channels[1].secret', 'unknown field "secret"'],
      ['notifications.channels[2].name', 'duplicate channel name "mail"'],
      ['notifications.channels[2].url', 'set exactly one of url and urlEnv'],
    ],
  );
  assert.doesNotMatch(error.message, /hunter2/);
});

test('rejects a PostgreSQL URL that holds a password without repeating it', () => {
  const text = system(
    THREE,
    `storage:\n  audit:\n    backend: postgres\n    url: postgres://vigil:s3cret@127.0.0.1:5432/vigil\n  checkpoints:\n    backend: postgres\n`,
  );
  const error = expectError(text);
  assert.deepEqual(
    error.problems.map((p) => [p.path, p.message]),
    [
      [
        'storage.audit.url',
        'must not contain a password; set PGPASSWORD or use a .pgpass file instead',
      ],
      [
        'storage.checkpoints.url',
        'is required with backend postgres (postgres://user@host:5432/database)',
      ],
    ],
  );
  assert.doesNotMatch(error.message, /s3cret/);
});

test('checks cross-field policy and model settings', () => {
  const text = system(
    THREE,
    `policy:
  engine: server
  failClosed: allow
  escalation:
    confidenceThreshold: 1.5
model:
  provider: anthropic
`,
  );
  assert.deepEqual(
    expectError(text).problems.map((p) => p.path),
    [
      'policy.serverUrl',
      'policy.failClosed',
      'policy.escalation.confidenceThreshold',
      'model.model',
      'model.apiKeyEnv',
    ],
  );
});

test('reports a missing file as VIGIL_CONFIG_NOT_FOUND', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-registry-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(loadAgentSystem(join(dir, 'missing.yaml')), (error: unknown) => {
    assert.ok(error instanceof RegistryError);
    assert.equal(error.code, 'VIGIL_CONFIG_NOT_FOUND');
    assert.match(error.message, /missing\.yaml/);
    return true;
  });
  await assert.rejects(loadAgentSystem(dir), { code: 'VIGIL_CONFIG_NOT_FOUND' });
  const file = join(dir, 'vigil.yaml');
  writeFileSync(file, system(THREE));
  const loaded = await loadAgentSystem(file);
  assert.equal(resolveSystemPath(loaded, 'policies/x'), join(dir, 'policies/x'));
});

test('expands YAML anchors and merge keys', () => {
  const s = parseAgentSystem(
    system(`  - &base
    name: a
    role: A
    implementation: '@vigil/echo'
    resources: &small { memory: 64Mi }
  - <<: *base
    name: b
  - name: c
    role: C
    implementation: '@vigil/echo'
    resources: *small
`),
    'test.yaml',
  );
  assert.deepEqual(
    s.agents.map((a) => [a.name, a.role, a.resources.memory]),
    [
      ['a', 'A', '64Mi'],
      ['b', 'A', '64Mi'],
      ['c', 'C', '64Mi'],
    ],
  );
});

test('answers every wrongly typed field of the SOC declaration with a RegistryError, never a crash', () => {
  const text = readFileSync(join(ROOT, 'vigil.yaml'), 'utf8');
  const cases: { path: (string | number)[]; value: unknown }[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    // Every schema position once: the detector and the remediator (which has RBAC rules)
    // stand for all agents, the first of each list for the rest.
    if (path[0] === 'agents' && path.length >= 2 && path[1] !== 0 && path[1] !== 3) return;
    // Below `settings` the values are free-form: each agent (and the policy) validates its
    // own settings at start-up, so the registry accepts any shape there.
    if (path.slice(0, -1).includes('settings')) return;
    if (path.length > 0) {
      cases.push({ path, value: null });
      cases.push({ path, value: isMap(node) || isSeq(node) ? 'x' : { x: 1 } });
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        walk(pair.value, [...path, String((pair.key as { value: unknown }).value)]);
      }
    }
    if (isSeq(node)) node.items.slice(0, 2).forEach((item, i) => walk(item, [...path, i]));
  };
  walk(parseDocument(text).contents, []);
  assert.ok(cases.length > 200, `only ${cases.length} cases`);
  for (const { path, value } of cases) {
    const document = parseDocument(text);
    document.setIn(path, document.createNode(value));
    const where = `${path.join('.')} = ${JSON.stringify(value)}`;
    assert.throws(
      () => parseAgentSystem(document.toString(), 'fuzz.yaml'),
      (error: unknown) => {
        assert.ok(error instanceof RegistryError, `${where}: ${String(error)}`);
        assert.ok(error.problems.length > 0);
        for (const problem of error.problems) {
          assert.equal(typeof problem.line, 'number', `${where}: ${formatProblem(problem)}`);
        }
        return true;
      },
      where,
    );
  }
});

test('refuses unknown YAML tags instead of keeping their bare value', () => {
  for (const tag of [
    '!!js/function',
    '!custom',
    '!!binary',
    '!!set',
    '!<tag:example.com,2026:x>',
  ]) {
    const text = system(THREE.replace('role: Analysis', `role: ${tag} Analysis`));
    const error = expectError(text, 'VIGIL_CONFIG_YAML');
    const problem = only(error);
    assert.equal(problem.line, lineOf(text, 'role: !'), error.message);
    assert.match(
      problem.message,
      new RegExp(`unsupported YAML tag "${tag.replace(/[!<>]/g, '.')}"`),
    );
  }
  // The YAML 1.2 core tags are plain data and stay accepted.
  const plain = parseAgentSystem(
    system(THREE.replace('role: Analysis', 'role: !!str Analysis')),
    'x',
  );
  assert.equal(plain.agents[1]?.role, 'Analysis');
});

const WITH_RULE = (rule: string) =>
  system(
    THREE.replace(
      '  - name: notifier\n',
      `  - name: notifier\n    permissions:\n      rules:\n${rule}`,
    ),
  );

test('refuses wildcard RBAC unless the rule says it is meant, with a reason', () => {
  const text = WITH_RULE(
    "        - { apiGroups: ['*'], resources: ['*'], verbs: ['*'] }\n" +
      "        - { apiGroups: [apps], resources: ['*/scale'], verbs: [get] }\n",
  );
  const error = expectError(text);
  assert.deepEqual(
    error.problems.map((p) => p.path),
    [
      'agents[2].permissions.rules[0].apiGroups[0]',
      'agents[2].permissions.rules[0].resources[0]',
      'agents[2].permissions.rules[0].verbs[0]',
      'agents[2].permissions.rules[1].resources[0]',
    ],
  );
  assert.equal(error.problems[0]?.line, lineOf(text, "apiGroups: ['*']"));
  assert.match(error.problems[2]?.message ?? '', /"\*" is a wildcard \(every verb/);
  assert.match(error.problems[2]?.hint ?? '', /wildcard: \{ reason: "…" \}/);

  const meant = parseAgentSystem(
    WITH_RULE(
      "        - apiGroups: ['']\n          resources: [pods]\n          verbs: ['*']\n          wildcard: { reason: break-glass responder }\n",
    ),
    'x',
  );
  assert.deepEqual(meant.agents[2]?.permissions.rules[0]?.wildcard, {
    reason: 'break-glass responder',
  });
  // An empty reason is no reason, and a wildcard field on a rule without one is a mistake.
  expectError(
    WITH_RULE(
      "        - { apiGroups: [''], resources: [pods], verbs: ['*'], wildcard: { reason: ' ' } }\n",
    ),
  );
  const stray = only(
    expectError(
      WITH_RULE(
        "        - { apiGroups: [''], resources: [pods], verbs: [get], wildcard: { reason: x } }\n",
      ),
    ),
  );
  assert.equal(stray.path, 'agents[2].permissions.rules[0].wildcard');
});

const ACTIONS = `actions:
  - { type: isolate-pod, description: Deny all traffic to a pod }
  - { type: block-ip }
`;

test('validates autonomy.autoExecute against the action catalogue the system declares', () => {
  const auto = (list: string, extra = ACTIONS) =>
    system(
      THREE.replace(
        '  - name: notifier\n',
        `  - name: notifier\n    autonomy:\n      autoExecute: ${list}\n`,
      ),
      extra,
    );
  const ok = parseAgentSystem(auto('[isolate-pod, block-ip]'), 'x');
  assert.deepEqual(ok.agents[2]?.autonomy.autoExecute, ['isolate-pod', 'block-ip']);
  assert.deepEqual(ok.actions, [
    { type: 'isolate-pod', description: 'Deny all traffic to a pod' },
    { type: 'block-ip', description: '' },
  ]);

  const text = auto('[isolate-pdo, delete-everything, "*"]');
  const error = expectError(text);
  assert.deepEqual(
    error.problems.map((p) => [p.path, p.hint]),
    [
      ['agents[2].autonomy.autoExecute[0]', 'did you mean "isolate-pod"?'],
      ['agents[2].autonomy.autoExecute[1]', 'declared actions: isolate-pod, block-ip'],
      ['agents[2].autonomy.autoExecute[2]', 'declared actions: isolate-pod, block-ip'],
    ],
  );
  assert.equal(error.problems[1]?.line, lineOf(text, 'autoExecute:'));
  assert.match(
    error.problems[1]?.message ?? '',
    /"delete-everything" is not an action of the system's catalogue/,
  );

  // Without a catalogue nothing may be auto-executed: the harness knows no actions itself.
  const none = only(expectError(auto('[isolate-pod]', '')));
  assert.match(none.message, /the declaration has no action catalogue/);
  assert.match(none.hint ?? '', /actions: \[\{ type: "isolate-pod" \}\]/);

  const twice = only(expectError(auto('[]', `${ACTIONS}  - { type: block-ip }\n`)));
  assert.equal(twice.path, 'actions[2].type');
});

test('refuses notification summary settings out of range, naming the field', () => {
  assert.throws(
    () =>
      parseAgentSystem(
        system(
          THREE,
          'notifications:\n  summaries: { similarWindowSeconds: -1, intervalSeconds: 0 }\n',
        ),
        'vigil.yaml',
      ),
    (e: Error) =>
      /notifications\.summaries\.similarWindowSeconds/.test(e.message) &&
      /notifications\.summaries\.intervalSeconds/.test(e.message),
  );
});
