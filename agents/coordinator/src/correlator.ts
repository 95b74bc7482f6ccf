import type { Finding } from '@vigil/soc';
import { stormKeyOf } from './storm-key.js';

export interface CorrelationSettings {
  /**
   * A finding joins an open incident sharing an entity seen within this window, measured
   * on the events' own times (so a replayed day correlates as the day happened).
   */
  readonly windowMs: number;
  /** Token bucket per entity: sustained findings per minute, and burst. */
  readonly perEntityPerMinute: number;
  readonly perEntityBurst: number;
  /** Bound on remembered entities and storms (oldest forgotten first). */
  readonly maxEntities: number;
  /**
   * Storm rollup: a finding with the storm key of an incident (same rule or technique on
   * the same entity class, see `stormKeyOf`) whose latest finding lies within this window
   * (event times; the window slides with the storm) rolls up into that incident, before or
   * after its analysis began: it is counted and digested, never a new incident or run.
   * 0 disables the rollup.
   */
  readonly rollupWindowMs: number;
}

/** A storm as the incident store keeps it (see `IncidentStore.storms`). */
export interface StormRecord {
  readonly stormKey: string;
  readonly incidentId: string;
  /** Event time (epoch ms) of its latest finding. */
  readonly lastSeen: number;
}

export const DEFAULT_CORRELATION: CorrelationSettings = Object.freeze({
  windowMs: 10 * 60_000,
  perEntityPerMinute: 6,
  perEntityBurst: 10,
  maxEntities: 10_000,
  rollupWindowMs: 10 * 60_000,
});

/** Where the correlator puts a finding. */
export type Correlation =
  | {
      readonly kind: 'new' | 'joined';
      readonly incidentId: string;
      readonly entities: readonly string[];
      readonly stormKey: string;
    }
  /** A repeat of a storm (same storm key within the rollup window): counted in its incident. */
  | { readonly kind: 'rolled-up'; readonly incidentId: string; readonly stormKey: string }
  | { readonly kind: 'rate-limited'; readonly entity: string };

/** What the coordinator answers for a finding. */
export type Assignment =
  | Correlation
  /** The finding was recorded before (a redelivery): acknowledged, nothing re-run. */
  | { readonly kind: 'duplicate'; readonly incidentId: string };

/** The correlation keys of a finding: its workload, its actor, its remote addresses. */
export function entityKeys(finding: Finding): string[] {
  const keys: string[] = [];
  if (finding.entities.workload) keys.push(`workload:${finding.entities.workload}`);
  if (finding.entities.actor) keys.push(`actor:${finding.entities.actor}`);
  for (const address of finding.entities.addresses) keys.push(`address:${address}`);
  return keys;
}

/**
 * Groups findings into incidents: a repeat of a storm (see `stormKeyOf`) rolls up into
 * the storm's incident; otherwise a finding sharing a workload, actor or address with an
 * open incident whose events lie within the window of its own event joins it instead of
 * opening a new one; a flood of findings about one entity is rate-limited (token bucket
 * per entity, on the arrival clock, since it protects the analyst tier from what arrives
 * now), so one noisy pod cannot starve the analyst tier. Memory is bounded by
 * `maxEntities`.
 */
export class Correlator {
  private readonly open = new Map<string, { incidentId: string; lastSeen: number }>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** Storm key → the incident it rolls up into and the event time of its latest finding. */
  private readonly storms = new Map<string, { incidentId: string; lastSeen: number }>();

  constructor(
    private readonly settings: CorrelationSettings = DEFAULT_CORRELATION,
    private readonly newId: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  assign(finding: Finding): Correlation {
    const now = this.now();
    const keys = entityKeys(finding);
    const occurredAt = finding.event.time;
    // A storm's repeats cost no analysis, so they pass before the per-entity limit: a
    // flood of one alert is counted in its incident instead of being refused.
    const stormKey = stormKeyOf(finding);
    const storm = this.storms.get(stormKey);
    if (
      storm !== undefined &&
      this.settings.rollupWindowMs > 0 &&
      Math.abs(occurredAt - storm.lastSeen) <= this.settings.rollupWindowMs
    ) {
      this.remember(this.storms, stormKey, {
        incidentId: storm.incidentId,
        lastSeen: Math.max(storm.lastSeen, occurredAt),
      });
      return { kind: 'rolled-up', incidentId: storm.incidentId, stormKey };
    }
    const limited = keys.find((key) => !this.take(key, now));
    if (limited !== undefined) return { kind: 'rate-limited', entity: limited };
    const match = keys
      .map((k) => this.open.get(k))
      .find((o) => o !== undefined && Math.abs(occurredAt - o.lastSeen) <= this.settings.windowMs);
    const incidentId = match?.incidentId ?? this.newId();
    for (const key of keys) this.remember(this.open, key, { incidentId, lastSeen: occurredAt });
    this.remember(this.storms, stormKey, { incidentId, lastSeen: occurredAt });
    return { kind: match ? 'joined' : 'new', incidentId, entities: keys, stormKey };
  }

  /** Re-learns an incident still gathering findings (after a restart) from its recorded findings. */
  restore(incidentId: string, findings: readonly Finding[]): void {
    for (const finding of [...findings].sort((a, b) => a.event.time - b.event.time))
      for (const key of entityKeys(finding))
        this.remember(this.open, key, { incidentId, lastSeen: finding.event.time });
  }

  /** Re-learns storms (after a restart), oldest first, so their repeats keep rolling up. */
  restoreStorms(storms: readonly StormRecord[]): void {
    for (const s of [...storms].sort((a, b) => a.lastSeen - b.lastSeen))
      this.remember(this.storms, s.stormKey, { incidentId: s.incidentId, lastSeen: s.lastSeen });
  }

  /**
   * Forgets the entities of an incident whose analysis has begun, so later, different
   * findings about them open a new one. Its storms stay: their repeats roll up into it.
   */
  forget(incidentId: string): void {
    for (const [key, value] of this.open)
      if (value.incidentId === incidentId) this.open.delete(key);
  }

  private take(key: string, now: number): boolean {
    const bucket = this.buckets.get(key) ?? { tokens: this.settings.perEntityBurst, at: now };
    bucket.tokens = Math.min(
      this.settings.perEntityBurst,
      bucket.tokens + ((now - bucket.at) / 60_000) * this.settings.perEntityPerMinute,
    );
    bucket.at = now;
    this.remember(this.buckets, key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key); // re-insert to keep Map order = recency
    map.set(key, value);
    if (map.size > this.settings.maxEntities) map.delete(map.keys().next().value as string);
  }
}
