import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { findingOf, normaliseEvent } from '@vigil/detector';
import { createWebhookChannel, Notifier, type DeliveryResult } from '@vigil/notifier';
import type { Finding } from '@vigil/soc';
import { Coordinator } from './coordinator.js';
import { IncidentStore } from './incident-store.js';
import { notificationFor } from './notification.js';
import type { IncidentPorts } from './ports.js';
import { podProposal, recordingPorts } from './testing/recording-ports.js';

const FLOOD = 100_000;
const BASE = Date.parse('2026-03-01T10:00:00Z');

/** Noisy Falco rules of an alert storm (process, command line). */
const NOISY = [
  ['Terminal shell in container', 'sh', 'sh -c ls'],
  ['Launch Package Management Process in Container', 'apt-get', 'apt-get update'],
  ['Contact K8S API Server From Container', 'curl', 'curl https://kubernetes.default'],
  ['Read sensitive file untrusted', 'cat', 'cat /etc/shadow'],
] as const;

/** Generated-looking pod names (Kubernetes' vowel-free alphabet). */
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
function suffix(n: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++, n = Math.floor(n / ALPHABET.length))
    out += ALPHABET[n % ALPHABET.length];
  return out;
}

/** A Falco alert as Falco writes it, normalised and turned into a finding by the detector's own code. */
function falcoFinding(
  seq: number,
  at: number,
  rule: string,
  proc: string,
  cmdline: string,
  namespace: string,
  pod: string,
): Finding {
  const record = {
    hostname: 'node-a',
    output: `${rule} (process=${proc} k8s_pod_name=${pod} k8s_ns_name=${namespace})`,
    output_fields: {
      'container.id': `c${seq.toString(16).padStart(11, '0')}`,
      'evt.time': at * 1_000_000 + seq,
      'evt.type': 'execve',
      'k8s.ns.name': namespace,
      'k8s.pod.name': pod,
      'proc.cmdline': cmdline,
      'proc.name': proc,
      'proc.pname': 'runc',
      'user.name': 'root',
    },
    priority: 'Warning',
    rule,
    source: 'syscall',
    tags: ['container', 'mitre_execution'],
    time: new Date(at).toISOString(),
    uuid: `00000000-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`,
  };
  const normalised = normaliseEvent(record);
  if (!normalised.ok) throw new Error(`Falco record rejected: ${normalised.reason}`);
  return findingOf(normalised.event, 0.9, 0.6, 'flood-test', [], at);
}

/**
 * 100,000 alerts of four noisy rules on 50 Deployments (5 replicas each) in five
 * namespaces over five minutes, with a real attack in the middle: a shell, then a miner,
 * in one pod of another namespace.
 */
function floodWithAttack(): { findings: Finding[]; attack: Finding[] } {
  const findings: Finding[] = [];
  for (let i = 0; i < FLOOD; i++) {
    const [rule, proc, cmdline] = NOISY[i % NOISY.length]!;
    const deployment = Math.floor(i / NOISY.length) % 50;
    const replica = Math.floor(i / (NOISY.length * 50)) % 5;
    const pod = `svc-${deployment}-${suffix(deployment + 4_000, 9)}-${suffix(replica * 50 + deployment, 5)}`;
    findings.push(
      falcoFinding(i, BASE + i * 3, rule, proc, cmdline, `team-${deployment % 5}`, pod),
    );
  }
  const at = BASE + (FLOOD / 2) * 3;
  const pod = 'checkout-5f7c9d8b6-q2wxz';
  const attack = [
    falcoFinding(FLOOD, at, 'Terminal shell in container', 'sh', 'sh', 'payments', pod),
    falcoFinding(
      FLOOD + 1,
      at + 1_000,
      'Detect crypto miners using the Stratum protocol',
      'xmrig',
      'xmrig -o stratum+tcp://pool.example:3333',
      'payments',
      pod,
    ),
  ];
  findings.splice(FLOOD / 2, 0, ...attack);
  return { findings, attack };
}

test('a real attack mixed into a 100,000-alert flood gets its own incident, verdict and notification', async (t) => {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-flood-'));
  const received: { type: string; notification: { incidentId: string; kind: string } }[] = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as (typeof received)[number]);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  let now = Date.now();
  const notifier = new Notifier(
    [
      createWebhookChannel({
        name: 'soc',
        url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`,
        secret: 'k',
      }),
    ],
    {
      maxAttempts: 2,
      initialBackoffMs: 1,
      maxBackoffMs: 2,
      attemptTimeoutMs: 10_000,
      ratePerMinute: 30,
      burst: 10,
      similarWindowMs: 300_000,
    },
    { clock: { now: () => now, sleep: async () => undefined } },
  );
  const store = new IncidentStore(join(dir, 'coordinator.sqlite'));
  const checkpointer = SqliteSaver.fromConnString(join(dir, 'checkpoints.sqlite'));
  t.after(async () => {
    store.close();
    checkpointer.db.close();
    hook.closeAllConnections();
    hook.close();
    await notifier.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const recording = recordingPorts({ 'isolate-pod': 'allow', 'delete-pod': 'deny' });
  const deliveries = new Map<string, DeliveryResult>();
  const reviewed = new Map<string, string[]>();
  const ports: IncidentPorts = {
    ...recording.ports,
    // Proposals on the finding's own pod, as the remediator scopes them.
    propose: async (finding, analysis) => {
      const [namespace, pod] = (finding.entities.workload ?? '/').split('/');
      return {
        proposals: analysis.recommendedResponses.map((type, i) =>
          podProposal(`p${i}`, { type, target: { namespace, pod }, parameters: {} }),
        ),
        skipped: [],
      };
    },
    review: async (proposal, finding, analysis, ctx) => {
      const review = await recording.ports.review(proposal, finding, analysis, ctx);
      reviewed.set(ctx.incidentId, [...(reviewed.get(ctx.incidentId) ?? []), review.decision]);
      return review;
    },
    // The real notifier behind the coordinator's own rendering of the notification.
    notify: async (summary) => {
      const [result] = await notifier.notify(notificationFor(summary, undefined));
      deliveries.set(summary.incidentId, result!);
    },
  };
  const coordinator = new Coordinator({
    ports,
    store,
    checkpointer,
    approvalTtlMs: 60_000,
    verifyApproval: async () => undefined,
    maxQueuedRuns: 10_000,
  });

  const { findings, attack } = floodWithAttack();
  const built = performance.now();
  // As a sender with many requests in flight would deliver them.
  const kinds = new Map<string, number>();
  for (let i = 0; i < findings.length; i += 500) {
    const answers = await Promise.all(
      findings.slice(i, i + 500).map((f) => coordinator.handleFinding(f)),
    );
    for (const a of answers) kinds.set(a.kind, (kinds.get(a.kind) ?? 0) + 1);
  }
  await coordinator.idle();
  const handled = performance.now();

  // Everything is counted somewhere: no finding was rate-limited or dropped.
  const incidents = store.incidents({ limit: FLOOD });
  assert.equal(kinds.get('rate-limited'), undefined);
  assert.equal(
    incidents.reduce((n, i) => n + i.findings, 0),
    findings.length,
  );
  // Storms are one incident each (4 rules × 50 Deployments at most, fewer where the
  // first alerts of several rules on one pod correlate), plus the attack.
  assert.ok(incidents.length <= NOISY.length * 50 + 1, `${incidents.length} incidents`);
  assert.ok((kinds.get('rolled-up') ?? 0) > FLOOD * 0.99, 'the flood rolled up');

  // The attack has an incident of its own, with both its findings and nothing else.
  const attackIncident = store.incidentOfFinding(attack[1]!.id);
  assert.ok(attackIncident);
  assert.equal(store.incidentOfFinding(attack[0]!.id), attackIncident);
  assert.deepEqual(
    store
      .findings(attackIncident, 10)
      .map((f) => f.id)
      .sort(),
    attack.map((f) => f.id).sort(),
  );
  assert.equal(store.incident(attackIncident)?.status, 'closed');
  assert.equal(store.incident(attackIncident)?.severity, 'critical');
  // Its verdict: the miner's pod isolated under the reviewer's verdict.
  assert.ok(reviewed.get(attackIncident)?.includes('allow'));
  const isolated = [...recording.executed.values()].find(
    (e) => e.action.type === 'isolate-pod' && e.action.target['namespace'] === 'payments',
  );
  assert.equal(isolated?.kind, 'verdict');
  assert.equal(isolated?.action.target['pod'], 'checkout-5f7c9d8b6-q2wxz');
  // Its notification went out at once, not into a summary.
  assert.equal(deliveries.get(attackIncident)?.status, 'delivered');
  assert.ok(
    received.some(
      (r) => r.type === 'vigil.incident' && r.notification.incidentId === attackIncident,
    ),
  );

  // The flood's notifications were held back, never dropped: the summaries account for each.
  const held = [...deliveries.values()].filter((d) => d.status === 'held-back').length;
  assert.ok(held > 0);
  assert.equal(
    [...deliveries.values()].filter((d) => d.status !== 'delivered' && d.status !== 'held-back')
      .length,
    0,
  );
  const summarised: number[] = [];
  for (let round = 0; round < 20 && notifier.heldBack().length > 0; round++) {
    now += 300_000;
    for (const s of await notifier.flush()) {
      assert.equal(s.result.status, 'delivered');
      summarised.push(s.heldBack.notifications);
    }
  }
  assert.equal(
    summarised.reduce((a, b) => a + b, 0),
    held,
  );
  assert.ok(received.filter((r) => r.type === 'vigil.summary').length < held);

  t.diagnostic(
    `${findings.length} findings: built in ${Math.round(built - started)} ms, handled in ${Math.round(handled - built)} ms; ${incidents.length} incidents; ${received.length} webhook deliveries (${summarised.length} summaries of ${held} held back)`,
  );
});
