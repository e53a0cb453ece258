// MT4's numbers and trade rules, as pure functions: error texts, reply shapes, comment length,
// money and lot rounding, volume and stop-distance checks.
import type { SymbolInfo } from '../bridge/symbols.js';
import { roundTo } from './market.js';
import type { PendingType, Side, TradeReplyWire } from './wire.js';

/** MT4's texts for the error codes a trade can answer. */
export const MT4_MESSAGES: Readonly<Record<number, string>> = {
  0: 'no error',
  1: 'no result',
  2: 'common error',
  3: 'invalid trade parameters',
  4: 'trade server is busy',
  6: 'no connection with trade server',
  8: 'too frequent requests',
  128: 'trade timeout',
  129: 'invalid price',
  130: 'invalid stops',
  131: 'invalid trade volume',
  132: 'market is closed',
  133: 'trade is disabled',
  134: 'not enough money',
  135: 'price changed',
  136: 'off quotes',
  137: 'broker is busy',
  138: 'requote',
  139: 'order is locked',
  141: 'too many requests',
  145: 'modification denied because order is too close to market',
  146: 'trade context is busy',
  148: 'too many open and pending orders',
  149: 'hedging is prohibited',
  150: 'prohibited by FIFO rules',
  4106: 'unknown symbol',
  4108: 'invalid ticket',
  4109: 'trade is not allowed',
};

export function failure(code: number, detail?: string): TradeReplyWire {
  const base = MT4_MESSAGES[code] ?? `error ${code}`;
  return { success: false, ticket: null, price: null, message: detail ? `${base}: ${detail}` : base, error_code: code };
}

export function success(ticket: number, price: number | null, message: string): TradeReplyWire {
  return { success: true, ticket, price, message, error_code: 0 };
}

export const MAX_COMMENT = 31;
export function truncateComment(c: string): string {
  return Array.from(c).slice(0, MAX_COMMENT).join('');
}

/** Money: rounded to cents, half away from zero, never -0 (the risk library's rule). */
export { roundCents as round2 } from '../risk/format.js';

/** Tolerance for lot comparisons. */
export const EPS = 1e-9;
export function roundLots(v: number): number {
  return roundTo(v, 8);
}

export function isStepMultiple(lots: number, step: number): boolean {
  const n = lots / step;
  return Math.abs(n - Math.round(n)) < 1e-6;
}

export function sideOf(t: PendingType): Side {
  return t === 'buy_limit' || t === 'buy_stop' ? 'buy' : 'sell';
}

/** Why `lots` is not a valid volume for the symbol (MT4's 131), or undefined. */
export function volumeProblem(lots: number, info: SymbolInfo): string | undefined {
  if (!(lots > 0)) return 'lots must be positive';
  if (lots < info.min_lot - EPS) return `below the minimum ${info.min_lot}`;
  if (lots > info.max_lot + EPS) return `above the maximum ${info.max_lot}`;
  if (!isStepMultiple(lots, info.lot_step)) return `not a multiple of the lot step ${info.lot_step}`;
  return undefined;
}

/**
 * MT4's stop rules (130), distances in points: for a buy SL and TP are measured from `ref` (the
 * bid, or the order price of a pending order) and must lie below / above it by at least the stop
 * level (and by more than zero); for a sell from the ask, mirrored.
 */
export function stopsProblem(info: SymbolInfo, side: Side, ref: number, sl: number, tp: number): string | undefined {
  const pts = (d: number): number => Math.round(d / info.point);
  const min = Math.max(info.stop_level, 1);
  if (sl < 0 || tp < 0) return 'stops must not be negative';
  if (sl > 0) {
    const d = side === 'buy' ? pts(ref - sl) : pts(sl - ref);
    if (d < min) return `SL ${sl} is ${d <= 0 ? 'on the wrong side of' : 'too close to'} ${ref} (stop level ${info.stop_level} points)`;
  }
  if (tp > 0) {
    const d = side === 'buy' ? pts(tp - ref) : pts(ref - tp);
    if (d < min) return `TP ${tp} is ${d <= 0 ? 'on the wrong side of' : 'too close to'} ${ref} (stop level ${info.stop_level} points)`;
  }
  return undefined;
}
