import type { Finding } from '@vigil/soc';

/** Builds a finding around a normalised event, for tests of the analyst and coordinator. */
export function findingFor(
  event: Record<string, unknown>,
  overrides: Partial<Finding> = {},
): Finding {
  return {
    id: `finding-${String(event['id'] ?? 'x')}`,
    detectedAt: 1_760_000_000_000,
    score: 0.72,
    threshold: 0.6,
    modelVersion: 'test',
    topFeatures: [{ name: 'activity.rarity', value: 9.2, contribution: 0.4 }],
    event: {
      id: 'e1',
      time: 1_760_000_000_000,
      format: 'falco',
      classUid: 1007,
      activity: 'exec',
      severityId: 3,
      actor: {},
      tags: [],
      raw: {},
      ...event,
    },
    entities: { addresses: [] },
    ...overrides,
  } as Finding;
}
