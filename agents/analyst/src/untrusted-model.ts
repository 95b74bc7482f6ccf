/**
 * The language model is untrusted: its answer is advice with a provenance. This module is
 * everything between the model and the rest of the SOC:
 *
 * - what the model may see: the finding with secret material redacted (the raw event stays
 *   in the finding as evidence only);
 * - what the detection established without it: the severity floor and the rule-based
 *   confidence ({@link detectionEvidence}), which the reviewer's confidence is built from;
 * - what of its answer is kept ({@link guardModelAnalysis}): severity never below the
 *   floor, the rule-based responses never dropped, "benign" kept as advice for a human,
 *   and its text filtered (no secrets, no system-prompt echo, no links or images outside
 *   the allow-list, no HTML).
 */
import {
  filterUntrustedText,
  maxSeverity,
  redactSecrets,
  type Analysis,
  type DetectionEvidence,
  type Finding,
  severityOfEvent,
} from '@vigil/soc';
import { analyseOffline } from './offline-analyser.js';

/** The copy of a finding a model reads: every secret redacted, nothing else changed. */
export function modelView(finding: Finding): Finding {
  return redactSecrets(finding);
}

/**
 * What the detection says on its own: the rule-based analysis of the finding (rule
 * severity, rule confidence — deterministic, from the event) and the event's priority.
 * The floor is the highest of the rule-based severity, the event severity and the severity
 * of the detection rules that fired (`finding.detection`).
 */
export function detectionEvidence(finding: Finding, offline: Analysis = analyseOffline(finding)) {
  const evidence: DetectionEvidence = {
    ruleConfidence: offline.confidence,
    severityFloor: [
      offline.severity,
      severityOfEvent(finding.event.severityId),
      finding.detection?.severity ?? 'low',
    ].reduce(maxSeverity),
    // The detector's risk, copied: the analyst (and so a model) never recomputes it.
    ...(finding.risk === undefined ? {} : { riskScore: finding.risk.score }),
  };
  return { evidence, offline };
}

/** The model's own claims before Vigil applied the floor (the analyst's raw model output). */
export interface ModelClaims extends Analysis {
  readonly disposition?: 'malicious' | 'suspicious' | 'benign';
}

export interface GuardOptions {
  /** The system prompt the model was given; its text must not come back out. */
  readonly systemPrompt: string;
  /** Hosts links may point at (default `DEFAULT_LINK_HOSTS` of `@vigil/soc`). */
  readonly allowedHosts?: readonly string[];
}

/**
 * The analysis the SOC acts on from what a model said about `finding`:
 * - severity = max(model severity, detection floor);
 * - recommended responses and techniques = the rule-based analysis' ∪ the model's (a model
 *   may add, never remove; every response is still reviewed by policy);
 * - `evidence` from the detection, `advice` = the model's claimed severity, confidence and
 *   disposition (so "benign, low, 0.99" is shown to a human, not acted on);
 * - summary and rationale filtered with `filterUntrustedText`.
 */
export function guardModelAnalysis(
  claims: ModelClaims,
  finding: Finding,
  options: GuardOptions,
  detection = detectionEvidence(finding),
): Analysis {
  const { evidence, offline } = detection;
  const severity = maxSeverity(claims.severity, evidence.severityFloor);
  const filter = (text: string) =>
    filterUntrustedText(text, {
      forbidden: [options.systemPrompt],
      ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    });
  const overruled: string[] = [];
  if (severity !== claims.severity)
    overruled.push(`severity ${claims.severity} raised to the detection's floor ${severity}`);
  if (claims.disposition === 'benign')
    overruled.push('"benign" is a recommendation for a human, not a closure');
  const note = overruled.length ? ` [Model advice, not applied: ${overruled.join('; ')}.]` : '';
  const { disposition, ...analysis } = claims;
  return {
    ...analysis,
    techniques: [...new Set([...offline.techniques, ...claims.techniques])].slice(0, 10),
    severity,
    summary: `${filter(claims.summary).slice(0, 2000 - note.length)}${note}`,
    rationale: filter(claims.rationale).slice(0, 8000),
    recommendedResponses: [
      ...new Set([...offline.recommendedResponses, ...claims.recommendedResponses]),
    ],
    evidence,
    advice: {
      severity: claims.severity,
      confidence: claims.confidence,
      ...(disposition ? { disposition } : {}),
    },
  };
}
