import { TRANSPORT_ERROR_CODES, TransportError } from './errors.js';

/** Header a Vigil client sets with the milliseconds left before its deadline. */
export const DEADLINE_HEADER = 'x-vigil-deadline-ms';

/** A call's deadline: aborts `signal` with `VIGIL_TRANSPORT_DEADLINE_EXCEEDED` at `at`. */
export interface CallDeadline {
  /** Aborted when the deadline passes (only). */
  readonly deadline: AbortSignal;
  /** Aborted when the deadline passes or the caller's own signal aborts. */
  readonly signal: AbortSignal;
  /** When the deadline passes, ms since the epoch. */
  readonly at: number;
  /** Clears the timer; call once the call settled. */
  dispose(): void;
}

/**
 * Starts the deadline of a call of `ms`. A controller and a timer cleared by `dispose`,
 * rather than AbortSignal.timeout, whose timer (and signal) would live on for the whole
 * deadline after a fast call.
 */
export function startCallDeadline(ms: number, external?: AbortSignal): CallDeadline {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(
      new TransportError(TRANSPORT_ERROR_CODES.DEADLINE_EXCEEDED, `deadline of ${ms} ms passed`),
    );
  }, ms);
  const deadline = controller.signal;
  return {
    deadline,
    signal: external ? AbortSignal.any([deadline, external]) : deadline,
    at: Date.now() + ms,
    dispose: () => clearTimeout(timer),
  };
}

/**
 * The signal a served call runs under: aborted when the caller goes away before the
 * answer was written, or when the deadline it sent in {@link DEADLINE_HEADER} passes.
 * (A timer rather than AbortSignal.timeout/any: those cost several signals per call.)
 */
export function callerSignal(
  deadlineHeader: string | undefined,
  response: {
    once(event: 'close', listener: () => void): unknown;
    readonly writableFinished: boolean;
  },
): AbortSignal {
  const controller = new AbortController();
  const deadline = Number(deadlineHeader);
  const timer =
    Number.isFinite(deadline) && deadline > 0
      ? setTimeout(
          () =>
            controller.abort(
              new TransportError(
                TRANSPORT_ERROR_CODES.DEADLINE_EXCEEDED,
                `the caller's deadline of ${deadline} ms passed`,
              ),
            ),
          deadline,
        )
      : undefined;
  timer?.unref();
  response.once('close', () => {
    clearTimeout(timer);
    if (!response.writableFinished)
      controller.abort(new TransportError(TRANSPORT_ERROR_CODES.CLOSED, 'the caller went away'));
  });
  return controller.signal;
}
