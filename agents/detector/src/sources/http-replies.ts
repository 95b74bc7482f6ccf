import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IngestCounters } from './event-source.js';
import type { BodyEnd } from './http-body.js';
import type { IntakeReport, IntakeTally } from './intake-report.js';

/** Why the sink cannot take a request now, and when to try again. */
export interface IntakeRefusal {
  readonly reason: string;
  readonly retryAfterSeconds: number;
}

/** How reading a body ended: the body's own end, or the sink refusing at `line`. */
export type IntakeEnd = BodyEnd | { kind: 'refused'; refusal: IntakeRefusal; line: number };

/** The intake's JSON answers; every refusal but a 400 is counted by status. */
export interface IntakeReplies {
  reply(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void;
  /** `{ error: { code, message } }` with `status`. */
  error(
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    headers?: Record<string, string>,
  ): void;
  /**
   * The answer once a body was read (or reading stopped): `202` with the report, `400` when
   * nothing was accepted and something rejected, `400 INVALID_GZIP`, `413`, or `503`.
   */
  answer(req: IncomingMessage, res: ServerResponse, tally: IntakeTally, end: IntakeEnd): void;
  /** `503 SINK_FULL` before acknowledging more: the sink cannot durably keep more now. */
  unavailable(
    req: IncomingMessage,
    res: ServerResponse,
    refusal: IntakeRefusal,
    report?: IntakeReport,
  ): void;
  /** `413 BODY_TOO_LARGE`, then the connection is closed rather than the body drained. */
  tooLarge(req: IncomingMessage, res: ServerResponse, message: string, report?: IntakeReport): void;
}

/** Creates the replies of one source; `stopping()` true makes every answer close its connection. */
export function createIntakeReplies(
  counters: IngestCounters,
  stopping: () => boolean,
): IntakeReplies {
  const replies: IntakeReplies = {
    reply(res, status, body, headers = {}): void {
      if (status >= 400 && status !== 400) counters.addRefused(String(status));
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        // Answers finished while stopping end their connection, so the server can close.
        ...(stopping() ? { connection: 'close' } : {}),
        ...headers,
      });
      res.end(text);
    },
    error(res, status, code, message, headers): void {
      replies.reply(res, status, { error: { code, message } }, headers);
    },
    answer(req, res, tally, end): void {
      switch (end.kind) {
        case 'complete': {
          const report = tally.report(end.lines);
          return replies.reply(
            res,
            report.accepted === 0 && report.rejected > 0 ? 400 : 202,
            report,
          );
        }
        case 'aborted':
          return;
        case 'bad-gzip':
          return replies.reply(res, 400, {
            error: { code: 'INVALID_GZIP', message: `invalid gzip body: ${end.message}` },
            ...tally.report(end.lines),
          });
        case 'too-large':
          return replies.tooLarge(req, res, end.message, tally.report(end.lines));
        case 'refused':
          return replies.unavailable(req, res, end.refusal, tally.report(end.line - 1));
      }
    },
    unavailable(req, res, refusal, report): void {
      const seconds = String(Math.max(1, Math.ceil(refusal.retryAfterSeconds)));
      replies.reply(
        res,
        503,
        {
          error: {
            code: 'SINK_FULL',
            message: `${refusal.reason}; ${report === undefined ? 'nothing was taken' : `lines after ${report.lines} were not taken`}, retry after ${seconds}s`,
          },
          ...(report ?? {}),
        },
        { 'retry-after': seconds, connection: 'close' },
      );
      res.once('finish', () => req.destroy());
    },
    tooLarge(req, res, message, report): void {
      replies.reply(
        res,
        413,
        { error: { code: 'BODY_TOO_LARGE', message }, ...(report ?? {}) },
        { connection: 'close' },
      );
      res.once('finish', () => req.destroy());
    },
  };
  return replies;
}
