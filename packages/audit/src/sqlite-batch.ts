import type Database from 'better-sqlite3';
import type { ChainCheckpoint, WriterCertificate } from './signing.js';
import {
  ENTRY_INSERT_COLUMNS,
  checkpointValues,
  entryRowValues,
  type AppendBatch,
  type ChainRecord,
} from './store.js';

/**
 * One append transaction in the form both the store's own connection and its writer
 * thread run: plain column values (cheap to post to a thread), no parsed `what`/`why`.
 */
export interface BatchRequest {
  readonly chain: ChainRecord;
  readonly certificate: WriterCertificate;
  /** Per entry, its row values (`entryRowValues`). */
  readonly rows: readonly (readonly (string | number | null)[])[];
  readonly checkpoint?: Omit<ChainCheckpoint, 'id'> | undefined;
}

const INSERT_ENTRY_SQL = `INSERT INTO entries (${ENTRY_INSERT_COLUMNS}) VALUES (${ENTRY_INSERT_COLUMNS.split(
  ',',
)
  .map(() => '?')
  .join(', ')})`;

/** The request for `batch` (see {@link BatchRequest}). */
export function toBatchRequest(batch: AppendBatch): BatchRequest {
  return {
    chain: batch.chain,
    certificate: batch.certificate,
    checkpoint: batch.checkpoint,
    rows: batch.entries.map(entryRowValues),
  };
}

/** Prepared statements of the append path on one connection. */
export interface BatchStatements {
  readonly insertEntry: Database.Statement;
  readonly insertCheckpoint: Database.Statement;
  readonly insertWriter: Database.Statement;
  readonly insertChain: Database.Statement;
  /** Runs a request as one `BEGIN IMMEDIATE` transaction; returns the entries' sequences. */
  readonly run: (request: BatchRequest) => number[];
}

/** Prepares the append statements on `db` (whose schema exists). */
export function prepareBatchStatements(db: Database.Database): BatchStatements {
  const insertEntry = db.prepare(INSERT_ENTRY_SQL);
  const insertCheckpoint = db.prepare(
    `INSERT INTO checkpoints (chain, chain_seq, head_hash, time, final, signer, cert_fingerprint, signature)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertWriter = db.prepare(
    'INSERT OR IGNORE INTO writers (fingerprint, identity, cert_pem, first_seen) VALUES (?, ?, ?, ?)',
  );
  const insertChain = db.prepare(
    'INSERT OR IGNORE INTO chains (chain, identity, created_at) VALUES (?, ?, ?)',
  );
  const transaction = db.transaction((request: BatchRequest): number[] => {
    const { chain, certificate: cert } = request;
    insertWriter.run(cert.fingerprint, cert.identity, cert.certPem, new Date().toISOString());
    insertChain.run(chain.chain, chain.identity, chain.createdAt);
    const sequences = request.rows.map((row) => Number(insertEntry.run(...row).lastInsertRowid));
    const c = request.checkpoint;
    if (c !== undefined) insertCheckpoint.run(...checkpointValues(c));
    return sequences;
  });
  return {
    insertEntry,
    insertCheckpoint,
    insertWriter,
    insertChain,
    run: (request) => transaction.immediate(request),
  };
}
