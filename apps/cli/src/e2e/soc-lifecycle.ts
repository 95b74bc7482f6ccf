/**
 * The SOC end to end, as an operator runs it, in either runtime: `vigil up` starts the six
 * agents of the repository's vigil.yaml (each its own OS process, or with `--runtime
 * podman` its own container, with its own SPIFFE identity, talking mTLS A2A), `vigil replay` pushes the labelled demo scenario into the detector's HTTP
 * source, the coordinator is killed with SIGKILL while incidents are still in flight, and
 * everything is then read back the way an auditor would: `vigil audit export`,
 * `vigil audit verify`, `vigil actions list`, the coordinator's incidents API and the
 * notifications that reached a webhook receiver. Nothing here is a test double.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXPECTED, SCENARIO, attackEventIds } from './soc-expectations.js';
import { socRuntimes, startSoc, type SocRuntime } from './soc-harness.js';

/**
 * Registers the lifecycle test for one runtime. Each runtime has a test file of its own
 * (soc-lifecycle.int.test.ts, soc-lifecycle-podman.int.test.ts), so each gets the
 * runner's whole per-file time and the two can run side by side.
 */
export function registerSocLifecycleTest(runtime: SocRuntime): void {
  const { unavailable } = socRuntimes().find((r) => r.runtime === runtime)!;
  test(
    `the labelled scenario through the real SOC (${runtime} runtime): every attack gets its verdict, a killed coordinator loses nothing, the audit verifies`,
    { ...(unavailable === undefined ? {} : { skip: unavailable }) },
    async (t) => {
      const soc = await startSoc(t, { runtime });
      const coordinatorReplica = () =>
        soc.status().agents.find((a) => a.name === 'coordinator')?.replicas[0];

      // Every event in, over the authenticated HTTP source, as a log shipper would send them.
      assert.equal(await soc.replay(SCENARIO), 3000);

      // Kill the coordinator while incidents are still gathering findings or running.
      const victim = coordinatorReplica();
      assert.ok(victim?.pid);
      const inFlight = (await soc.incidents()).filter((i) => i.status === 'open');
      assert.ok(inFlight.length > 0, 'incidents are in flight when the coordinator dies');
      soc.kill('coordinator');
      await soc.waitUntil('the supervisor to restart the coordinator', async () => {
        const replica = coordinatorReplica();
        return replica && replica.pid !== victim.pid && replica.state === 'ready'
          ? true
          : undefined;
      });

      const settled = await soc.settled();
      for (const incident of inFlight)
        assert.ok(
          settled.some((i) => i.id === incident.id),
          `incident ${incident.id}, in flight at the kill, was resumed`,
        );

      const entries = await soc.audit();
      const ofIncident = (id: string, kind: string) =>
        entries.filter((e) => e.incidentId === id && e.kind === kind);
      // What an unmet expectation prints: the incident's trail, kind by kind, with the
      // analysis and proposal that decided which actions reached the reviewer.
      const trailOf = (id: string) => ({
        id,
        kinds: entries.filter((e) => e.incidentId === id).map((e) => e.kind),
        analysis: ofIncident(id, 'analysis').map((e) => e.what),
        proposal: ofIncident(id, 'proposal').map((e) => ({ what: e.what, why: e.why })),
      });

      // Every attack: its findings' incidents carry the expected verdict.
      const outcomes: Record<string, unknown> = {};
      for (const [attack, eventIds] of attackEventIds()) {
        const incidentIds = new Set(
          entries
            .filter((e) => e.kind === 'finding' && eventIds.has(e.what['eventId'] as string))
            .map((e) => e.incidentId as string),
        );
        const verdicts = [...incidentIds].flatMap((id) =>
          ofIncident(id, 'verdict').map((v) => ({
            action: (v.what['proposedAction'] as { type: string }).type,
            decision: v.what['decision'] as string,
          })),
        );
        const expected = EXPECTED[attack];
        const met =
          incidentIds.size > 0 &&
          (expected === 'none'
            ? verdicts.length === 0
            : verdicts.some(
                (v) => v.action === expected?.action && v.decision === expected.decision,
              ));
        outcomes[attack] = met
          ? { met }
          : { met, incidents: [...incidentIds].map((id) => trailOf(id)), verdicts };
      }
      assert.deepEqual(
        Object.keys(outcomes).sort(),
        Object.keys(EXPECTED).sort(),
        'every labelled attack has an expectation',
      );
      assert.ok(
        Object.values(outcomes).every((o) => (o as { met: boolean }).met),
        `expected verdicts ${JSON.stringify(EXPECTED)}, got ${JSON.stringify(outcomes)}`,
      );

      // Every incident's steps are in the trail, and every incident reaches the webhook: in its
      // own notification, or named in the summary of those held back as alike to one sent.
      for (const incident of settled)
        for (const kind of ['finding', 'analysis', 'proposal', 'notification'])
          assert.ok(ofIncident(incident.id, kind).length > 0, `${incident.id} has a ${kind} entry`);
      await soc.waitUntil('every incident to reach the webhook', async () =>
        settled.every((i) => soc.notifications.some((b) => b.includes(i.id))) ? true : undefined,
      );
      const lifecycle = entries.filter(
        (e) => e.kind === 'agent-lifecycle' && e.what['agent'] === 'coordinator',
      );
      assert.ok(
        lifecycle.some((e) => e.what['event'] === 'exited'),
        'the crash is audited',
      );

      // No action ran twice, although the coordinator died with executions in flight.
      const actions = await soc.cli('--json', 'actions', 'list', '--limit', '1000');
      assert.equal(actions.code, 0, actions.stderr);
      const executions = JSON.parse(actions.stdout) as { idempotencyKey: string; state: string }[];
      assert.ok(executions.length > 0);
      assert.equal(new Set(executions.map((e) => e.idempotencyKey)).size, executions.length);
      const executedInAudit = entries.filter(
        (e) => e.kind === 'execution' && e.what['phase'] !== 'intent',
      );
      assert.ok(executedInAudit.length >= executions.length);

      // A human completes one escalation; the graph resumes and the action runs.
      const pending = await soc.cli('--json', 'approvals', 'list');
      assert.equal(pending.code, 0, pending.stderr);
      const approval = (
        JSON.parse(pending.stdout) as { id: string; status: string; action: { type: string } }[]
      ).find((a) => a.status === 'pending' && a.action.type === 'revoke-sa-token');
      assert.ok(approval, 'the token theft waits for a human');
      const approved = await soc.cli(
        'approvals',
        'approve',
        approval.id,
        '--reason',
        'confirmed by e2e',
      );
      assert.equal(approved.code, 0, approved.stderr);
      const incidentId = approval.id.split('/')[0] as string;
      await soc.waitUntil('the approved action to execute', async () => {
        const list = await soc.cli('--json', 'actions', 'list', '--limit', '1000');
        const rows = JSON.parse(list.stdout) as {
          action: { type: string };
          authorisation: { kind: string };
        }[];
        return rows.some((r) => r.authorisation.kind === 'approval') ? true : undefined;
      });
      await soc.waitUntil('the incident to close', async () =>
        (await soc.incidents()).find((i) => i.id === incidentId)?.status === 'closed'
          ? true
          : undefined,
      );

      const verify = await soc.cli('audit', 'verify');
      assert.equal(verify.code, 0, `${verify.stdout}\n${verify.stderr}`);
    },
  );
}
