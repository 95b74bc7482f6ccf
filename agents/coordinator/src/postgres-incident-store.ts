import type pg from 'pg';
import { VigilError } from '@vigil/core';
import { inTransaction, openPostgresPool } from '@vigil/runtime';
import type { Finding } from '@vigil/soc';
import type { StormRecord } from './correlator.js';
import type { IncidentRecords } from './incident-records.js';
import {
  foldIntoDigest,
  toApproval,
  toIncident,
  type ApprovalRow,
  type ApprovalStatus,
  type IncidentRow,
  type IncidentStatus,
  type RawApproval,
  type RawIncident,
  type RollupDigest,
  type RollupItem,
} from './incident-store.js';
import type { ApprovalRequest, HumanDecision } from './ports.js';
import { stormKeyOf } from './storm-key.js';

/**
 * The schema. `seen_findings` is the one place a finding id is claimed — by whichever
 * replica records it first, as a finding of an incident or as a storm's repeat — so a
 * finding redelivered to another replica is a duplicate there, atomically (its primary key),
 * not a second incident.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY, status TEXT NOT NULL, title TEXT NOT NULL, severity TEXT NOT NULL,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, findings INTEGER NOT NULL, last_error TEXT,
  rollup TEXT);
CREATE INDEX IF NOT EXISTS incidents_status ON incidents (status, created_at);
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, proposal_id TEXT NOT NULL, action TEXT NOT NULL,
  action_digest TEXT NOT NULL, review TEXT NOT NULL, status TEXT NOT NULL, requested_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL, decision TEXT);
CREATE INDEX IF NOT EXISTS approvals_status ON approvals (status, expires_at);
CREATE INDEX IF NOT EXISTS approvals_incident ON approvals (incident_id);
CREATE TABLE IF NOT EXISTS seen_findings (finding_id TEXT PRIMARY KEY, incident_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incident_findings (
  incident_id TEXT NOT NULL, finding_id TEXT NOT NULL, score DOUBLE PRECISION NOT NULL,
  finding TEXT NOT NULL, PRIMARY KEY (incident_id, finding_id));
CREATE TABLE IF NOT EXISTS incident_rollups (
  finding_id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS incident_storms (
  storm_key TEXT PRIMARY KEY, incident_id TEXT NOT NULL, last_seen BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS incident_storms_by_time ON incident_storms (last_seen);
`;

/**
 * The coordinator's incidents, findings, storms and approvals in PostgreSQL, shared by
 * every coordinator replica: any replica records findings, serves the incidents and
 * approvals API and takes decisions (a decision is a conditional update: one decider wins).
 * Which replica drives an incident's graph is decided by its lease (`PostgresLeases`).
 */
export class PostgresIncidentStore implements IncidentRecords {
  private constructor(readonly pool: pg.Pool) {}

  /** Connects and creates the schema. Throws `VIGIL_COORDINATOR_STORE`. */
  static async open(url: string, options: { max?: number } = {}): Promise<PostgresIncidentStore> {
    const pool = await openPostgresPool(url, {
      schema: SCHEMA,
      lock: 'vigil.coordinator.schema',
      code: 'VIGIL_COORDINATOR_STORE',
      what: 'PostgreSQL incident store',
      ...(options.max === undefined ? {} : { max: options.max }),
    });
    return new PostgresIncidentStore(pool);
  }

  async recordFinding(
    incidentId: string,
    finding: Finding,
    at: number,
    opens?: { readonly title: string; readonly severity: string },
  ): Promise<string | undefined> {
    return inTransaction(this.pool, async (c) => {
      const claimed = await c.query(
        'INSERT INTO seen_findings VALUES ($1, $2) ON CONFLICT (finding_id) DO NOTHING',
        [finding.id, incidentId],
      );
      if (claimed.rowCount === 0) {
        const { rows } = await c.query<{ incident_id: string }>(
          'SELECT incident_id FROM seen_findings WHERE finding_id = $1',
          [finding.id],
        );
        return rows[0]?.incident_id ?? incidentId;
      }
      await c.query('INSERT INTO incident_findings VALUES ($1, $2, $3, $4)', [
        incidentId,
        finding.id,
        finding.score,
        JSON.stringify(finding),
      ]);
      if (opens)
        await c.query(
          `INSERT INTO incidents VALUES ($1, 'open', $2, $3, $4, $4, 1, NULL, NULL)
             ON CONFLICT (id) DO UPDATE SET findings = incidents.findings + 1, updated_at = $4`,
          [incidentId, opens.title, opens.severity, at],
        );
      else
        await c.query(
          'UPDATE incidents SET findings = findings + 1, updated_at = $1 WHERE id = $2',
          [at, incidentId],
        );
      await touchStorm(c, stormKeyOf(finding), incidentId, finding.event.time);
      return undefined;
    });
  }

  async recordRollups(items: readonly RollupItem[]): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      const digests = new Map<
        string,
        { digest: RollupDigest | undefined; added: number; at: number }
      >();
      for (const item of items) {
        const claimed = await c.query(
          'INSERT INTO seen_findings VALUES ($1, $2) ON CONFLICT (finding_id) DO NOTHING',
          [item.finding.id, item.incidentId],
        );
        if (claimed.rowCount === 0) continue; // a redelivery, on this replica or another
        let entry = digests.get(item.incidentId);
        if (entry === undefined) {
          // FOR UPDATE: two replicas rolling repeats into one incident fold one after the other.
          const { rows } = await c.query<{ rollup: string | null }>(
            'SELECT rollup FROM incidents WHERE id = $1 FOR UPDATE',
            [item.incidentId],
          );
          if (rows[0] === undefined) continue;
          entry = {
            digest:
              rows[0].rollup === null ? undefined : (JSON.parse(rows[0].rollup) as RollupDigest),
            added: 0,
            at: item.at,
          };
          digests.set(item.incidentId, entry);
        }
        await c.query('INSERT INTO incident_rollups VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
          item.finding.id,
          item.incidentId,
          item.at,
        ]);
        entry.digest = foldIntoDigest(entry.digest, item.stormKey, item.finding);
        entry.added += 1;
        entry.at = Math.max(entry.at, item.at);
        await touchStorm(c, item.stormKey, item.incidentId, item.finding.event.time);
      }
      for (const [incidentId, { digest, added, at }] of digests)
        await c.query(
          'UPDATE incidents SET findings = findings + $1, updated_at = $2, rollup = $3 WHERE id = $4',
          [added, at, JSON.stringify(digest), incidentId],
        );
    });
  }

  async storms(limit: number): Promise<StormRecord[]> {
    const { rows } = await this.pool.query<{
      storm_key: string;
      incident_id: string;
      last_seen: number;
    }>('SELECT * FROM incident_storms ORDER BY last_seen DESC LIMIT $1', [limit]);
    return rows.map((r) => ({
      stormKey: r.storm_key,
      incidentId: r.incident_id,
      lastSeen: r.last_seen,
    }));
  }

  async incidentOfFinding(findingId: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ incident_id: string }>(
      'SELECT incident_id FROM seen_findings WHERE finding_id = $1',
      [findingId],
    );
    return rows[0]?.incident_id;
  }

  async findings(incidentId: string, limit = 50): Promise<Finding[]> {
    const { rows } = await this.pool.query<{ finding: string }>(
      'SELECT finding FROM incident_findings WHERE incident_id = $1 ORDER BY score DESC, finding_id LIMIT $2',
      [incidentId, limit],
    );
    return rows.map((r) => JSON.parse(r.finding) as Finding);
  }

  async setStatus(id: string, status: IncidentStatus, at: number, error?: string): Promise<void> {
    await this.pool.query(
      'UPDATE incidents SET status = $1, updated_at = $2, last_error = $3 WHERE id = $4',
      [status, at, error ?? null, id],
    );
  }

  async setTitle(id: string, title: string, severity: string): Promise<void> {
    await this.pool.query('UPDATE incidents SET title = $1, severity = $2 WHERE id = $3', [
      title,
      severity,
      id,
    ]);
  }

  async incident(id: string): Promise<IncidentRow | undefined> {
    const { rows } = await this.pool.query<RawIncident>('SELECT * FROM incidents WHERE id = $1', [
      id,
    ]);
    return rows[0] && toIncident(rows[0]);
  }

  async incidents(
    filter: { status?: IncidentStatus; limit?: number } = {},
  ): Promise<IncidentRow[]> {
    const limit = filter.limit ?? 500;
    const { rows } = filter.status
      ? await this.pool.query<RawIncident>(
          'SELECT * FROM incidents WHERE status = $1 ORDER BY created_at DESC LIMIT $2',
          [filter.status, limit],
        )
      : await this.pool.query<RawIncident>(
          'SELECT * FROM incidents ORDER BY created_at DESC LIMIT $1',
          [limit],
        );
    return rows.map(toIncident);
  }

  async addApprovals(
    requests: readonly ApprovalRequest[],
    at: number,
    ttlMs: number,
  ): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      for (const r of requests)
        await c.query(
          `INSERT INTO approvals VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, NULL)
             ON CONFLICT (id) DO NOTHING`,
          [
            r.id,
            r.incidentId,
            r.proposalId,
            JSON.stringify(r.action),
            r.actionDigest,
            JSON.stringify(r.review),
            at,
            at + ttlMs,
          ],
        );
    });
  }

  async approval(id: string): Promise<ApprovalRow | undefined> {
    const { rows } = await this.pool.query<RawApproval>('SELECT * FROM approvals WHERE id = $1', [
      id,
    ]);
    return rows[0] && toApproval(rows[0]);
  }

  async approvals(
    filter: { status?: ApprovalStatus; incidentId?: string } = {},
  ): Promise<ApprovalRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [column, value] of [
      ['status', filter.status],
      ['incident_id', filter.incidentId],
    ] as const) {
      if (value === undefined) continue;
      args.push(value);
      where.push(`${column} = $${args.length}`);
    }
    const { rows } = await this.pool.query<RawApproval>(
      `SELECT * FROM approvals ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY requested_at, id`,
      args,
    );
    return rows.map(toApproval);
  }

  async decide(
    id: string,
    status: Exclude<ApprovalStatus, 'pending'>,
    decision: HumanDecision,
  ): Promise<ApprovalRow> {
    const changed = await this.pool.query(
      "UPDATE approvals SET status = $1, decision = $2 WHERE id = $3 AND status = 'pending'",
      [status, JSON.stringify(decision), id],
    );
    const row = await this.approval(id);
    if (!row) throw new VigilError('VIGIL_APPROVAL_NOT_FOUND', `no approval request "${id}"`);
    if (changed.rowCount === 0)
      throw new VigilError(
        'VIGIL_APPROVAL_NOT_PENDING',
        `approval "${id}" is already ${row.status}`,
      );
    return row;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** A storm points at the incident its repeats roll into; a later sighting of another incident takes it over. */
async function touchStorm(
  c: pg.PoolClient,
  stormKey: string,
  incidentId: string,
  lastSeen: number,
): Promise<void> {
  await c.query(
    `INSERT INTO incident_storms VALUES ($1, $2, $3) ON CONFLICT (storm_key) DO UPDATE SET
       incident_id = excluded.incident_id,
       last_seen = greatest(incident_storms.last_seen, excluded.last_seen)
     WHERE incident_storms.incident_id = excluded.incident_id
        OR excluded.last_seen > incident_storms.last_seen`,
    [stormKey, incidentId, lastSeen],
  );
}
