// The paper market: one seeded random walk per symbol, advanced lazily in whole seconds from the
// clock (no timers). The walk is a mean-reverting (Ornstein–Uhlenbeck) process on the log price, so
// prices move like a quiet market and stay realistic however far the clock is pushed. Each symbol
// has its own PRNG stream: freezing one symbol never changes another's path.
//
// Determinism: the price at wall-clock second s depends only on the seed, the second the sim started
// and the control calls made (setPrice / unfreeze), never on how often it was read — except after a
// jump of more than MAX_STEPS seconds, which is taken as one exact aggregated step.
import type { SymbolInfo } from '../bridge/symbols.js';
import { Prng, hashSeed } from './prng.js';

/** Market data of a symbol (not its contract spec, which lives in src/bridge/symbols.ts). */
interface Profile {
  /** A typical price around which the walk starts (jittered ±0.2 % by the seed). */
  start: number;
  /** Spread range in points, drawn each second. */
  spread: [number, number];
  /** Daily volatility as a fraction of the price. */
  dailyVol: number;
}

const PROFILES: Readonly<Record<string, Profile>> = {
  XAUUSD: { start: 2650, spread: [25, 30], dailyVol: 0.012 },
  XAGUSD: { start: 31.2, spread: [25, 35], dailyVol: 0.02 },
  EURUSD: { start: 1.08, spread: [10, 14], dailyVol: 0.005 },
  GBPUSD: { start: 1.27, spread: [14, 20], dailyVol: 0.006 },
  AUDUSD: { start: 0.66, spread: [12, 18], dailyVol: 0.006 },
  NZDUSD: { start: 0.6, spread: [16, 24], dailyVol: 0.007 },
  USDJPY: { start: 150, spread: [12, 18], dailyVol: 0.006 },
  USDCHF: { start: 0.88, spread: [14, 20], dailyVol: 0.005 },
  USDCAD: { start: 1.36, spread: [16, 22], dailyVol: 0.004 },
};

/** For a symbol added to the common table without market data here. */
function fallbackProfile(info: SymbolInfo): Profile {
  return { start: info.digits >= 4 ? 1 : 100, spread: [20, 30], dailyVol: 0.01 };
}

const SECONDS_PER_DAY = 86_400;
/** Half-life of a deviation from the start price: five days. */
const MEAN_REVERSION = Math.exp(-Math.LN2 / (5 * SECONDS_PER_DAY));
/** Longest gap walked second by second; beyond it the walk takes one exact aggregated step. */
export const MAX_STEPS = 100_000;

export function roundTo(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

export interface Quote {
  symbol: string;
  bid: number;
  ask: number;
  /** In points. */
  spread: number;
  frozen: boolean;
}

export class SymbolWalk {
  readonly symbol: string;
  readonly info: SymbolInfo;
  private readonly rng: Prng;
  private readonly profile: Profile;
  private readonly p0: number;
  /** Per-second standard deviation of the log price. */
  private readonly sigma: number;
  /** log(price / p0) */
  private x = 0;
  private spreadPts: number;
  private frozenBid: number | null = null;

  constructor(symbol: string, info: SymbolInfo, seed: number) {
    this.symbol = symbol;
    this.info = info;
    this.rng = new Prng(hashSeed(seed, 'walk', symbol));
    this.profile = PROFILES[symbol] ?? fallbackProfile(info);
    this.p0 = this.profile.start * (1 + (this.rng.next() - 0.5) * 0.004);
    this.sigma = this.profile.dailyVol / Math.sqrt(SECONDS_PER_DAY);
    this.spreadPts = this.drawSpread();
  }

  private drawSpread(): number {
    const [lo, hi] = this.profile.spread;
    return this.rng.int(lo, hi);
  }

  get frozen(): boolean {
    return this.frozenBid !== null;
  }

  /** One second of the walk. A frozen symbol does not move and draws nothing. */
  step(): void {
    if (this.frozenBid !== null) return;
    this.x = MEAN_REVERSION * this.x + this.sigma * this.rng.gaussian();
    this.spreadPts = this.drawSpread();
  }

  /** `k` seconds in one exact draw from the walk's k-step distribution. */
  jump(k: number): void {
    if (this.frozenBid !== null || k <= 0) return;
    const a2 = MEAN_REVERSION * MEAN_REVERSION;
    const ak = MEAN_REVERSION ** k;
    const sd = this.sigma * Math.sqrt((1 - ak * ak) / (1 - a2));
    this.x = ak * this.x + sd * this.rng.gaussian();
    this.spreadPts = this.drawSpread();
  }

  bid(): number {
    if (this.frozenBid !== null) return this.frozenBid;
    return roundTo(this.p0 * Math.exp(this.x), this.info.digits);
  }

  ask(): number {
    return roundTo(this.bid() + this.spreadPts * this.info.point, this.info.digits);
  }

  spread(): number {
    return this.spreadPts;
  }

  /** Holds the bid at `bid` (rounded to the symbol's digits); the current spread is kept. */
  freeze(bid: number): void {
    this.frozenBid = roundTo(bid, this.info.digits);
  }

  /** Resumes the walk from the frozen price. */
  unfreeze(): void {
    if (this.frozenBid === null) return;
    this.x = Math.log(this.frozenBid / this.p0);
    this.frozenBid = null;
  }

  quote(): Quote {
    return { symbol: this.symbol, bid: this.bid(), ask: this.ask(), spread: this.spreadPts, frozen: this.frozen };
  }
}

export class Market {
  readonly walks: ReadonlyMap<string, SymbolWalk>;
  /** The last wall-clock second the walks have been advanced to. */
  private second: number;

  constructor(symbols: ReadonlyArray<readonly [string, SymbolInfo]>, seed: number, startMs: number) {
    const walks = new Map<string, SymbolWalk>();
    for (const [symbol, info] of symbols) walks.set(symbol, new SymbolWalk(symbol, info, seed));
    this.walks = walks;
    this.second = Math.floor(startMs / 1000);
  }

  walk(symbol: string): SymbolWalk | undefined {
    return this.walks.get(symbol);
  }

  /**
   * Advances every walk to the second of `nowMs`, calling `onStep(ms)` after each second so the
   * caller can check stops and pending orders at every intermediate price. A clock that moved back
   * leaves the prices where they are (the market only moves forward).
   */
  advance(nowMs: number, onStep: (ms: number) => void): void {
    const target = Math.floor(nowMs / 1000);
    if (target <= this.second) return;
    let gap = target - this.second;
    if (gap > MAX_STEPS) {
      const k = gap - MAX_STEPS;
      for (const w of this.walks.values()) w.jump(k);
      this.second += k;
      gap = MAX_STEPS;
      onStep(this.second * 1000);
    }
    for (let i = 0; i < gap; i++) {
      for (const w of this.walks.values()) w.step();
      this.second += 1;
      onStep(this.second * 1000);
    }
  }
}
