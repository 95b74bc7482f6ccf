/**
 * The findings outbox of detector replicas: a JetStream stream every replica publishes to
 * and relays from, so what one replica handed on survives that replica (and its disk).
 *
 * - **Hand-off.** `enqueue` publishes the finding with `Nats-Msg-Id: <finding id>` and
 *   resolves on the server's acknowledgement: stored in the stream. The event that raised
 *   it is acknowledged upstream only after that. A replica killed between the two leaves
 *   the event unacknowledged; it is redelivered to another replica, which scores it again
 *   and publishes the same `finding-<eventId>`: the server drops that publish as a
 *   duplicate (within `duplicateWindowMs`), so the stream holds each finding once.
 * - **Relay.** Every replica consumes the stream through one durable consumer (work-queue
 *   retention: a message leaves the stream when acknowledged) and calls the coordinator;
 *   the message is acknowledged only once the coordinator answered, nak'd with a growing
 *   delay while it does not, and never given up on (`max_deliver` unlimited). A relay
 *   killed mid-call leaves the finding to be redelivered: the coordinator may see it
 *   twice and answers the second `duplicate` (its `seen_findings`).
 * - **Back-pressure.** The stream is capped at `maxPending` messages with discard-new:
 *   beyond it a publish is refused and `enqueue` throws `VIGIL_DETECTOR_INGEST_FULL`, so
 *   the event is nak'd (JetStream) or answered 503 (HTTP) instead of piling up.
 */
import {
  connect,
  nanos,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import {
  AckPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Logger } from '@vigil/core';
import { findingSchema, type Finding } from '@vigil/soc';
import { IngestError } from '../sources/errors.js';
import type { FindingHandoff } from './finding-handoff.js';

/** nats-server's "maximum messages exceeded" (a discard-new stream at its cap). */
const STREAM_STORE_FAILED = 10077;
/** A full stream drains as fast as the coordinator acknowledges: a few seconds is a fair wait. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;
/** How often the stream's message count is read for `pending()` and `refusal()`. */
const PENDING_REFRESH_MS = 1000;

export interface JetStreamFindingOutboxOptions {
  readonly connection: NodeConnectionOptions;
  /** The findings stream; created (work-queue retention, file storage) when missing. */
  readonly stream: string;
  /** The subject findings are published on. */
  readonly subject: string;
  /** The relay's durable consumer, shared by every replica. */
  readonly durable: string;
  /** Hands one finding to the coordinator; resolves once it is acknowledged. */
  readonly deliver: (finding: Finding) => Promise<void>;
  /**
   * The stream's duplicate window: a republish of a finding id within it is dropped. It
   * must cover every redelivery of an event (ack wait × max deliveries). Default 10 min.
   */
  readonly duplicateWindowMs?: number;
  /** The relay's ack wait: a relay silent this long has its finding redelivered. Default 30 s. */
  readonly ackWaitMs?: number;
  /** Findings the stream holds at most. Default 100,000. */
  readonly maxPending?: number;
  /** The `Retry-After` hint of a refusal (the HTTP intake's 503). Default 5 s. */
  readonly retryAfterSeconds?: number;
  /** A publish not acknowledged this long fails (the event is redelivered). Default 5 s. */
  readonly publishTimeoutMs?: number;
  readonly logger?: Logger;
}

/** Counters of the JetStream outbox, for the detector's status. */
export interface JetStreamOutboxStats {
  readonly published: number;
  /** Publishes the server dropped as duplicates of a finding id it already holds. */
  readonly duplicates: number;
  readonly relayed: number;
  readonly relayFailures: number;
}

export class JetStreamFindingOutbox implements FindingHandoff {
  readonly #options: JetStreamFindingOutboxOptions;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #jsm: JetStreamManager | undefined;
  #messages: ConsumerMessages | undefined;
  #relay: Promise<void> = Promise.resolve();
  #refresh: NodeJS.Timeout | undefined;
  #pending = 0;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #published = 0;
  #duplicates = 0;
  #relayed = 0;
  #relayFailures = 0;

  constructor(options: JetStreamFindingOutboxOptions) {
    this.#options = options;
  }

  get #maxPending(): number {
    return this.#options.maxPending ?? 100_000;
  }

  pending(): number {
    return this.#pending;
  }

  stats(): JetStreamOutboxStats {
    return {
      published: this.#published,
      duplicates: this.#duplicates,
      relayed: this.#relayed,
      relayFailures: this.#relayFailures,
    };
  }

  refusal(highWater = 0.9): { reason: string; retryAfterSeconds: number } | undefined {
    if (this.#pending < Math.floor(this.#maxPending * highWater)) return undefined;
    return {
      reason: `the findings stream ${this.#options.stream} holds ${this.#pending} of at most ${this.#maxPending} undelivered findings: the coordinator is not acknowledging them`,
      retryAfterSeconds: this.#options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
    };
  }

  async start(): Promise<void> {
    const o = this.#options;
    const duplicateWindowMs = o.duplicateWindowMs ?? 600_000;
    try {
      this.#nc = await connect({ name: 'vigil-detector-findings', ...o.connection });
      const jsm = await jetstreamManager(this.#nc);
      this.#jsm = jsm;
      await jsm.streams
        .add({
          name: o.stream,
          subjects: [o.subject],
          retention: RetentionPolicy.Workqueue,
          storage: StorageType.File,
          discard: DiscardPolicy.New,
          max_msgs: this.#maxPending,
          duplicate_window: nanos(duplicateWindowMs),
        })
        .catch(async (err: unknown) => {
          // Made by another replica or the operator: use it, and say if it dedups less.
          const info = await jsm.streams.info(o.stream).catch(() => {
            throw err;
          });
          if (info.config.duplicate_window < nanos(duplicateWindowMs))
            o.logger?.warn(
              { stream: o.stream, duplicateWindowMs: info.config.duplicate_window / 1e6 },
              'the findings stream deduplicates over a shorter window than configured',
            );
        });
      await jsm.consumers.add(o.stream, {
        durable_name: o.durable,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(o.ackWaitMs ?? 30_000),
        max_deliver: -1,
        filter_subject: o.subject,
      });
      this.#js = jetstream(this.#nc);
      const consumer = await this.#js.consumers.get(o.stream, o.durable);
      // One finding in flight per replica: the coordinator's answer paces the relay.
      this.#messages = await consumer.consume({ max_messages: 16 });
      await this.#refreshPending();
    } catch (error) {
      await this.#nc?.close().catch(() => {});
      throw new IngestError(
        'VIGIL_DETECTOR_INGEST_UNAVAILABLE',
        `cannot open the findings stream ${o.stream}/${o.durable}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.#refresh = setInterval(() => void this.#refreshPending(), PENDING_REFRESH_MS);
    this.#refresh.unref();
    const messages = this.#messages;
    this.#relay = (async () => {
      for await (const m of messages) {
        if (this.#stopping) break; // left unacknowledged: redelivered to another relay
        await this.#relayOne(m);
      }
    })().catch((error: unknown) => {
      o.logger?.error({ err: error }, 'findings relay loop failed');
    });
  }

  async enqueue(finding: Finding): Promise<void> {
    const o = this.#options;
    if (this.#js === undefined || this.#stopping)
      throw new IngestError('VIGIL_DETECTOR_INGEST_STATE', 'the findings stream is not open');
    try {
      const ack = await this.#js.publish(o.subject, JSON.stringify(finding), {
        msgID: finding.id,
        timeout: o.publishTimeoutMs ?? 5000,
      });
      if (ack.duplicate) this.#duplicates += 1;
      else {
        this.#published += 1;
        this.#pending += 1;
      }
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === STREAM_STORE_FAILED)
        throw new IngestError(
          'VIGIL_DETECTOR_INGEST_FULL',
          `the findings stream ${o.stream} holds ${this.#maxPending} undelivered findings: the coordinator is not acknowledging them`,
          {
            cause: error,
            details: { retryAfterSeconds: o.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS },
          },
        );
      throw new IngestError(
        'VIGIL_DETECTOR_INGEST_UNAVAILABLE',
        `finding ${finding.id} not stored in ${o.stream}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  async #relayOne(m: JsMsg): Promise<void> {
    const parsed = findingSchema.safeParse(safeJson(m));
    if (!parsed.success) {
      // Nothing in this stream is written but by a detector: say so and drop it.
      this.#options.logger?.error(
        { stream: this.#options.stream, seq: m.seq },
        'not a finding in the findings stream; terminated',
      );
      m.term();
      return;
    }
    try {
      await this.#options.deliver(parsed.data);
    } catch (error) {
      this.#relayFailures += 1;
      const n = m.info.deliveryCount;
      if (n === 1 || n % 10 === 0)
        this.#options.logger?.warn(
          { err: error, finding: parsed.data.id, attempt: n },
          'finding delivery failing; the stream keeps it and redelivers it',
        );
      // 100 ms doubling to 5 s: a restarting coordinator is back within seconds.
      m.nak(Math.min(5000, 100 * 2 ** Math.min(n - 1, 6)));
      return;
    }
    try {
      await m.ackAck();
      this.#relayed += 1;
    } catch (error) {
      this.#options.logger?.warn(
        { err: error, finding: parsed.data.id },
        'finding ack not confirmed; it may be delivered again (the coordinator answers duplicate)',
      );
    }
  }

  async #refreshPending(): Promise<void> {
    const info = await this.#jsm?.streams.info(this.#options.stream).catch(() => undefined);
    if (info !== undefined) this.#pending = info.state.messages;
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping = true;
      clearInterval(this.#refresh);
      await this.#messages?.close();
      await this.#relay;
      await this.#nc?.drain().catch(() => {});
    })();
    return this.#stopped;
  }
}

function safeJson(m: JsMsg): unknown {
  try {
    return m.json();
  } catch {
    return undefined;
  }
}
