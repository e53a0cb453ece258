// MetaApi's shapes mapped onto the wire model every transport answers with (../schemas.ts): string
// ids to MT4 tickets, POSITION_TYPE_* and ORDER_TYPE_* to buy/sell and the pending types, the
// broker's clock from `brokerTime`, closed trades from the deals that opened and closed each
// ticket, and a symbol spec from the specification plus the current price's tick values. Pure.
import { roundCents } from '../../risk/format.js';
import { CLIENT_ID, clientIdOf } from '../client-id.js';
import type { Account, ClosedTrade, PendingOrder, Position, SymbolSpec, Tick } from '../schemas.js';
import type { MaAccount, MaDeal, MaOrder, MaPosition, MaPrice, MaServerTime, MaSpec } from './wire.js';

/** Thrown for an answer that validates but cannot be mapped (a ticket that is not a number); the client names the endpoint. */
export class MappingError extends Error {}

/** MetaApi's string id of an MT4 order is its ticket. */
export function ticketOf(id: string): number {
  const n = /^\d{1,15}$/.test(id) ? Number(id) : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new MappingError(`id ${JSON.stringify(id.slice(0, 40))} is not an MT4 ticket`);
  return n;
}

/** mt4gw's order id: MetaApi's clientId when it is one, else the `mt4gw:` tag of an order placed over rest or dwx. */
export function clientIdFrom(clientId: string | null | undefined, comment: string | null | undefined): string | null {
  const c = clientId?.trim();
  if (c && CLIENT_ID.test(c)) return c;
  return clientIdOf(comment);
}

/** `YYYY-MM-DD HH:mm:ss.SSS` on the broker's clock, read as if it were UTC (epoch ms), or NaN. */
export function brokerWallMs(brokerTime: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(brokerTime.trim());
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s, frac = '0'] = m;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0').slice(0, 3)));
}

/** The broker's UTC offset in minutes (to the quarter hour), from one `time`/`brokerTime` pair; undefined when unreadable. */
export function brokerOffsetMinutes(t: MaServerTime): number | undefined {
  const utc = Date.parse(t.time);
  const wall = brokerWallMs(t.brokerTime);
  if (!Number.isFinite(utc) || !Number.isFinite(wall)) return undefined;
  const minutes = Math.round((wall - utc) / 60_000 / 15) * 15;
  return Math.abs(minutes) <= 14 * 60 ? minutes : undefined;
}

/** `2026-11-22T10:15:00+02:00`: the instant on the broker's clock, with its offset. */
export function isoWithOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The broker's midnight before `ms`, epoch ms. */
export function brokerDayStart(ms: number, offsetMinutes: number): number {
  const off = offsetMinutes * 60_000;
  return Math.floor((ms + off) / 86_400_000) * 86_400_000 - off;
}

const iso = (t: string) => new Date(Date.parse(t)).toISOString();
const stop = (v: number | null | undefined) => (v === undefined || v === null || v === 0 ? null : v);

export function toAccount(a: MaAccount, server: { ms: number; offsetMinutes: number }): Account {
  const marginLevel = a.marginLevel ?? (a.margin > 0 ? roundCents((a.equity / a.margin) * 100) : 0);
  return {
    login: a.login,
    name: a.name,
    server: a.server,
    currency: a.currency,
    leverage: a.leverage,
    balance: a.balance,
    equity: a.equity,
    margin: a.margin,
    free_margin: a.freeMargin,
    margin_level: marginLevel,
    // MetaApi gives no floating profit: equity less balance and credit is what the open trades make.
    profit: roundCents(a.equity - a.balance - (a.credit ?? 0)),
    server_time: isoWithOffset(server.ms, server.offsetMinutes),
    trade_allowed: a.tradeAllowed,
  };
}

export function toPosition(p: MaPosition): Position {
  return {
    ticket: ticketOf(p.id),
    symbol: p.symbol,
    type: p.type === 'POSITION_TYPE_BUY' ? 'buy' : 'sell',
    lots: p.volume,
    open_price: p.openPrice,
    open_time: iso(p.time),
    sl: stop(p.stopLoss),
    tp: stop(p.takeProfit),
    current_price: p.currentPrice,
    swap: p.swap ?? 0,
    commission: p.commission ?? 0,
    profit: p.profit,
    comment: p.comment ?? '',
    client_id: clientIdFrom(p.clientId, p.comment),
    magic: p.magic ?? 0,
  };
}

const PENDING: Readonly<Record<string, PendingOrder['type']>> = {
  ORDER_TYPE_BUY_LIMIT: 'buy_limit',
  ORDER_TYPE_SELL_LIMIT: 'sell_limit',
  ORDER_TYPE_BUY_STOP: 'buy_stop',
  ORDER_TYPE_SELL_STOP: 'sell_stop',
};

/** A pending order; undefined for what MetaApi lists that is not one (a market order still being executed). */
export function toPendingOrder(o: MaOrder): PendingOrder | undefined {
  const type = PENDING[o.type];
  if (!type || o.openPrice === undefined || o.openPrice === null) return undefined;
  const expires = o.expirationType === 'ORDER_TIME_SPECIFIED' || o.expirationType === 'ORDER_TIME_SPECIFIED_DAY';
  return {
    ticket: ticketOf(o.id),
    symbol: o.symbol,
    type,
    lots: o.currentVolume ?? o.volume,
    open_price: o.openPrice,
    open_time: iso(o.time),
    sl: stop(o.stopLoss),
    tp: stop(o.takeProfit),
    expiration: expires && o.expirationTime ? iso(o.expirationTime) : null,
    comment: o.comment ?? '',
    client_id: clientIdFrom(o.clientId, o.comment),
    magic: o.magic ?? 0,
  };
}

const isIn = (d: MaDeal) => d.entryType === 'DEAL_ENTRY_IN';
const isOut = (d: MaDeal) => d.entryType === 'DEAL_ENTRY_OUT' || d.entryType === 'DEAL_ENTRY_OUT_BY' || d.entryType === 'DEAL_ENTRY_INOUT';
const isTrade = (d: MaDeal) =>
  (d.type === 'DEAL_TYPE_BUY' || d.type === 'DEAL_TYPE_SELL') && d.positionId !== undefined && d.positionId !== null;

/** The closing deals among `deals` whose time is in [from, to), oldest first. */
export function closingDeals(deals: readonly MaDeal[], from: number, to: number): MaDeal[] {
  return deals
    .filter((d) => isTrade(d) && isOut(d))
    .filter((d) => {
      const t = Date.parse(d.time);
      return t >= from && t < to;
    })
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.id.localeCompare(b.id));
}

/** The opening deal of each position among `deals`. */
export function openingDeals(deals: readonly MaDeal[]): Map<string, MaDeal> {
  const out = new Map<string, MaDeal>();
  for (const d of deals) if (isTrade(d) && isIn(d) && !out.has(d.positionId!)) out.set(d.positionId!, d);
  return out;
}

/**
 * One closed trade per closing deal: the ticket is the position, the open side from its opening
 * deal. Without the opening deal the open price and time are the close's (profit, swap and
 * commission — what the daily loss counts — are the closing deal's own).
 */
export function toClosedTrade(out: MaDeal, opening: MaDeal | undefined): ClosedTrade {
  const closeTime = iso(out.time);
  const closePrice = out.price ?? 0;
  // The closing deal of a buy is a sell.
  const type = opening ? (opening.type === 'DEAL_TYPE_BUY' ? 'buy' : 'sell') : out.type === 'DEAL_TYPE_SELL' ? 'buy' : 'sell';
  const comment = out.comment ?? opening?.comment ?? '';
  return {
    ticket: ticketOf(out.positionId!),
    symbol: out.symbol ?? opening?.symbol ?? '',
    type,
    lots: out.volume ?? opening?.volume ?? 0,
    open_price: opening?.price ?? closePrice,
    open_time: opening ? iso(opening.time) : closeTime,
    close_price: closePrice,
    close_time: closeTime,
    sl: stop(out.stopLoss ?? opening?.stopLoss),
    tp: stop(out.takeProfit ?? opening?.takeProfit),
    swap: (out.swap ?? 0) + (opening?.swap ?? 0),
    commission: (out.commission ?? 0) + (opening?.commission ?? 0),
    profit: out.profit ?? 0,
    comment,
    client_id: clientIdFrom(opening?.clientId ?? out.clientId, opening?.comment ?? comment),
    magic: out.magic ?? opening?.magic ?? 0,
  };
}

/** A point: the spec's, else one unit of the last digit. */
function pointOf(s: MaSpec): number {
  return s.point ?? Number((10 ** -s.digits).toFixed(s.digits));
}

export function toTick(p: MaPrice, point: number): Tick {
  return { symbol: p.symbol, bid: p.bid, ask: p.ask, spread: Math.round((p.ask - p.bid) / point), timestamp: iso(p.time) };
}

/** The point of a symbol when no spec is known: the finer of the two prices' decimals. */
export function pointFromPrice(bid: number, ask: number): number {
  const dec = (v: number) => {
    const s = String(v);
    return s.includes('e-') ? Number(s.split('e-')[1]) : (s.split('.')[1] ?? '').length;
  };
  return 10 ** -Math.min(Math.max(dec(bid), dec(ask)), 8);
}

export function specPoint(s: MaSpec): number {
  return pointOf(s);
}

/**
 * The risk library's spec. MetaApi gives the tick value with the price (lossTickValue: what a
 * tick against a position costs); MT4's specification has no margin, so the margin of one lot is
 * estimated from the price, the tick value and the leverage: price × (tick value / tick size) /
 * leverage — the contract's worth in the account currency, over the leverage.
 */
export function toSymbolSpec(s: MaSpec, p: MaPrice, leverage: number): SymbolSpec | undefined {
  const tickValue = p.lossTickValue || p.profitTickValue;
  if (!tickValue || tickValue <= 0) return undefined;
  const perPriceUnit = tickValue / s.tickSize;
  return {
    symbol: s.symbol,
    digits: s.digits,
    point: pointOf(s),
    contract_size: s.contractSize,
    tick_size: s.tickSize,
    tick_value: tickValue,
    min_lot: s.minVolume,
    lot_step: s.volumeStep,
    max_lot: s.maxVolume,
    stop_level: s.stopsLevel ?? 0,
    freeze_level: s.freezeLevel ?? 0,
    margin_required: leverage > 0 ? roundCents((p.ask * perPriceUnit) / leverage) : 0,
  };
}
