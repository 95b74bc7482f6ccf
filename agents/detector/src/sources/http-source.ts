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
import type { AddressInfo } from 'node:net';
import type { Logger } from '@vigil/core';
import { DEFAULT_MAX_LINE_BYTES } from '../events/ndjson.js';
import type { DeadLetterWriter } from './dead-letter.js';
import { IngestCounters, type EventSink, type EventSource } from './event-source.js';
import { IngestError } from './errors.js';
import { createIntakeAuthenticator, type HttpAuthOptions } from './http-auth.js';
import { createBodyDelivery } from './http-delivery.js';
import { createIntakeReplies, type IntakeRefusal } from './http-replies.js';
import { checkBodyHeaders, createRequestTurns } from './http-request-checks.js';
import { DEFAULT_REPORTED_REJECTIONS } from './intake-report.js';
import { DEFAULT_MAX_DEPTH } from './ndjson-stream.js';
import { RecentIds } from './recent-ids.js';

// The source's configuration types and the token reader belong to its modules; the
// agent and the package index import them from here, the source's public face.
export { bearerTokenFromEnv, type HttpAuthOptions } from './http-auth.js';
export type { IntakeRefusal } from './http-replies.js';

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
 * Creates the HTTP event source (see the module doc for what it guarantees).
 * @throws IngestError `VIGIL_CONFIG_DETECTOR_INGEST` without bearer tokens or mTLS.
 */
export function createHttpEventSource(options: HttpEventSourceOptions): HttpEventSource {
  const name = options.name ?? 'http';
  const path = options.path ?? '/v1/events';
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  const retryAfter = String(retryAfterSeconds);
  const authenticate = createIntakeAuthenticator(options.auth);
  const counters = new IngestCounters();
  const maxQueued = options.maxQueuedRequests ?? 16;
  const deliverBody = createBodyDelivery({
    ctx: { source: name, counters, deadLetter: options.deadLetter, logger: options.logger },
    recent: new RecentIds(options.duplicateWindow ?? 65_536),
    limits: {
      maxBodyBytes,
      maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
      maxDocumentBytes: options.maxDocumentBytes ?? 4 * 1024 * 1024,
      maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    },
    maxReported: options.maxReportedRejections ?? DEFAULT_REPORTED_REJECTIONS,
    retryAfterSeconds,
  });
  const turns = createRequestTurns();
  let sink: EventSink | undefined;
  let server: Server | undefined;
  let owned = false;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let url: string | undefined;
  const replies = createIntakeReplies(counters, () => stopping);
  const { error } = replies;

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
    const to = sink;
    if (!authenticate(req)) {
      req.resume();
      return error(
        res,
        401,
        'UNAUTHENTICATED',
        'a valid bearer token or client certificate is required',
        { 'www-authenticate': 'Bearer realm="vigil-events"' },
      );
    }
    const encoding = checkBodyHeaders(req.headers, maxBodyBytes);
    if ('status' in encoding) {
      if (encoding.status === 413) return replies.tooLarge(req, res, encoding.message);
      req.resume();
      return error(res, encoding.status, encoding.code, encoding.message);
    }
    const before = options.admit?.();
    if (before !== undefined) return replies.unavailable(req, res, before);
    if (turns.pending() > maxQueued) {
      // Nothing of this request was read: the shipper may resend it unchanged.
      req.resume();
      return error(
        res,
        429,
        'QUEUE_FULL',
        `${turns.pending() - 1} requests are waiting (at most ${maxQueued}); retry after ${retryAfter}s`,
        { 'retry-after': retryAfter },
      );
    }
    const outcome = await turns.run(async () => {
      // The sink may have filled while this request waited: still nothing acknowledged.
      const now = options.admit?.();
      if (now === undefined) return deliverBody(req, to, encoding);
      replies.unavailable(req, res, now);
      return undefined;
    });
    if (outcome !== undefined) replies.answer(req, res, outcome.tally, outcome.end);
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
      return turns.pending();
    },
    idle: turns.idle,
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
      server = await listenForEvents(options, listener);
      const addr = server.address() as AddressInfo;
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
        await turns.last();
        await closed;
      })();
      return stopped;
    },
  };
}

/**
 * The source's own server (HTTPS with `tls`), listening on `host:port`.
 * @throws IngestError `VIGIL_DETECTOR_INGEST_UNAVAILABLE` when it cannot listen.
 */
async function listenForEvents(
  options: HttpEventSourceOptions,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Server> {
  const server =
    options.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer(options.tls, listener);
  // Shippers keep connections alive; headers must still arrive promptly.
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new IngestError(
          'VIGIL_DETECTOR_INGEST_UNAVAILABLE',
          `cannot listen for events: ${err.message}`,
          { cause: err },
        ),
      ),
    );
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  return server;
}
