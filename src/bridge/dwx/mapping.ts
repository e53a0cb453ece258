// What the DWX EA answers, as mt4gw's wire model (src/bridge/schemas.ts): the account, positions,
// pending orders and quotes, with broker wall times turned into instants. Pure functions; what the
// EA does not report (the currency, the server's name, a position's current price, point sizes) is
// filled in from agents.yml, the symbol table and the quotes, as each function says.
import { roundCents } from '../../risk/format.js';
import { clientIdOf } from '../client-id.js';
import type { Account, PendingOrder, Position, Tick } from '../schemas.js';
import { COMMON_SYMBOLS, type SymbolOverride } from '../symbols.js';
import { estimateOffsetMinutes, parseWallTime, wallToIso, type DwxAccount, type DwxTrade } from './protocol.js';

/** What agents.yml tells about an agent that the EA does not. */
export interface AgentFacts {
  /** The account currency (mt4.currency). */
  currency: string;
  /** The broker server's name, when agents.yml gives it. */
  server?: string | undefined;
  /** agents.yml `symbols:`, for point sizes and contract sizes outside the table. */
  symbols?: Record<string, SymbolOverride> | undefined;
}

/** A quote from the PUB socket. */
export interface Quote {
  bid: number;
  ask: number;
  /** When it arrived (our clock): the EA publishes only on a change, so this is a lower bound of its freshness. */
  at: number;
}

/** A quote younger than this gives a position's current price. */
const MARK_QUOTE_MS = 60_000;

/**
 * GET_ACCOUNT_INFO's answer as an Account, read at `now`. The EA reports its last tick's time to
 * the minute, without an offset: the broker's UTC offset is estimated against our clock
 * (capabilities.serverTime is false); when it cannot be (a stale clock), `knownOffset` is kept.
 * Returns the offset now known, for converting open times.
 */
export function toAccount(
  a: DwxAccount,
  facts: AgentFacts,
  now: number,
  knownOffset: number | undefined,
): { account: Account; offsetMinutes: number | undefined } {
  const wall = parseWallTime(a.currentTime);
  const offsetMinutes = (wall === undefined ? undefined : estimateOffsetMinutes(wall, now)) ?? knownOffset;
  const margin = roundCents(a.equity - a.freeMargin);
  const account: Account = {
    login: Math.trunc(a.login),
    name: a.name,
    server: facts.server ?? 'unknown (not reported over dwx)',
    currency: facts.currency,
    leverage: a.leverage > 0 ? a.leverage : 1,
    balance: a.balance,
    equity: a.equity,
    margin,
    free_margin: a.freeMargin,
    margin_level: margin > 0 ? roundCents((a.equity / margin) * 100) : 0,
    profit: a.profit,
    server_time: wall === undefined ? new Date(now).toISOString() : wallToIso(wall, offsetMinutes ?? 0),
    // The EA answers GET_ACCOUNT_INFO only while IsTradeAllowed() is true.
    trade_allowed: true,
  };
  return { account, offsetMinutes };
}

export function isMarket(t: DwxTrade): boolean {
  return t.type === 'buy' || t.type === 'sell';
}

/** A market trade of GET_OPEN_TRADES as a Position; `quote`: the symbol's last quote, if any. */
export function toPosition(t: DwxTrade, offsetMinutes: number, facts: AgentFacts, quote: Quote | undefined, now: number): Position {
  return {
    ticket: t.ticket,
    symbol: t.symbol,
    type: t.type as 'buy' | 'sell',
    lots: t.lots,
    open_price: t.openPrice,
    open_time: openTimeIso(t.openTime, offsetMinutes),
    sl: t.sl === 0 ? null : t.sl,
    tp: t.tp === 0 ? null : t.tp,
    current_price: markPrice(t, facts, quote, now),
    swap: 0, // not reported by the EA
    commission: 0, // not reported by the EA
    profit: t.pnl,
    comment: t.comment,
    client_id: clientIdOf(t.comment),
    magic: t.magic,
  };
}

/** A pending order of GET_OPEN_TRADES as a PendingOrder. */
export function toPendingOrder(t: DwxTrade, offsetMinutes: number): PendingOrder {
  return {
    ticket: t.ticket,
    symbol: t.symbol,
    type: t.type as PendingOrder['type'],
    lots: t.lots,
    open_price: t.openPrice,
    open_time: openTimeIso(t.openTime, offsetMinutes),
    sl: t.sl === 0 ? null : t.sl,
    tp: t.tp === 0 ? null : t.tp,
    expiration: null, // not reported by the EA
    comment: t.comment,
    client_id: clientIdOf(t.comment),
    magic: t.magic,
  };
}

/** A broker wall time as an instant, given the broker's UTC offset (the epoch when unreadable). */
function openTimeIso(wall: string, offsetMinutes: number): string {
  const ms = parseWallTime(wall);
  return ms === undefined ? new Date(0).toISOString() : new Date(ms - offsetMinutes * 60_000).toISOString();
}

/**
 * The EA does not report a position's current price: the last quote when there is a fresh one,
 * else derived from its profit when the contract is known, else its open price.
 */
function markPrice(t: DwxTrade, facts: AgentFacts, q: Quote | undefined, now: number): number {
  if (q && now - q.at < MARK_QUOTE_MS) return t.type === 'buy' ? q.bid : q.ask;
  const info = COMMON_SYMBOLS[t.symbol];
  const size = (facts.symbols?.[t.symbol]?.contract_size ?? info?.contract_size ?? 0) * t.lots;
  const dir = t.type === 'buy' ? 1 : -1;
  if (info && size > 0) {
    let price: number | undefined;
    if (info.quote === facts.currency) price = t.openPrice + (dir * t.pnl) / size;
    else if (info.base === facts.currency && size - dir * t.pnl !== 0) price = (t.openPrice * size) / (size - dir * t.pnl);
    if (price !== undefined && price > 0 && Number.isFinite(price)) return Number(price.toFixed(info.digits));
  }
  return t.openPrice;
}

/** A quote as a Tick: the spread in points (of agents.yml or the table, else guessed from the prices). */
export function toTick(symbol: string, q: Quote, facts: AgentFacts): Tick {
  const point = pointSpec(facts, symbol)?.point ?? pointFromQuote(q.bid, q.ask);
  return { symbol, bid: q.bid, ask: q.ask, spread: Math.round((q.ask - q.bid) / point), timestamp: new Date(q.at).toISOString() };
}

/** A symbol's point size and digits, from agents.yml `symbols:` or the table; undefined when neither knows it. */
export function pointSpec(facts: AgentFacts, symbol: string): { point: number; digits: number } | undefined {
  const o = facts.symbols?.[symbol];
  const info = COMMON_SYMBOLS[symbol];
  const point = o?.point ?? info?.point;
  if (point === undefined) return undefined;
  return { point, digits: o?.digits ?? info?.digits ?? decimals(point) };
}

function decimals(point: number): number {
  const s = String(point);
  return s.includes('e-') ? Number(s.split('e-')[1]) : (s.split('.')[1] ?? '').length;
}

/** A point size when the symbol is in no table: the finer of the two prices' decimals. */
export function pointFromQuote(bid: number, ask: number): number {
  const d = Math.max(decimals(bid), decimals(ask), 0);
  return 10 ** -Math.min(d, 8);
}
