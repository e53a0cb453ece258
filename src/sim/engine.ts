// The paper trading engine of one agent: a USD account, the seeded market, open positions, pending
// orders and closed trades, with MT4's validation and error codes. No I/O and no timers: every
// call first brings the market up to the agent's clock (sync), checking pending orders, stops and
// the stop-out level at each second it walks through.
import type { z } from 'zod';
import type {
  AccountSchema,
  ClosedTradeSchema,
  PendingOrderSchema,
  PositionSchema,
  SymbolSpec,
  SymbolSpecSchema,
  TickSchema,
  TradeReplySchema,
  TradeRequest,
} from '../bridge/schemas.js';
import { COMMON_SYMBOLS, marginPerLot, tickValue, type SymbolInfo } from '../bridge/symbols.js';
import { SimInputError } from './faults.js';
import { Market, roundTo, type Quote, type SymbolWalk } from './market.js';

// ---------------------------------------------------------------------------------------------
// Wire shapes: what the sim sends. Each is checked against the input side of the zod schema the
// client validates with, so the sim cannot drift from src/bridge/schemas.ts unnoticed.

export interface AccountWire {
  login: number;
  name: string;
  server: string;
  currency: string;
  leverage: number;
  balance: number;
  equity: number;
  margin: number;
  free_margin: number;
  margin_level: number;
  profit: number;
  server_time: string;
  trade_allowed: boolean;
}
export interface TickWire {
  symbol: string;
  bid: number;
  ask: number;
  spread: number;
  timestamp: string;
}
export type SymbolSpecWire = SymbolSpec;
export interface PositionWire {
  ticket: number;
  symbol: string;
  type: 'buy' | 'sell';
  lots: number;
  open_price: number;
  open_time: string;
  sl: number;
  tp: number;
  current_price: number;
  swap: number;
  commission: number;
  profit: number;
  comment: string;
  magic: number;
}
export interface PendingOrderWire {
  ticket: number;
  symbol: string;
  type: PendingType;
  lots: number;
  open_price: number;
  open_time: string;
  sl: number;
  tp: number;
  expiration: string | null;
  comment: string;
  magic: number;
}
export interface ClosedTradeWire {
  ticket: number;
  symbol: string;
  type: 'buy' | 'sell';
  lots: number;
  open_price: number;
  open_time: string;
  close_price: number;
  close_time: string;
  sl: number;
  tp: number;
  swap: number;
  commission: number;
  profit: number;
  comment: string;
  magic: number;
}
export interface TradeReplyWire {
  success: boolean;
  ticket: number | null;
  price: number | null;
  message: string;
  error_code: number;
  new_ticket?: number;
}

type Fits<A extends B, B> = A;
/** Compile-time proof that every reply shape is accepted by the client's schema. */
export type WireChecks = [
  Fits<AccountWire, z.input<typeof AccountSchema>>,
  Fits<TickWire, z.input<typeof TickSchema>>,
  Fits<SymbolSpecWire, z.input<typeof SymbolSpecSchema>>,
  Fits<PositionWire, z.input<typeof PositionSchema>>,
  Fits<PendingOrderWire, z.input<typeof PendingOrderSchema>>,
  Fits<ClosedTradeWire, z.input<typeof ClosedTradeSchema>>,
  Fits<TradeReplyWire, z.input<typeof TradeReplySchema>>,
];

// ---------------------------------------------------------------------------------------------
// Engine state

export type Side = 'buy' | 'sell';
export type PendingType = 'buy_limit' | 'sell_limit' | 'buy_stop' | 'sell_stop';
export const PENDING_TYPES: readonly PendingType[] = ['buy_limit', 'sell_limit', 'buy_stop', 'sell_stop'];

/** Times are epoch milliseconds, whole seconds (MT4 keeps seconds). A stop of 0 means none. */
export interface OpenPosition {
  ticket: number;
  symbol: string;
  type: Side;
  lots: number;
  openPrice: number;
  openTime: number;
  sl: number;
  tp: number;
  comment: string;
  magic: number;
  swap: number;
  commission: number;
}
export interface PendingOrderState {
  ticket: number;
  symbol: string;
  type: PendingType;
  lots: number;
  price: number;
  openTime: number;
  sl: number;
  tp: number;
  expiration: number | null;
  comment: string;
  magic: number;
}
export interface ClosedTradeState extends OpenPosition {
  closePrice: number;
  closeTime: number;
  /** Account currency, rounded to cents. */
  profit: number;
}

/** The spec fields a test may change per agent (digits and point stay: the walk depends on them). */
export type SpecOverride = Partial<Pick<SymbolInfo, 'min_lot' | 'lot_step' | 'max_lot' | 'stop_level' | 'freeze_level'>>;

export interface EngineOptions {
  seed: number;
  /** Symbols of COMMON_SYMBOLS the terminal offers. */
  symbols: readonly string[];
  initialBalance: number;
  leverage: number;
  currency: string;
  login: number;
  name: string;
  server: string;
  brokerOffsetMinutes: number;
  /** The agent's clock, epoch ms. */
  now: () => number;
  /** The first ticket this terminal hands out. */
  firstTicket: number;
  /** Margin level (%) below which the losing positions are closed one by one. Default 50. */
  stopOutLevel?: number;
}

/** A closed trade given through the control API (e.g. a loss earlier today). */
export interface HistoryInput {
  ticket?: number;
  symbol: string;
  type: Side;
  lots: number;
  open_price: number;
  close_price: number;
  /** ISO time or epoch ms; default: the close time. */
  open_time?: string | number;
  /** ISO time or epoch ms; default: now. */
  close_time?: string | number;
  /** Default: computed from the prices (USD-base symbols converted at the close price). */
  profit?: number;
  sl?: number | null;
  tp?: number | null;
  swap?: number;
  commission?: number;
  comment?: string;
  magic?: number;
}

/** A pending order given through the control API (the protocol has no action to place one). */
export interface PendingOrderInput {
  symbol: string;
  type: PendingType;
  lots: number;
  /** The trigger price (`open_price` is accepted too on the control path). */
  price: number;
  sl?: number | null;
  tp?: number | null;
  comment?: string;
  magic?: number;
  /** ISO time or epoch ms. */
  expiration?: string | number | null;
}

// ---------------------------------------------------------------------------------------------
// Helpers

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

function success(ticket: number, price: number | null, message: string): TradeReplyWire {
  return { success: true, ticket, price, message, error_code: 0 };
}

export const MAX_COMMENT = 31;
export function truncateComment(c: string): string {
  return Array.from(c).slice(0, MAX_COMMENT).join('');
}

export function round2(v: number): number {
  const r = Math.round((v + (v >= 0 ? 1e-9 : -1e-9)) * 100) / 100;
  return Object.is(r, -0) ? 0 : r;
}

const EPS = 1e-9;
function roundLots(v: number): number {
  return roundTo(v, 8);
}

function isStepMultiple(lots: number, step: number): boolean {
  const n = lots / step;
  return Math.abs(n - Math.round(n)) < 1e-6;
}

export function floorSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** `2026-11-22T08:15:00Z` */
export function isoUtc(ms: number): string {
  return `${new Date(floorSecond(ms)).toISOString().slice(0, 19)}Z`;
}

/** `2026-11-22T10:15:00+02:00` — the time as the broker's clock shows it, with its offset. */
export function isoWithOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(floorSecond(ms) + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** Midnight of the broker's day that contains `ms`, as epoch ms. */
export function brokerDayStart(ms: number, offsetMinutes: number): number {
  const off = offsetMinutes * 60_000;
  return Math.floor((ms + off) / 86_400_000) * 86_400_000 - off;
}

/** Epoch ms from an ISO string or a number; throws SimInputError otherwise. */
export function parseTime(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  throw new SimInputError(`${what} must be an ISO-8601 time or epoch milliseconds`);
}

function closedWire(h: ClosedTradeState): ClosedTradeWire {
  return {
    ticket: h.ticket,
    symbol: h.symbol,
    type: h.type,
    lots: h.lots,
    open_price: h.openPrice,
    open_time: isoUtc(h.openTime),
    close_price: h.closePrice,
    close_time: isoUtc(h.closeTime),
    sl: h.sl,
    tp: h.tp,
    swap: h.swap,
    commission: h.commission,
    profit: h.profit,
    comment: h.comment,
    magic: h.magic,
  };
}

function sideOf(t: PendingType): Side {
  return t === 'buy_limit' || t === 'buy_stop' ? 'buy' : 'sell';
}

// ---------------------------------------------------------------------------------------------
// POST /trade body validation (400 bad_request when it fails; nothing is executed)

export type TradeParse = { ok: true; request: TradeRequest } | { ok: false; message: string };

export function parseTradeRequest(body: unknown): TradeParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, message: 'the body must be a JSON object' };
  const o = body as Record<string, unknown>;
  const bad = (message: string): TradeParse => ({ ok: false, message });
  const optNumber = (key: string): number | undefined | false => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    return typeof v === 'number' && Number.isFinite(v) ? v : false;
  };
  const ticket = (): number | false => {
    const v = o.ticket;
    return typeof v === 'number' && Number.isInteger(v) ? v : false;
  };
  switch (o.action) {
    case 'buy':
    case 'sell': {
      if (typeof o.symbol !== 'string' || o.symbol === '') return bad('`symbol` (a string) is required');
      if (typeof o.lots !== 'number' || !Number.isFinite(o.lots)) return bad('`lots` (a number) is required');
      const sl = optNumber('sl');
      const tp = optNumber('tp');
      const slippage = optNumber('slippage');
      if (sl === false) return bad('`sl` must be a number');
      if (tp === false) return bad('`tp` must be a number');
      if (slippage === false) return bad('`slippage` must be a number');
      const magic = o.magic;
      if (magic !== undefined && magic !== null && !(typeof magic === 'number' && Number.isInteger(magic)))
        return bad('`magic` must be an integer');
      const comment = o.comment;
      if (comment !== undefined && comment !== null && typeof comment !== 'string') return bad('`comment` must be a string');
      const r: TradeRequest = { action: o.action, symbol: o.symbol, lots: o.lots };
      if (sl !== undefined) r.sl = sl;
      if (tp !== undefined) r.tp = tp;
      if (slippage !== undefined) r.slippage = slippage;
      if (typeof magic === 'number') r.magic = magic;
      if (typeof comment === 'string') r.comment = comment;
      return { ok: true, request: r };
    }
    case 'close': {
      const t = ticket();
      if (t === false) return bad('`ticket` (an integer) is required');
      const lots = optNumber('lots');
      if (lots === false) return bad('`lots` must be a number');
      return { ok: true, request: lots === undefined ? { action: 'close', ticket: t } : { action: 'close', ticket: t, lots } };
    }
    case 'modify': {
      const t = ticket();
      if (t === false) return bad('`ticket` (an integer) is required');
      const sl = optNumber('sl');
      const tp = optNumber('tp');
      if (sl === false) return bad('`sl` must be a number or null');
      if (tp === false) return bad('`tp` must be a number or null');
      const r: TradeRequest = { action: 'modify', ticket: t };
      if (sl !== undefined) r.sl = sl;
      if (tp !== undefined) r.tp = tp;
      return { ok: true, request: r };
    }
    case 'delete': {
      const t = ticket();
      if (t === false) return bad('`ticket` (an integer) is required');
      return { ok: true, request: { action: 'delete', ticket: t } };
    }
    case undefined:
      return bad('`action` is required (buy, sell, close, modify or delete)');
    default:
      return bad(`unknown action ${JSON.stringify(o.action)} (buy, sell, close, modify or delete)`);
  }
}

// ---------------------------------------------------------------------------------------------

export interface EngineState {
  balance: number;
  tradeAllowed: boolean;
  nextTicket: number;
  positions: OpenPosition[];
  orders: PendingOrderState[];
  history: ClosedTradeState[];
}

export class SimEngine {
  private readonly opts: EngineOptions;
  readonly market: Market;
  private readonly specs = new Map<string, SymbolInfo>();
  private readonly stopOutLevel: number;
  private balance: number;
  private tradeAllowed = true;
  private nextTicket: number;
  private positionList: OpenPosition[] = [];
  private orderList: PendingOrderState[] = [];
  private historyList: ClosedTradeState[] = [];

  constructor(opts: EngineOptions) {
    this.opts = opts;
    for (const s of opts.symbols) {
      const info = COMMON_SYMBOLS[s];
      if (!info) throw new SimInputError(`the sim has no contract spec for "${s}" (it knows ${Object.keys(COMMON_SYMBOLS).join(', ')})`);
      if (info.base !== opts.currency && info.quote !== opts.currency) {
        throw new SimInputError(`the sim cannot convert ${s} profits to ${opts.currency}`);
      }
      this.specs.set(s, { ...info });
    }
    this.market = new Market([...this.specs.entries()], opts.seed, opts.now());
    this.balance = opts.initialBalance;
    this.nextTicket = opts.firstTicket;
    this.stopOutLevel = opts.stopOutLevel ?? 50;
  }

  now(): number {
    return this.opts.now();
  }

  /** Brings the market up to the clock, triggering orders, stops and stop-out on the way. */
  sync(): void {
    this.market.advance(this.now(), (ms) => this.checkTriggers(ms));
  }

  // ---- prices and specs -------------------------------------------------------------------

  private walkOf(symbol: string): SymbolWalk | undefined {
    return this.market.walk(symbol);
  }

  hasSymbol(symbol: string): boolean {
    return this.specs.has(symbol);
  }

  symbols(): string[] {
    return [...this.specs.keys()];
  }

  quote(symbol: string): Quote | undefined {
    this.sync();
    return this.walkOf(symbol)?.quote();
  }

  /** The price a position is marked (and closed) at: bid for a buy, ask for a sell. */
  private markPrice(symbol: string, side: Side): number {
    const w = this.walkOf(symbol);
    if (!w) throw new Error(`no price for ${symbol}`);
    return side === 'buy' ? w.bid() : w.ask();
  }

  /** The price a position would open at now: ask for a buy, bid for a sell. */
  private openPrice(symbol: string, side: Side): number {
    const w = this.walkOf(symbol);
    if (!w) throw new Error(`no price for ${symbol}`);
    return side === 'buy' ? w.ask() : w.bid();
  }

  private ctx(price: number) {
    return { price, leverage: this.opts.leverage, accountCurrency: this.opts.currency };
  }

  /** Margin for `lots` of `symbol` opened (or held) on `side` at the current price. */
  private marginFor(symbol: string, side: Side, lots: number): number {
    const info = this.specs.get(symbol)!;
    return (marginPerLot(info, this.ctx(this.openPrice(symbol, side))) ?? 0) * lots;
  }

  /** Profit in the account currency, rounded to cents; USD-base symbols convert at `closePrice`. */
  profitOf(symbol: string, side: Side, lots: number, openPrice: number, closePrice: number): number {
    const info = this.specs.get(symbol) ?? COMMON_SYMBOLS[symbol];
    if (!info) return 0;
    const diff = side === 'buy' ? closePrice - openPrice : openPrice - closePrice;
    const inQuote = diff * lots * info.contract_size;
    if (info.quote === this.opts.currency) return round2(inQuote);
    if (info.base === this.opts.currency && closePrice > 0) return round2(inQuote / closePrice);
    return round2(inQuote);
  }

  tick(symbol: string): TickWire | undefined {
    this.sync();
    const w = this.walkOf(symbol);
    if (!w) return undefined;
    return { symbol, bid: w.bid(), ask: w.ask(), spread: w.spread(), timestamp: isoUtc(this.now()) };
  }

  /** MarketInfo: tick_value from the current bid, margin_required for buying one lot at the ask. */
  symbolSpec(symbol: string): SymbolSpecWire | undefined {
    this.sync();
    const w = this.walkOf(symbol);
    const info = this.specs.get(symbol);
    if (!w || !info) return undefined;
    return {
      symbol,
      digits: info.digits,
      point: info.point,
      contract_size: info.contract_size,
      tick_size: info.tick_size,
      tick_value: roundTo(tickValue(info, this.ctx(w.bid())) ?? 0, 8),
      min_lot: info.min_lot,
      lot_step: info.lot_step,
      max_lot: info.max_lot,
      stop_level: info.stop_level,
      freeze_level: info.freeze_level,
      margin_required: round2(marginPerLot(info, this.ctx(w.ask())) ?? 0),
    };
  }

  // ---- account ----------------------------------------------------------------------------

  private totals(): { profit: number; swap: number; margin: number; equity: number; freeMargin: number; marginLevel: number } {
    let profit = 0;
    let swap = 0;
    let margin = 0;
    for (const p of this.positionList) {
      profit += this.profitOf(p.symbol, p.type, p.lots, p.openPrice, this.markPrice(p.symbol, p.type));
      swap += p.swap + p.commission;
      margin += this.marginFor(p.symbol, p.type, p.lots);
    }
    profit = round2(profit);
    margin = round2(margin);
    const equity = round2(this.balance + profit + swap);
    return {
      profit,
      swap: round2(swap),
      margin,
      equity,
      freeMargin: round2(equity - margin),
      marginLevel: margin > 0 ? round2((equity / margin) * 100) : 0,
    };
  }

  account(): AccountWire {
    this.sync();
    const t = this.totals();
    return {
      login: this.opts.login,
      name: this.opts.name,
      server: this.opts.server,
      currency: this.opts.currency,
      leverage: this.opts.leverage,
      balance: round2(this.balance),
      equity: t.equity,
      margin: t.margin,
      free_margin: t.freeMargin,
      margin_level: t.marginLevel,
      profit: t.profit,
      server_time: this.serverTime(),
      trade_allowed: this.tradeAllowed,
    };
  }

  serverTime(): string {
    return isoWithOffset(this.now(), this.opts.brokerOffsetMinutes);
  }

  brokerDayStart(): number {
    return brokerDayStart(this.now(), this.opts.brokerOffsetMinutes);
  }

  // ---- lists ------------------------------------------------------------------------------

  positions(): PositionWire[] {
    this.sync();
    return [...this.positionList]
      .sort((a, b) => a.ticket - b.ticket)
      .map((p) => {
        const current = this.markPrice(p.symbol, p.type);
        return {
          ticket: p.ticket,
          symbol: p.symbol,
          type: p.type,
          lots: p.lots,
          open_price: p.openPrice,
          open_time: isoUtc(p.openTime),
          sl: p.sl,
          tp: p.tp,
          current_price: current,
          swap: p.swap,
          commission: p.commission,
          profit: this.profitOf(p.symbol, p.type, p.lots, p.openPrice, current),
          comment: p.comment,
          magic: p.magic,
        };
      });
  }

  orders(): PendingOrderWire[] {
    this.sync();
    return [...this.orderList]
      .sort((a, b) => a.ticket - b.ticket)
      .map((o) => ({
        ticket: o.ticket,
        symbol: o.symbol,
        type: o.type,
        lots: o.lots,
        open_price: o.price,
        open_time: isoUtc(o.openTime),
        sl: o.sl,
        tp: o.tp,
        expiration: o.expiration === null ? null : isoUtc(o.expiration),
        comment: o.comment,
        magic: o.magic,
      }));
  }

  /**
   * Trades closed in [from, to). `from` defaults to the start of the broker's day; without `to`
   * everything closed up to now (this second included) is listed.
   */
  history(from?: number, to?: number): ClosedTradeWire[] {
    this.sync();
    const now = this.now();
    const lo = from ?? this.brokerDayStart();
    const inRange = (t: number): boolean => t >= lo && (to === undefined ? t <= now : t < to);
    return this.historyList
      .filter((h) => inRange(h.closeTime))
      .sort((a, b) => a.closeTime - b.closeTime || a.ticket - b.ticket)
      .map(closedWire);
  }

  // ---- trades -----------------------------------------------------------------------------

  trade(req: TradeRequest): TradeReplyWire {
    this.sync();
    if (!this.tradeAllowed) return failure(4109);
    switch (req.action) {
      case 'buy':
      case 'sell':
        return this.open(req);
      case 'close':
        return this.close(req.ticket, req.lots);
      case 'modify':
        return this.modify(req.ticket, req.sl, req.tp);
      case 'delete':
        return this.deleteOrder(req.ticket);
    }
  }

  private volumeProblem(lots: number, info: SymbolInfo): string | undefined {
    if (!(lots > 0)) return 'lots must be positive';
    if (lots < info.min_lot - EPS) return `below the minimum ${info.min_lot}`;
    if (lots > info.max_lot + EPS) return `above the maximum ${info.max_lot}`;
    if (!isStepMultiple(lots, info.lot_step)) return `not a multiple of the lot step ${info.lot_step}`;
    return undefined;
  }

  /**
   * MT4's stop rules, distances in points: for a buy SL and TP are measured from `ref` (the bid, or
   * the order price of a pending order) and must lie below / above it by at least the stop level
   * (and by more than zero); for a sell from the ask, mirrored.
   */
  private stopsProblem(info: SymbolInfo, side: Side, ref: number, sl: number, tp: number): string | undefined {
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

  private open(req: Extract<TradeRequest, { action: 'buy' | 'sell' }>): TradeReplyWire {
    const info = this.specs.get(req.symbol);
    const w = this.walkOf(req.symbol);
    if (!info || !w) return failure(4106, req.symbol);
    const vol = this.volumeProblem(req.lots, info);
    if (vol) return failure(131, vol);
    const side: Side = req.action;
    const sl = req.sl === undefined || req.sl === null ? 0 : roundTo(req.sl, info.digits);
    const tp = req.tp === undefined || req.tp === null ? 0 : roundTo(req.tp, info.digits);
    const ref = side === 'buy' ? w.bid() : w.ask();
    const stops = this.stopsProblem(info, side, ref, sl, tp);
    if (stops) return failure(130, stops);
    const lots = roundLots(req.lots);
    const required = this.marginFor(req.symbol, side, lots);
    const free = this.totals().freeMargin;
    if (required > free + EPS) return failure(134, `margin ${round2(required)} needed, free margin ${free}`);
    const price = this.openPrice(req.symbol, side);
    const ticket = this.nextTicket++;
    this.positionList.push({
      ticket,
      symbol: req.symbol,
      type: side,
      lots,
      openPrice: price,
      openTime: floorSecond(this.now()),
      sl,
      tp,
      comment: truncateComment(req.comment ?? ''),
      magic: req.magic ?? 0,
      swap: 0,
      commission: 0,
    });
    return success(ticket, price, 'order opened');
  }

  private close(ticket: number, lotsIn: number | undefined): TradeReplyWire {
    const p = this.positionList.find((x) => x.ticket === ticket);
    if (!p) {
      if (this.orderList.some((o) => o.ticket === ticket)) return failure(4108, `#${ticket} is a pending order (use delete)`);
      return failure(4108, `#${ticket} is not an open position`);
    }
    const info = this.specs.get(p.symbol)!;
    const lots = lotsIn === undefined ? p.lots : roundLots(lotsIn);
    if (!(lots > 0) || !isStepMultiple(lots, info.lot_step)) return failure(131, `cannot close ${lotsIn} lots`);
    if (lots > p.lots + EPS) return failure(131, `#${ticket} has only ${p.lots} lots`);
    const price = this.markPrice(p.symbol, p.type);
    const time = floorSecond(this.now());
    if (lots >= p.lots - EPS) {
      this.closeInto(p, p.lots, price, time, p.comment);
      return success(ticket, price, 'order closed');
    }
    const remainder = roundLots(p.lots - lots);
    if (lots < info.min_lot - EPS || remainder < info.min_lot - EPS) {
      return failure(131, `a partial close must leave and close at least ${info.min_lot} lots`);
    }
    const newTicket = this.nextTicket++;
    this.closeInto(p, lots, price, time, truncateComment(`to #${newTicket}`));
    this.positionList.push({ ...p, ticket: newTicket, lots: remainder, comment: truncateComment(`from #${ticket}`) });
    return { ...success(ticket, price, `order partially closed, remainder #${newTicket}`), new_ticket: newTicket };
  }

  /** Moves `lots` of `p` into history (the whole position, or the part of a partial close). */
  private closeInto(p: OpenPosition, lots: number, price: number, time: number, comment: string): ClosedTradeState {
    this.positionList = this.positionList.filter((x) => x !== p);
    const profit = this.profitOf(p.symbol, p.type, lots, p.openPrice, price);
    const closed: ClosedTradeState = { ...p, lots, closePrice: price, closeTime: time, profit, comment };
    this.historyList.push(closed);
    this.balance = round2(this.balance + profit + p.swap + p.commission);
    return closed;
  }

  private modify(ticket: number, slIn: number | null | undefined, tpIn: number | null | undefined): TradeReplyWire {
    const p = this.positionList.find((x) => x.ticket === ticket);
    const o = p ? undefined : this.orderList.find((x) => x.ticket === ticket);
    const target = p ?? o;
    if (!target) return failure(4108, `#${ticket} is neither an open position nor a pending order`);
    const info = this.specs.get(target.symbol)!;
    const sl = slIn === undefined || slIn === null ? target.sl : roundTo(slIn, info.digits);
    const tp = tpIn === undefined || tpIn === null ? target.tp : roundTo(tpIn, info.digits);
    if (sl === target.sl && tp === target.tp) return failure(1, 'the stops are already so');
    let problem: string | undefined;
    if (p) {
      problem = this.stopsProblem(info, p.type, this.markPrice(p.symbol, p.type), sl, tp);
    } else if (o) {
      problem = this.stopsProblem(info, sideOf(o.type), o.price, sl, tp);
    }
    if (problem) return failure(130, problem);
    target.sl = sl;
    target.tp = tp;
    return success(ticket, null, 'order modified');
  }

  private deleteOrder(ticket: number): TradeReplyWire {
    const o = this.orderList.find((x) => x.ticket === ticket);
    if (!o) {
      if (this.positionList.some((p) => p.ticket === ticket)) return failure(4108, `#${ticket} is a market position (use close)`);
      return failure(4108, `#${ticket} is not a pending order`);
    }
    this.orderList = this.orderList.filter((x) => x !== o);
    return success(ticket, null, 'order deleted');
  }

  // ---- what happens as prices move ----------------------------------------------------------

  /** Pending orders, expirations, SL/TP and stop-out at the prices of second `ms`. */
  private checkTriggers(ms: number): void {
    if (this.positionList.length === 0 && this.orderList.length === 0) return;
    const time = floorSecond(ms);
    for (const o of [...this.orderList]) {
      if (o.expiration !== null && time >= o.expiration) {
        this.orderList = this.orderList.filter((x) => x !== o);
        continue;
      }
      const w = this.walkOf(o.symbol);
      if (!w) continue;
      const bid = w.bid();
      const ask = w.ask();
      const hit =
        (o.type === 'buy_limit' && ask <= o.price) ||
        (o.type === 'buy_stop' && ask >= o.price) ||
        (o.type === 'sell_limit' && bid >= o.price) ||
        (o.type === 'sell_stop' && bid <= o.price);
      if (!hit) continue;
      const side = sideOf(o.type);
      this.orderList = this.orderList.filter((x) => x !== o);
      // MT4 keeps the ticket when a pending order becomes a position; it fills at the market.
      this.positionList.push({
        ticket: o.ticket,
        symbol: o.symbol,
        type: side,
        lots: o.lots,
        openPrice: side === 'buy' ? ask : bid,
        openTime: time,
        sl: o.sl,
        tp: o.tp,
        comment: o.comment,
        magic: o.magic,
        swap: 0,
        commission: 0,
      });
    }
    for (const p of [...this.positionList]) {
      const price = this.markPrice(p.symbol, p.type);
      const slHit = p.sl > 0 && (p.type === 'buy' ? price <= p.sl : price >= p.sl);
      const tpHit = p.tp > 0 && (p.type === 'buy' ? price >= p.tp : price <= p.tp);
      if (slHit || tpHit) this.closeInto(p, p.lots, price, time, truncateComment(`${p.comment}${slHit ? '[sl]' : '[tp]'}`));
    }
    this.checkStopOut(time);
  }

  private checkStopOut(time: number): void {
    for (;;) {
      if (this.positionList.length === 0) return;
      const t = this.totals();
      if (t.margin <= 0 || t.marginLevel >= this.stopOutLevel) return;
      let worst: OpenPosition | undefined;
      let worstProfit = Infinity;
      for (const p of this.positionList) {
        const pr = this.profitOf(p.symbol, p.type, p.lots, p.openPrice, this.markPrice(p.symbol, p.type));
        if (pr < worstProfit) {
          worstProfit = pr;
          worst = p;
        }
      }
      if (!worst) return;
      const comment = truncateComment(`so: ${t.marginLevel.toFixed(2)}%/${t.equity.toFixed(2)}/${t.margin.toFixed(2)}`);
      this.closeInto(worst, worst.lots, this.markPrice(worst.symbol, worst.type), time, comment);
    }
  }

  // ---- control ----------------------------------------------------------------------------

  private requireSymbol(symbol: unknown): string {
    if (typeof symbol !== 'string' || !this.specs.has(symbol)) throw new SimInputError(`unknown symbol ${JSON.stringify(symbol)}`);
    return symbol;
  }

  /** Freezes `symbol` at `bid` (spread kept) and checks orders and stops at the new price. */
  setPrice(symbol: string, bid: number): Quote {
    const s = this.requireSymbol(symbol);
    if (typeof bid !== 'number' || !Number.isFinite(bid) || bid <= 0) throw new SimInputError('bid must be a positive number');
    this.sync();
    const w = this.walkOf(s)!;
    w.freeze(bid);
    this.checkTriggers(this.now());
    return w.quote();
  }

  /** Lets `symbol` (or every symbol) walk again, from where it was frozen. */
  unfreeze(symbol?: string): void {
    this.sync();
    if (symbol === undefined) {
      for (const w of this.market.walks.values()) w.unfreeze();
      return;
    }
    this.walkOf(this.requireSymbol(symbol))!.unfreeze();
  }

  setBalance(balance: number): void {
    if (typeof balance !== 'number' || !Number.isFinite(balance)) throw new SimInputError('balance must be a number');
    this.balance = round2(balance);
  }

  setTradeAllowed(allowed: boolean): void {
    this.tradeAllowed = allowed;
  }

  setSpec(symbol: string, override: SpecOverride): void {
    const s = this.requireSymbol(symbol);
    const info = this.specs.get(s)!;
    const next = { ...info };
    for (const key of ['min_lot', 'lot_step', 'max_lot', 'stop_level', 'freeze_level'] as const) {
      const v = override[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new SimInputError(`${key} must be a number >= 0`);
      next[key] = v;
    }
    if (!(next.min_lot > 0 && next.lot_step > 0 && next.max_lot >= next.min_lot))
      throw new SimInputError('lots: need 0 < min_lot <= max_lot and lot_step > 0');
    this.specs.set(s, next);
  }

  private takeTicket(wanted: unknown): number {
    if (wanted === undefined || wanted === null) return this.nextTicket++;
    if (typeof wanted !== 'number' || !Number.isInteger(wanted) || wanted <= 0)
      throw new SimInputError('ticket must be a positive integer');
    const used = [...this.positionList, ...this.orderList, ...this.historyList].some((x) => x.ticket === wanted);
    if (used) throw new SimInputError(`ticket #${wanted} is already used`);
    if (wanted >= this.nextTicket) this.nextTicket = wanted + 1;
    return wanted;
  }

  /**
   * Adds closed trades to the history (e.g. a loss earlier today). With adjustBalance (the default)
   * the balance moves by each trade's profit + swap + commission, as if it had been traded here.
   */
  addHistory(trades: readonly HistoryInput[], options: { adjustBalance?: boolean } = {}): ClosedTradeWire[] {
    if (!Array.isArray(trades)) throw new SimInputError('trades must be an array');
    this.sync();
    const now = this.now();
    // Validate everything first: a bad entry adds nothing.
    const prepared = trades.map((t, i): { wanted: unknown; trade: ClosedTradeState } => {
      const what = `trades[${i}]`;
      if (typeof t !== 'object' || t === null) throw new SimInputError(`${what} must be an object`);
      const symbol = this.requireSymbol(t.symbol);
      const info = this.specs.get(symbol)!;
      if (t.type !== 'buy' && t.type !== 'sell') throw new SimInputError(`${what}.type must be buy or sell`);
      for (const key of ['lots', 'open_price', 'close_price'] as const) {
        const v = t[key];
        if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new SimInputError(`${what}.${key} must be a positive number`);
      }
      const closeTime = floorSecond(t.close_time === undefined ? now : parseTime(t.close_time, `${what}.close_time`));
      const openTime = floorSecond(t.open_time === undefined ? closeTime : parseTime(t.open_time, `${what}.open_time`));
      const num = (v: unknown, key: string): number => {
        if (v === undefined || v === null) return 0;
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new SimInputError(`${what}.${key} must be a number`);
        return v;
      };
      const openPrice = roundTo(t.open_price, info.digits);
      const closePrice = roundTo(t.close_price, info.digits);
      const profit =
        t.profit === undefined ? this.profitOf(symbol, t.type, t.lots, openPrice, closePrice) : round2(num(t.profit, 'profit'));
      if (t.comment !== undefined && typeof t.comment !== 'string') throw new SimInputError(`${what}.comment must be a string`);
      if (t.magic !== undefined && !Number.isInteger(t.magic)) throw new SimInputError(`${what}.magic must be an integer`);
      if (t.ticket !== undefined && (!Number.isInteger(t.ticket) || t.ticket <= 0))
        throw new SimInputError(`${what}.ticket must be a positive integer`);
      return {
        wanted: t.ticket,
        trade: {
          ticket: 0,
          symbol,
          type: t.type,
          lots: roundLots(t.lots),
          openPrice,
          openTime,
          sl: num(t.sl, 'sl'),
          tp: num(t.tp, 'tp'),
          comment: truncateComment(t.comment ?? ''),
          magic: t.magic ?? 0,
          swap: num(t.swap, 'swap'),
          commission: num(t.commission, 'commission'),
          closePrice,
          closeTime,
          profit,
        },
      };
    });
    const added: ClosedTradeState[] = [];
    for (const { wanted, trade } of prepared) {
      trade.ticket = this.takeTicket(wanted);
      this.historyList.push(trade);
      added.push(trade);
      if (options.adjustBalance !== false) this.balance = round2(this.balance + trade.profit + trade.swap + trade.commission);
    }
    return added.map(closedWire);
  }

  /** Places a pending order, checked like MT4 would (price side, stop level, volume). Returns its ticket. */
  addPendingOrder(input: PendingOrderInput): number {
    if (typeof input !== 'object' || input === null) throw new SimInputError('the order must be an object');
    const symbol = this.requireSymbol(input.symbol);
    const info = this.specs.get(symbol)!;
    if (!PENDING_TYPES.includes(input.type)) throw new SimInputError(`type must be one of ${PENDING_TYPES.join(', ')}`);
    if (typeof input.lots !== 'number') throw new SimInputError('lots must be a number');
    const vol = this.volumeProblem(input.lots, info);
    if (vol) throw new SimInputError(`invalid volume (131): ${vol}`);
    if (typeof input.price !== 'number' || !Number.isFinite(input.price) || input.price <= 0)
      throw new SimInputError('price must be a positive number');
    this.sync();
    const w = this.walkOf(symbol)!;
    const price = roundTo(input.price, info.digits);
    const side = sideOf(input.type);
    const market = side === 'buy' ? w.ask() : w.bid();
    const dist = Math.round((input.type === 'buy_limit' || input.type === 'sell_stop' ? market - price : price - market) / info.point);
    if (dist < Math.max(info.stop_level, 1)) {
      throw new SimInputError(
        `invalid price (130): a ${input.type} must be ${input.type === 'buy_limit' || input.type === 'sell_stop' ? 'below' : 'above'} ${market} by at least the stop level (${info.stop_level} points)`,
      );
    }
    const num = (v: unknown, key: string): number => {
      if (v === undefined || v === null) return 0;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new SimInputError(`${key} must be a number`);
      return roundTo(v, info.digits);
    };
    const sl = num(input.sl, 'sl');
    const tp = num(input.tp, 'tp');
    const stops = this.stopsProblem(info, side, price, sl, tp);
    if (stops) throw new SimInputError(`invalid stops (130): ${stops}`);
    if (input.comment !== undefined && typeof input.comment !== 'string') throw new SimInputError('comment must be a string');
    if (input.magic !== undefined && !Number.isInteger(input.magic)) throw new SimInputError('magic must be an integer');
    const expiration =
      input.expiration === undefined || input.expiration === null ? null : floorSecond(parseTime(input.expiration, 'expiration'));
    const ticket = this.nextTicket++;
    this.orderList.push({
      ticket,
      symbol,
      type: input.type,
      lots: roundLots(input.lots),
      price,
      openTime: floorSecond(this.now()),
      sl,
      tp,
      expiration,
      comment: truncateComment(input.comment ?? ''),
      magic: input.magic ?? 0,
    });
    return ticket;
  }

  /** A copy of the engine's state, for assertions. */
  state(): EngineState {
    this.sync();
    return structuredClone({
      balance: this.balance,
      tradeAllowed: this.tradeAllowed,
      nextTicket: this.nextTicket,
      positions: this.positionList,
      orders: this.orderList,
      history: this.historyList,
    });
  }
}
