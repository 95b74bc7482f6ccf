import type { RestartPolicy } from '@vigil/registry';
import { EXIT_CONFIG } from '@vigil/runtime';
import { backoffDelay, recordRestart } from './backoff.js';
import { SUPERVISOR_ERROR_CODES } from './errors.js';

/** Why a life ended, with a stable code (the replica's `lastError`). */
export interface ExitError {
  readonly code: string;
  readonly message: string;
}

/** What is known about one ended life of a replica. */
export interface ExitEvent {
  readonly code: number | null;
  readonly signal: string | null;
  /** The process never started (`spawn` failed); its message. */
  readonly spawnError?: string;
  /** Why the supervisor killed it (liveness, memory, start timeout, drain deadline). */
  readonly killReason?: ExitError;
  /** What the process reported over IPC (`fatal`) before dying. */
  readonly fatal?: ExitError;
  /** When the exit was seen, ms since the epoch. */
  readonly at: number;
}

/** A replica's restart history, as the decision reads and rewrites it. */
export interface RestartHistory {
  /** Back-off attempt of the last restart (1-based; 0 before any). */
  readonly attempt: number;
  /** Restarts recorded in the crash-loop window, ms since the epoch. */
  readonly restartTimes: readonly number[];
  /** When the life that ended became ready, or null if it never did. */
  readonly readySince: number | null;
}

/** The inputs of {@link decideExit} besides the event. */
export interface ExitContext {
  /** The supervisor is stopping: every exit is the drain it asked for. */
  readonly draining: boolean;
  readonly history: RestartHistory;
  readonly policy: RestartPolicy;
  /** A life ready this long resets the back-off, ms. */
  readonly stableAfterMs: number;
  /** Jitter in [0, 1) for the back-off (`Math.random()` in production). */
  readonly jitter: number;
}

/** Restart counters after a decision that counted a restart. */
export interface NextHistory {
  readonly attempt: number;
  readonly restartTimes: readonly number[];
}

/**
 * What to do after a replica's process ended; {@link decideExit} computes it, the
 * supervisor applies it in one place.
 * - `drained`: the supervisor is stopping; the replica is `stopped`.
 * - `stop`: a clean exit the restart policy does not restart; `stopped` (`error` is what
 *   the process reported before exiting 0, if anything).
 * - `fail`: not restarted and `failed` — a configuration error (exit 78: the same process
 *   would fail the same way), a failure the policy does not restart, or a crash loop.
 *   `alert` is raised as an `error` event; `lastError`, when set, replaces the exit's.
 * - `restart`: restart after `delayMs` of back-off.
 */
export type ExitDecision =
  | { readonly kind: 'drained'; readonly error: ExitError | undefined }
  | { readonly kind: 'stop'; readonly error: ExitError | undefined; readonly reason: string }
  | {
      readonly kind: 'fail';
      readonly cause: 'configuration' | 'restart-policy' | 'crash-loop';
      readonly error: ExitError | undefined;
      /** The supervisor's line in the agent's log. */
      readonly logLine: string;
      /** The `failed` lifecycle entry's rationale and error code. */
      readonly rationale: string;
      readonly errorCode: string | null;
      /** Reason of the transition to `failed`. */
      readonly stateReason: string;
      readonly alert: ExitError | undefined;
      readonly lastError: ExitError | undefined;
      readonly history: NextHistory | undefined;
    }
  | {
      readonly kind: 'restart';
      readonly error: ExitError | undefined;
      readonly delayMs: number;
      readonly history: NextHistory;
      /** Rationale of the `restart-scheduled` lifecycle entry. */
      readonly rationale: string;
    };

/**
 * Why a life ended, or undefined for a clean exit: the supervisor's kill reason first,
 * then what the process reported, then a spawn failure, then the exit status itself.
 */
export function exitError(event: ExitEvent): ExitError | undefined {
  if (event.killReason !== undefined) return event.killReason;
  if (event.fatal !== undefined) return event.fatal;
  if (event.spawnError !== undefined)
    return { code: SUPERVISOR_ERROR_CODES.SPAWN_FAILED, message: event.spawnError };
  if (isCleanExit(event)) return undefined;
  return {
    code: SUPERVISOR_ERROR_CODES.EXITED,
    message:
      event.signal !== null
        ? `killed by ${event.signal}`
        : `exited with code ${String(event.code)}`,
  };
}

/** Exit code 0, no signal, and the supervisor did not kill it. */
export function isCleanExit(event: ExitEvent): boolean {
  return event.code === 0 && event.signal === null && event.killReason === undefined;
}

/**
 * Decides what follows the end of a replica's life. Pure: the same inputs give the same
 * decision, so every case is a row of a table test. A restart counts against the
 * crash-loop window (`policy.crashLoop`: more than `restarts` within `windowSeconds` is a
 * loop) and grows the back-off, which resets once a life stayed ready `stableAfterMs`.
 */
export function decideExit(event: ExitEvent, context: ExitContext): ExitDecision {
  const error = exitError(event);
  if (context.draining) return { kind: 'drained', error };
  const { policy } = context;
  if (event.code === EXIT_CONFIG) {
    const what = error?.message ?? 'exit 78';
    return {
      kind: 'fail',
      cause: 'configuration',
      error,
      logLine: 'configuration error; marked failed',
      rationale: `configuration error, not restarted: ${what}`,
      errorCode: error?.code ?? null,
      stateReason: `configuration error: ${what}`,
      alert: {
        code: error?.code ?? SUPERVISOR_ERROR_CODES.EXITED,
        message: `configuration error, not restarted: ${what}`,
      },
      lastError: undefined,
      history: undefined,
    };
  }
  const clean = isCleanExit(event);
  const restart = policy.policy === 'always' || (policy.policy === 'on-failure' && !clean);
  if (!restart) {
    if (clean) return { kind: 'stop', error, reason: `restart policy ${policy.policy}` };
    return {
      kind: 'fail',
      cause: 'restart-policy',
      error,
      logLine: 'exited; not restarted',
      rationale: `restart policy ${policy.policy}: not restarted`,
      errorCode: error?.code ?? null,
      stateReason: `restart policy ${policy.policy}`,
      alert: undefined,
      lastError: undefined,
      history: undefined,
    };
  }
  const { history } = context;
  const stable =
    history.readySince !== null && event.at - history.readySince >= context.stableAfterMs;
  const attempt = (stable ? 0 : history.attempt) + 1;
  const window = recordRestart(history.restartTimes, event.at, policy.crashLoop);
  const next = { attempt, restartTimes: window.times };
  if (window.crashLoop) {
    const { restarts, windowSeconds } = policy.crashLoop;
    const message = `crash loop: more than ${restarts} restarts within ${windowSeconds} s; not restarted (last: ${error?.message ?? 'clean exit'})`;
    const crashLoop = { code: SUPERVISOR_ERROR_CODES.CRASH_LOOP, message };
    return {
      kind: 'fail',
      cause: 'crash-loop',
      error,
      logLine: 'crash loop; marked failed',
      rationale: message,
      errorCode: crashLoop.code,
      stateReason: message,
      alert: crashLoop,
      lastError: crashLoop,
      history: next,
    };
  }
  const delayMs = backoffDelay(
    attempt,
    policy.initialBackoffMs,
    policy.maxBackoffMs,
    () => context.jitter,
  );
  return {
    kind: 'restart',
    error,
    delayMs,
    history: next,
    rationale: `restart policy ${policy.policy}: ${error?.message ?? 'exited'}; back-off ${delayMs} ms`,
  };
}
