import type { IncomingMessage } from 'node:http';

const ACCEPTED_TYPES = new Set([
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/json',
  'application/jsonlines',
  'application/x-jsonlines',
  'text/plain',
]);

/** A request the intake refuses before reading its body. */
export interface EarlyRefusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly headers?: Record<string, string>;
}

/** How to read a body the intake takes. */
export interface BodyEncoding {
  readonly gzip: boolean;
  /** `application/json`: a JSON array or one document rather than NDJSON. */
  readonly json: boolean;
}

/**
 * What the headers of a `POST` say about its body, or why it is refused unread: `415`
 * for an encoding other than gzip or none, or a media type other than NDJSON, JSON or
 * plain text; `413` when an uncompressed `Content-Length` exceeds `maxBodyBytes`. Pure.
 */
export function checkBodyHeaders(
  headers: IncomingMessage['headers'],
  maxBodyBytes: number,
): BodyEncoding | EarlyRefusal {
  const encoding = (headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    return {
      status: 415,
      code: 'UNSUPPORTED_ENCODING',
      message: `Content-Encoding ${encoding} is not supported (use gzip or none)`,
    };
  }
  const type = (headers['content-type'] ?? 'application/x-ndjson')
    .split(';', 1)[0]
    ?.trim()
    .toLowerCase();
  if (type !== undefined && !ACCEPTED_TYPES.has(type)) {
    return {
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: `Content-Type ${type} is not supported (use application/x-ndjson or application/json)`,
    };
  }
  const declared = Number(headers['content-length'] ?? Number.NaN);
  if (encoding === 'identity' && declared > maxBodyBytes) {
    return {
      status: 413,
      code: 'BODY_TOO_LARGE',
      message: `request body exceeds the ${maxBodyBytes}-byte limit`,
    };
  }
  return { gzip: encoding === 'gzip', json: type === 'application/json' };
}

/** Requests processed one at a time, in arrival order. */
export interface RequestTurns {
  /** Requests admitted and not finished (the one being processed included). */
  pending(): number;
  /** Runs `work` once every request admitted before it finished. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Settles when the last admitted request has been processed. */
  last(): Promise<void>;
  /** Resolves when no request is pending. */
  idle(): Promise<void>;
}

/** Creates the turn queue of one source. */
export function createRequestTurns(): RequestTurns {
  let pending = 0;
  let turn: Promise<void> = Promise.resolve();
  let idleWaiters: (() => void)[] = [];
  return {
    pending: () => pending,
    async run<T>(work: () => Promise<T>): Promise<T> {
      pending += 1;
      const previous = turn;
      let done!: () => void;
      turn = new Promise<void>((resolve) => (done = resolve));
      try {
        await previous;
        return await work();
      } finally {
        done();
        pending -= 1;
        if (pending === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const w of waiters) w();
        }
      }
    },
    last: () => turn,
    idle: () =>
      pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
  };
}
