/**
 * The incident list's pure logic: what a row shows (technique, entity, storm count),
 * filtering and ordering. Kept apart from React so 10,000 rows are filtered in one pass
 * and the rules are unit-tested.
 */
import type { Incident, IncidentStatus, Severity } from '../api/types.js';

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
export const STATUSES: readonly IncidentStatus[] = [
  'open',
  'awaiting-approval',
  'closed',
  'failed',
];

/** Higher is more severe; an unknown severity sorts below `info`. */
export function severityRank(severity: string): number {
  const i = SEVERITIES.indexOf(severity as Severity);
  return i < 0 ? -1 : SEVERITIES.length - i;
}

/** Findings beyond the first that were rolled into the incident: a storm shown as one row. */
export function stormCount(incident: Incident): number {
  return incident.rollup?.count ?? 0;
}

/** The entity a row names: the API's, else the storm's most frequent one. */
export function entityOf(incident: Incident): string {
  if (incident.entity) return incident.entity;
  const entities = Object.entries(incident.rollup?.entities ?? {});
  entities.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entities[0]?.[0] ?? '';
}

/** ATT&CK technique ids from the API, or the ones written in the title (`T1059 …`). */
export function techniquesOf(incident: Incident): readonly string[] {
  if (incident.techniques && incident.techniques.length > 0) return incident.techniques;
  return [...new Set(incident.title.match(/\bT\d{4}(?:\.\d{3})?\b/g) ?? [])];
}

export interface IncidentFilter {
  /** Severities to show; empty shows all. */
  readonly severities: readonly string[];
  /** States to show; empty shows all. */
  readonly statuses: readonly string[];
  /** Case-insensitive text matched against id, title, technique and entity. */
  readonly text: string;
  /** Only incidents that rolled up a storm. */
  readonly stormsOnly: boolean;
}

export const NO_FILTER: IncidentFilter = {
  severities: [],
  statuses: [],
  text: '',
  stormsOnly: false,
};

/** Whether `incident` passes `filter`. */
export function matches(incident: Incident, filter: IncidentFilter): boolean {
  if (filter.severities.length && !filter.severities.includes(incident.severity)) return false;
  if (filter.statuses.length && !filter.statuses.includes(incident.status)) return false;
  if (filter.stormsOnly && stormCount(incident) === 0) return false;
  const text = filter.text.trim().toLowerCase();
  if (!text) return true;
  return [incident.id, incident.title, entityOf(incident), ...techniquesOf(incident)].some((s) =>
    s.toLowerCase().includes(text),
  );
}

/**
 * The rows to show: filtered, those waiting for a human first, then by severity, then
 * the most recently updated.
 */
export function visibleIncidents(
  incidents: Iterable<Incident>,
  filter: IncidentFilter,
): Incident[] {
  const rows: Incident[] = [];
  for (const incident of incidents) if (matches(incident, filter)) rows.push(incident);
  const waiting = (i: Incident) => (i.status === 'awaiting-approval' ? 1 : 0);
  return rows.sort(
    (a, b) =>
      waiting(b) - waiting(a) ||
      severityRank(b.severity) - severityRank(a.severity) ||
      b.updatedAt - a.updatedAt ||
      a.id.localeCompare(b.id),
  );
}

/**
 * Folds updates from the live stream (or a reload) into the map, copying it once per
 * batch: a newer `updatedAt` wins, an older one is a late replay. Returns the same map
 * when nothing changed, so React skips the render.
 */
export function applyUpdates(
  incidents: ReadonlyMap<string, Incident>,
  updates: readonly Incident[],
): ReadonlyMap<string, Incident> {
  let next: Map<string, Incident> | undefined;
  for (const update of updates) {
    const known = (next ?? incidents).get(update.id);
    if (known && (known.updatedAt > update.updatedAt || sameRow(known, update))) continue;
    next ??= new Map(incidents);
    next.set(update.id, update);
  }
  return next ?? incidents;
}

function sameRow(a: Incident, b: Incident): boolean {
  return (
    a.updatedAt === b.updatedAt &&
    a.status === b.status &&
    a.findings === b.findings &&
    a.severity === b.severity &&
    a.title === b.title
  );
}
