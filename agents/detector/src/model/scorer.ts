/**
 * Per-event scoring against the live model: extraction into a preallocated row, the
 * forest score, the threshold verdict and, on demand, the top contributing features.
 */
import type { SecurityEvent } from '../events/security-event.js';
import {
  CATEGORICAL_ARITY,
  CATEGORICAL_FEATURES,
  EntityRates,
  FEATURE_COUNT,
  FEATURE_NAMES,
  UNSEEN_COLUMN,
} from './features.js';
import type { DetectorModel, ModelHolder } from './model.js';
import {
  NoveltyGate,
  type GateVerdict,
  type NoveltyGateOptions,
  type NoveltyGateStats,
} from './novelty-gate.js';

/** One feature's share in an anomaly, as a `Finding` carries it. */
export interface FeatureContribution {
  readonly name: string;
  /** The feature's value in the scored row (for rarity columns: ln(1 + baseline count)). */
  readonly value: number;
  /** Its attribution share, in [0, 1]; the shares of all features sum to 1. */
  readonly contribution: number;
}

export interface EventScorerOptions {
  /** Rate counters; default new ones with the model's window and entity cap. Keep them across swaps. */
  readonly rates?: EntityRates;
  /**
   * Time for the rate windows, epoch ms. Default: each event's own `time`, which is right
   * for replays and for sources whose clocks are sane; pass `Date.now` to use arrival time.
   */
  readonly clock?: () => number;
  /** The online novelty gate: warm-up, alert budget (`novelty-gate.ts`). */
  readonly novelty?: NoveltyGateOptions;
}

/**
 * Scores events with whatever model `holder` holds. Not shared between concurrent
 * pipelines (it owns one scratch row); create one per pipeline.
 */
export class EventScorer {
  /** The feature row of the last scored event. */
  readonly features = new Float64Array(FEATURE_COUNT);
  readonly rates: EntityRates;
  private readonly attribution = new Float64Array(FEATURE_COUNT);
  private readonly clock: (() => number) | undefined;
  private last: DetectorModel;
  /** Survives model swaps: what it learned is about the estate, not the model. */
  private readonly gate: NoveltyGate;
  private verdict: GateVerdict = 'off';
  private readonly unseenOfLast = (fn: (c: number, a: string, b: string, d: string) => void) =>
    this.last.encoder.forEachUnseen(fn);

  constructor(
    private readonly holder: ModelHolder,
    options: EventScorerOptions = {},
  ) {
    const p = holder.current.params;
    this.rates =
      options.rates ??
      new EntityRates({ windowSeconds: p.windowSeconds, maxEntities: p.maxEntities });
    this.clock = options.clock;
    this.last = holder.current;
    this.gate = new NoveltyGate(CATEGORICAL_ARITY, options.novelty);
  }

  /** The model that scored the last event (its threshold and id belong with that score). */
  get lastModel(): DetectorModel {
    return this.last;
  }

  /** Extracts and scores `event`; reads the live model once, so a swap never splits an event. */
  score(event: SecurityEvent): number {
    const model = this.holder.current;
    this.last = model;
    const now = this.clock ? this.clock() : event.time;
    model.encoder.extractInto(event, this.rates, this.features, 0, now);
    this.verdict = this.gate.judge(
      model.calibration.novelty,
      model.encoder.lastUserClass(),
      now,
      this.features[UNSEEN_COLUMN]!,
      this.unseenOfLast,
    );
    return model.forest.score(this.features);
  }

  /**
   * The verdict on the last scored event, whose forest score is `score`: above the
   * threshold of the model that produced it, or paged by the novelty gate (at least
   * `calibration.novelty.minUnseen` values neither the baseline nor the estate's own
   * history for the event's identity class had, after warm-up, within the alert budget).
   *
   * A forest trained on no history of this estate (a bootstrap model of another estate,
   * `estateHistory: false`) ranks what is unusual *there*; its threshold pages only once
   * the gate has warmed up on this estate's own traffic. Until then the rule tier alone
   * pages, which is what a detector new to an estate can stand behind.
   */
  isAnomalous(score: number): boolean {
    if (this.verdict === 'novel') return true;
    if (score <= this.last.threshold) return false;
    const gate = this.last.calibration.novelty;
    return (gate.estateHistoryEvents ?? 0) > 0 || this.gate.warmedUp(gate);
  }

  /** The novelty gate's verdict on the last scored event. */
  get noveltyVerdict(): GateVerdict {
    return this.verdict;
  }

  /** Warm-up state, pages and suppressions per identity class. */
  noveltyStats(): NoveltyGateStats {
    return this.gate.stats(this.last.calibration.novelty);
  }

  /** Names of the categorical columns of the last scored event whose value the baseline never had. */
  unseenFields(): string[] {
    return CATEGORICAL_FEATURES.filter((name) => this.features[FEATURE_NAMES.indexOf(name)] === 0);
  }

  /** The `k` features that contributed most to the last scored event, largest first. */
  topFeatures(k = 5): FeatureContribution[] {
    this.last.forest.attributeInto(this.features, this.attribution);
    const order = Array.from({ length: FEATURE_COUNT }, (_, i) => i).sort(
      (a, b) => this.attribution[b]! - this.attribution[a]!,
    );
    return order.slice(0, k).map((i) => ({
      name: FEATURE_NAMES[i]!,
      value: this.features[i]!,
      contribution: this.attribution[i]!,
    }));
  }
}
