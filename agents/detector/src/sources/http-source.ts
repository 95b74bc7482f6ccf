/**
 * HTTP intake: `POST /v1/events` on `node:http` or `node:https` directly (no framework:
 * this is the hot path).
 *
 * - Body: NDJSON (one record per line) or, with `Content-Type: application/json`, a JSON
 *   array or one JSON document (a Falcosidekick webhook, an audit `EventList` from the
 *   kube-apiserver webhook backend). `Content-Encoding: gzip` is accepted.
 * - Bounded memory, whatever the body: the body is read and parsed incrementally
 *   (`http-body.ts`), records are normalised and handed to the sink in runs of
 *   {@link DELIVERY_BATCH}, and reading waits while they are processed (the socket is
 *   paused: TCP pushes back on the sender). A request holds at most one line
 *   (`maxLineBytes`) or one JSON document (`maxDocumentBytes`) plus a chunk.
 * - Limits: `maxBodyBytes` after decompression (413; `Content-Length` is checked before
 *   reading); `maxLineBytes` and `maxDepth` per line (that line is rejected, the rest of
 *   the request is kept); bad UTF-8 and a byte-order mark after the start are rejected by
 *   line and byte offset.
 * - Answer (`IntakeReport`): `202 {records, accepted, duplicates, rejected, rejections:
 *   [first N {line, code, reason, field?, offset?}], rejectionsOmitted, lines}` once every
 *   record was processed, with `records = accepted + duplicates + rejected`; `400` with the
 *   same body when nothing was accepted and something rejected. A record whose event id was
 *   taken recently (`duplicateWindow`) is a duplicate: answered, not processed twice.
 * - Nothing acknowledged is lost: `accepted` counts only records the sink finished (scored,
 *   any finding durably queued). When the sink cannot keep more (`admit()` refuses, or the
 *   sink throws `VIGIL_DETECTOR_INGEST_FULL` midway), the answer is `503` with
 *   `Retry-After` and the counts of what was taken so far — never a 202 for records that
 *   were then dropped. A sender may resend the whole request: what was taken comes back as
 *   duplicates.
 * - Back-pressure: requests are processed one at a time, in arrival order; waiting ones
 *   are not read (they hold a socket, not a body). Beyond `maxQueuedRequests` waiting, a
 *   request is refused with `429` and `Retry-After` before any of it is read.
 * - Authentication, fail closed: a bearer token (compared in constant time; never
 *   logged) and/or a client certificate verified by the TLS server (mTLS for agents),
 *   optionally restricted to SPIFFE IDs. A source without either refuses to start.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import {
  createServer as createHttpsServer,
  type ServerOptions as HttpsServerOptions,
} from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { isVigilError, type Logger } from '@vigil/core';
import { DEFAULT_MAX_LINE_BYTES } from '../events/ndjson.js';
import type { DeadLetterWriter } from './dead-letter.js';
import {
  IngestCounters,
  type EventSink,
  type EventSource,
  type Rejection,
} from './event-source.js';
import { IngestError } from './errors.js';
import { bodyLines, type BodyEnd } from './http-body.js';
import { DEFAULT_REPORTED_REJECTIONS, IntakeTally, type IntakeReport } from './intake-report.js';
import { DEFAULT_MAX_DEPTH } from './ndjson-stream.js';
import { RecentIds } from './recent-ids.js';
import { acceptLine, textOf, type AcceptedEvent, type IngestContext } from './records.js';

export interface HttpEventSourceOptions {
  /** Source name in counters and dead letters. Default `http`. */
  readonly name?: string;
  /**
   * Mount on an existing server (plain or TLS) owned by the caller: the source handles
   * only `path` and leaves every other request to the server's other listeners. When
   * absent the source creates its own server (HTTPS when `tls` is given) and listens on
   * `host:port`.
   */
  readonly server?: Server;
  readonly host?: string;
  /** 0 (default) picks a free port; read it from `url` after start. */
  readonly port?: number;
  /** TLS options for a server the source creates (cert, key, ca, requestCert…). */
  readonly tls?: HttpsServerOptions;
  readonly path?: string;
  readonly auth: HttpAuthOptions;
  /** Body limit after decompression. Default 16 MiB. */
  readonly maxBodyBytes?: number;
  /** Line limit. Default 1 MiB. */
  readonly maxLineBytes?: number;
  /** A JSON array or one JSON document body (held whole to parse it). Default 4 MiB. */
  readonly maxDocumentBytes?: number;
  /** Deepest nesting of arrays and objects in a record. Default 128. */
  readonly maxDepth?: number;
  /** Requests waiting for their turn beyond the one being processed. Default 16. */
  readonly maxQueuedRequests?: number;
  /** `Retry-After` seconds on 429. Default 1. */
  readonly retryAfterSeconds?: number;
  /** Rejections listed in an answer (all are counted and dead-lettered). Default 100. */
  readonly maxReportedRejections?: number;
  /** Event ids remembered to recognise a record sent again. Default 65,536; 0 turns it off. */
  readonly duplicateWindow?: number;
  /**
   * Asked before a request is read and again when its turn comes: a refusal (the sink
   * cannot durably keep more now, e.g. the findings outbox is full) answers `503` with
   * its `Retry-After`, before anything of the request is acknowledged.
   */
  readonly admit?: () => IntakeRefusal | undefined;
  readonly deadLetter?: DeadLetterWriter;
  readonly logger?: Logger;
}

export interface HttpAuthOptions {
  /** Accepted bearer tokens (e.g. one per shipper). Read them from the environment: {@link bearerTokenFromEnv}. */
  readonly bearerTokens?: readonly string[];
  /**
   * Accept callers whose client certificate the TLS server verified
   * (`socket.authorized`). With `allowedSpiffeIds`, only those URI SANs.
   */
  readonly mtls?: { readonly allowedSpiffeIds?: readonly string[] };
}

/** Why the sink cannot take a request now, and when to try again. */
export interface IntakeRefusal {
  readonly reason: string;
  readonly retryAfterSeconds: number;
}

/** The HTTP source, with the URL it listens on once started. */
export interface HttpEventSource extends EventSource {
  /** `http(s)://host:port/v1/events` of a server the source created; undefined when mounted. */
  readonly url: string | undefined;
  /** The request listener, for callers that route requests themselves. Resolves when answered. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Resolves when every admitted request has been processed. */
  idle(): Promise<void>;
  /** Requests admitted and not answered yet (the one being processed included). */
  readonly pending: number;
}

/**
 * Reads a bearer token from `env[name]`. Throws a configuration error naming the
 * variable (never the value) when it is unset or shorter than 16 characters.
 */
export function bearerTokenFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const token = env[name];
  if (token === undefined || token.length === 0)
    throw new IngestError(
      'VIGIL_CONFIG_DETECTOR_INGEST',
      `environment variable ${name} (ingest bearer token) is not set`,
    );
  if (token.length < 16)
    throw new IngestError(
      'VIGIL_CONFIG_DETECTOR_INGEST',
      `environment variable ${name} holds a token shorter than 16 characters`,
    );
  return token;
}

/**
 * Records parsed before they are delivered. Small enough that they die young (a scavenge
 * rarely finds them alive); large enough that parsing and scoring each keep their code and
 * tables in cache for a run instead of evicting each other at every record.
 */
const DELIVERY_BATCH = 64;

export function createHttpEventSource(options: HttpEventSourceOptions): HttpEventSource {
  const name = options.name ?? 'http';
  const path = options.path ?? '/v1/events';
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const retryAfterDefault = options.retryAfterSeconds ?? 1;
  const retryAfter = String(retryAfterDefault);
  const tokenDigests = (options.auth.bearerTokens ?? []).map((t) =>
    createHash('sha256').update(t).digest(),
  );
  const mtls = options.auth.mtls;
  if (tokenDigests.length === 0 && mtls === undefined)
    throw new IngestError(
      'VIGIL_CONFIG_DETECTOR_INGEST',
      'HTTP event source needs authentication: auth.bearerTokens and/or auth.mtls',
    );
  const allowedIds =
    mtls?.allowedSpiffeIds === undefined ? undefined : new Set(mtls.allowedSpiffeIds);
  const counters = new IngestCounters();
  const ctx: IngestContext = {
    source: name,
    counters,
    deadLetter: options.deadLetter,
    logger: options.logger,
  };
  const maxQueued = options.maxQueuedRequests ?? 16;
  const limits = {
    maxBodyBytes,
    maxLineBytes,
    maxDocumentBytes: options.maxDocumentBytes ?? 4 * 1024 * 1024,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
  };
  const maxReported = options.maxReportedRejections ?? DEFAULT_REPORTED_REJECTIONS;
  const recent = new RecentIds(options.duplicateWindow ?? 65_536);
  let sink: EventSink | undefined;
  let server: Server | undefined;
  let owned = false;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let requestSeq = 0;
  let url: string | undefined;
  /** Requests admitted and not finished (the one being processed included). */
  let pending = 0;
  /** Settles when the last admitted request has been processed: requests run in turn. */
  let turn: Promise<void> = Promise.resolve();
  let idleWaiters: (() => void)[] = [];

  /**
   * Hands a run of records to the sink, skipping duplicates. Resolves with a refusal when
   * the sink could not keep one (that record and the rest of the run were not taken).
   */
  async function deliver(
    staged: readonly AcceptedEvent[],
    refOf: (line: number) => string,
    tally: IntakeTally,
  ): Promise<{ refusal: IntakeRefusal; line: number } | undefined> {
    for (const { event, line } of staged) {
      if (recent.has(event.id)) {
        tally.duplicates += 1;
        counters.addDuplicate();
        continue;
      }
      const ref = refOf(line);
      try {
        await (sink as EventSink)(event, { source: name, ref, line, attempt: 1 });
      } catch (error) {
        if (isVigilError(error, 'VIGIL_DETECTOR_INGEST_FULL')) {
          const details = (error as IngestError).details;
          return {
            line,
            refusal: {
              reason: (error as Error).message,
              retryAfterSeconds: Number(details?.['retryAfterSeconds'] ?? retryAfterDefault),
            },
          };
        }
        counters.addFailed();
        const r: Rejection = {
          source: name,
          ref,
          line,
          code: 'SINK_FAILED',
          reason: `not processed: ${(error as Error)?.message ?? String(error)}`,
          text: textOf(event.raw),
        };
        ctx.deadLetter?.write(r);
        tally.reject(r);
        options.logger?.warn({ ref, err: error }, 'event processing failed');
        continue;
      }
      recent.add(event.id);
      counters.addProcessed();
      tally.accepted += 1;
    }
    return undefined;
  }

  /** Reads, parses and delivers one request's body, run by run. */
  async function processBody(
    req: IncomingMessage,
    gzip: boolean,
    json: boolean,
  ): Promise<{
    tally: IntakeTally;
    end: BodyEnd | { kind: 'refused'; refusal: IntakeRefusal; line: number };
  }> {
    requestSeq += 1;
    const request = requestSeq;
    const refOf = (line: number): string => `request ${request} line ${line}`;
    const tally = new IntakeTally(maxReported);
    const rejections = { push: (r: Rejection) => tally.reject(r) };
    const staged: AcceptedEvent[] = [];
    const lines = bodyLines(req, { ...limits, gzip, json });
    for (;;) {
      const step = await lines.next();
      if (step.done === true) {
        const refused = await deliver(staged, refOf, tally);
        if (refused !== undefined) return { tally, end: { kind: 'refused', ...refused } };
        return { tally, end: step.value };
      }
      for (const parsed of step.value) {
        acceptLine(ctx, parsed, refOf, staged, rejections);
        if (staged.length < DELIVERY_BATCH) continue;
        const refused = await deliver(staged, refOf, tally);
        staged.length = 0;
        if (refused !== undefined) {
          await lines.return({ kind: 'aborted', lines: 0 });
          return { tally, end: { kind: 'refused', ...refused } };
        }
      }
      // Rejections are written as fast as the disk takes them, not buffered without bound.
      await ctx.deadLetter?.ready();
    }
  }

  function settled(): void {
    pending -= 1;
    if (pending > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  function authenticate(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (header !== undefined && tokenDigests.length > 0 && header.startsWith('Bearer ')) {
      // Compare digests: equal length always, so timingSafeEqual leaks nothing about length.
      const presented = createHash('sha256').update(header.slice(7)).digest();
      let match = false;
      for (const d of tokenDigests) match = timingSafeEqual(presented, d) || match;
      if (match) return true;
    }
    if (mtls !== undefined) {
      const socket = req.socket as Partial<TLSSocket>;
      if (socket.encrypted === true && socket.authorized === true) {
        if (allowedIds === undefined) return true;
        const san = socket.getPeerCertificate?.().subjectaltname ?? '';
        for (const entry of san.split(', ')) {
          if (entry.startsWith('URI:') && allowedIds.has(entry.slice(4))) return true;
        }
      }
    }
    return false;
  }

  function reply(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (status >= 400 && status !== 400) counters.addRefused(String(status));
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      // Answers finished while stopping end their connection, so the server can close.
      ...(stopping ? { connection: 'close' } : {}),
      ...headers,
    });
    res.end(text);
  }

  function error(
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    headers?: Record<string, string>,
  ): void {
    reply(res, status, { error: { code, message } }, headers);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestPath = (req.url ?? '/').split('?', 1)[0];
    if (requestPath !== path) {
      if (owned)
        error(res, 404, 'NOT_FOUND', `no route ${requestPath ?? ''}; events go to POST ${path}`);
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      return error(res, 405, 'METHOD_NOT_ALLOWED', `use POST ${path}`, { allow: 'POST' });
    }
    if (stopping || sink === undefined) {
      req.resume();
      return error(res, 503, 'STOPPING', 'event intake is stopping', {
        'retry-after': retryAfter,
        connection: 'close',
      });
    }
    if (!authenticate(req)) {
      req.resume();
      return error(
        res,
        401,
        'UNAUTHENTICATED',
        'a valid bearer token or client certificate is required',
        {
          'www-authenticate': 'Bearer realm="vigil-events"',
        },
      );
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') {
      req.resume();
      return error(
        res,
        415,
        'UNSUPPORTED_ENCODING',
        `Content-Encoding ${encoding} is not supported (use gzip or none)`,
      );
    }
    const type = (req.headers['content-type'] ?? 'application/x-ndjson')
      .split(';', 1)[0]
      ?.trim()
      .toLowerCase();
    if (type !== undefined && !ACCEPTED_TYPES.has(type)) {
      req.resume();
      return error(
        res,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Type ${type} is not supported (use application/x-ndjson or application/json)`,
      );
    }
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (encoding === 'identity' && declared > maxBodyBytes) {
      return tooLarge(req, res, `request body exceeds the ${maxBodyBytes}-byte limit`);
    }
    const before = admission();
    if (before !== undefined) return unavailable(req, res, before);
    if (pending > maxQueued) {
      // Nothing of this request was read: the shipper may resend it unchanged.
      req.resume();
      return error(
        res,
        429,
        'QUEUE_FULL',
        `${pending - 1} requests are waiting (at most ${maxQueued}); retry after ${retryAfter}s`,
        { 'retry-after': retryAfter },
      );
    }
    pending += 1;
    const previous = turn;
    let done!: () => void;
    turn = new Promise<void>((resolve) => (done = resolve));
    let outcome: Awaited<ReturnType<typeof processBody>>;
    try {
      await previous;
      // The sink may have filled while this request waited: still nothing acknowledged.
      const now = admission();
      if (now !== undefined) return unavailable(req, res, now);
      outcome = await processBody(req, encoding === 'gzip', type === 'application/json');
    } finally {
      done();
      settled();
    }
    answer(req, res, outcome.tally, outcome.end);
  }

  function admission(): IntakeRefusal | undefined {
    return options.admit?.();
  }

  /** The answer once a body was read (or reading stopped): counts, and why it stopped. */
  function answer(
    req: IncomingMessage,
    res: ServerResponse,
    tally: IntakeTally,
    end: BodyEnd | { kind: 'refused'; refusal: IntakeRefusal; line: number },
  ): void {
    switch (end.kind) {
      case 'complete': {
        const report = tally.report(end.lines);
        return reply(res, report.accepted === 0 && report.rejected > 0 ? 400 : 202, report);
      }
      case 'aborted':
        return;
      case 'bad-gzip':
        return reply(res, 400, {
          error: { code: 'INVALID_GZIP', message: `invalid gzip body: ${end.message}` },
          ...tally.report(end.lines),
        });
      case 'too-large':
        return tooLarge(req, res, end.message, tally.report(end.lines));
      case 'refused':
        return unavailable(req, res, end.refusal, tally.report(end.line - 1));
    }
  }

  /** 503 before acknowledging: the sink cannot durably keep more now. */
  function unavailable(
    req: IncomingMessage,
    res: ServerResponse,
    refusal: IntakeRefusal,
    report?: IntakeReport,
  ): void {
    const seconds = String(Math.max(1, Math.ceil(refusal.retryAfterSeconds)));
    reply(
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
  }

  function tooLarge(
    req: IncomingMessage,
    res: ServerResponse,
    message: string,
    report?: IntakeReport,
  ): void {
    // Answer, then stop reading: closing the connection is cheaper than draining an oversized body.
    reply(
      res,
      413,
      { error: { code: 'BODY_TOO_LARGE', message }, ...(report ?? {}) },
      {
        connection: 'close',
      },
    );
    res.once('finish', () => req.destroy());
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      options.logger?.error({ err }, 'event intake failed');
      if (!res.headersSent) error(res, 500, 'INTERNAL', 'event intake failed');
      else res.destroy();
    });
  };

  return {
    name,
    counters,
    handle,
    get url() {
      return url;
    },
    get pending() {
      return pending;
    },
    idle: () =>
      pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
    async start(s: EventSink): Promise<void> {
      if (sink !== undefined)
        throw new IngestError('VIGIL_DETECTOR_INGEST_STATE', `source ${name} already started`);
      sink = s;
      if (options.server !== undefined) {
        server = options.server;
        server.on('request', listener);
        return;
      }
      owned = true;
      server =
        options.tls === undefined
          ? createHttpServer(listener)
          : createHttpsServer(options.tls, listener);
      // Shippers keep connections alive; headers must still arrive promptly.
      server.headersTimeout = 30_000;
      server.requestTimeout = 120_000;
      const srv = server;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', (err) =>
          reject(
            new IngestError(
              'VIGIL_DETECTOR_INGEST_UNAVAILABLE',
              `cannot listen for events: ${err.message}`,
              { cause: err },
            ),
          ),
        );
        srv.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
      });
      const addr = srv.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      url = `${options.tls === undefined ? 'http' : 'https'}://${host}:${addr.port}${path}`;
    },
    stop(): Promise<void> {
      stopped ??= (async () => {
        stopping = true;
        if (server !== undefined && !owned) server.off('request', listener);
        const srv = owned ? server : undefined;
        const closed =
          srv === undefined
            ? Promise.resolve()
            : new Promise<void>((resolve) => srv.close(() => resolve()));
        srv?.closeIdleConnections();
        await turn;
        await closed;
      })();
      return stopped;
    },
  };
}

const ACCEPTED_TYPES = new Set([
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/json',
  'application/jsonlines',
  'application/x-jsonlines',
  'text/plain',
]);
