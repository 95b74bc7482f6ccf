/**
 * Producers' operational messages (Falco's event drops, internal metrics snapshots —
 * normalised with `signal: 'health'`) are health signals of the sensor, not security
 * events: they are counted here, per producer rule, and never scored, turned into
 * findings or rolled into incidents. A sensor that drops events is blind, so the counts
 * are surfaced in the detector's status rather than discarded.
 */
import type { SecurityEvent } from '../events/security-event.js';

/** Most distinct rule names kept; the rest are counted under {@link OTHER_RULE}. */
const MAX_RULES = 64;

/** Bucket for health signals beyond {@link MAX_RULES} distinct rules. */
export const OTHER_RULE = '(other)';

/** Counts of health signals, by producer rule (`Falco internal: syscall event drop`). */
export interface HealthSignalStats {
  readonly total: number;
  readonly byRule: Readonly<Record<string, number>>;
  /** Epoch ms of the most recent health signal's own time, or null before the first. */
  readonly lastAt: number | null;
}

export class HealthSignals {
  private total = 0;
  private lastAt: number | null = null;
  private readonly byRule = new Map<string, number>();

  /** Counts one health signal; returns how many of its rule have been seen (1 for the first). */
  record(event: SecurityEvent): number {
    this.total += 1;
    if (Number.isFinite(event.time)) this.lastAt = event.time;
    let rule = event.rule ?? event.activity;
    if (!this.byRule.has(rule) && this.byRule.size >= MAX_RULES) rule = OTHER_RULE;
    const n = (this.byRule.get(rule) ?? 0) + 1;
    this.byRule.set(rule, n);
    return n;
  }

  stats(): HealthSignalStats {
    return { total: this.total, byRule: Object.fromEntries(this.byRule), lastAt: this.lastAt };
  }
}
