import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { IncidentOwnership } from './incident-leases.js';

/** The checkpoint writes: each moves an incident's graph on, so each needs its lease. */
const WRITES = new Set<PropertyKey>(['put', 'putWrites']);

/**
 * `saver` with every checkpoint write fenced by the incident's lease: before a write of
 * thread `t` reaches the database, `ownership.assertHeld(t)` checks that this replica's
 * token is still the current one and unexpired, else the write throws
 * `VIGIL_COORDINATOR_LEASE_LOST` and the graph run stops there — a replica that lost an
 * incident (paused past its lease, partitioned) cannot move it on behind the new owner.
 *
 * The check and the write are two statements, so a lease that expires between them lets
 * one last write through; the ttl is seconds and a checkpoint write milliseconds, and the
 * side effects outside the graph are idempotent by key (the remediator's executions), so
 * that write can repeat a step, never act twice. Reads are not fenced.
 *
 * A proxy rather than a subclass: every other method of the saver (present or added by a
 * later LangGraph) reaches the real saver unchanged, bound to it.
 */
export function fencedCheckpointer<S extends BaseCheckpointSaver>(
  saver: S,
  ownership: IncidentOwnership,
): S {
  return new Proxy(saver, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!WRITES.has(property)) return method.bind(target);
      return async (...args: unknown[]) => {
        const config = args[0] as { configurable?: { thread_id?: unknown } } | undefined;
        const threadId = config?.configurable?.thread_id;
        if (typeof threadId === 'string') await ownership.assertHeld(threadId);
        return method.apply(target, args);
      };
    },
  });
}
