/**
 * HTTP intake: `POST /v1/events` on `node:http` or `node:https` directly (no framework:
 * this is the hot path).
 *
 * - Body: NDJSON (one record per line) or a JSON array; a single JSON object (a
 *   Falcosidekick webhook, an audit `EventList` from the kube-apiserver webhook backend)
 *   is one NDJSON line. `Content-Encoding: gzip` is accepted.
 * - Limits: `maxBodyBytes` on the body after decompression (413 naming the limit;
 *   `Content-Length` is checked before reading); `maxLineBytes` per line (that line is
 *   rejected, the rest of the request is kept).
 * - Response `202 {accepted, rejected: [{line, code, reason}]}`; `400` with the same body
 *   when every record was rejected. For a JSON array, `line` is the element's position.
 * - Processing: requests are taken one at a time, in arrival order; records are parsed,
 *   normalised and handed to the sink in runs of {@link DELIVERY_BATCH}, so an event lives
 *   for a run instead of for a whole request (what a generational GC wants: a request's
 *   worth of parsed events held until scored was copied by every scavenge and promoted).
 *   The answer comes once every record of the request was processed.
 * - Back-pressure: requests waiting for their turn hold only their bodies. A request whose
 *   records would take the waiting ones past `queueCapacity` is refused whole with `429`
 *   and `Retry-After` (nothing of it was processed: a shipper may resend it as is); an idle
 *   source always takes one request. Memory is bounded by the waiting bodies.
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
import { createGunzip } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@vigil/core';
import {
  DEFAULT_MAX_LINE_BYTES,
  parseNdjson,
  REJECTED_TEXT_MAX,
  type ParsedLine,
} from '../events/ndjson.js';
import type { DeadLetterWriter } from './dead-letter.js';
import {
  IngestCounters,
  type EventSink,
  type EventSource,
  type Rejection,
} from './event-source.js';
import { IngestError } from './errors.js';
import { acceptLine, type AcceptedEvent, type IngestContext } from './records.js';

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
  /** Records (NDJSON lines) of requests admitted and not yet processed. Default 10,000. */
  readonly queueCapacity?: number;
  /** `Retry-After` seconds on 429. Default 1. */
  readonly retryAfterSeconds?: number;
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

/** The HTTP source, with the URL it listens on once started. */
export interface HttpEventSource extends EventSource {
  /** `http(s)://host:port/v1/events` of a server the source created; undefined when mounted. */
  readonly url: string | undefined;
  /** The request listener, for callers that route requests themselves. Resolves when answered. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Resolves when every admitted request has been processed. */
  idle(): Promise<void>;
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
  const retryAfter = String(options.retryAfterSeconds ?? 1);
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
  const capacity = options.queueCapacity ?? 10_000;
  let sink: EventSink | undefined;
  let server: Server | undefined;
  let owned = false;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let requestSeq = 0;
  let url: string | undefined;
  /** Records of admitted requests not processed yet (the waiting bodies' estimate). */
  let pending = 0;
  /** Settles when the last admitted request has been processed: requests run in turn. */
  let turn: Promise<void> = Promise.resolve();
  let idleWaiters: (() => void)[] = [];

  async function deliver(event: AcceptedEvent['event'], ref: string, line: number): Promise<void> {
    try {
      await (sink as EventSink)(event, { source: name, ref, line, attempt: 1 });
      counters.addProcessed();
    } catch (error) {
      counters.addFailed();
      ctx.deadLetter?.write({
        source: name,
        ref,
        line,
        code: 'SINK_FAILED',
        reason: `sink failed: ${(error as Error)?.message ?? String(error)}`,
        text: JSON.stringify(event.raw)?.slice(0, REJECTED_TEXT_MAX),
      });
      options.logger?.warn({ ref, err: error }, 'event processing failed');
    }
  }

  /** Parses, normalises and delivers a request's records in runs; returns its counts and rejections. */
  async function processBody(
    data: Buffer,
    json: boolean,
  ): Promise<{ accepted: number; rejected: Rejection[] }> {
    requestSeq += 1;
    const request = requestSeq;
    const refOf = (line: number): string => `request ${request} line ${line}`;
    const rejected: Rejection[] = [];
    const staged: AcceptedEvent[] = [];
    let accepted = 0;
    const flush = async (): Promise<void> => {
      for (const a of staged) await deliver(a.event, refOf(a.line), a.line);
      accepted += staged.length;
      staged.length = 0;
    };
    for (const parsed of linesOf(data, maxLineBytes, json)) {
      acceptLine(ctx, parsed, refOf, staged, rejected);
      if (staged.length >= DELIVERY_BATCH) await flush();
    }
    await flush();
    return { accepted, rejected };
  }

  function settled(records: number): void {
    pending -= records;
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
      return tooLarge(req, res);
    }
    const body = await readBody(req, encoding === 'gzip', maxBodyBytes);
    if (body.kind === 'too-large') return tooLarge(req, res);
    if (body.kind === 'bad-gzip')
      return error(res, 400, 'INVALID_GZIP', `invalid gzip body: ${body.message}`);
    if (body.kind === 'aborted') return;

    const records = recordEstimate(body.data);
    if (pending > 0 && pending + records > capacity) {
      // Nothing of this request was processed: the shipper may resend it unchanged.
      return error(
        res,
        429,
        'QUEUE_FULL',
        `${pending} records are waiting (capacity ${capacity}); retry after ${retryAfter}s`,
        { 'retry-after': retryAfter },
      );
    }
    pending += records;
    const previous = turn;
    let done!: () => void;
    turn = new Promise<void>((resolve) => (done = resolve));
    let outcome: { accepted: number; rejected: Rejection[] };
    try {
      await previous;
      outcome = await processBody(body.data, type === 'application/json');
    } finally {
      done();
      settled(records);
    }
    reply(res, outcome.accepted === 0 && outcome.rejected.length > 0 ? 400 : 202, {
      accepted: outcome.accepted,
      rejected: outcome.rejected.map((r) => ({ line: r.line, code: r.code, reason: r.reason })),
    });
  }

  function tooLarge(req: IncomingMessage, res: ServerResponse): void {
    // Answer, then stop reading: closing the connection is cheaper than draining an oversized body.
    error(res, 413, 'BODY_TOO_LARGE', `request body exceeds the ${maxBodyBytes}-byte limit`, {
      connection: 'close',
    });
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

type Body =
  | { kind: 'ok'; data: Buffer }
  | { kind: 'too-large' }
  | { kind: 'bad-gzip'; message: string }
  | { kind: 'aborted' };

function readBody(req: IncomingMessage, gzip: boolean, limit: number): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (b: Body): void => {
      if (done) return;
      done = true;
      resolve(b);
    };
    const input = gzip ? req.pipe(createGunzip()) : req;
    input.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        if (gzip) (input as ReturnType<typeof createGunzip>).destroy();
        req.pause();
        finish({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    });
    input.on('end', () =>
      finish({
        kind: 'ok',
        data: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size),
      }),
    );
    input.on('error', (err: Error) => {
      if (gzip && req.complete !== false) req.resume();
      finish(gzip ? { kind: 'bad-gzip', message: err.message } : { kind: 'aborted' });
    });
    if (gzip) req.on('error', () => finish({ kind: 'aborted' }));
    req.on('aborted', () => finish({ kind: 'aborted' }));
  });
}

/**
 * The records a body will yield, for admission: its lines (an unterminated last line
 * included). A JSON array or an audit `EventList` on one line counts once; the body limit
 * bounds what it expands to.
 */
function recordEstimate(data: Buffer): number {
  let lines = 0;
  for (let i = data.indexOf(0x0a); i !== -1; i = data.indexOf(0x0a, i + 1)) lines++;
  if (data.length > 0 && data[data.length - 1] !== 0x0a) lines++;
  return Math.max(1, lines);
}

/**
 * NDJSON lines, or the elements of a JSON array body (position = line). With
 * `Content-Type: application/json` a body that parses as one JSON document (a
 * pretty-printed webhook object) is that one record; otherwise it is read as NDJSON
 * (Fluent Bit's `json_lines` is sent as application/json too).
 */
function* linesOf(data: Buffer, maxLineBytes: number, json: boolean): Generator<ParsedLine> {
  let i = 0;
  while (
    i < data.length &&
    (data[i] === 0x20 || data[i] === 0x0a || data[i] === 0x0d || data[i] === 0x09)
  )
    i++;
  if (data[i] !== 0x5b /* [ */) {
    if (json && data[i] === 0x7b /* { */ && data.length <= maxLineBytes) {
      try {
        yield { line: 1, ok: true, value: JSON.parse(data.toString('utf8')) };
        return;
      } catch {
        // not one document: NDJSON
      }
    }
    yield* parseNdjson(data, { maxLineBytes });
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (err) {
    yield {
      line: 1,
      ok: false,
      code: 'MALFORMED_JSON',
      reason: `malformed JSON array body: ${(err as Error).message}`,
      text: data.toString('utf8', 0, REJECTED_TEXT_MAX),
    };
    return;
  }
  const items = value as unknown[];
  for (let k = 0; k < items.length; k++) yield { line: k + 1, ok: true, value: items[k] };
}
