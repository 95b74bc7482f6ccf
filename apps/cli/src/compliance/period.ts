import type { TimeWindow } from '@vigil/audit';
import { parseDuration } from '../commands/audit.js';
import { UsageError } from '../context.js';

/** A reporting period: `from` inclusive, `to` exclusive. */
export type Period = TimeWindow;

/**
 * A point in time as `--from` / `--to` take it: an ISO 8601 date or date-time
 * (`2026-12-01`, `2026-12-01T08:00:00Z`), `now`, or a duration back from `now` (`7d`, `12h`).
 * @throws UsageError naming the flag when the text is none of these.
 */
export function parseInstant(text: string, flag: string, now: Date): Date {
  const trimmed = text.trim();
  if (trimmed === 'now') return now;
  if (/^\d+(ms|s|m|h|d)$/.test(trimmed))
    return new Date(now.getTime() - parseDuration(trimmed, flag));
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed)) {
    const date = new Date(trimmed);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new UsageError(
    `${flag}: "${text}" is not an ISO 8601 date or time, "now", or a duration back from now like 7d`,
  );
}

/** The period of `--from` / `--to`; `from` must come before `to`. */
export function parsePeriod(from: string, to: string, now: Date = new Date()): Period {
  const period = { from: parseInstant(from, '--from', now), to: parseInstant(to, '--to', now) };
  if (period.from.getTime() >= period.to.getTime())
    throw new UsageError(
      `--from (${period.from.toISOString()}) must be before --to (${period.to.toISOString()})`,
    );
  return period;
}
