import type { AgentSpec } from '@vigil/registry';
import { SOURCES, type SourceName } from './contracts.js';
import { SECTION_IDS } from './draft.js';
import { CREDIT_ERROR_CODES, CreditError } from './errors.js';
import { ANALYSES, type AnalysisName } from './finance/analyses.js';

const IMPL = '@vigil/credit-memo';

/** Which declared agent does each job of a memo (found from the declaration, never named in code). */
export interface Roster {
  readonly collectors: Readonly<Record<SourceName, string>>;
  readonly analysts: Readonly<Record<AnalysisName, string>>;
  readonly reviewers: Readonly<Record<string, string>>;
  readonly drafter: string;
  readonly compliance: string;
  readonly publisher: string;
}

function settingOf(a: AgentSpec, key: string): unknown {
  return (a.settings as Record<string, unknown>)[key];
}

/**
 * Builds the roster from the agents `self` may call: a collector per source (granted by
 * `source:<name>`), an analyst per analysis, a reviewer per section, one drafter,
 * compliance checker and publisher. Throws `VIGIL_CREDIT_SETTINGS_INVALID` naming every
 * job nobody the orchestrator may call can do.
 */
export function buildRoster(self: AgentSpec, agents: readonly AgentSpec[]): Roster {
  const callable = agents.filter((a) => self.calls.includes(a.name));
  const of = (kind: string) => callable.filter((a) => a.implementation === `${IMPL}/${kind}`);
  const missing: string[] = [];
  const pick = <K extends string>(
    keys: readonly K[],
    kind: string,
    find: (a: AgentSpec, k: K) => boolean,
  ) =>
    Object.fromEntries(
      keys.map((k) => {
        const a = of(kind).find((x) => find(x, k));
        if (a === undefined) missing.push(`${kind} for ${k}`);
        return [k, a?.name ?? ''];
      }),
    ) as Record<K, string>;
  const one = (kind: string): string => {
    const a = of(kind)[0];
    if (a === undefined) missing.push(kind);
    return a?.name ?? '';
  };
  const roster: Roster = {
    collectors: pick(SOURCES, 'collector', (a, s) => a.permissions.tools.includes(`source:${s}`)),
    analysts: pick(ANALYSES, 'analyst', (a, n) => settingOf(a, 'analysis') === n),
    reviewers: pick(SECTION_IDS, 'section-reviewer', (a, s) => settingOf(a, 'section') === s),
    drafter: one('drafter'),
    compliance: one('compliance-checker'),
    publisher: one('publisher'),
  };
  if (missing.length > 0) {
    throw new CreditError(
      CREDIT_ERROR_CODES.SETTINGS_INVALID,
      `agents.${self.name}.calls: no callable agent for ${missing.join(', ')}`,
    );
  }
  return roster;
}
