import type { Supervisor, SupervisorEvent } from './supervisor.js';
import type { SupervisorStatus } from './status.js';
import { SupervisorError } from './errors.js';

/**
 * Resolves with the status once `predicate(status)` holds, re-checking on every
 * supervisor event; rejects after `timeoutMs` with the last status in the error details.
 * A bounded wait for tests and scripts (no sleeps).
 */
export function waitForStatus(
  supervisor: Supervisor,
  predicate: (status: SupervisorStatus, event?: SupervisorEvent) => boolean,
  opts: { timeoutMs?: number; what?: string } = {},
): Promise<SupervisorStatus> {
  const now = supervisor.status();
  if (predicate(now)) return Promise.resolve(now);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const listener = (event: SupervisorEvent): void => {
      const status = supervisor.status();
      if (predicate(status, event)) {
        clearTimeout(timer);
        supervisor.off('event', listener);
        resolve(status);
      }
    };
    const timer = setTimeout(() => {
      supervisor.off('event', listener);
      reject(
        new SupervisorError(
          'VIGIL_SUPERVISOR_WAIT_TIMEOUT',
          `timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a status'}`,
          {
            details: { status: supervisor.status() },
          },
        ),
      );
    }, timeoutMs);
    supervisor.on('event', listener);
  });
}

/** Resolves with the first event matching `predicate`, or rejects after `timeoutMs`. */
export function waitForEvent<E extends SupervisorEvent>(
  supervisor: Supervisor,
  predicate: (event: SupervisorEvent) => event is E,
  opts?: { timeoutMs?: number; what?: string },
): Promise<E>;
export function waitForEvent(
  supervisor: Supervisor,
  predicate: (event: SupervisorEvent) => boolean,
  opts?: { timeoutMs?: number; what?: string },
): Promise<SupervisorEvent>;
export function waitForEvent(
  supervisor: Supervisor,
  predicate: (event: SupervisorEvent) => boolean,
  opts: { timeoutMs?: number; what?: string } = {},
): Promise<SupervisorEvent> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const listener = (event: SupervisorEvent): void => {
      if (predicate(event)) {
        clearTimeout(timer);
        supervisor.off('event', listener);
        resolve(event);
      }
    };
    const timer = setTimeout(() => {
      supervisor.off('event', listener);
      reject(
        new SupervisorError(
          'VIGIL_SUPERVISOR_WAIT_TIMEOUT',
          `timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'an event'}`,
        ),
      );
    }, timeoutMs);
    supervisor.on('event', listener);
  });
}
