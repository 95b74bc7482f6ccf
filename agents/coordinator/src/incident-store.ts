import Database from 'better-sqlite3';
import { VigilError } from '@vigil/core';
import type { Finding } from '@vigil/soc';
import { entityKeys, type StormRecord } from './correlator.js';
import { stormKeyOf } from './storm-key.js';
import type { IncidentRecords } from './incident-records.js';
import type { ApprovalRequest, HumanDecision, ProposedAction, Review } from './ports.js';

export type IncidentStatus = 'open' | 'awaiting-approval' | 'closed' | 'failed';

export interface IncidentRow {
  readonly id: string;
  readonly status: IncidentStatus;
  readonly title: string;
  readonly severity: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly findings: number;
  readonly lastError?: string;
  /** Findings rolled up into the incident after its analysis began (a storm). */
  readonly rollup?: RollupDigest;
}

/** The digest of a storm's updates: how many, since when, about what, the latest ids. */
export interface RollupDigest {
  /** Rolled-up findings per storm key (at most {@link DIGEST_ENTITIES} keys). */
  readonly storms: Readonly<Record<string, number>>;
  readonly count: number;
  /** Event times (epoch ms) of the first and latest rolled-up finding. */
  readonly firstAt: number;
  readonly lastAt: number;
  readonly maxScore: number;
  /** Correlation entities seen (at most {@link DIGEST_ENTITIES} distinct) with their counts. */
  readonly entities: Readonly<Record<string, number>>;
  /** Ids of the latest rolled-up findings (at most {@link DIGEST_SAMPLES}). */
  readonly latest: readonly string[];
}

/** One repeat of a storm to count in its incident (see {@link IncidentStore.recordRollups}). */
export interface RollupItem {
  readonly incidentId: string;
  readonly stormKey: string;
  readonly finding: Finding;
  /** Arrival time (epoch ms). */
  readonly at: number;
}

/** Bounds of a {@link RollupDigest}, so a storm of any size keeps a small row. */
export const DIGEST_ENTITIES = 20;
export const DIGEST_SAMPLES = 10;

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalRow {
  readonly id: string;
  readonly incidentId: string;
  readonly proposalId: string;
  readonly action: ProposedAction;
  readonly actionDigest: string;
  readonly review: Review;
  readonly status: ApprovalStatus;
  readonly requestedAt: number;
  readonly expiresAt: number;
  readonly decision?: HumanDecision;
}

/**
 * The coordinator's own bookkeeping (incidents and approval requests) in SQLite (WAL).
 * The graph state itself lives in the LangGraph checkpointer; this store answers the
 * questions the API and the CLI ask without replaying graphs.
 */
export class IncidentStore implements IncidentRecords {
  private readonly db: Database.Database;
  /** Prepared once per SQL text: preparing costs more than most of these statements run. */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly listeners = new Set<(incidentId: string) => void>();

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS incidents (
        id TEXT PRIMARY KEY, status TEXT NOT NULL, title TEXT NOT NULL, severity TEXT NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, findings INTEGER NOT NULL, last_error TEXT);
      CREATE INDEX IF NOT EXISTS incidents_status ON incidents(status);
      CREATE TABLE IF NOT EXISTS approvals (
        id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, proposal_id TEXT NOT NULL, action TEXT NOT NULL,
        action_digest TEXT NOT NULL, review TEXT NOT NULL, status TEXT NOT NULL, requested_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL, decision TEXT);
      CREATE INDEX IF NOT EXISTS approvals_status ON approvals(status, expires_at);
      CREATE TABLE IF NOT EXISTS incident_findings (
        incident_id TEXT NOT NULL, finding_id TEXT NOT NULL, score REAL NOT NULL, finding TEXT NOT NULL,
        PRIMARY KEY (incident_id, finding_id));
      CREATE INDEX IF NOT EXISTS incident_findings_by_finding ON incident_findings (finding_id);
      CREATE TABLE IF NOT EXISTS incident_rollups (
        finding_id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS incident_storms (
        storm_key TEXT PRIMARY KEY, incident_id TEXT NOT NULL, last_seen INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS incident_storms_by_time ON incident_storms (last_seen);`);
    // Stores created before storm rollup have no digest column.
    const columns = this.db.pragma('table_info(incidents)') as { name: string }[];
    if (!columns.some((c) => c.name === 'rollup'))
      this.db.exec('ALTER TABLE incidents ADD COLUMN rollup TEXT');
  }

  /**
   * Keeps a finding (idempotent per finding id) and opens its incident, or counts it in
   * the open incident it joined — in one transaction, so a crash never leaves a finding
   * recorded (and its redelivery acknowledged as a duplicate) in an incident never opened.
   * The finding's storm (see `stormKeyOf`) points at the incident from then on.
   */
  recordFinding(
    incidentId: string,
    finding: Finding,
    at: number,
    opens?: { readonly title: string; readonly severity: string },
  ): void {
    this.db.transaction(() => {
      this.statement('INSERT OR IGNORE INTO incident_findings VALUES (?, ?, ?, ?)').run(
        incidentId,
        finding.id,
        finding.score,
        JSON.stringify(finding),
      );
      if (opens)
        // Two first findings recorded concurrently both "open" it: the second counts in it.
        this.statement(
          `INSERT INTO incidents VALUES (?, ?, ?, ?, ?, ?, 1, NULL, NULL) ON CONFLICT (id)
             DO UPDATE SET findings = findings + 1, updated_at = excluded.updated_at`,
        ).run(incidentId, 'open', opens.title, opens.severity, at, at);
      else
        this.statement(
          'UPDATE incidents SET findings = findings + 1, updated_at = ? WHERE id = ?',
        ).run(at, incidentId);
      this.touchStorm(stormKeyOf(finding), incidentId, finding.event.time);
    })();
    this.emit(incidentId);
  }

  /**
   * Counts repeats of storms in their incidents and folds each into its incident's digest,
   * all in one transaction (one commit for a whole batch of a flood); a finding id already
   * rolled up changes nothing (a redelivery). Only the id is kept per finding, so a storm
   * of any size costs a small row per finding and one bounded digest per incident.
   */
  recordRollups(items: readonly RollupItem[]): void {
    const changed: string[] = [];
    const insert = this.statement('INSERT OR IGNORE INTO incident_rollups VALUES (?, ?, ?)');
    const read = this.statement('SELECT rollup FROM incidents WHERE id = ?');
    const write = this.statement(
      'UPDATE incidents SET findings = findings + ?, updated_at = ?, rollup = ? WHERE id = ?',
    );
    this.db.transaction(() => {
      const digests = new Map<
        string,
        { digest: RollupDigest | undefined; added: number; at: number }
      >();
      for (const item of items) {
        if (insert.run(item.finding.id, item.incidentId, item.at).changes === 0) continue;
        let entry = digests.get(item.incidentId);
        if (entry === undefined) {
          const row = read.get(item.incidentId) as { rollup: string | null } | undefined;
          if (row === undefined) continue; // not opened: the correlator never points at such
          entry = {
            digest: row.rollup === null ? undefined : (JSON.parse(row.rollup) as RollupDigest),
            added: 0,
            at: item.at,
          };
          digests.set(item.incidentId, entry);
        }
        entry.digest = foldIntoDigest(entry.digest, item.stormKey, item.finding);
        entry.added += 1;
        entry.at = Math.max(entry.at, item.at);
        this.touchStorm(item.stormKey, item.incidentId, item.finding.event.time);
      }
      for (const [incidentId, { digest, added, at }] of digests)
        write.run(added, at, JSON.stringify(digest), incidentId);
      changed.push(...digests.keys());
    })();
    for (const id of changed) this.emit(id);
  }

  /**
   * The storms seen latest (at most `limit`), each with the incident its repeats roll up
   * into: a restarted coordinator learns them back.
   */
  storms(limit: number): StormRecord[] {
    const rows = this.statement(
      'SELECT storm_key, incident_id, last_seen FROM incident_storms ORDER BY last_seen DESC LIMIT ?',
    ).all(limit) as { storm_key: string; incident_id: string; last_seen: number }[];
    return rows.map((r) => ({
      stormKey: r.storm_key,
      incidentId: r.incident_id,
      lastSeen: r.last_seen,
    }));
  }

  private touchStorm(stormKey: string, incidentId: string, lastSeen: number): void {
    this.statement(
      `INSERT INTO incident_storms VALUES (?, ?, ?) ON CONFLICT (storm_key) DO UPDATE SET
         incident_id = excluded.incident_id, last_seen = max(last_seen, excluded.last_seen)
         WHERE incident_storms.incident_id = excluded.incident_id OR excluded.last_seen > incident_storms.last_seen`,
    ).run(stormKey, incidentId, lastSeen);
  }

  /** The incident a finding id was recorded in, if any (redeliveries are acknowledged, not re-run). */
  incidentOfFinding(findingId: string): string | undefined {
    const row = (this.statement(
      'SELECT incident_id FROM incident_findings WHERE finding_id = ? LIMIT 1',
    ).get(findingId) ??
      this.statement('SELECT incident_id FROM incident_rollups WHERE finding_id = ?').get(
        findingId,
      )) as { incident_id: string } | undefined;
    return row?.incident_id;
  }

  /** The incident's findings, most anomalous first. */
  findings(incidentId: string, limit = 50): Finding[] {
    const rows = this.statement(
      'SELECT finding FROM incident_findings WHERE incident_id = ? ORDER BY score DESC LIMIT ?',
    ).all(incidentId, limit) as { finding: string }[];
    return rows.map((r) => JSON.parse(r.finding) as Finding);
  }

  setStatus(id: string, status: IncidentStatus, at: number, error?: string): void {
    this.statement(
      'UPDATE incidents SET status = ?, updated_at = ?, last_error = ? WHERE id = ?',
    ).run(status, at, error ?? null, id);
    this.emit(id);
  }

  setTitle(id: string, title: string, severity: string): void {
    this.statement('UPDATE incidents SET title = ?, severity = ? WHERE id = ?').run(
      title,
      severity,
      id,
    );
    this.emit(id);
  }

  incident(id: string): IncidentRow | undefined {
    const row = this.statement('SELECT * FROM incidents WHERE id = ?').get(id) as
      | RawIncident
      | undefined;
    return row && toIncident(row);
  }

  incidents(filter: { status?: IncidentStatus; limit?: number } = {}): IncidentRow[] {
    const rows = filter.status
      ? this.statement(
          'SELECT * FROM incidents WHERE status = ? ORDER BY created_at DESC LIMIT ?',
        ).all(filter.status, filter.limit ?? 500)
      : this.statement('SELECT * FROM incidents ORDER BY created_at DESC LIMIT ?').all(
          filter.limit ?? 500,
        );
    return (rows as RawIncident[]).map(toIncident);
  }

  /** Persists approval requests (idempotent: a re-run node re-inserts nothing). */
  addApprovals(requests: readonly ApprovalRequest[], at: number, ttlMs: number): void {
    const insert = this.statement(
      'INSERT OR IGNORE INTO approvals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)',
    );
    this.db.transaction(() => {
      for (const r of requests) {
        insert.run(
          r.id,
          r.incidentId,
          r.proposalId,
          JSON.stringify(r.action),
          r.actionDigest,
          JSON.stringify(r.review),
          'pending',
          at,
          at + ttlMs,
        );
      }
    })();
  }

  approval(id: string): ApprovalRow | undefined {
    const row = this.statement('SELECT * FROM approvals WHERE id = ?').get(id) as
      | RawApproval
      | undefined;
    return row && toApproval(row);
  }

  approvals(filter: { status?: ApprovalStatus; incidentId?: string } = {}): ApprovalRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [column, value] of [
      ['status', filter.status],
      ['incident_id', filter.incidentId],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      args.push(value);
    }
    const sql = `SELECT * FROM approvals ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY requested_at`;
    return (this.statement(sql).all(...args) as RawApproval[]).map(toApproval);
  }

  /** Records a decision on a pending request; throws `VIGIL_APPROVAL_NOT_PENDING` otherwise. */
  decide(
    id: string,
    status: Exclude<ApprovalStatus, 'pending'>,
    decision: HumanDecision,
  ): ApprovalRow {
    const changed = this.statement(
      "UPDATE approvals SET status = ?, decision = ? WHERE id = ? AND status = 'pending'",
    ).run(status, JSON.stringify(decision), id);
    const row = this.approval(id);
    if (!row) throw new VigilError('VIGIL_APPROVAL_NOT_FOUND', `no approval request "${id}"`);
    if (changed.changes === 0)
      throw new VigilError(
        'VIGIL_APPROVAL_NOT_PENDING',
        `approval "${id}" is already ${row.status}`,
      );
    return row;
  }

  /**
   * Calls `listener` with an incident's id after each committed change of it (opened,
   * a finding or storm repeats counted, status, title); returns the unsubscribe. The live
   * incidents stream follows this.
   */
  onChange(listener: (incidentId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(incidentId: string): void {
    for (const listener of this.listeners) listener(incidentId);
  }

  /** The prepared statement for `sql` (a fixed text: the cache holds one per query shape). */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  close(): void {
    this.db.close();
  }
}

/** An `incidents` row as both backends return it. */
export interface RawIncident {
  id: string;
  status: IncidentStatus;
  title: string;
  severity: string;
  created_at: number;
  updated_at: number;
  findings: number;
  last_error: string | null;
  rollup: string | null;
}

/** An `approvals` row as both backends return it. */
export interface RawApproval {
  id: string;
  incident_id: string;
  proposal_id: string;
  action: string;
  action_digest: string;
  review: string;
  status: ApprovalStatus;
  requested_at: number;
  expires_at: number;
  decision: string | null;
}

export function toIncident(r: RawIncident): IncidentRow {
  return {
    id: r.id,
    status: r.status,
    title: r.title,
    severity: r.severity,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    findings: r.findings,
    ...(r.last_error ? { lastError: r.last_error } : {}),
    ...(r.rollup ? { rollup: JSON.parse(r.rollup) as RollupDigest } : {}),
  };
}

/** `counts` plus one for each key, keeping at most {@link DIGEST_ENTITIES} distinct keys. */
function countInto(
  counts: Readonly<Record<string, number>> | undefined,
  keys: readonly string[],
): Record<string, number> {
  const out: Record<string, number> = { ...counts };
  for (const key of keys)
    if (Object.hasOwn(out, key) || Object.keys(out).length < DIGEST_ENTITIES)
      out[key] = (out[key] ?? 0) + 1;
  return out;
}

/** `digest` with one more finding of the storm `stormKey` (bounded: see {@link DIGEST_ENTITIES}). */
export function foldIntoDigest(
  digest: RollupDigest | undefined,
  stormKey: string,
  finding: Finding,
): RollupDigest {
  const entities = countInto(digest?.entities, entityKeys(finding));
  const time = finding.event.time;
  return {
    storms: countInto(digest?.storms, [stormKey]),
    count: (digest?.count ?? 0) + 1,
    firstAt: Math.min(digest?.firstAt ?? time, time),
    lastAt: Math.max(digest?.lastAt ?? time, time),
    maxScore: Math.max(digest?.maxScore ?? 0, finding.score),
    entities,
    latest: [...(digest?.latest ?? []), finding.id].slice(-DIGEST_SAMPLES),
  };
}

export function toApproval(r: RawApproval): ApprovalRow {
  return {
    id: r.id,
    incidentId: r.incident_id,
    proposalId: r.proposal_id,
    action: JSON.parse(r.action) as ProposedAction,
    actionDigest: r.action_digest,
    review: JSON.parse(r.review) as Review,
    status: r.status,
    requestedAt: r.requested_at,
    expiresAt: r.expires_at,
    ...(r.decision ? { decision: JSON.parse(r.decision) as HumanDecision } : {}),
  };
}
