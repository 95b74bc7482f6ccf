/**
 * The detector's final score of one event, in [0, 1]: one number that orders every event
 * by what the detection decided — the rule tier first, the forest's ranking within — so
 * that a single threshold, a ROC curve or a queue can be read off it.
 *
 * | tier                                   | score                                                         |
 * | -------------------------------------- | ------------------------------------------------------------- |
 * | an `alert` rule fired                  | 0.6 + 0.1 × rank of its highest severity (low 0 … critical 3) |
 * |                                        | + 0.02 per further alerting rule (at most 2)                  |
 * | a forest or gate finding, no alert     | 0.4 + 0.1 × forest score                                      |
 * | not a finding                          | 0.3 × forest score                                            |
 *
 * Every tier adds 0.02 per `annotate` hit (at most 2: evidence such as a refused request,
 * which ranks an attempt above the ordinary) and, inside the alert tier, 0.01 × the forest
 * score to break ties between rules of one severity. The tiers never overlap.
 */
import type { Severity } from '@vigil/soc';
import type { RuleSet, RuleVerdict } from './rule.js';

const RANK: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };

/**
 * @param verdict what `rules.evaluate` said of the event (undefined: no rule tier)
 * @param forest the forest's score of the event, in [0, 1]
 * @param finding whether the pipeline made the event a finding (alert rule, forest or gate)
 */
export function detectionScore(
  rules: RuleSet | undefined,
  verdict: RuleVerdict | undefined,
  forest: number,
  finding: boolean,
): number {
  let alerts = 0;
  let annotations = 0;
  let rank = -1;
  for (const hit of verdict?.hits ?? []) {
    if (rules?.actionOf(hit.id) === 'alert') {
      alerts++;
      rank = Math.max(rank, RANK[hit.severity]);
    } else annotations++;
  }
  const evidence = 0.02 * Math.min(annotations, 2);
  if (alerts > 0)
    return 0.6 + 0.1 * rank + 0.02 * Math.min(alerts - 1, 2) + evidence + 0.01 * forest;
  if (finding) return 0.4 + 0.1 * forest + evidence;
  return 0.3 * forest + evidence;
}
