import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from '@langchain/langgraph';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { startPostgres } from '@vigil/testkit';
import { buildIncidentGraph } from './incident-graph.js';
import { minerFinding, recordingPorts } from './testing/recording-ports.js';

/** A checkpointer on the test's PostgreSQL, as the coordinator opens one at scale. */
async function saverOn(url: string): Promise<PostgresSaver> {
  const saver = PostgresSaver.fromConnString(url);
  await saver.setup();
  return saver;
}

test('with the PostgreSQL checkpointer a restarted coordinator resumes mid-incident without executing twice', async (t) => {
  const pg = await startPostgres(t);
  const first = recordingPorts(
    { 'isolate-pod': 'allow', 'delete-pod': 'deny' },
    { failNotifyOnce: true },
  );
  const config = { configurable: { thread_id: 'inc-pg-1' } };
  const saverA = await saverOn(pg.url);
  await assert.rejects(
    buildIncidentGraph(first.ports, saverA).invoke(
      { incidentId: 'inc-pg-1', finding: minerFinding },
      config,
    ),
    /crashed/,
  );
  await saverA.end();
  assert.equal(first.executed.size, 1);
  // A new process: a new saver and graph over the same database.
  const saverB = await saverOn(pg.url);
  t.after(() => saverB.end());
  const final = await buildIncidentGraph(first.ports, saverB).invoke(null, config);
  assert.equal(final.status, 'closed');
  assert.equal([...first.executed.values()][0]?.calls, 1, 'execute did not run again');
});

test('with the PostgreSQL checkpointer an escalation survives a restart and resumes on the human decision', async (t) => {
  const pg = await startPostgres(t);
  const { ports, executed } = recordingPorts({ 'isolate-pod': 'escalate', 'delete-pod': 'deny' });
  const config = { configurable: { thread_id: 'inc-pg-2' } };
  const saverA = await saverOn(pg.url);
  await buildIncidentGraph(ports, saverA).invoke(
    { incidentId: 'inc-pg-2', finding: minerFinding },
    config,
  );
  await saverA.end();
  assert.equal(executed.size, 0);
  const saverB = await saverOn(pg.url);
  t.after(() => saverB.end());
  const final = await buildIncidentGraph(ports, saverB).invoke(
    new Command({
      resume: {
        p0: {
          decision: 'approve',
          by: 'user:alice',
          reason: 'confirmed',
          approval: 'jws-by-alice',
          at: 1,
        },
      },
    }),
    config,
  );
  assert.equal(final.status, 'closed');
  assert.deepEqual(
    [...executed.values()].map((e) => e.kind),
    ['approval'],
  );
});
