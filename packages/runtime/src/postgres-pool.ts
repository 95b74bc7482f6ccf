/**
 * What agents that keep their state in PostgreSQL (replicas sharing it) need, once — a
 * pool that creates its schema under an advisory lock, a transaction helper and URL
 * redaction. `pg` is imported when a pool is first opened, so agents on SQLite never load it.
 *
 * @example
 * ```ts
 * import { inTransaction, openPostgresPool } from '@vigil/runtime';
 * const pool = await openPostgresPool(url, { schema, lock: 'my-agent.schema', code: 'MY_STORE', what: 'my store' });
 * await inTransaction(pool, (c) => c.query('UPDATE …'));
 * ```
 */
import type pg from 'pg';
import { VigilError } from '@vigil/core';

const INT8_OID = 20;

/**
 * Epoch milliseconds are BIGINT columns; they fit a double exactly, so they come back as
 * numbers — per pool, never by changing `pg`'s global parsers under other stores.
 */
function numericInt8(types: typeof pg.types): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: string) =>
      oid === INT8_OID
        ? (value: string) => Number(value)
        : types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
  };
}

/**
 * Opens a pool on `url` (`synchronous_commit = on`: resolved writes are on the server's WAL),
 * running `schema` once under an advisory lock so that replicas starting together do not
 * race on `CREATE TABLE`. Throws `code` naming the database without its credentials.
 */
export async function openPostgresPool(
  url: string,
  options: { schema: string; lock: string; code: string; what: string; max?: number },
): Promise<pg.Pool> {
  const { default: driver } = await import('pg');
  const pool = new driver.Pool({
    connectionString: url,
    max: options.max ?? 4,
    options: '-c synchronous_commit=on',
    types: numericInt8(driver.types),
  });
  // An idle client's error (a server restart) must not end the process; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [options.lock]);
      try {
        await client.query(options.schema);
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [options.lock]);
      }
    } finally {
      client.release();
    }
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw new VigilError(
      options.code,
      `cannot open the ${options.what} at ${redactUrl(url)}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return pool;
}

/** `url` without user and password (for errors and logs). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'an unparseable URL';
  }
}

/**
 * Runs `fn` in one transaction on a client of `pool`; rolls back and rethrows on failure.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
