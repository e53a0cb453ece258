// The terminal's single trade context: MT4 runs one trade at a time. A trade that arrives while the
// context is busy (another trade runs, or something holds the context) is refused (policy
// 'reject': the front answers 146) or waits in a FIFO queue (policy 'queue') and runs when its turn
// comes — whether or not the client that sent it is still there, as a real terminal does.
//
// A hold makes the context busy for a while without a trade of ours (another EA trading, a broker
// that takes its time): holdTradeContext(), the trade_context_busy fault. Holds use wall-clock
// timers, like tradeLatencyMs; the agent's clock (setClock) does not move them.

export type BusyPolicy = 'reject' | 'queue';
export const BUSY_POLICIES: readonly BusyPolicy[] = ['reject', 'queue'];

export interface TradeContextStatus {
  policy: BusyPolicy;
  /** Busy for a trade arriving now: held, running a trade, or trades waiting. */
  busy: boolean;
  /** Held by holdTradeContext() or a trade_context_busy fault. */
  held: boolean;
  /** Seconds the hold has left (wall clock, rounded up); null: until released, or not held. */
  held_for_seconds: number | null;
  /** A trade of ours is executing. */
  running: boolean;
  /** Trades waiting their turn (policy 'queue'). */
  queued: number;
}

export type RunResult<T> = { ran: true; value: T; queued: boolean } | { ran: false; reason: 'busy' | 'closed' };

export class TradeContext {
  readonly policy: BusyPolicy;
  private running = false;
  /** Each waiter is resumed with true (its turn) or false (the terminal closed). */
  private readonly queue: Array<(go: boolean) => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  /** performance.now() when the hold ends; Infinity: until released; undefined: not held. */
  private heldUntil: number | undefined;
  private holdTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(policy: BusyPolicy) {
    this.policy = policy;
  }

  held(): boolean {
    return this.heldUntil !== undefined;
  }

  busy(): boolean {
    return this.running || this.held() || this.queue.length > 0;
  }

  status(): TradeContextStatus {
    const left = this.heldUntil === undefined || this.heldUntil === Infinity ? null : Math.max(0, this.heldUntil - performance.now());
    return {
      policy: this.policy,
      busy: this.busy(),
      held: this.held(),
      held_for_seconds: left === null ? null : Math.ceil(left / 1000),
      running: this.running,
      queued: this.queue.length,
    };
  }

  /**
   * Holds the context for `seconds` from now (undefined: until release()). A hold already in
   * force is extended, never shortened. A trade running now finishes; nothing else starts.
   */
  hold(seconds?: number): void {
    if (this.closed) return;
    const until = seconds === undefined ? Infinity : performance.now() + seconds * 1000;
    if (this.heldUntil !== undefined && this.heldUntil >= until) return;
    this.heldUntil = until;
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    if (until !== Infinity) this.holdTimer = setTimeout(() => this.release(), Math.max(0, until - performance.now()));
  }

  /** Ends the hold now: the waiting trades run, in the order they arrived. */
  release(): void {
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.heldUntil = undefined;
    this.pump();
  }

  /**
   * Runs `job` in the context. Busy: policy 'reject' refuses at once ({ran: false, reason:
   * 'busy'}); policy 'queue' waits its turn (`onQueued` is told when it starts to wait).
   */
  async run<T>(job: () => Promise<T>, onQueued?: () => void): Promise<RunResult<T>> {
    if (this.closed) return { ran: false, reason: 'closed' };
    const queued = this.busy();
    if (queued) {
      if (this.policy === 'reject') return { ran: false, reason: 'busy' };
      onQueued?.();
      // pump() hands the context over (running = true) before resuming the waiter.
      const go = await new Promise<boolean>((resolve) => this.queue.push(resolve));
      if (!go) return { ran: false, reason: 'closed' };
    } else {
      this.running = true;
    }
    try {
      return { ran: true, value: await job(), queued };
    } finally {
      this.running = false;
      this.pump();
    }
  }

  /** Resolves when nothing holds the context, no trade runs and none waits. */
  idle(): Promise<void> {
    if (!this.busy() || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The terminal closes: waiting trades never run. */
  close(): void {
    this.closed = true;
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.heldUntil = undefined;
    for (const w of this.queue.splice(0)) w(false);
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private pump(): void {
    if (this.running || this.held()) return;
    const next = this.queue.shift();
    if (next) {
      this.running = true;
      next(true);
      return;
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
