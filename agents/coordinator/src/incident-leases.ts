import type pg from 'pg';
import { VigilError } from '@vigil/core';

/** A held lease: the fencing token grows by one every time the incident changes hands. */
export interface Lease {
  readonly incidentId: string;
  readonly token: number;
}

/**
 * Which coordinator replica drives which incident's graph. Exactly one holder at a time;
 * a holder that stops renewing (killed, partitioned, paused) loses its leases when they
 * expire and another replica takes them over with a larger fencing token. Writes that
 * move an incident on (checkpoints) check the token first (`fencedCheckpointer`).
 */
export interface IncidentOwnership {
  /** This replica's owner id (unique per process start). */
  readonly owner: string;
  /** Takes the incident's lease if it is free, expired or already ours; undefined when another replica holds it. */
  claim(incidentId: string): Promise<Lease | undefined>;
  /** Gives the lease up at once (closed, or paused for a human): the next claim needs no wait. */
  release(incidentId: string): Promise<void>;
  /** Throws `VIGIL_COORDINATOR_LEASE_LOST` unless this replica still holds the incident's lease. */
  assertHeld(incidentId: string): Promise<void>;
  /** Open or failed incidents whose lease is missing or expired: a dead owner's, to resume. */
  orphans(limit: number): Promise<string[]>;
  /** Ids whose lease this replica currently believes it holds. */
  held(): readonly string[];
  /** Stops renewing and releases every lease held (a clean shutdown hands incidents over at once). */
  close(): Promise<void>;
}

/** One process, one owner: every claim succeeds (the embedded SQLite deployment). */
export function createLocalOwnership(): IncidentOwnership {
  const leases = new Set<string>();
  return {
    owner: 'local',
    claim: async (incidentId) => {
      leases.add(incidentId);
      return { incidentId, token: 1 };
    },
    release: async (incidentId) => void leases.delete(incidentId),
    assertHeld: async () => undefined,
    orphans: async () => [],
    held: () => [...leases],
    close: async () => leases.clear(),
  };
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS incident_leases (
  incident_id TEXT PRIMARY KEY, owner TEXT NOT NULL, token BIGINT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL);
CREATE INDEX IF NOT EXISTS incident_leases_owner ON incident_leases (owner);
`;

export interface PostgresLeaseOptions {
  readonly pool: pg.Pool;
  readonly owner: string;
  /** How long a lease lives without renewal: the longest a dead owner's incident waits. */
  readonly ttlMs: number;
  /** Renewal period; default a third of the ttl, so two renewals may fail before expiry. */
  readonly renewEveryMs?: number;
  /** Called with the incidents whose leases were lost (expired before renewal, or taken). */
  readonly onLost?: (incidentIds: readonly string[]) => void;
}

/**
 * Incident leases as rows of `incident_leases` (incident, owner, fencing token, expiry),
 * every time comparison on the database's clock so replicas' clocks never matter. Rows
 * are never deleted: a released lease is an expired one, so the token keeps growing and a
 * stale holder's token never matches again.
 *
 * Why rows rather than advisory locks: a session advisory lock is released only when
 * PostgreSQL notices the session is gone — at once for a killed process on a healthy
 * network, but only after TCP keepalive (minutes) for a partitioned or frozen one, and it
 * carries no token a write could be checked against. A row with an expiry bounds the
 * takeover time by the ttl in every case, and its token fences a holder that comes back.
 */
export async function createPostgresLeases(
  options: PostgresLeaseOptions,
): Promise<IncidentOwnership> {
  const { pool, owner, ttlMs } = options;
  await pool.query(SCHEMA);
  const held = new Map<string, number>();
  const interval = `${ttlMs} milliseconds`;

  const renew = async (): Promise<void> => {
    if (held.size === 0) return;
    const ids = [...held.keys()];
    const tokens = ids.map((id) => held.get(id)!);
    const { rows } = await pool.query<{ incident_id: string }>(
      `UPDATE incident_leases l SET expires_at = now() + $2::interval
         FROM unnest($3::text[], $4::bigint[]) AS h(id, token)
        WHERE l.incident_id = h.id AND l.token = h.token AND l.owner = $1 AND l.expires_at > now()
        RETURNING l.incident_id`,
      [owner, interval, ids, tokens],
    );
    const renewed = new Set(rows.map((r) => r.incident_id));
    const lost = ids.filter((id) => !renewed.has(id) && held.get(id) !== undefined);
    for (const id of lost) held.delete(id);
    if (lost.length) options.onLost?.(lost);
  };
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      renewing = renewing.then(renew).catch(() => undefined);
    },
    options.renewEveryMs ?? Math.max(50, Math.floor(ttlMs / 3)),
  );
  timer.unref();

  const ownership: IncidentOwnership = {
    owner,
    async claim(incidentId) {
      const { rows } = await pool.query<{ token: number | string }>(
        `INSERT INTO incident_leases VALUES ($1, $2, 1, now() + $3::interval)
           ON CONFLICT (incident_id) DO UPDATE
             SET owner = excluded.owner, token = incident_leases.token + 1, expires_at = excluded.expires_at
           WHERE incident_leases.expires_at <= now()
              OR (incident_leases.owner = excluded.owner AND incident_leases.token = $4)
         RETURNING token`,
        [incidentId, owner, interval, held.get(incidentId) ?? -1],
      );
      const row = rows[0];
      if (row === undefined) {
        held.delete(incidentId);
        return undefined;
      }
      const token = Number(row.token);
      held.set(incidentId, token);
      return { incidentId, token };
    },
    async release(incidentId) {
      const token = held.get(incidentId);
      held.delete(incidentId);
      if (token === undefined) return;
      await pool.query(
        `UPDATE incident_leases SET expires_at = now()
          WHERE incident_id = $1 AND owner = $2 AND token = $3`,
        [incidentId, owner, token],
      );
    },
    async assertHeld(incidentId) {
      const token = held.get(incidentId);
      const { rowCount } =
        token === undefined
          ? { rowCount: 0 }
          : await pool.query(
              `SELECT 1 FROM incident_leases
                WHERE incident_id = $1 AND owner = $2 AND token = $3 AND expires_at > now()`,
              [incidentId, owner, token],
            );
      if (rowCount === 0) {
        held.delete(incidentId);
        throw new VigilError(
          'VIGIL_COORDINATOR_LEASE_LOST',
          `replica ${owner} no longer holds the lease of incident ${incidentId} (token ${token ?? 'none'}); another replica resumes it`,
        );
      }
    },
    async orphans(limit) {
      const { rows } = await pool.query<{ id: string }>(
        `SELECT i.id FROM incidents i LEFT JOIN incident_leases l ON l.incident_id = i.id
          WHERE i.status IN ('open', 'failed') AND (l.incident_id IS NULL OR l.expires_at <= now())
          ORDER BY i.created_at LIMIT $1`,
        [limit],
      );
      return rows.map((r) => r.id);
    },
    held: () => [...held.keys()],
    async close() {
      clearInterval(timer);
      await renewing;
      const ids = [...held.keys()];
      for (const id of ids) await ownership.release(id).catch(() => undefined);
    },
  };
  return ownership;
}
