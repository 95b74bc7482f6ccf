/**
 * `@vigil/detector/testing`: a stand-in coordinator for tests that run real detector
 * replicas under `vigil up` without the rest of the SOC. Its `handle-finding` appends each
 * call (finding id, event id, model version, time) as one NDJSON line to
 * `<stateDir>/recorder/findings.ndjson` — every call, redeliveries included, so a test
 * sees exactly what reached the coordinator — and answers as the coordinator does: `new`
 * the first time an id arrives, `duplicate` after.
 *
 * @example
 * ```yaml
 * - name: coordinator
 *   implementation: '@vigil/detector/testing'
 *   skills: [{ id: handle-finding }]
 * ```
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { implementSkill, type AgentDefinition, type AgentSkillHandler } from '@vigil/runtime';
import { SOC_SKILLS } from '@vigil/soc';

/** One line of the recorder's file. */
export interface RecordedFinding {
  readonly findingId: string;
  readonly eventId: string;
  readonly modelVersion: string;
  readonly at: number;
}

/** `<stateDir>/recorder/findings.ndjson` */
export function recordedFindingsPath(stateDir: string): string {
  return join(stateDir, 'recorder', 'findings.ndjson');
}

const seen = new Set<string>();

const handleFinding: AgentSkillHandler<typeof SOC_SKILLS.handleFinding> = async (finding, ctx) => {
  const path = recordedFindingsPath(ctx.agent.stateDir);
  mkdirSync(join(path, '..'), { recursive: true });
  const line: RecordedFinding = {
    findingId: finding.id,
    eventId: finding.event.id,
    modelVersion: finding.modelVersion,
    at: Date.now(),
  };
  // Written before the answer: what the detector saw acknowledged is on disk.
  appendFileSync(path, `${JSON.stringify(line)}\n`);
  const incidentId = `incident-${finding.id}`;
  if (seen.has(finding.id)) return { kind: 'duplicate', incidentId };
  seen.add(finding.id);
  return { kind: 'new', incidentId, entities: [], stormKey: finding.id };
};

/** The recorder's `AgentDefinition`. */
export const agent: AgentDefinition = {
  skills: [implementSkill(SOC_SKILLS.handleFinding, handleFinding)],
};
