/**
 * The offline analyser: the default analyst (no model, no network) and the fallback when a
 * model fails; its output says it is rule-based. It maps the detector's rule hits and its
 * own rules ({@link OFFLINE_RULES}, `offline-rules.ts`) to ATT&CK techniques, a severity
 * and responses, with the reason for each in the rationale.
 */
import {
  maxSeverity,
  SEVERITY_ORDER,
  type ActionType,
  type Analysis,
  type Finding,
  type Severity,
} from '@vigil/soc';
import { OFFLINE_RULES, type NormalisedEventView } from './offline-rules.js';
/**
 * Responses for a detector rule hit, by the parent of each technique it names (the hit
 * carries techniques, not responses). The reviewer's policy still decides every one.
 */
const RESPONSES_BY_TECHNIQUE: Readonly<Record<string, readonly ActionType[]>> = {
  T1611: ['isolate-pod'],
  T1610: ['isolate-pod'],
  T1609: ['isolate-pod'],
  T1496: ['isolate-pod', 'delete-pod'],
  T1105: ['delete-pod'],
  T1204: ['isolate-pod'],
  T1098: ['disable-user'],
  T1649: ['disable-user'],
  T1528: ['revoke-sa-token', 'disable-user'],
  T1552: ['revoke-sa-token'],
  T1041: ['block-ip'],
};

/**
 * Confidence of a detector rule hit standing alone (no offline rule corroborates it): a
 * rule is precise about what happened, not about intent, so these stay below the offline
 * rules' own confidences and a lone medium hit is left to a human.
 */
const HIT_CONFIDENCE: Readonly<Record<Severity, number>> = {
  low: 0.3,
  medium: 0.45,
  high: 0.6,
  critical: 0.75,
};

/**
 * Analyses a finding: the detector's rule hits (`finding.detection`) and the
 * {@link OFFLINE_RULES}, each with its reason in the rationale.
 *
 * - Techniques: those of the detector's hits, most severe first, then the offline rules'.
 * - Severity: the highest of every hit, never below `finding.detection.severity`.
 * - Confidence: the best matching offline rule's confidence, raised by each further one as
 *   independent evidence (1 − Π(1 − cᵢ)); with only detector hits, the best
 *   {@link HIT_CONFIDENCE} (hits on the same event are not independent evidence); then
 *   weighted by how anomalous the detector found the event, `× (0.7 + 0.3 × score)`.
 * - Nothing matching gives a low-confidence `low` analysis with no response.
 */
export function analyseOffline(finding: Finding): Analysis {
  const event = finding.event as unknown as NormalisedEventView;
  const hits = OFFLINE_RULES.flatMap((rule) => {
    const why = rule.matches(event);
    return why === undefined
      ? []
      : [{ rule, why, severity: rule.severityOf?.(event) ?? rule.severity }];
  });
  const ruleHits = [...(finding.detection?.ruleHits ?? [])].sort(
    (a, b) => SEVERITY_ORDER.indexOf(b.severity) - SEVERITY_ORDER.indexOf(a.severity),
  );
  if (hits.length === 0 && ruleHits.length === 0) {
    return {
      techniques: [],
      severity: 'low',
      confidence: round(0.2 * (0.7 + 0.3 * finding.score)),
      summary: `Anomalous ${event.activity ?? 'event'} (score ${finding.score.toFixed(2)}) matched no known attack pattern.`,
      rationale: `Rule-based analysis: the detector scored this event ${finding.score.toFixed(3)} (threshold ${finding.threshold.toFixed(3)}); no detection rule fired and none of the ${OFFLINE_RULES.length} offline rules matched, so no response is recommended.`,
      recommendedResponses: [],
      source: 'rule-based',
    };
  }
  const combined =
    hits.length > 0
      ? 1 - hits.reduce((p, h) => p * (1 - h.rule.confidence), 1)
      : Math.max(...ruleHits.map((h) => HIT_CONFIDENCE[h.severity]));
  const severity = [
    ...hits.map((h) => h.severity),
    ...ruleHits.map((h) => h.severity),
    finding.detection?.severity ?? 'low',
  ].reduce(maxSeverity);
  const techniques = unique([
    ...ruleHits.flatMap((h) => h.techniques),
    ...hits.map((h) => h.rule.technique),
  ]).slice(0, 10);
  const responses = unique([
    ...hits.flatMap((h) => h.rule.responses),
    ...ruleHits.flatMap((h) =>
      h.techniques.flatMap((t) => RESPONSES_BY_TECHNIQUE[t.slice(0, 5)] ?? []),
    ),
  ]).slice(0, 7);
  const lead = hits.find((h) => h.severity === severity)?.why ?? hits[0]?.why;
  const summary =
    lead !== undefined ? capitalise(lead) : `Detection rule "${ruleHits[0]!.title}" fired`;
  return {
    techniques,
    severity,
    confidence: round(combined * (0.7 + 0.3 * finding.score)),
    summary: `${summary}${techniques.length > 0 ? ` (${techniques.join(', ')})` : ''}.`,
    rationale: [
      `Rule-based analysis (offline analyser, no language model).`,
      ...(ruleHits.length === 0
        ? []
        : [
            `Detection rules that fired (${ruleHits.length}); the analysis is not below their severity ${finding.detection?.severity ?? severity}:`,
            ...ruleHits.map(
              (h) =>
                `- ${h.id} [${h.source}] → ${h.techniques.join(', ') || 'no technique'} (${h.severity}): ${h.title}`,
            ),
          ]),
      ...(hits.length === 0
        ? []
        : [
            `Offline rules matched (${hits.length}):`,
            ...hits.map(
              (h) =>
                `- ${h.rule.id} → ${h.rule.technique} (${h.severity}, ${h.rule.confidence}): ${h.why}`,
            ),
          ]),
      `Detector score ${finding.score.toFixed(3)} against threshold ${finding.threshold.toFixed(3)}.`,
    ].join('\n'),
    recommendedResponses: responses,
    source: 'rule-based',
  };
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Upper-cases the first letter, unless the sentence opens with an identity (`system:…`, an e-mail, a path): a name keeps its case. */
function capitalise(s: string): string {
  const first = s.split(/\s/, 1)[0] ?? '';
  if (/[:@/]/.test(first)) return s;
  return s.charAt(0).toUpperCase() + s.slice(1);
}
