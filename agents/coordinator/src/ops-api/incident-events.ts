import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { IncidentRecords } from '../incident-records.js';

/** The records the stream reads; a backend that reports its changes (`onChange`) feeds it. */
type FeedRecords = IncidentRecords & {
  onChange?(listener: (incidentId: string) => void): () => void;
};

/** How many changes a reconnecting client can resume across (older: it reloads the list). */
export const RESUME_WINDOW = 10_000;
/** Changes are sent at most this often per client: a storm's repeats become one row update. */
export const FLUSH_MS = 250;
const HEARTBEAT_MS = 15_000;

/**
 * The incidents' change log for the live stream: each change of the store numbered,
 * the last {@link RESUME_WINDOW} kept, ids prefixed by this process's epoch so an id from
 * before a restart is recognised as unknown rather than misread.
 */
export class IncidentFeed {
  readonly epoch = randomBytes(4).toString('hex');
  private seq = 0;
  private readonly log: { seq: number; incidentId: string }[] = [];
  private readonly listeners = new Set<(incidentId: string, seq: number) => void>();

  /** A backend without `onChange` (shared by replicas) feeds nothing: clients reload on reconnect. */
  constructor(store: FeedRecords) {
    store.onChange?.((incidentId) => {
      this.seq += 1;
      this.log.push({ seq: this.seq, incidentId });
      if (this.log.length > RESUME_WINDOW) this.log.shift();
      for (const listener of this.listeners) listener(incidentId, this.seq);
    });
  }

  eventId(seq: number): string {
    return `${this.epoch}-${seq}`;
  }

  /** The incidents changed after a `Last-Event-ID`, latest seq each; undefined when it cannot be resumed. */
  since(lastEventId: string): Map<string, number> | undefined {
    const match = /^([0-9a-f]{8})-(\d+)$/.exec(lastEventId);
    if (!match || match[1] !== this.epoch) return undefined;
    const after = Number(match[2]);
    const oldest = this.log[0]?.seq ?? this.seq + 1;
    if (after > this.seq || after < oldest - 1) return undefined;
    const changed = new Map<string, number>();
    for (const entry of this.log) if (entry.seq > after) changed.set(entry.incidentId, entry.seq);
    return changed;
  }

  subscribe(listener: (incidentId: string, seq: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * `GET /v1/incidents/events`: server-sent events, one `incident` event (the incident's
 * current row, a storm's repeats counted in it) per changed incident, coalesced per
 * {@link FLUSH_MS}. A client reconnecting with `Last-Event-ID` gets what changed since;
 * an id that cannot be resumed (another coordinator run, too old) gets a `reset` event:
 * reload the list.
 */
export function registerIncidentEvents(
  app: FastifyInstance,
  deps: () => { readonly store: FeedRecords; readonly feed: IncidentFeed },
): void {
  app.get(
    '/v1/incidents/events',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Live incident changes (text/event-stream; events `incident` and `reset`)',
        tags: ['incidents'],
        produces: ['text/event-stream'],
      },
    },
    (request, reply) => {
      const { store, feed } = deps();
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const pending = new Map<string, number>();
      const send = async () => {
        timer = undefined;
        const batch = [...pending];
        pending.clear();
        for (const [incidentId, seq] of batch) {
          const row = await store.incident(incidentId);
          if (row)
            res.write(
              `id: ${feed.eventId(seq)}\nevent: incident\ndata: ${JSON.stringify(row)}\n\n`,
            );
        }
      };
      let timer: NodeJS.Timeout | undefined;
      const queue = (incidentId: string, seq: number) => {
        pending.set(incidentId, seq);
        timer ??= setTimeout(() => void send(), FLUSH_MS);
      };
      res.write('retry: 2000\n\n');
      const last = request.headers['last-event-id'];
      if (typeof last === 'string') {
        const missed = feed.since(last);
        if (missed) {
          for (const [id, seq] of missed) pending.set(id, seq);
          void send();
        } else res.write('event: reset\ndata: {}\n\n');
      }
      const unsubscribe = feed.subscribe(queue);
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      res.on('close', () => {
        unsubscribe();
        clearInterval(heartbeat);
        if (timer) clearTimeout(timer);
      });
    },
  );
}
