import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '@vigil/core';
import type { Finding } from '@vigil/soc';
import { IngestError } from '../sources/errors.js';
import type { FindingHandoff } from './finding-handoff.js';

/** A full outbox drains as fast as the coordinator acknowledges: a few seconds is a fair wait. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

export interface FindingOutboxOptions {
  /** The SQLite file; created with its directory. */
  readonly path: string;
  /** Hands one finding to the coordinator; resolves once it is acknowledged. */
  readonly deliver: (finding: Finding) => Promise<void>;
  /** Findings held at most; beyond it `enqueue` refuses, so sources push back. Default 10,000. */
  readonly maxPending?: number;
  /** Back-off after a failed delivery: doubles from `initialBackoffMs` up to `maxBackoffMs`. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** The `Retry-After` hint (seconds) a refusal carries. Default 5. */
  readonly retryAfterSeconds?: number;
  readonly logger?: Logger;
}

/**
 * The detector's findings outbox. A finding is written here (SQLite, WAL, synchronous
 * FULL) before its event counts as processed, and one drain loop delivers the findings in
 * order to the coordinator, deleting each only after the coordinator has acknowledged it.
 * A coordinator that is restarting or unreachable delays findings but never loses them,
 * and a detector restart picks up where the last one stopped. Delivery is at least once:
 * the coordinator ignores a finding id it has already recorded, so a redelivery after a
 * lost acknowledgement is harmless.
 */
export class FindingOutbox implements FindingHandoff {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[string]>;
  readonly #head: Database.Statement<[], { seq: number; finding: string }>;
  readonly #delete: Database.Statement<[number]>;
  readonly #options: FindingOutboxOptions;
  /** Rows on disk, counted once at open and kept by this process (the only writer). */
  #pending: number;
  #wake: (() => void) | undefined;
  #draining: Promise<void> | undefined;
  #stopped = false;

  constructor(options: FindingOutboxOptions) {
    this.#options = options;
    mkdirSync(dirname(options.path), { recursive: true });
    this.#db = new Database(options.path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, finding TEXT NOT NULL)',
    );
    this.#insert = this.#db.prepare('INSERT INTO outbox (finding) VALUES (?)');
    this.#head = this.#db.prepare('SELECT seq, finding FROM outbox ORDER BY seq LIMIT 1');
    this.#delete = this.#db.prepare('DELETE FROM outbox WHERE seq = ?');
    this.#pending = (this.#db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
  }

  /** Findings written but not yet acknowledged by the coordinator. */
  pending(): number {
    return this.#pending;
  }

  /**
   * Why a source should not take new events now, or undefined: the outbox is at its
   * high-water mark (`highWater` × `maxPending`, default 0.9), so the room left is kept for
   * the requests already being processed. Sources ask before acknowledging anything.
   */
  refusal(highWater = 0.9): { reason: string; retryAfterSeconds: number } | undefined {
    const max = this.#options.maxPending ?? 10_000;
    if (this.pending() < Math.floor(max * highWater)) return undefined;
    return {
      reason: `the findings outbox holds ${this.pending()} of at most ${max} undelivered findings: the coordinator is not acknowledging them`,
      retryAfterSeconds: this.#options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
    };
  }

  /**
   * Durably queues a finding for delivery. Throws `VIGIL_DETECTOR_INGEST_FULL` (with
   * `details.retryAfterSeconds`) when the outbox is full: the event was not taken.
   */
  enqueue(finding: Finding): void {
    const max = this.#options.maxPending ?? 10_000;
    if (this.pending() >= max)
      throw new IngestError(
        'VIGIL_DETECTOR_INGEST_FULL',
        `the findings outbox holds ${max} undelivered findings: the coordinator is not acknowledging them`,
        {
          details: {
            retryAfterSeconds: this.#options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
          },
        },
      );
    this.#insert.run(JSON.stringify(finding));
    this.#pending += 1;
    this.#wake?.();
  }

  /** Starts the drain loop (findings left by a previous process go first). */
  start(): void {
    this.#draining ??= this.#drain();
  }

  /** Resolves once every queued finding is acknowledged (tests and graceful drains). */
  async idle(): Promise<void> {
    while (this.pending() > 0 && !this.#stopped)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Stops delivering; what is still queued stays on disk for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#draining;
    this.#db.close();
  }

  async #drain(): Promise<void> {
    const initial = this.#options.initialBackoffMs ?? 100;
    // A restarting coordinator is back within a second or two; retrying every second
    // keeps the delay short without flooding it.
    const max = this.#options.maxBackoffMs ?? 1_000;
    let backoff = initial;
    let failing = false;
    while (!this.#stopped) {
      const row = this.#head.get();
      if (row === undefined) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      try {
        await this.#options.deliver(JSON.parse(row.finding) as Finding);
        this.#delete.run(row.seq);
        this.#pending -= 1;
        if (failing)
          this.#options.logger?.info({ pending: this.pending() }, 'findings delivery resumed');
        failing = false;
        backoff = initial;
      } catch (error) {
        if (!failing)
          this.#options.logger?.warn(
            { err: error, pending: this.pending() },
            'findings delivery failing; the outbox keeps them and retries',
          );
        failing = true;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoff);
          this.#wake = () => {
            if (this.#stopped) {
              clearTimeout(timer);
              resolve();
            }
          };
        });
        this.#wake = undefined;
        backoff = Math.min(max, backoff * 2);
      }
    }
  }
}
