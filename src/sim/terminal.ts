// The paper terminal every front shares, whatever protocol it speaks (REST in rest-server.ts over
// http-terminal.ts, DWX in dwx-server.ts): its engine, its clock, its faults, its request log, its
// single trade context, and its lifecycle (up, down for a while, closed). A front supplies bind()
// and unbind() and maps its protocol's requests onto the engine with these parts.
import { EngineControl } from './control.js';
import type { SimEngine } from './engine.js';
import { SimInputError } from './errors.js';
import { type Fault, type FaultSet, validateFault, validateFaults } from './faults.js';
import { failure } from './mt4.js';
import { RequestLog } from './request-log.js';
import { type BusyPolicy, TradeContext, type TradeContextStatus } from './trade-context.js';
import type { SimAgentControl, SimAgentOptions, SimRequest } from './types.js';
import type { TradeReplyWire } from './wire.js';

export interface TerminalConfig {
  id: string;
  host: string;
  engine: SimEngine;
  faults: FaultSet;
  /** How long one trade holds the trade context, ms. */
  tradeLatencyMs: number;
  busyPolicy: BusyPolicy;
  /** The sim's clock; the agent's own setClock overrides it. */
  baseClock: () => number;
  /** Lets the engine read the agent's clock, which the terminal owns. */
  bindClock: (now: () => number) => void;
}

/** `host` as it goes into a URL: IPv6 literals in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export abstract class PaperTerminal extends EngineControl implements SimAgentControl {
  readonly id: string;
  readonly host: string;
  readonly engine: SimEngine;
  protected readonly faultSet: FaultSet;
  protected readonly log = new RequestLog();
  protected readonly tradeContext: TradeContext;
  protected readonly tradeLatencyMs: number;
  private readonly baseClock: () => number;
  private clockOverride: number | null = null;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; resolve: (ok: boolean) => void }>();
  private upTimer: NodeJS.Timeout | undefined;
  private bound = false;
  private wantDown = false;
  private closedFlag = false;
  private chain: Promise<void> = Promise.resolve();
  private error: string | undefined;

  constructor(cfg: TerminalConfig) {
    super();
    this.id = cfg.id;
    this.host = cfg.host;
    this.engine = cfg.engine;
    this.faultSet = cfg.faults;
    this.tradeLatencyMs = cfg.tradeLatencyMs;
    this.tradeContext = new TradeContext(cfg.busyPolicy);
    this.baseClock = cfg.baseClock;
    cfg.bindClock(() => this.now());
  }

  /** The protocol this front speaks (SimAgentOptions.transport). */
  abstract readonly transport: NonNullable<SimAgentOptions['transport']>;
  abstract get port(): number;
  abstract get url(): string;
  /** Where the terminal listens, for error messages. */
  abstract where(): string;
  /** Opens the listener(s). Rejects, leaving nothing open, when it cannot. */
  protected abstract bind(): Promise<void>;
  /** Closes the listener(s) and every connection, in-flight and hung ones included. */
  protected abstract unbind(): Promise<void>;

  // ---- lifecycle ------------------------------------------------------------------------------

  protected get closed(): boolean {
    return this.closedFlag;
  }

  /** First start: a failure (port in use, …) is the caller's error. */
  async start(): Promise<void> {
    await this.bind();
    this.bound = true;
  }

  /** Runs lifecycle steps one after the other. */
  private enqueue(op: () => Promise<void>): Promise<void> {
    const p = this.chain.then(op);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Brings the listener to the wanted state (down, up, or closed). */
  private reconcile(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closedFlag || this.wantDown) {
        if (this.bound) {
          this.bound = false;
          await this.unbind();
        }
        return;
      }
      if (this.bound) return;
      // Listen again on the same port(s); someone may have taken one meanwhile: retry for a while.
      for (let attempt = 0; ; attempt++) {
        if (this.closedFlag || this.wantDown) return;
        try {
          await this.bind();
          this.bound = true;
          this.error = undefined;
          return;
        } catch (err) {
          this.error = `cannot listen again on ${this.where()}: ${(err as Error).message}`;
          if (attempt >= 20 || !(await this.sleep(100))) return;
        }
      }
    });
  }

  goDown(seconds?: number): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    if (seconds !== undefined && !(Number.isFinite(seconds) && seconds >= 0)) throw new SimInputError('seconds must be a number >= 0');
    this.wantDown = true;
    this.clearUpTimer();
    if (seconds !== undefined) {
      this.upTimer = setTimeout(() => {
        this.upTimer = undefined;
        void this.goUp();
      }, seconds * 1000);
    }
    return this.reconcile();
  }

  goUp(): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    this.wantDown = false;
    this.clearUpTimer();
    return this.reconcile().catch((err: unknown) => {
      this.error = String(err);
    });
  }

  isDown(): boolean {
    return !this.bound;
  }

  lastError(): string | undefined {
    return this.error;
  }

  private clearUpTimer(): void {
    if (this.upTimer !== undefined) clearTimeout(this.upTimer);
    this.upTimer = undefined;
  }

  async close(): Promise<void> {
    if (!this.closedFlag) {
      this.closedFlag = true;
      this.clearUpTimer();
      this.tradeContext.close();
      for (const s of this.sleepers) {
        clearTimeout(s.timer);
        s.resolve(false);
      }
      this.sleepers.clear();
    }
    await this.reconcile();
  }

  /** Resolves true after `ms`, or false at once when the sim closes meanwhile. */
  protected sleep(ms: number): Promise<boolean> {
    if (this.closedFlag) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const s = {
        timer: setTimeout(() => {
          this.sleepers.delete(s);
          resolve(true);
        }, ms),
        resolve,
      };
      this.sleepers.add(s);
    });
  }

  // ---- clock ----------------------------------------------------------------------------------

  now(): number {
    return this.clockOverride ?? this.baseClock();
  }

  setClock(ms: number | null): void {
    if (ms !== null && !(typeof ms === 'number' && Number.isFinite(ms)))
      throw new SimInputError('the clock must be epoch milliseconds or null');
    this.clockOverride = ms;
  }

  clockFrozen(): boolean {
    return this.clockOverride !== null;
  }

  // ---- the trade context ----------------------------------------------------------------------

  /**
   * One trade in the trade context: it waits its turn or is refused (146) as the busy policy says,
   * holds the context for tradeLatencyMs, then `execute` runs (the log entry records when).
   * Undefined: the sim closed before it ran.
   */
  protected async inTradeContext(entry: SimRequest, execute: () => TradeReplyWire): Promise<TradeReplyWire | undefined> {
    entry.queued = false;
    const r = await this.tradeContext.run(
      async () => {
        if (!(await this.sleep(this.tradeLatencyMs)) || this.closedFlag) return undefined;
        this.log.executed(entry, this.now());
        return execute();
      },
      () => (entry.queued = true),
    );
    if (!r.ran) return r.reason === 'busy' ? failure(146, 'another trade is in progress') : undefined;
    return r.value;
  }

  /** Notes the trade reply a request produced in its log entry. */
  protected static noteOutcome(entry: SimRequest, r: TradeReplyWire): void {
    entry.outcome = {
      success: r.success,
      ticket: r.ticket,
      error_code: r.error_code,
      ...(r.new_ticket === undefined ? {} : { new_ticket: r.new_ticket }),
    };
  }

  /** Notes in the log entry that the reply was (or could not be) delivered now. */
  protected noteAnswer(entry: SimRequest, delivered: boolean): void {
    entry.answeredAt = this.now();
    entry.clientConnected = delivered;
  }

  holdTradeContext(seconds?: number): void {
    if (seconds !== undefined && !(typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0))
      throw new SimInputError('seconds must be a number >= 0 (or omitted: until released)');
    this.tradeContext.hold(seconds);
  }

  releaseTradeContext(): void {
    this.tradeContext.release();
  }

  tradeContextStatus(): TradeContextStatus {
    return this.tradeContext.status();
  }

  waitTradeContextIdle(): Promise<void> {
    return this.tradeContext.idle();
  }

  // ---- faults and the request log -------------------------------------------------------------

  setFaults(faults: Fault[]): void {
    this.faultSet.set(validateFaults(faults));
  }

  addFault(fault: Fault): void {
    this.faultSet.add(validateFault(fault));
  }

  clearFaults(): void {
    this.faultSet.clear();
  }

  faults(): Fault[] {
    return this.faultSet.list();
  }

  requests(): SimRequest[] {
    return this.log.list();
  }

  clearRequests(): void {
    this.log.clear();
  }
}
