/** Circuit breaker states (Nygard, "Release It!"): calls flow, are refused, or one probes. */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe call is let through (default 10 s). */
  resetTimeoutMs?: number;
  /** Time source in ms (default `Date.now`); inject one in tests instead of sleeping. */
  now?: () => number;
  /** Told about every state change (for logs and metrics). */
  onStateChange?: (from: CircuitState, to: CircuitState) => void;
}

/**
 * A per-peer circuit breaker. `closed`: calls flow and consecutive failures are
 * counted; at `failureThreshold` it opens. `open`: calls are refused without touching
 * the network until `resetTimeoutMs` has passed, then it is `half-open`: exactly one
 * probe call is admitted; its success closes the circuit, its failure re-opens it.
 */
export class CircuitBreaker {
  private stateValue: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probeInFlight = false;
  private readonly threshold: number;
  private readonly resetTimeoutMs: number;
  private readonly now: () => number;
  private readonly onStateChange: ((from: CircuitState, to: CircuitState) => void) | undefined;

  constructor(options: CircuitBreakerOptions = {}) {
    this.threshold = options.failureThreshold ?? 5;
    this.resetTimeoutMs = options.resetTimeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.onStateChange = options.onStateChange;
    if (!(this.threshold >= 1) || !(this.resetTimeoutMs >= 0)) {
      throw new RangeError('failureThreshold must be >= 1 and resetTimeoutMs >= 0');
    }
  }

  /** The current state (an open circuit whose timeout has passed reads as half-open). */
  get state(): CircuitState {
    if (this.stateValue === 'open' && this.now() - this.openedAt >= this.resetTimeoutMs) {
      this.transition('half-open');
    }
    return this.stateValue;
  }

  /** Milliseconds until an open circuit admits a probe (0 when not open). */
  retryAfterMs(): number {
    return this.state === 'open'
      ? Math.max(0, this.resetTimeoutMs - (this.now() - this.openedAt))
      : 0;
  }

  /**
   * Asks to make one call. True: go ahead, then report {@link onSuccess} or
   * {@link onFailure}. False: the circuit is open (or a half-open probe is running).
   */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'half-open' && !this.probeInFlight) {
      this.probeInFlight = true;
      return true;
    }
    return false;
  }

  /** The call reached a healthy peer. */
  onSuccess(): void {
    this.failures = 0;
    this.probeInFlight = false;
    if (this.stateValue !== 'closed') this.transition('closed');
  }

  /** The call failed in a way that says the peer is unhealthy. */
  onFailure(): void {
    this.probeInFlight = false;
    if (this.stateValue === 'half-open') {
      this.open();
      return;
    }
    this.failures += 1;
    if (this.stateValue === 'closed' && this.failures >= this.threshold) this.open();
  }

  /** The call ended without saying anything about the peer's health (e.g. a refusal). */
  onNeutral(): void {
    if (this.probeInFlight) {
      // A probe that got an answer proves the peer is reachable.
      this.onSuccess();
    }
  }

  private open(): void {
    this.openedAt = this.now();
    this.failures = 0;
    this.transition('open');
  }

  private transition(to: CircuitState): void {
    const from = this.stateValue;
    if (from === to) return;
    this.stateValue = to;
    this.onStateChange?.(from, to);
  }
}
