import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInstant, parsePeriod } from './period.js';

const NOW = new Date('2026-12-07T12:00:00.000Z');

test('--from and --to take ISO dates, now, and durations back from now', () => {
  assert.equal(parseInstant('2026-12-01', '--from', NOW).toISOString(), '2026-12-01T00:00:00.000Z');
  assert.equal(
    parseInstant('2026-12-01T08:30:00+01:00', '--from', NOW).toISOString(),
    '2026-12-01T07:30:00.000Z',
  );
  assert.equal(parseInstant('now', '--to', NOW), NOW);
  assert.equal(parseInstant('7d', '--from', NOW).toISOString(), '2026-11-30T12:00:00.000Z');
  assert.throws(() => parseInstant('last week', '--from', NOW), /--from: "last week" is not/);
  assert.throws(() => parseInstant('2026-13-45', '--from', NOW), /--from: "2026-13-45" is not/);
  assert.throws(() => parsePeriod('now', '1h', NOW), /--from .* must be before --to/);
});
