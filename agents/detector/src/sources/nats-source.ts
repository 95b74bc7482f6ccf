/**
 * NATS JetStream intake: a durable pull consumer on a stream (optionally filtered to a
 * subject). Each message holds one record or NDJSON lines. At-least-once:
 *
 * - a message is acknowledged only after the sink resolved for every event in it;
 * - a sink failure naks it (redelivered after `nakDelayMs`, up to `maxDeliver` times); a
 *   failure on the last allowed delivery dead-letters the message (code `SINK_FAILED`, its
 *   text and the error) and terminates it, so it is neither retried forever nor dropped
 *   without a trace;
 * - a poison message (nothing in it can be normalised) is terminated with the reason —
 *   redelivering it would never help — and counted and dead-lettered;
 * - a crash (or stop) before the ack leaves the message unacknowledged: the server
 *   redelivers it after `ackWaitMs` to whichever consumer instance pulls next — with
 *   several detector replicas on one durable, to a surviving replica. Such deliveries are
 *   counted as `redelivered`.
 *
 * Events of a partly bad message are processed and the message acked; its bad lines are
 * counted and dead-lettered (they would be just as bad on redelivery).
 */
import {
  connect,
  nanos,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Logger } from '@vigil/core';
import { DEFAULT_MAX_LINE_BYTES, REJECTED_TEXT_MAX } from '../events/ndjson.js';
import { DEFAULT_MAX_DEPTH, NdjsonStream } from './ndjson-stream.js';
import type { DeadLetterWriter } from './dead-letter.js';
import {
  IngestCounters,
  type EventSink,
  type EventSource,
  type Rejection,
} from './event-source.js';
import { IngestError } from './errors.js';
import { acceptLine, type AcceptedEvent, type IngestContext } from './records.js';

export interface JetStreamSourceOptions {
  readonly name?: string;
  /** Connection options (servers, token, user/pass, tls): plain data, passed to `connect`. */
  readonly connection: NodeConnectionOptions;
  readonly stream: string;
  /** Durable consumer name; several detector replicas sharing it share the work. */
  readonly durable: string;
  /** Only messages on this subject (wildcards allowed). */
  readonly subject?: string;
  /** Create the stream (on these subjects) when it does not exist. Default: the stream must exist. */
  readonly createStream?: { readonly subjects: readonly string[] };
  /** Redelivery after this long without an ack. Default 30 s. */
  readonly ackWaitMs?: number;
  /** Deliveries before the server gives up on a message. Default 5. */
  readonly maxDeliver?: number;
  /** Delay before a nak'd message is redelivered. Default 1 s. */
  readonly nakDelayMs?: number;
  /** Messages pulled ahead of processing. Default 256. */
  readonly batch?: number;
  readonly maxLineBytes?: number;
  readonly deadLetter?: DeadLetterWriter;
  readonly logger?: Logger;
}

export function createJetStreamSource(options: JetStreamSourceOptions): EventSource {
  const name = options.name ?? 'nats';
  const counters = new IngestCounters();
  const ctx: IngestContext = {
    source: name,
    counters,
    deadLetter: options.deadLetter,
    logger: options.logger,
  };
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const maxDeliver = options.maxDeliver ?? 5;
  let nc: NatsConnection | undefined;
  let messages: ConsumerMessages | undefined;
  let loop: Promise<void> = Promise.resolve();
  let started = false;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let termWithReason = false;

  async function handle(m: JsMsg, sink: EventSink): Promise<void> {
    const ref = (line: number): string => `${options.stream} seq ${m.seq} line ${line}`;
    const staged: AcceptedEvent[] = [];
    const rejections: Rejection[] = [];
    // The HTTP intake's line reader: bad UTF-8, a stray byte-order mark and too-deep
    // nesting are rejected by line and offset here too, never decoded to U+FFFD.
    const lines = new NdjsonStream({ maxLineBytes, maxDepth: DEFAULT_MAX_DEPTH });
    const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    for (const parsed of [...lines.push(data), ...lines.end()])
      acceptLine(ctx, parsed, ref, staged, rejections);
    if (staged.length === 0) {
      const reason = rejections[0]?.reason ?? 'empty message';
      if (rejections.length === 0) {
        counters.addReceived();
        counters.addRejected('EMPTY_MESSAGE');
      }
      // The reason shows in the server's termination advisory; servers before 2.10 do not
      // understand `+TERM <reason>` and would ignore the term altogether.
      if (termWithReason) m.term(reason.slice(0, 256));
      else m.term();
      options.logger?.info({ ref: ref(1), reason }, 'poison message terminated');
      return;
    }
    const attempt = m.info.deliveryCount;
    if (attempt > 1) counters.addRedelivered();
    for (const { event, line } of staged) {
      try {
        await sink(event, { source: name, ref: ref(line), line, attempt });
      } catch (error) {
        counters.addFailed();
        if (attempt < maxDeliver) {
          options.logger?.warn(
            { ref: ref(line), attempt, err: error },
            'event processing failed; nak',
          );
          m.nak(options.nakDelayMs ?? 1000);
          return;
        }
        // The server would stop delivering it and keep it unacknowledged, seen by no one:
        // the whole message goes to the dead letters (counted as `failed`: it did
        // normalise). A replay of its lines already processed yields the same finding ids,
        // which are deduplicated downstream.
        options.deadLetter?.write({
          source: name,
          ref: ref(line),
          line,
          code: 'SINK_FAILED',
          reason: `not processed after ${attempt} deliveries: ${(error as Error).message}`,
          text: data.toString('utf8').slice(0, REJECTED_TEXT_MAX),
        });
        if (termWithReason) m.term(`not processed after ${attempt} deliveries`);
        else m.term();
        options.logger?.error(
          { ref: ref(line), attempt, err: error },
          'event processing failed on its last delivery; dead-lettered',
        );
        return;
      }
    }
    // Wait for the server to confirm the ack: only then is the message safe from redelivery.
    try {
      await m.ackAck();
    } catch (error) {
      options.logger?.warn(
        { ref: ref(0), err: error },
        'ack not confirmed; the message may be redelivered',
      );
    }
    for (let i = 0; i < staged.length; i++) counters.addProcessed();
  }

  return {
    name,
    counters,
    async start(sink: EventSink): Promise<void> {
      if (started)
        throw new IngestError('VIGIL_DETECTOR_INGEST_STATE', `source ${name} already started`);
      started = true;
      try {
        nc = await connect({ name: `vigil-detector-${name}`, ...options.connection });
        termWithReason = versionAtLeast(nc.info?.version ?? '0.0.0', [2, 10, 0]);
        const jsm = await jetstreamManager(nc);
        if (options.createStream !== undefined) {
          await jsm.streams
            .add({ name: options.stream, subjects: [...options.createStream.subjects] })
            .catch(async (err: unknown) => {
              // Already exists with another config: use it as it is.
              await jsm.streams.info(options.stream).catch(() => {
                throw err;
              });
            });
        }
        await jsm.consumers.add(options.stream, {
          durable_name: options.durable,
          ack_policy: AckPolicy.Explicit,
          ack_wait: nanos(options.ackWaitMs ?? 30_000),
          max_deliver: options.maxDeliver ?? 5,
          ...(options.subject === undefined ? {} : { filter_subject: options.subject }),
        });
        const consumer = await jetstream(nc).consumers.get(options.stream, options.durable);
        messages = await consumer.consume({ max_messages: options.batch ?? 256 });
      } catch (error) {
        await nc?.close().catch(() => {});
        throw new IngestError(
          'VIGIL_DETECTOR_INGEST_UNAVAILABLE',
          `cannot consume ${options.stream}/${options.durable}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      const msgs = messages;
      loop = (async () => {
        for await (const m of msgs) {
          if (stopping) break; // pulled but not processed: left unacked, redelivered
          await handle(m, sink);
        }
      })().catch((error: unknown) => {
        options.logger?.error({ err: error }, 'JetStream consumer loop failed');
      });
    },
    stop(): Promise<void> {
      stopped ??= (async () => {
        stopping = true;
        await messages?.close();
        await loop;
        await nc?.drain().catch(() => {});
      })();
      return stopped;
    },
  };
}

function versionAtLeast(version: string, min: readonly [number, number, number]): boolean {
  const parts = version.split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) {
    const p = parts[i] ?? 0;
    const m = min[i] as number;
    if (p !== m) return p > m;
  }
  return true;
}
