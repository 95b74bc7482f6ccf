/** Human durations for ages and countdowns, computed from an injected `now` (testable, no clock reads). */

const UNITS: readonly [seconds: number, suffix: string][] = [
  [86_400, 'd'],
  [3_600, 'h'],
  [60, 'm'],
  [1, 's'],
];

/** `1h 05m`, `3m 07s`, `42s`: the two largest units of a non-negative duration. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000));
  const parts: string[] = [];
  for (const [size, suffix] of UNITS) {
    if (parts.length === 0 && rest < size && size > 1) continue;
    const n = Math.floor(rest / size);
    rest -= n * size;
    parts.push(parts.length === 0 ? `${n}${suffix}` : `${String(n).padStart(2, '0')}${suffix}`);
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** How long ago `at` was, relative to `now` (epoch ms). */
export function formatAge(at: number, now: number): string {
  return formatDuration(now - at);
}

/** What an expiry countdown shows: the time left, or that it expired. */
export function countdown(expiresAt: number, now: number): { expired: boolean; text: string } {
  const left = expiresAt - now;
  return left <= 0
    ? { expired: true, text: 'expired' }
    : { expired: false, text: `expires in ${formatDuration(left)}` };
}

/** An absolute time in UTC ISO 8601, to the second (audit readers compare across zones). */
export function formatTime(at: number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
