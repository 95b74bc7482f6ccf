import { randomUUID } from 'node:crypto';
import { sha256Hex } from '@vigil/core';
import {
  AUDIT_FORMAT_VERSION,
  GENESIS_HASH,
  canonicalText,
  hashSealed,
  validateEntryInput,
  type AuditEntry,
  type AuditEntryInput,
  type JsonObject,
  type SealedEntry,
} from './entry.js';
import { AuditError } from './errors.js';
import {
  anchorPayload,
  checkpointPayload,
  loadSigner,
  type AnchorCheckpoint,
  type AnchorHead,
  type AnchorReason,
  type AuditSigner,
  type ChainCheckpoint,
  type LoadedSigner,
  type WriterCertificate,
} from './signing.js';
import type { AuditStore, ChainRecord, PreparedEntry } from './store.js';

/** When a writer signs its chain head. */
export interface CheckpointPolicy {
  /** Sign at the latest with the commit that brings the unsigned entries to this many. Default 1000. */
  readonly everyEntries?: number;
  /** Sign at the latest this long after the first unsigned entry. Default 1000 ms. */
  readonly everyMs?: number;
}

/** Options of {@link createAuditWriter}. */
export interface AuditWriterOptions {
  readonly store: AuditStore;
  /**
   * The identity that signs checkpoints. Pass a function to follow certificate rotation
   * (e.g. `() => toSigner(ctx.credentials())`): it is read before every signature and the
   * new certificate is used as soon as it differs; the SPIFFE ID must not change.
   */
  readonly signer: AuditSigner | (() => AuditSigner);
  /**
   * The chain to write. Default: a new chain `<signer id>#<random>`, one per writer
   * instance, so replicas and restarts never contend. Pass a stable id to resume a chain
   * (its head is read from the store; a second live writer on it gets
   * `VIGIL_AUDIT_CHAIN_CONFLICT`).
   */
  readonly chainId?: string;
  readonly checkpoint?: CheckpointPolicy;
  /** Most entries committed in one transaction (group commit). Default 1000. */
  readonly maxBatch?: number;
  /** The clock, for tests. */
  readonly now?: () => Date;
  /**
   * The kinds this writer may record — the agent system's vocabulary
   * (`AuditVocabulary.kinds`, harness kinds included); an entry of another kind is refused
   * with `VIGIL_AUDIT_INVALID_ENTRY`. Absent: any well-formed kind.
   */
  readonly kinds?: ReadonlySet<string>;
}

/** What {@link AuditWriter.recordStep} returns. */
export interface RecordedStep<T> {
  readonly result: T;
  readonly intent: AuditEntry;
  readonly outcome: AuditEntry;
}

/** Shapes the outcome entry of a step from its result. */
export interface StepOutcome {
  readonly what?: JsonObject;
  readonly why?: JsonObject;
  readonly outputDigest?: string;
}

/**
 * The only way entries enter a store: one writer owns one chain, hashes every entry onto
 * the chain and signs checkpoints with its identity key.
 */
export interface AuditWriter {
  /** The chain id. */
  readonly chain: string;
  /** SPIFFE ID of the signer. */
  readonly identity: string;
  /**
   * Appends one entry. Resolves only once the entry is committed (durable) in the store;
   * concurrent calls are grouped into one transaction (group commit). Rejects with
   * `VIGIL_AUDIT_INVALID_ENTRY` for bad input, `VIGIL_AUDIT_STORE` when the commit failed
   * (the entry is then not in the log), `VIGIL_AUDIT_CLOSED` after {@link close}.
   */
  append(input: AuditEntryInput): Promise<AuditEntry>;
  /**
   * Records intent before acting and outcome after: appends `intent` (with
   * `what.phase = 'intent'`) and waits until it is durable, then runs `act`, then appends
   * the outcome (same kind, `what.phase = 'outcome'`, `what.parentEntryId` = the intent's
   * id, `what.status` = `succeeded` | `failed`). If `act` throws, the failure is recorded
   * and the error rethrown. A crash between the two leaves an intent without outcome —
   * found by {@link findOpenIntents}, never a step done but unrecorded.
   */
  recordStep<T>(
    intent: AuditEntryInput,
    act: (intent: AuditEntry) => Promise<T>,
    outcome?: (result: T) => StepOutcome,
  ): Promise<RecordedStep<T>>;
  /** Waits for pending appends and writes a signed checkpoint of the current head. */
  checkpoint(): Promise<ChainCheckpoint>;
  /** Writes an anchor committing to the heads of all chains in the store, signed by this writer. */
  anchor(reason?: AnchorReason): Promise<AnchorCheckpoint>;
  /** Flushes, writes a final signed checkpoint (nothing may follow it) and stops. Does not close the store. */
  close(): Promise<void>;
}

interface Pending {
  readonly sealed: Omit<SealedEntry, 'chainSeq' | 'prevHash' | 'chain'>;
  readonly whatJson: string;
  readonly whyJson: string;
  readonly resolve: (e: AuditEntry) => void;
  readonly reject: (e: unknown) => void;
}

/** Batches a writer may have committing at once on a store that pipelines appends. */
const MAX_BATCHES_IN_FLIGHT = 2;
/** Smallest half-batch worth committing on its own (one commit and fsync each). */
const MIN_SPLIT_BATCH = 64;

/** Creates the writer of one chain. See {@link AuditWriter}. Throws `VIGIL_AUDIT_INVALID_SIGNER`. */
export function createAuditWriter(options: AuditWriterOptions): AuditWriter {
  return new ChainWriter(options);
}

class ChainWriter implements AuditWriter {
  readonly chain: string;
  readonly identity: string;
  readonly #store: AuditStore;
  readonly #signerSource: AuditSigner | (() => AuditSigner);
  #signer: LoadedSigner;
  #certificate: WriterCertificate;
  readonly #record: ChainRecord;
  readonly #everyEntries: number;
  readonly #everyMs: number;
  readonly #maxBatch: number;
  readonly #now: () => Date;
  readonly #resume: boolean;
  readonly #kinds: ReadonlySet<string> | undefined;
  #queue: Pending[] = [];
  #headSeq = 0;
  #headHash = GENESIS_HASH;
  #synced = false;
  #unsigned = 0;
  #firstUnsignedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #scheduled = false;
  #closed = false;
  #broken: AuditError | undefined;

  constructor(o: AuditWriterOptions) {
    this.#store = o.store;
    this.#signerSource = o.signer;
    this.#signer = loadSigner(typeof o.signer === 'function' ? o.signer() : o.signer);
    this.identity = this.#signer.id;
    this.#resume = o.chainId !== undefined;
    this.#kinds = o.kinds;
    this.chain = o.chainId ?? `${this.#signer.id}#${randomUUID()}`;
    if (!this.chain.startsWith(`${this.#signer.id}#`)) {
      throw new AuditError(
        'VIGIL_AUDIT_INVALID_SIGNER',
        `chain ${this.chain} does not belong to ${this.#signer.id} (expected ${this.#signer.id}#<instance>)`,
      );
    }
    this.#now = o.now ?? (() => new Date());
    this.#certificate = {
      fingerprint: this.#signer.certFingerprint,
      identity: this.#signer.id,
      certPem: this.#signer.certPem,
    };
    this.#record = {
      chain: this.chain,
      identity: this.#signer.id,
      createdAt: this.#now().toISOString(),
    };
    this.#everyEntries = Math.max(1, Math.floor(o.checkpoint?.everyEntries ?? 1000));
    this.#everyMs = Math.max(1, o.checkpoint?.everyMs ?? 1000);
    this.#maxBatch = Math.max(1, Math.floor(o.maxBatch ?? 1000));
  }

  append(input: AuditEntryInput): Promise<AuditEntry> {
    if (this.#closed)
      return Promise.reject(
        new AuditError('VIGIL_AUDIT_CLOSED', `audit writer ${this.chain} is closed`),
      );
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    try {
      // canonicalText below checks the JSON once
      validateEntryInput(input, { checkJson: false, kinds: this.#kinds });
      if (input.actor.startsWith('spiffe://') && input.actor !== this.identity) {
        throw new AuditError(
          'VIGIL_AUDIT_INVALID_ENTRY',
          `invalid audit entry: actor: ${input.actor} is another agent; ${this.identity} records only its own steps or a human's (user:<id>)`,
        );
      }
    } catch (error) {
      return Promise.reject(error);
    }
    let whatJson: string;
    let whyJson: string;
    try {
      whatJson = canonicalText(input.what, '$.what');
      whyJson = canonicalText(input.why, '$.why');
    } catch (error) {
      return Promise.reject(error);
    }
    const time = input.time === undefined ? this.#now() : new Date(input.time);
    return new Promise<AuditEntry>((resolve, reject) => {
      this.#queue.push({
        sealed: {
          v: AUDIT_FORMAT_VERSION,
          time: time.toISOString(),
          traceId: input.traceId ?? null,
          spanId: input.spanId ?? null,
          correlationId: input.correlationId ?? null,
          actor: input.actor,
          kind: input.kind,
          what: input.what,
          why: input.why,
          inputDigest: input.inputDigest ?? null,
          outputDigest: input.outputDigest ?? null,
        },
        whatJson,
        whyJson,
        resolve,
        reject,
      });
      this.#schedule();
    });
  }

  async recordStep<T>(
    intent: AuditEntryInput,
    act: (intent: AuditEntry) => Promise<T>,
    outcome?: (result: T) => StepOutcome,
  ): Promise<RecordedStep<T>> {
    const intentEntry = await this.append({ ...intent, what: { ...intent.what, phase: 'intent' } });
    const base = {
      kind: intent.kind,
      actor: intent.actor,
      traceId: intent.traceId,
      spanId: intent.spanId,
      correlationId: intent.correlationId,
      inputDigest: intent.inputDigest,
    };
    let result: T;
    try {
      result = await act(intentEntry);
    } catch (error) {
      await this.append({
        ...base,
        what: {
          phase: 'outcome',
          parentEntryId: intentEntry.hash,
          status: 'failed',
          error: {
            code: (error as { code?: unknown }).code ?? null,
            message: String((error as Error).message ?? error),
          },
        },
        why: {},
      });
      throw error;
    }
    const shaped = outcome?.(result) ?? {};
    const outcomeEntry = await this.append({
      ...base,
      what: {
        ...(shaped.what ?? {}),
        phase: 'outcome',
        parentEntryId: intentEntry.hash,
        status: 'succeeded',
      },
      why: shaped.why ?? {},
      outputDigest: shaped.outputDigest,
    });
    return { result, intent: intentEntry, outcome: outcomeEntry };
  }

  async checkpoint(): Promise<ChainCheckpoint> {
    await this.#drain();
    return this.#writeCheckpoint(false);
  }

  async anchor(reason: AnchorReason = 'manual'): Promise<AnchorCheckpoint> {
    await this.#drain();
    return writeAnchor(this.#store, this.#currentSigner(), reason, [], this.#now);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#drain();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#broken === undefined && this.#synced) await this.#writeCheckpoint(true);
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing !== undefined) return;
    this.#scheduled = true;
    // Let every append issued in this turn of the event loop join one transaction.
    setImmediate(() => {
      this.#scheduled = false;
      // #flush settles every append's promise itself; nothing is left to handle here.
      this.#startFlush().catch(() => undefined);
    });
  }

  #startFlush(): Promise<void> {
    if (this.#flushing === undefined) {
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = undefined;
        if (this.#queue.length > 0) this.#schedule();
      });
    }
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing !== undefined) await this.#startFlush();
  }

  async #sync(): Promise<void> {
    if (this.#synced) return;
    if (this.#resume) {
      const head = await this.#store.chainHead(this.chain);
      this.#headSeq = head?.chainSeq ?? 0;
      this.#headHash = head?.hash ?? GENESIS_HASH;
    }
    this.#synced = true;
  }

  async #flush(): Promise<void> {
    const pipelined = this.#store.pipelinesAppends === true;
    const inFlight = new Set<Promise<void>>();
    // The head as submitted so far (ahead of the committed #headSeq/#headHash while
    // batches are in flight); undefined: continue from the committed head.
    let tip: { seq: number; hash: string; unsigned: number } | undefined;
    while (this.#queue.length > 0) {
      if (!this.#synced) {
        // A batch failed (or nothing is known yet): let every batch in flight settle, then
        // chain on from what is committed.
        await Promise.allSettled(inFlight);
        tip = undefined;
      }
      const batch = this.#queue.splice(0, this.#batchSize(pipelined));
      try {
        await this.#sync();
      } catch (error) {
        for (const p of batch) p.reject(error);
        continue;
      }
      tip ??= { seq: this.#headSeq, hash: this.#headHash, unsigned: this.#unsigned };
      let seq = tip.seq;
      let prev = tip.hash;
      const prepared: PreparedEntry[] = batch.map((p) => {
        seq += 1;
        // Field by field, not a spread of p.sealed: one fewer dictionary-shaped copy per append.
        const q = p.sealed;
        const sealed: SealedEntry = {
          v: q.v,
          chain: this.chain,
          chainSeq: seq,
          time: q.time,
          traceId: q.traceId,
          spanId: q.spanId,
          correlationId: q.correlationId,
          actor: q.actor,
          kind: q.kind,
          what: q.what,
          why: q.why,
          inputDigest: q.inputDigest,
          outputDigest: q.outputDigest,
          prevHash: prev,
        };
        const hash = hashSealed(sealed, p.whatJson, p.whyJson);
        prev = hash;
        return { sealed, whatJson: p.whatJson, whyJson: p.whyJson, hash };
      });
      const now = this.#now();
      if (tip.unsigned === 0) this.#firstUnsignedAt = now.getTime();
      const unsignedAfter = tip.unsigned + prepared.length;
      const sign =
        unsignedAfter >= this.#everyEntries ||
        now.getTime() - this.#firstUnsignedAt >= this.#everyMs;
      let checkpoint: Omit<ChainCheckpoint, 'id'> | undefined;
      try {
        checkpoint = sign ? this.#signHead(seq, prev, false, now) : undefined;
      } catch (error) {
        for (const p of batch) p.reject(error);
        continue;
      }
      const submitted = { seq, hash: prev, unsigned: sign ? 0 : unsignedAfter };
      tip = submitted;
      const settled: Promise<void> = this.#store
        .appendBatch({
          chain: this.#record,
          certificate: this.#certificate,
          entries: prepared,
          checkpoint,
        })
        .then(
          (stored) => {
            // Batches of one writer commit in the order submitted, so this is the new head.
            this.#headSeq = submitted.seq;
            this.#headHash = submitted.hash;
            this.#unsigned = submitted.unsigned;
            stored.forEach((entry, i) => batch[i]!.resolve(entry));
            this.#armTimer();
          },
          (error: unknown) => {
            // The transaction may or may not have committed (a lost COMMIT acknowledgement):
            // re-read the head before the next batch rather than guess.
            this.#synced = false;
            if ((error as { code?: string }).code === 'VIGIL_AUDIT_CHAIN_CONFLICT') {
              this.#broken = error as AuditError;
            }
            for (const p of batch) p.reject(error);
          },
        )
        .finally(() => inFlight.delete(settled));
      inFlight.add(settled);
      if (inFlight.size >= (pipelined ? MAX_BATCHES_IN_FLIGHT : 1)) await Promise.race(inFlight);
    }
    await Promise.allSettled(inFlight);
  }

  /**
   * How many queued appends the next batch takes. When the store commits on another
   * thread, a long queue is cut in two so that the second half is hashed while the first
   * commits and fsyncs; otherwise everything queued (up to `maxBatch`) goes at once.
   */
  #batchSize(pipelined: boolean): number {
    const queued = this.#queue.length;
    const size = pipelined && queued >= 2 * MIN_SPLIT_BATCH ? Math.ceil(queued / 2) : queued;
    return Math.min(size, this.#maxBatch);
  }

  #armTimer(): void {
    if (this.#unsigned === 0) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      return;
    }
    if (this.#timer !== undefined) return;
    const due = Math.max(0, this.#firstUnsignedAt + this.#everyMs - this.#now().getTime());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#unsigned === 0 || this.#closed) return;
      this.#drain()
        .then(() => (this.#unsigned > 0 ? this.#writeCheckpoint(false) : undefined))
        .catch(() => undefined); // retried by the next append or close()
    }, due);
    this.#timer.unref();
  }

  /** The signer to use now: re-read from the source, reloaded when its certificate changed. */
  #currentSigner(): LoadedSigner {
    if (typeof this.#signerSource !== 'function') return this.#signer;
    const next = this.#signerSource();
    if (next.certPem === this.#signer.certPem) return this.#signer;
    const loaded = loadSigner(next);
    if (loaded.id !== this.identity) {
      throw new AuditError(
        'VIGIL_AUDIT_INVALID_SIGNER',
        `signer changed identity from ${this.identity} to ${loaded.id}`,
      );
    }
    this.#signer = loaded;
    this.#certificate = {
      fingerprint: loaded.certFingerprint,
      identity: loaded.id,
      certPem: loaded.certPem,
    };
    return loaded;
  }

  #signHead(
    chainSeq: number,
    headHash: string,
    final: boolean,
    now: Date,
  ): Omit<ChainCheckpoint, 'id'> {
    this.#currentSigner();
    const body = {
      chain: this.chain,
      chainSeq,
      headHash,
      time: now.toISOString(),
      final,
      signer: this.#signer.id,
      certFingerprint: this.#signer.certFingerprint,
    };
    return { ...body, signature: this.#signer.sign(checkpointPayload(body)) };
  }

  async #writeCheckpoint(final: boolean): Promise<ChainCheckpoint> {
    await this.#sync();
    const c = this.#signHead(this.#headSeq, this.#headHash, final, this.#now());
    const stored = await this.#store.putCheckpoint(c, this.#certificate);
    this.#unsigned = 0;
    this.#armTimer();
    return stored;
  }
}

/**
 * Writes an anchor: a signed statement of the current head of every chain, hash-linked
 * to the previous anchor. `prunedTo` records where pruned chains now start.
 * Retries once when another process took the same anchor position.
 */
export async function writeAnchor(
  store: AuditStore,
  signer: LoadedSigner,
  reason: AnchorReason,
  prunedTo: readonly AnchorHead[],
  now: () => Date = () => new Date(),
): Promise<AnchorCheckpoint> {
  for (let attempt = 0; ; attempt++) {
    const [chains, anchors] = await Promise.all([store.chains(), store.anchors()]);
    const heads: AnchorHead[] = [];
    for (const c of chains) {
      const head = await store.chainHead(c.chain);
      if (head !== undefined)
        heads.push({ chain: c.chain, chainSeq: head.chainSeq, headHash: head.hash });
    }
    heads.sort((a, b) => (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : 0));
    const last = anchors[anchors.length - 1];
    const body = {
      anchorSeq: (last?.anchorSeq ?? 0) + 1,
      time: now().toISOString(),
      prevHash: last?.hash ?? GENESIS_HASH,
      reason,
      heads,
      prunedTo: [...prunedTo],
      signer: signer.id,
      certFingerprint: signer.certFingerprint,
    };
    const payload = anchorPayload(body);
    const anchor: AnchorCheckpoint = {
      ...body,
      hash: sha256Hex(payload),
      signature: signer.sign(payload),
    };
    try {
      await store.putAnchor(anchor, {
        fingerprint: signer.certFingerprint,
        identity: signer.id,
        certPem: signer.certPem,
      });
      return anchor;
    } catch (error) {
      if (attempt < 2 && (error as { code?: string }).code === 'VIGIL_AUDIT_CHAIN_CONFLICT')
        continue;
      throw error;
    }
  }
}

/**
 * Steps recorded by {@link AuditWriter.recordStep} whose intent has no outcome: the
 * process stopped (crash, kill) between acting and recording the result. A restarted
 * agent checks these before retrying (its actions are idempotent, so it can re-run or
 * reconcile them). Scans the entries selected by `filter`.
 */
export async function findOpenIntents(
  store: AuditStore,
  filter: Parameters<AuditStore['query']>[0] = {},
): Promise<AuditEntry[]> {
  const open = new Map<string, AuditEntry>();
  for await (const e of store.query(filter)) {
    if (e.what['phase'] === 'intent') open.set(e.hash, e);
    else if (e.what['phase'] === 'outcome' && typeof e.what['parentEntryId'] === 'string')
      open.delete(e.what['parentEntryId']);
  }
  return [...open.values()];
}
