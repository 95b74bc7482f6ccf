/**
 * The detector pipeline behind every event source: normalised event → features → Isolation
 * Forest score, and the rule tier beside it → `Finding` for the anomalies and for every event
 * an `alert` rule fires on (whatever the forest says), carrying the rule hits, forwarded (to the coordinator, over A2A, by
 * the agent). Its `sink` is an {@link EventSink}: it resolves once the event is scored and,
 * if anomalous, its finding forwarded — so a durable source acknowledges only then, and a
 * failed forward is a failed event (JetStream redelivers it).
 */
import {
  maxSeverity,
  riskScoreOf,
  severityOfEvent,
  type Detection,
  type Finding,
} from '@vigil/soc';
import { AssetCriticalityMap } from './asset-criticality.js';
import type { SecurityEvent } from '../events/security-event.js';
import type { EventSink } from '../sources/event-source.js';
import type { DetectorModel, ModelHolder } from '../model/model.js';
import { EventScorer, type EventScorerOptions } from '../model/scorer.js';
import { severityOfHits, type RuleSet, type RuleVerdict } from '../rules/rule.js';
import { contextOf, DEFAULT_RULE_CONTEXT, type RuleContext } from '../rules/condition.js';
import type { NoveltyGateStats } from '../model/novelty-gate.js';
import { HealthSignals, type HealthSignalStats } from './health-signals.js';

export interface DetectorPipelineOptions {
  readonly holder: ModelHolder;
  /** The estate's asset criticality (settings.assets); default: the control plane critical. */
  readonly assets?: AssetCriticalityMap;
  /** Delivers one finding; a rejection fails the event. */
  readonly forward: (finding: Finding) => Promise<void>;
  /** Features named in a finding. Default 5. */
  readonly topFeatures?: number;
  readonly scorer?: EventScorerOptions;
  /** The rule tier (`loadRuleSet()`); without it only the forest decides. */
  readonly rules?: RuleSet;
  /** Wall clock for `detectedAt`. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Called for each health signal (a sensor's operational message) with the count of its
   * rule so far, e.g. to log the first of each. Health signals are never scored.
   */
  readonly onHealthSignal?: (event: SecurityEvent, countOfRule: number) => void;
}

/** Counters of the pipeline (DESIGN: events in per finding out is a headline figure). */
export interface PipelineStats {
  readonly scored: number;
  readonly findings: number;
  readonly forwardFailures: number;
  /** Findings raised by an `alert` rule on an event the forest scored as normal. */
  readonly ruleOnlyFindings: number;
  /** Events scored per finding forwarded (∞ shown as `scored` when there is none). */
  readonly reduction: number;
  /** Share of scored events that did not become findings. */
  readonly filtered: number;
  /** Score histogram: 20 bins of width 0.05 over [0, 1]. */
  readonly histogram: readonly number[];
  /** Sensors' operational messages, counted apart: never scored, never findings. */
  readonly health: HealthSignalStats;
  /** The novelty gate: warm-up, pages and budget suppressions per identity class. */
  readonly novelty: NoveltyGateStats;
}

export const HISTOGRAM_BINS = 20;

export class DetectorPipeline {
  readonly sink: EventSink;
  private readonly scorer: EventScorer;
  private scored = 0;
  private findings = 0;
  private forwardFailures = 0;
  private ruleOnlyFindings = 0;
  private readonly histogram = new Float64Array(HISTOGRAM_BINS);
  private readonly health = new HealthSignals();

  constructor(private readonly options: DetectorPipelineOptions) {
    this.scorer = new EventScorer(options.holder, options.scorer);
    const k = options.topFeatures ?? 5;
    const assets = options.assets ?? DEFAULT_ASSETS;
    const now = options.now ?? Date.now;
    this.sink = async (event) => {
      if (event.signal === 'health') {
        const n = this.health.record(event);
        options.onHealthSignal?.(event, n);
        return;
      }
      const score = this.scorer.score(event);
      this.scored += 1;
      this.histogram[Math.min(HISTOGRAM_BINS - 1, Math.floor(score * HISTOGRAM_BINS))]! += 1;
      const verdict = options.rules?.evaluate(event, this.ruleContext());
      const anomalous = this.scorer.isAnomalous(score);
      if (!anomalous && verdict?.alert !== true) return;
      const model = this.scorer.lastModel;
      const finding = findingOf(
        event,
        score,
        model.threshold,
        model.id,
        this.scorer.topFeatures(k),
        now(),
        detectionOf(verdict),
        assets,
      );
      try {
        await this.options.forward(finding);
      } catch (error) {
        this.forwardFailures += 1;
        throw error;
      }
      this.findings += 1;
      if (!anomalous) this.ruleOnlyFindings += 1;
    };
  }

  /**
   * The rules' context for the model that scored the last event: its address classifier,
   * so `actor.sourceClass` knows the cloud ranges the model was trained with. Rebuilt only
   * when the model is swapped.
   */
  private ruleContext(): RuleContext {
    const model = this.scorer.lastModel;
    if (this.contextModel !== model) {
      this.contextModel = model;
      this.context = contextOf(model.encoder.addresses);
    }
    return this.context;
  }

  private contextModel: DetectorModel | undefined;
  private context: RuleContext = DEFAULT_RULE_CONTEXT;

  /** Scores one event without forwarding: the score and whether it is an anomaly. */
  score(event: SecurityEvent): { score: number; anomalous: boolean } {
    const score = this.scorer.score(event);
    return { score, anomalous: this.scorer.isAnomalous(score) };
  }

  stats(): PipelineStats {
    return {
      scored: this.scored,
      findings: this.findings,
      forwardFailures: this.forwardFailures,
      ruleOnlyFindings: this.ruleOnlyFindings,
      reduction: this.findings === 0 ? this.scored : this.scored / this.findings,
      filtered: this.scored === 0 ? 1 : 1 - this.findings / this.scored,
      histogram: Array.from(this.histogram),
      health: this.health.stats(),
      novelty: this.scorer.noveltyStats(),
    };
  }
}

/** The finding's `detection` from the rules that fired (none: a forest-only anomaly). */
export function detectionOf(verdict: RuleVerdict | undefined): Detection | undefined {
  if (verdict === undefined || verdict.hits.length === 0) return undefined;
  return { severity: severityOfHits(verdict.hits), ruleHits: [...verdict.hits] };
}

const DEFAULT_ASSETS = new AssetCriticalityMap();

/**
 * The finding's risk (`@vigil/soc` `riskScoreOf`): the detection's severity — the rules
 * that fired and the source's own priority — the forest's score, the asset's criticality.
 */
export function riskOf(
  event: SecurityEvent,
  anomaly: number,
  detection: Detection | undefined,
  assets: AssetCriticalityMap = DEFAULT_ASSETS,
): NonNullable<Finding['risk']> {
  const severity = maxSeverity(detection?.severity ?? 'low', severityOfEvent(event.severityId));
  const { criticality, asset } = assets.of(event);
  const clamped = Math.min(1, Math.max(0, anomaly));
  return {
    score: riskScoreOf(severity, clamped, criticality),
    severity,
    anomaly: clamped,
    criticality,
    asset,
  };
}

/** Builds the `Finding` an event becomes (schema: `@vigil/soc` `findingSchema`). */
export function findingOf(
  event: SecurityEvent,
  score: number,
  threshold: number,
  modelVersion: string,
  topFeatures: Finding['topFeatures'],
  detectedAt: number,
  detection?: Detection,
  assets: AssetCriticalityMap = DEFAULT_ASSETS,
): Finding {
  const ns = event.workload?.namespace ?? event.resource?.namespace;
  const pod =
    event.workload?.pod ?? (event.resource?.type === 'pods' ? event.resource.name : undefined);
  const addresses = [event.actor.sourceIp, event.network?.srcIp, event.network?.dstIp].filter(
    (a, i, all): a is string => a !== undefined && all.indexOf(a) === i,
  );
  return {
    id: `finding-${event.id}`,
    detectedAt,
    score,
    threshold,
    modelVersion,
    topFeatures,
    event: event as unknown as Finding['event'],
    ...(detection === undefined ? {} : { detection }),
    risk: riskOf(event, score, detection, assets),
    entities: {
      ...(pod === undefined ? {} : { workload: `${ns ?? ''}/${pod}` }),
      // Inside a workload the "user" is the container's process user (root, postgres):
      // not an identity that ties two workloads' findings together.
      ...(event.actor.user === undefined || event.workload !== undefined
        ? {}
        : { actor: event.actor.user }),
      addresses,
    },
  };
}
