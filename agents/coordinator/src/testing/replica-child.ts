/**
 * One coordinator replica as its own OS process, for the scale-out tests and
 * bench/scale-out: a real {@link Coordinator} on PostgreSQL (incident store, leases,
 * fenced LangGraph checkpointer) whose execute port goes through the remediator's real
 * PostgreSQL execution ledger (begin → act → finish by idempotency key, as the remediator
 * does); acting appends a row to `side_effects`, so the parent counts what really ran.
 * The specialists are the recording ports' (offline analyser, a review table).
 *
 * Started by `startReplica` (replica-harness.ts) with its {@link ReplicaOptions} as JSON.
 * Reads findings (`{"finding": …}`) and decisions (`{"decide": id, "decision": …}`) as
 * JSON lines on stdin; writes JSON lines: ready, assigned, executed, replayed, closed,
 * decided, error. With `holdAfterExecute` it stops for ever right after its first action
 * ran and before the graph checkpointed it: the parent kills it there (`kill -9`).
 */
import { createInterface } from 'node:readline';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { digestOf } from '@vigil/core';
import { PostgresExecutionStore } from '@vigil/remediator';
import type { Finding } from '@vigil/soc';
import { Coordinator } from '../coordinator.js';
import { DEFAULT_CORRELATION } from '../correlator.js';
import { fencedCheckpointer } from '../fenced-checkpointer.js';
import { createPostgresLeases } from '../incident-leases.js';
import { PostgresIncidentStore } from '../postgres-incident-store.js';
import { recordingPorts } from './recording-ports.js';
import type { ReplicaOptions } from './replica-harness.js';

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(options: ReplicaOptions): Promise<void> {
  const store = await PostgresIncidentStore.open(options.url, { max: 8 });
  const ownership = await createPostgresLeases({
    pool: store.pool,
    owner: options.owner,
    ttlMs: options.leaseTtlMs,
  });
  const ledger = await PostgresExecutionStore.open(options.url);
  const saver = PostgresSaver.fromConnString(options.url);
  const recording = recordingPorts(options.decisions);
  let held = false;
  const coordinator = new Coordinator({
    store,
    ownership,
    checkpointer: fencedCheckpointer(saver, ownership),
    approvalTtlMs: 600_000,
    concurrency: options.concurrency ?? 4,
    maxQueuedRuns: 100_000,
    ...(options.rollup === false
      ? { correlation: { ...DEFAULT_CORRELATION, rollupWindowMs: 0 } }
      : {}),
    // The signature checks of a human decision are tested with the ops API; here any
    // replica's acceptance of a decision is what is under test.
    verifyApproval: async () => undefined,
    ports: {
      ...recording.ports,
      async execute(action, authorisation, idempotencyKey, step) {
        const begun = await ledger.begin({
          idempotencyKey,
          action: action as never,
          actionDigest: digestOf(action),
          executor: 'side-effects-table',
          authorisation: {
            kind: authorisation.kind,
            id: idempotencyKey,
            by: 'test',
            decision: 'allow',
          },
          reversible: false,
          memo: null,
          plan: [action.type],
        });
        if (begun.status === 'existing') {
          emit({ event: 'replayed', incidentId: step.incidentId, key: idempotencyKey });
          return { executionId: begun.record.id, status: 'succeeded', detail: 'replayed' };
        }
        await store.pool.query('INSERT INTO side_effects (key, owner) VALUES ($1, $2)', [
          idempotencyKey,
          options.owner,
        ]);
        await ledger.finish(begun.record.id, { state: 'done' });
        emit({ event: 'executed', incidentId: step.incidentId, key: idempotencyKey });
        if (options.holdAfterExecute && !held) {
          held = true;
          await new Promise(() => {}); // killed here: acted, the graph not yet checkpointed
        }
        return { executionId: begun.record.id, status: 'succeeded', detail: `${action.type} done` };
      },
      async requestApprovals(requests, step) {
        await recording.ports.requestApprovals(requests, step);
        emit({
          event: 'awaiting',
          incidentId: step.incidentId,
          approvalIds: requests.map((r) => r.id),
        });
      },
      async notify(summary, step) {
        await recording.ports.notify(summary, step);
        emit({ event: summary.status, incidentId: step.incidentId, owner: options.owner });
      },
    },
  });
  await coordinator.resumeInFlight();
  const adopt = setInterval(() => {
    coordinator
      .adoptOrphans()
      .then((ids) => ids.length && emit({ event: 'adopted', incidentIds: ids }))
      .catch((error: unknown) => emit({ event: 'error', error: String(error) }));
  }, options.adoptEveryMs);
  adopt.unref();
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const message = JSON.parse(line) as
      | { finding: Finding }
      | { idle: string }
      | { decide: string; decision: 'approve' | 'reject' };
    if ('idle' in message) {
      void coordinator.idle().then(() => emit({ event: 'idle', marker: message.idle }));
      return;
    }
    const work =
      'finding' in message
        ? coordinator
            .handleFinding(message.finding)
            .then((a) => emit({ event: 'assigned', findingId: message.finding.id, ...a }))
        : coordinator
            .decide(message.decide, {
              decision: message.decision,
              by: 'user:alice',
              reason: 'checked',
              approval: 'signed-by-alice',
            })
            .then((row) => emit({ event: 'decided', approvalId: row.id, status: row.status }));
    work.catch((error: unknown) => emit({ event: 'error', error: String(error) }));
  });
  emit({ event: 'ready', owner: options.owner });
}

await main(JSON.parse(process.argv[2] ?? '{}') as ReplicaOptions);
