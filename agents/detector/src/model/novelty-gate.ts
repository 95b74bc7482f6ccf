/**
 * The novelty gate, learning the estate it runs in.
 *
 * The model's gate flags an event with at least `minUnseen` categorical values its
 * baseline never had. On the estate the baseline came from that is a few events a day; on
 * any other estate (the bootstrap model on a real cluster, a new cluster, a re-organised
 * one) *every* identity × namespace pair is unseen and the gate pages on everything. So
 * the gate here also learns online, per identity class (human, service account, node,
 * control plane, anonymous, none), which values this estate has: a value counts as unseen
 * only if neither the model's baseline nor the estate's own history for that class had it.
 *
 * - **Warm-up.** Until the estate's history covers `warmupSeconds` of event time and
 *   `warmupMinEvents` events, the gate learns and pages no one; after it, what it learned
 *   stays fixed until the model is retrained on the estate's events. The model's baseline
 *   counts towards that history only when it was trained on this estate (`vigil detector
 *   train` on the cluster's own events records its span; a generated bootstrap baseline
 *   records 0). The rule tier still pages during warm-up, and so does the forest
 *   threshold of a model trained on this estate (a foreign model's waits: scorer.ts).
 * - **Per class.** What service accounts do teaches nothing about what anonymous callers
 *   may do: each class learns apart, so the first anonymous request after warm-up is
 *   still novel however much the estate has seen otherwise.
 * - **Alert budget.** At most `budgetPerHour` gate-only pages per class per hour of event
 *   time (a token bucket). Beyond it events are counted as suppressed per class — visible
 *   in the detector's status — never silently dropped from the figures.
 */
import { CategoryCounts, type Arity } from './category-counts.js';

export interface NoveltyGateOptions {
  /** History needed before the gate pages, seconds of event time. Default 86,400 (a day). */
  readonly warmupSeconds?: number;
  /** Events of history needed before the gate pages. Default 1,000. */
  readonly warmupMinEvents?: number;
  /** Gate-only pages per identity class per hour. Default 10. */
  readonly budgetPerHour?: number;
  /** Values learned per identity class before its learning stops (memory bound). Default 200,000. */
  readonly maxValuesPerClass?: number;
}

/** What the model contributes: its gate and how much of this estate its baseline saw. */
export interface GateModel {
  readonly minUnseen: number;
  /** Seconds of this estate's own history in the model's baseline (0 or absent: not this estate's). */
  readonly estateHistorySeconds?: number;
  /** Events of this estate's history in the baseline (0 or absent: not this estate's). */
  readonly estateHistoryEvents?: number;
}

export type GateVerdict = 'off' | 'known' | 'warming' | 'novel' | 'over-budget';

export interface NoveltyClassStats {
  readonly events: number;
  readonly novel: number;
  readonly suppressed: number;
  readonly learnedValues: number;
}

export interface NoveltyGateStats {
  readonly warmedUp: boolean;
  readonly historySeconds: number;
  readonly historyEvents: number;
  readonly warmupSeconds: number;
  readonly warmupMinEvents: number;
  readonly budgetPerHour: number;
  readonly byClass: Readonly<Record<string, NoveltyClassStats>>;
}

const HOUR_MS = 3_600_000;

interface ClassState {
  readonly tables: CategoryCounts[];
  learned: number;
  events: number;
  novel: number;
  suppressed: number;
  tokens: number;
  refilledAt: number;
}

export class NoveltyGate {
  private readonly warmupSeconds: number;
  private readonly warmupMinEvents: number;
  private readonly budgetPerHour: number;
  private readonly maxValues: number;
  private readonly classes = new Map<string, ClassState>();
  private firstAt = Number.NaN;
  private lastAt = Number.NaN;
  private events = 0;
  // Per-event scratch for the callback (no closure per event).
  private state: ClassState | undefined;
  private newValues = 0;
  private learning = false;
  private readonly visit = (column: number, a: string, b: string, c: string): void => {
    const table = this.state!.tables[column]!;
    if (table.get(a, b, c) > 0) return;
    this.newValues++;
    if (this.learning && this.state!.learned < this.maxValues) {
      table.add(a, b, c, 1);
      this.state!.learned++;
    }
  };

  constructor(
    private readonly arities: readonly Arity[],
    options: NoveltyGateOptions = {},
  ) {
    this.warmupSeconds = options.warmupSeconds ?? 86_400;
    this.warmupMinEvents = options.warmupMinEvents ?? 1_000;
    this.budgetPerHour = options.budgetPerHour ?? 10;
    this.maxValues = options.maxValuesPerClass ?? 200_000;
    for (const [name, v] of [
      ['warmupSeconds', this.warmupSeconds],
      ['warmupMinEvents', this.warmupMinEvents],
      ['budgetPerHour', this.budgetPerHour],
      ['maxValuesPerClass', this.maxValues],
    ] as const)
      if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`${name} must be ≥ 0, got ${v}`);
  }

  /**
   * Judges the event just extracted. `forEachUnseen` enumerates its values the model's
   * baseline never had (see `FeatureEncoder.forEachUnseen`); during the warm-up they are
   * learned for `cls`.
   */
  judge(
    model: GateModel,
    cls: string,
    timeMs: number,
    baselineUnseen: number,
    forEachUnseen: (fn: (column: number, a: string, b: string, c: string) => void) => void,
  ): GateVerdict {
    const t = Number.isFinite(timeMs) ? timeMs : this.lastAt;
    if (Number.isFinite(t)) {
      if (!(this.firstAt <= t)) this.firstAt = t;
      if (!(this.lastAt >= t)) this.lastAt = t;
    }
    this.events++;
    const state = this.classOf(cls, t);
    state.events++;
    if (model.minUnseen <= 0) return 'off';
    if (baselineUnseen === 0) return 'known';
    // The warm-up is the estate's history: learned, every value of every event. After it
    // the history is fixed (retraining on the estate's events is how it moves on), so an
    // attack that repeats pages on each event instead of teaching the gate it is normal.
    this.learning = !this.warmedUp(model);
    this.state = state;
    this.newValues = 0;
    forEachUnseen(this.visit);
    this.state = undefined;
    if (this.newValues < model.minUnseen) return 'known';
    if (this.learning) return 'warming';
    this.refill(state, t);
    if (state.tokens < 1) {
      state.suppressed++;
      return 'over-budget';
    }
    state.tokens -= 1;
    state.novel++;
    return 'novel';
  }

  warmedUp(model: GateModel): boolean {
    return (
      this.historySeconds(model) >= this.warmupSeconds &&
      this.events + (model.estateHistoryEvents ?? 0) >= this.warmupMinEvents
    );
  }

  stats(model: GateModel): NoveltyGateStats {
    const byClass: Record<string, NoveltyClassStats> = {};
    for (const [cls, s] of this.classes)
      byClass[cls] = {
        events: s.events,
        novel: s.novel,
        suppressed: s.suppressed,
        learnedValues: s.learned,
      };
    return {
      warmedUp: this.warmedUp(model),
      historySeconds: this.historySeconds(model),
      historyEvents: this.events + (model.estateHistoryEvents ?? 0),
      warmupSeconds: this.warmupSeconds,
      warmupMinEvents: this.warmupMinEvents,
      budgetPerHour: this.budgetPerHour,
      byClass,
    };
  }

  private historySeconds(model: GateModel): number {
    const live = Number.isFinite(this.firstAt) ? (this.lastAt - this.firstAt) / 1000 : 0;
    return live + (model.estateHistorySeconds ?? 0);
  }

  private classOf(cls: string, t: number): ClassState {
    let s = this.classes.get(cls);
    if (s === undefined) {
      s = {
        tables: this.arities.map((a) => new CategoryCounts(a)),
        learned: 0,
        events: 0,
        novel: 0,
        suppressed: 0,
        tokens: this.budgetPerHour,
        refilledAt: Number.isFinite(t) ? t : 0,
      };
      this.classes.set(cls, s);
    }
    return s;
  }

  private refill(s: ClassState, t: number): void {
    if (!Number.isFinite(t) || t <= s.refilledAt) return;
    s.tokens = Math.min(
      this.budgetPerHour,
      s.tokens + ((t - s.refilledAt) / HOUR_MS) * this.budgetPerHour,
    );
    s.refilledAt = t;
  }
}
