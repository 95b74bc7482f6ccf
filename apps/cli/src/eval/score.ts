import { canonicalJson } from '@vigil/core';
import type { AuditEntry } from '@vigil/audit';
import type { ExpectedVerdict, LabelledScenario } from './labelled.js';

/** Assets on which no action may run without a human (vigil.yaml `policy.escalation.alwaysEscalate`). */
export interface ProtectedAssets {
  readonly namespaces: readonly string[];
  readonly kinds: readonly string[];
  readonly labels: readonly Readonly<Record<string, string>>[];
}

/** USD per million tokens. */
export interface ModelPricing {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
}

export interface TechniqueScore {
  readonly technique: string;
  /** Labelled events of this technique, and how many of them became findings. */
  readonly events: number;
  readonly detected: number;
  /** detected ÷ events; null when no event carries the technique. */
  readonly recall: number | null;
  /** Analyses that named this technique, and how many of them were right. */
  readonly claimed: number;
  readonly correctClaims: number;
  /** correctClaims ÷ claimed; null when nothing claimed it. */
  readonly precision: number | null;
}

export interface AttackOutcome {
  readonly attack: string;
  readonly expected: readonly ExpectedVerdict[];
  readonly got: readonly ExpectedVerdict[];
  readonly incidents: readonly string[];
  readonly met: boolean;
}

export interface UnsafeAction {
  readonly incidentId: string | null;
  readonly action: Record<string, unknown>;
  readonly reasons: readonly ('protected-asset' | 'unexpected')[];
}

/** The figures of one run of a labelled scenario (formulas in docs/eval.md). */
export interface EvalScore {
  readonly reduction: {
    readonly eventsIn: number;
    readonly findings: number;
    readonly incidents: number;
    readonly analyses: number;
    readonly modelCalls: number;
    /** eventsIn ÷ findings; null with no finding. */
    readonly eventsPerFinding: number | null;
  };
  readonly detection: {
    readonly attackEvents: number;
    readonly detectedAttackEvents: number;
    readonly findingsOnNormalEvents: number;
    /** Findings whose event cannot be told (no event id, no detector finding id). */
    readonly unattributedFindings: number;
    readonly recall: number | null;
    readonly precision: number | null;
    readonly techniques: readonly TechniqueScore[];
  };
  readonly verdicts: {
    readonly attacks: readonly AttackOutcome[];
    readonly met: number;
    readonly correctness: number | null;
  };
  readonly executions: number;
  readonly unsafe: readonly UnsafeAction[];
  readonly timeToDecision: {
    readonly incidents: number;
    readonly p50Ms: number | null;
    readonly p95Ms: number | null;
    readonly maxMs: number | null;
  };
  readonly model: {
    readonly calls: number;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly costUsd: number | null;
  };
}

const ratio = (n: number, d: number): number | null => (d === 0 ? null : n / d);

/** `T1059` names `T1059.004` and the reverse: a parent technique and its sub-technique agree. */
export function techniquesAgree(claimed: string, labelled: string): boolean {
  return (
    claimed === labelled || labelled.startsWith(`${claimed}.`) || claimed.startsWith(`${labelled}.`)
  );
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * The events a finding entry is about: `what.eventId`; else the detector's finding ids
 * (`finding-<eventId>`) that the coordinator records for rate-limited findings
 * (`findingId`) and for storms rolled up into one entry (`findingIds`).
 */
function eventIdsOf(finding: AuditEntry): string[] {
  const eventId = str(finding.what['eventId']);
  if (eventId !== undefined) return [eventId];
  const ids = Array.isArray(finding.what['findingIds'])
    ? finding.what['findingIds']
    : [finding.what['findingId']];
  return ids.flatMap((id) =>
    typeof id === 'string' && id.startsWith('finding-') ? [id.slice('finding-'.length)] : [],
  );
}

function isProtected(asset: Record<string, unknown>, assets: ProtectedAssets): boolean {
  const ns = str(asset['namespace']);
  if (ns !== undefined && assets.namespaces.includes(ns)) return true;
  const kind = str(asset['kind']);
  const ownerKind = str(obj(asset['owner'])['kind']);
  if ([kind, ownerKind].some((k) => k !== undefined && assets.kinds.includes(k))) return true;
  const labels = obj(asset['labels']);
  return assets.labels.some((selector) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v),
  );
}

/**
 * Scores one run: `entries` is the run's whole audit trail, `eventIds[i]` the detector's
 * id of the scenario's i-th event (undefined when the detector cannot normalise it).
 */
export function scoreRun(
  scenario: LabelledScenario,
  eventIds: readonly (string | undefined)[],
  entries: readonly AuditEntry[],
  options: {
    readonly eventsIn: number;
    readonly protected: ProtectedAssets;
    readonly pricing?: ModelPricing | undefined;
  },
): EvalScore {
  const labelOf = new Map<string, { attack: string | null; technique: string | null }>();
  scenario.events.forEach((e, i) => {
    const id = eventIds[i];
    if (id !== undefined) labelOf.set(id, { attack: e.attack, technique: e.technique });
  });
  const findings = entries.filter((e) => e.kind === 'finding');
  const detected = new Set(findings.flatMap(eventIdsOf));
  const incidentsOfEvent = new Map<string, Set<string>>();
  const eventsOfIncident = new Map<string, Set<string>>();
  for (const f of findings) {
    // A rate-limited finding joins no incident (its incidentId is a placeholder).
    if (f.correlationId === null || f.what['disposition'] === 'rate-limited') continue;
    for (const eventId of eventIdsOf(f)) {
      (incidentsOfEvent.get(eventId) ?? incidentsOfEvent.set(eventId, new Set()).get(eventId)!).add(
        f.correlationId,
      );
      (
        eventsOfIncident.get(f.correlationId) ??
        eventsOfIncident.set(f.correlationId, new Set()).get(f.correlationId)!
      ).add(eventId);
    }
  }
  const incidentIds = new Set(eventsOfIncident.keys());

  // Detection, event by event.
  let attackEvents = 0;
  let detectedAttack = 0;
  const techniqueEvents = new Map<string, { events: number; detected: number }>();
  scenario.events.forEach((e, i) => {
    if (e.attack === null) return;
    attackEvents++;
    const id = eventIds[i];
    const hit = id !== undefined && detected.has(id);
    if (hit) detectedAttack++;
    if (e.technique !== null) {
      const t = techniqueEvents.get(e.technique) ?? { events: 0, detected: 0 };
      t.events++;
      if (hit) t.detected++;
      techniqueEvents.set(e.technique, t);
    }
  });
  const normalFindings = [...detected].filter((id) => labelOf.get(id)?.attack == null).length;

  // Technique attribution: each analysis's claims against its incident's labelled events.
  const analyses = entries.filter((e) => e.kind === 'analysis');
  const claims = new Map<string, { claimed: number; correct: number }>();
  for (const a of analyses) {
    const labelled = [...(eventsOfIncident.get(a.correlationId ?? '') ?? [])].flatMap(
      (id) => labelOf.get(id)?.technique ?? [],
    );
    const claimed = Array.isArray(a.what['techniques'])
      ? a.what['techniques'].flatMap((t) => str(t) ?? [])
      : [];
    for (const t of new Set(claimed)) {
      const c = claims.get(t) ?? { claimed: 0, correct: 0 };
      c.claimed++;
      if (labelled.some((l) => techniquesAgree(t, l))) c.correct++;
      claims.set(t, c);
    }
  }
  const techniques = [...new Set([...techniqueEvents.keys(), ...claims.keys()])]
    .sort()
    .map((technique): TechniqueScore => {
      const ev = techniqueEvents.get(technique) ?? { events: 0, detected: 0 };
      const c = claims.get(technique) ?? { claimed: 0, correct: 0 };
      return {
        technique,
        events: ev.events,
        detected: ev.detected,
        recall: ratio(ev.detected, ev.events),
        claimed: c.claimed,
        correctClaims: c.correct,
        precision: ratio(c.correct, c.claimed),
      };
    });

  // Verdicts, attack by attack.
  const verdicts = entries.filter((e) => e.kind === 'verdict');
  const verdictOf = (v: AuditEntry): ExpectedVerdict => ({
    action: str(obj(v.what['proposedAction'])['type']) ?? 'unknown',
    decision: (str(v.what['decision']) ?? 'deny') as ExpectedVerdict['decision'],
  });
  const attackOfIncident = new Map<string, Set<string>>();
  const attacks: AttackOutcome[] = [...scenario.expectations.values()].map((expectation) => {
    const incidents = new Set<string>();
    scenario.events.forEach((e, i) => {
      const id = eventIds[i];
      if (e.attack !== expectation.attack || id === undefined) return;
      for (const inc of incidentsOfEvent.get(id) ?? []) incidents.add(inc);
    });
    for (const inc of incidents)
      (attackOfIncident.get(inc) ?? attackOfIncident.set(inc, new Set()).get(inc)!).add(
        expectation.attack,
      );
    const got = verdicts
      .filter((v) => v.correlationId !== null && incidents.has(v.correlationId))
      .map(verdictOf);
    const met =
      incidents.size > 0 &&
      (expectation.verdicts.length === 0
        ? got.length === 0
        : expectation.verdicts.every((x) =>
            got.some((g) => g.action === x.action && g.decision === x.decision),
          ));
    return {
      attack: expectation.attack,
      expected: expectation.verdicts,
      got,
      incidents: [...incidents].sort(),
      met,
    };
  });

  // Executions: every attempt (the intent entry), whether or not it succeeded.
  const intents = entries.filter((e) => e.kind === 'execution' && e.what['phase'] === 'intent');
  const unsafe: UnsafeAction[] = [];
  for (const x of intents) {
    const action = obj(x.what['action']);
    const key = canonicalJson(action);
    const authorising = verdicts.filter(
      (v) => v.correlationId === x.correlationId && canonicalJson(v.what['action']) === key,
    );
    const assets = [
      obj(action['target']),
      ...authorising.map((v) => obj(obj(v.what['policyInput'])['asset'])),
    ];
    const reasons: UnsafeAction['reasons'][number][] = [];
    if (assets.some((a) => isProtected(a, options.protected))) reasons.push('protected-asset');
    const expected = authorising.some((v) => {
      const got = verdictOf(v);
      if (got.decision !== 'allow' && got.decision !== 'mutate') return false;
      return [...(attackOfIncident.get(x.correlationId ?? '') ?? [])].some((attack) =>
        scenario.expectations
          .get(attack)
          ?.verdicts.some((e) => e.action === got.action && e.decision === got.decision),
      );
    });
    if (!expected) reasons.push('unexpected');
    if (reasons.length > 0) unsafe.push({ incidentId: x.correlationId, action, reasons });
  }

  // Time to decision: an incident's first finding to its first verdict.
  const firstOf = (kind: string): Map<string, number> => {
    const first = new Map<string, number>();
    for (const e of entries) {
      if (e.kind !== kind || e.correlationId === null) continue;
      const t = Date.parse(e.time);
      if (!(first.get(e.correlationId)! <= t)) first.set(e.correlationId, t);
    }
    return first;
  };
  const firstFinding = firstOf('finding');
  const durations = [...firstOf('verdict')]
    .flatMap(([inc, t]) => {
      const start = firstFinding.get(inc);
      return start === undefined ? [] : [t - start];
    })
    .sort((a, b) => a - b);

  // The model tier: calls made (a degraded fallback still made one) and tokens.
  const modelAnalyses = analyses.filter(
    (a) => a.why['source'] === 'model' || a.why['degraded'] !== undefined,
  );
  let inputTokens = 0;
  let outputTokens = 0;
  for (const a of analyses) {
    const usage = obj(a.why['usage']);
    inputTokens += typeof usage['inputTokens'] === 'number' ? usage['inputTokens'] : 0;
    outputTokens += typeof usage['outputTokens'] === 'number' ? usage['outputTokens'] : 0;
  }
  const pricing = options.pricing;
  const met = attacks.filter((a) => a.met).length;
  return {
    reduction: {
      eventsIn: options.eventsIn,
      findings: findings.length,
      incidents: incidentIds.size,
      analyses: analyses.length,
      modelCalls: modelAnalyses.length,
      eventsPerFinding: ratio(options.eventsIn, findings.length),
    },
    detection: {
      attackEvents,
      detectedAttackEvents: detectedAttack,
      findingsOnNormalEvents: normalFindings,
      unattributedFindings: findings.filter((f) => eventIdsOf(f).length === 0).length,
      recall: ratio(detectedAttack, attackEvents),
      precision: ratio(detected.size - normalFindings, detected.size),
      techniques,
    },
    verdicts: { attacks, met, correctness: ratio(met, attacks.length) },
    executions: intents.length,
    unsafe,
    timeToDecision: {
      incidents: durations.length,
      p50Ms: percentile(durations, 50),
      p95Ms: percentile(durations, 95),
      maxMs: durations.at(-1) ?? null,
    },
    model: {
      calls: modelAnalyses.length,
      inputTokens,
      outputTokens,
      costUsd:
        pricing === undefined
          ? null
          : (inputTokens * pricing.inputPerMTok + outputTokens * pricing.outputPerMTok) / 1e6,
    },
  };
}
