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
   * the same entity class, see `stormKeyOf`) whose last finding is within this window (event
   * times) rolls up into that incident, even after its analysis began: it is counted and
   * digested, never a new incident. 0 disables the rollup.
   */
  readonly rollupWindowMs: number;
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
  | { readonly kind: 'new'; readonly incidentId: string; readonly entities: readonly string[] }
  | { readonly kind: 'joined'; readonly incidentId: string; readonly entities: readonly string[] }
  /** Part of a storm whose incident is already being analysed: counted in it, no new run. */
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
 * Groups findings into incidents: a finding of a storm (see `stormKeyOf`) rolls up into
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
  /** Storm key → its incident; `gathering` until the incident's analysis begins. */
  private readonly storms = new Map<
    string,
    { incidentId: string; lastSeen: number; gathering: boolean }
  >();

  constructor(
    private readonly settings: CorrelationSettings = DEFAULT_CORRELATION,
    private readonly newId: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  assign(finding: Finding): Correlation {
    const now = this.now();
    const keys = entityKeys(finding);
    const occurredAt = finding.event.time;
    // A storm's findings cost no analysis, so they pass before the per-entity limit: a
    // flood of one alert is counted in its incident instead of being refused.
    const stormKey = stormKeyOf(finding);
    const storm = this.storms.get(stormKey);
    if (
      storm !== undefined &&
      this.settings.rollupWindowMs > 0 &&
      Math.abs(occurredAt - storm.lastSeen) <= this.settings.rollupWindowMs
    ) {
      this.remember(this.storms, stormKey, {
        ...storm,
        lastSeen: Math.max(storm.lastSeen, occurredAt),
      });
      if (!storm.gathering) return { kind: 'rolled-up', incidentId: storm.incidentId, stormKey };
      for (const key of keys)
        this.remember(this.open, key, { incidentId: storm.incidentId, lastSeen: occurredAt });
      return { kind: 'joined', incidentId: storm.incidentId, entities: keys };
    }
    const limited = keys.find((key) => !this.take(key, now));
    if (limited !== undefined) return { kind: 'rate-limited', entity: limited };
    const match = keys
      .map((k) => this.open.get(k))
      .find((o) => o !== undefined && Math.abs(occurredAt - o.lastSeen) <= this.settings.windowMs);
    const incidentId = match?.incidentId ?? this.newId();
    for (const key of keys) this.remember(this.open, key, { incidentId, lastSeen: occurredAt });
    this.remember(this.storms, stormKey, { incidentId, lastSeen: occurredAt, gathering: true });
    return { kind: match ? 'joined' : 'new', incidentId, entities: keys };
  }

  /** Re-learns an incident still gathering findings (after a restart) from its recorded findings. */
  restore(incidentId: string, findings: readonly Finding[]): void {
    for (const finding of [...findings].sort((a, b) => a.event.time - b.event.time)) {
      for (const key of entityKeys(finding))
        this.remember(this.open, key, { incidentId, lastSeen: finding.event.time });
      this.remember(this.storms, stormKeyOf(finding), {
        incidentId,
        lastSeen: finding.event.time,
        gathering: true,
      });
    }
  }

  /** Forgets an incident whose analysis has begun, so later findings about its entities open a new one. */
  forget(incidentId: string): void {
    for (const [key, value] of this.open)
      if (value.incidentId === incidentId) this.open.delete(key);
    // Its storms stay: later findings of the same storm roll up into it instead.
    for (const storm of this.storms.values())
      if (storm.incidentId === incidentId) storm.gathering = false;
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
