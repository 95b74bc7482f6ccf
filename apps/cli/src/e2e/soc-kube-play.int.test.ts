/**
 * The rendered manifests run: `vigil k8s play` hands the SOC's render (Deployments,
 * ConfigMaps, the certificate Secrets issued from the local CA as cert-manager would) to
 * `podman kube play`, one pod per agent replica on a podman network of its own, peers
 * found by their Service names. The labelled demo scenario is replayed into the detector
 * pod and every attack's incident must reach its verdict through those pods, read back
 * from the coordinator pod's API. `vigil k8s play --down` removes every pod, secret,
 * volume and the network afterwards, whether the test passed or not, and the test checks
 * that nothing of them is left.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runVigil } from '../testing/run-vigil.js';
import { EXPECTED, SCENARIO, attackEventIds } from './soc-expectations.js';
import { socRuntimes } from './soc-harness.js';

const INGEST_PORT = 7400;
const API_PORT = 7401;

const podmanUnavailable = socRuntimes().find((r) => r.runtime === 'podman')?.unavailable;

function podman(...args: string[]): string {
  return execFileSync('podman', args, {
    encoding: 'utf8',
    env: {
      ...process.env,
      CONTAINERS_CONF:
        process.env['CONTAINERS_CONF'] ?? join(REPO_ROOT, '.tools/containers/containers.conf'),
    },
  });
}

/**
 * The repository's vigil.yaml with the detector's HTTP intake and the coordinator's API on
 * fixed ports of their pods, and the test harness's longer gathering window (soc-harness).
 */
function declaration(): string {
  let yaml = readFileSync(join(REPO_ROOT, 'vigil.yaml'), 'utf8');
  const replace = (from: string, to: string): void => {
    assert.ok(yaml.includes(from), `vigil.yaml no longer contains ${JSON.stringify(from)}`);
    yaml = yaml.replace(from, to);
  };
  replace(
    '# http: { host: 127.0.0.1, port: 7400, tokenEnv: VIGIL_INGEST_TOKEN }',
    `http: { host: 0.0.0.0, port: ${INGEST_PORT}, tokenEnv: VIGIL_INGEST_TOKEN }`,
  );
  replace(
    'api: { port: 0 }',
    `api: { port: ${API_PORT} }\n      aggregation: { settleMs: 5000, maxWaitMs: 30000 }`,
  );
  return yaml;
}

interface Summary {
  readonly finding: { readonly event: { readonly id: string } };
  readonly items: readonly {
    readonly proposal: { readonly action: { readonly type: string } };
    readonly review?: { readonly decision: string };
  }[];
}

test(
  'the rendered manifests under podman kube play: the labelled scenario reaches every verdict through the pods, and --down leaves nothing',
  { ...(podmanUnavailable === undefined ? {} : { skip: podmanUnavailable }), timeout: 290_000 },
  async (t) => {
    // The declaration's directory as an operator has it: vigil.yaml beside what it names.
    const dir = mkdtempSync(join(tmpdir(), 'vigil-kube-play-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'vigil.yaml'), declaration());
    for (const path of ['policies/soc', 'policies/kyverno', 'examples/soc-demo/inventory.yaml'])
      cpSync(join(REPO_ROOT, path), join(dir, path), { recursive: true });
    mkdirSync(join(dir, 'state'));
    const env = { VIGIL_INGEST_TOKEN: randomBytes(24).toString('hex') };
    const vigil = (...args: string[]) =>
      runVigil(['-f', join(dir, 'vigil.yaml'), '--state-dir', join(dir, 'state'), ...args], env);

    let record:
      | { pods: string[]; secrets: string[]; volumes: string[]; network: string }
      | undefined;
    // One hook, in this order: the play's record is in the directory removed last.
    t.after(async () => {
      const down = await vigil('--json', 'k8s', 'play', '--down');
      rmSync(dir, { recursive: true, force: true });
      assert.equal(down.code, 0, down.stderr);
      if (record === undefined) return;
      // Nothing the play made is left.
      const pods = podman('pod', 'ps', '--format', '{{.Name}}').split('\n');
      assert.deepEqual(
        record.pods.filter((p) => pods.includes(p)),
        [],
        'pods left',
      );
      const volumes = podman('volume', 'ls', '--format', '{{.Name}}').split('\n');
      assert.deepEqual(
        record.volumes.filter((v) => volumes.includes(v)),
        [],
        'volumes left',
      );
      const secrets = podman('secret', 'ls', '--format', '{{.Name}}').split('\n');
      assert.deepEqual(
        record.secrets.filter((s) => secrets.includes(s)),
        [],
        'secrets left',
      );
      const networks = podman('network', 'ls', '--format', '{{.Name}}').split('\n');
      assert.ok(!networks.includes(record.network), `network ${record.network} left`);
    });

    const started = Date.now();
    const play = await vigil(
      '--json',
      'k8s',
      'play',
      '--file',
      'examples/soc-demo/inventory.yaml',
      // The intake's token reaches the detector pod as the variable its declaration names.
      '--env',
      'VIGIL_INGEST_TOKEN',
      '--timeout',
      '150',
    );
    // Read what was made even when the start failed, for the teardown checks above.
    try {
      record = JSON.parse(readFileSync(join(dir, 'state', 'kube-play', 'record.json'), 'utf8'));
    } catch {
      // a failed start removed it, and what it had made
    }
    assert.equal(play.code, 0, `${play.stdout}\n${play.stderr}`);
    const { pods } = JSON.parse(play.stdout) as {
      pods: { pod: string; deployment: string; address: string; aliases: string[] }[];
    };
    t.diagnostic(`six pods ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.deepEqual(pods.map((p) => p.deployment).sort(), [
      'analyst',
      'coordinator',
      'detector',
      'notifier',
      'remediator',
      'reviewer',
    ]);
    const coordinator = pods.find((p) => p.deployment === 'coordinator');
    assert.ok(coordinator !== undefined);
    assert.ok(coordinator.aliases.includes('coordinator.vigil.svc'), 'Service names resolve');
    const addressOf = (agent: string) => pods.find((p) => p.deployment === agent)?.address;

    // The events in, as a log shipper would send them to the detector pod.
    const replay = await vigil(
      '--json',
      'replay',
      SCENARIO,
      '--to',
      `http://${addressOf('detector')}:${INGEST_PORT}/v1/events`,
      '--token-env',
      'VIGIL_INGEST_TOKEN',
    );
    assert.equal(replay.code, 0, replay.stderr);
    const sent = JSON.parse(replay.stdout) as { sent: number; accepted: number };
    assert.equal(sent.accepted, 3000);

    // The coordinator made its admin in its own state volume: read it as `kubectl cp` would.
    const tokenFile = join(dir, 'admin.token');
    podman('cp', `${coordinator.pod}-agent:/var/lib/vigil/users/admin.token`, tokenFile);
    const token = readFileSync(tokenFile, 'utf8').trim();
    const api = async <T>(path: string): Promise<T | undefined> => {
      const response = await fetch(`http://${coordinator.address}:${API_PORT}${path}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      return response?.ok ? ((await response.json()) as T) : undefined;
    };

    // Every attack's verdict, from the incidents the coordinator pod settled.
    const byAttack = attackEventIds();
    const summaries = new Map<string, Summary>();
    const outcomes = async (): Promise<Record<string, { met: boolean; verdicts: string[] }>> => {
      const list = await api<{ incidents: { id: string; status: string }[] }>('/v1/incidents');
      for (const incident of list?.incidents ?? []) {
        if (summaries.has(incident.id)) continue;
        if (incident.status !== 'closed' && incident.status !== 'awaiting-approval') continue;
        const detail = await api<{ summary: Summary | null }>(
          `/v1/incidents/${encodeURIComponent(incident.id)}`,
        );
        if (detail?.summary) summaries.set(incident.id, detail.summary);
      }
      const result: Record<string, { met: boolean; verdicts: string[] }> = {};
      for (const [attack, eventIds] of byAttack) {
        const mine = [...summaries.values()].filter((s) => eventIds.has(s.finding.event.id));
        const verdicts = mine.flatMap((s) =>
          s.items.flatMap((i) =>
            i.review === undefined ? [] : [`${i.proposal.action.type}:${i.review.decision}`],
          ),
        );
        const expected = EXPECTED[attack];
        result[attack] = {
          met:
            mine.length > 0 &&
            (expected === 'none'
              ? verdicts.length === 0
              : verdicts.includes(`${expected?.action}:${expected?.decision}`)),
          verdicts,
        };
      }
      return result;
    };
    let last: Record<string, { met: boolean; verdicts: string[] }> = {};
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline) {
      last = await outcomes();
      if (Object.values(last).every((o) => o.met)) break;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    assert.deepEqual(Object.keys(last).sort(), Object.keys(EXPECTED).sort());
    assert.ok(
      Object.values(last).every((o) => o.met),
      `expected verdicts ${JSON.stringify(EXPECTED)}, got ${JSON.stringify(last)} from ${summaries.size} settled incidents`,
    );
    t.diagnostic(
      `every verdict reached ${((Date.now() - started) / 1000).toFixed(1)} s after the play started (${summaries.size} incidents)`,
    );
  },
);
