// The DWX ZeroMQ server EA's command handling (DWX_ZeroMQ_Server_v2.0.1_RC8.mq4, master 5b0cf41),
// protocol only: what MessageHandler/InterpretZmqMessage answer to one command, in front of a
// SimEngine. The sockets, the loop, faults and the trade context are dwx-server.ts.
//
// The EA's DMA mode (its default) is what runs: OPEN sends the order without stops, then sets them
// with a MODIFY from the open price, and closes the trade again when that fails
// (ERROR_SETTING_SL_TP). MaximumLotSize and MaximumOrders are the EA's guards; the sim's defaults
// are large (the EA's own are 0.01 and 1), setInputs() changes them.
import type { TradeRequest } from '../bridge/schemas.js';
import type { SimEngine } from './engine.js';
import type { FaultTarget } from './faults.js';
import { MT4_MESSAGES } from './mt4.js';
import type { TradeReplyWire } from './wire.js';

/** The EA's inputs a test may change. */
export interface EaInputs {
  /** MaximumLotSize (the EA's default 0.01). */
  maxLotSize: number;
  /** MaximumOrders (the EA's default 1). */
  maxOrders: number;
}

const TYPE_CODES: Record<string, number> = { buy: 0, sell: 1, buy_limit: 2, sell_limit: 3, buy_stop: 4, sell_stop: 5 };

/**
 * MQL's ErrorDescription() for the codes a trade function returns: the REST sim's texts, except
 * where the EA's own wording differs (the DWX EA sends ErrorDescription() verbatim).
 */
const ERROR_TEXT: Readonly<Record<number, string>> = {
  ...MT4_MESSAGES,
  1: 'no error',
  137: 'broker is busy (never returned error)',
  145: 'modification denied because order too close to market',
  148: 'amount of open and pending orders has reached the limit',
  4109: 'trade is not allowed in the expert properties',
};
const describeError = (code: number): string => ERROR_TEXT[code] ?? 'unknown error';

/** DoubleToString(x) with its default 8 digits. */
const D = (x: number): string => (Object.is(x, -0) ? 0 : x).toFixed(8);

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** TimeToStr(t, TIME_DATE|TIME_SECONDS): `2026.11.22 10:15:00`; `withSeconds` false: TimeToString's default. */
function wallTime(ms: number, offsetMinutes: number, withSeconds = true): string {
  const d = new Date(Math.floor(ms / 1000) * 1000 + offsetMinutes * 60_000);
  const date = `${d.getUTCFullYear()}.${pad2(d.getUTCMonth() + 1)}.${pad2(d.getUTCDate())}`;
  const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}${withSeconds ? `:${pad2(d.getUTCSeconds())}` : ''}`;
  return `${date} ${time}`;
}

/** StrToInteger / StrToDouble: leading number, else 0. */
function toNum(s: string | undefined): number {
  const m = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)/.exec(s ?? '');
  return m ? Number(m[0]) : 0;
}

/** One order of the terminal's pool (OrdersTotal / OrderSelect by position). */
interface PoolOrder {
  ticket: number;
  symbol: string;
  type: string;
  lots: number;
  openPrice: number;
  openTime: string;
  sl: number;
  tp: number;
  profit: number;
  comment: string;
  magic: number;
}

/** How one command is to be handled, beyond its text. */
export interface InterpretOptions {
  /** A trade_error fault in force: every trade function fails with this MT4 code. */
  forced?: number;
  /** IsTradeContextBusy(): another program holds the terminal's trade context. */
  contextBusy?: boolean;
  /** Told of each trade function's result, in order (executed: it reached the engine). */
  onTrade?: (r: TradeReplyWire, executed: boolean) => void;
}

export class DwxEa {
  readonly #engine: SimEngine;
  readonly #offset: number;
  readonly #now: () => number;
  #inputs: EaInputs = { maxLotSize: 100, maxOrders: 1_000 };
  /** Publish_Symbols / Publish_Symbols_LastTick, with the EA's ArrayResize behaviour. */
  #publish: string[] = [];
  #lastTick: string[] = [];
  #publishing = false;
  /** The order OrderSelect() last selected (OrderType() reads it). */
  #selected: number | undefined;
  /** The command being handled. */
  #opts: InterpretOptions = {};

  constructor(engine: SimEngine, brokerOffsetMinutes: number, now: () => number) {
    this.#engine = engine;
    this.#offset = brokerOffsetMinutes;
    this.#now = now;
  }

  setInputs(inputs: Partial<EaInputs>): void {
    this.#inputs = { ...this.#inputs, ...inputs };
  }

  /** InterpretZmqMessage: the reply to one command (its 11 components), or undefined when the EA answers nothing. */
  interpret(comp: string[], opts: InterpretOptions = {}): string | undefined {
    this.#opts = opts;
    try {
      return this.#interpret(comp);
    } finally {
      this.#opts = {};
    }
  }

  /** OnTick's price part: the `SYMBOL:|:bid;ask` messages of the tracked slots whose price changed. */
  changedTicks(): string[] {
    if (!this.#publishing) return [];
    const out: string[] = [];
    for (let s = 0; s < this.#publish.length; s++) {
      const sym = this.#publish[s]!;
      const q = sym === '' ? undefined : this.#engine.quote(sym);
      const tick = q ? `${q.bid.toFixed(6)};${q.ask.toFixed(6)}` : '';
      if (this.#lastTick[s] === tick) continue;
      this.#lastTick[s] = tick;
      out.push(`${sym}:|:${tick}`);
    }
    return out;
  }

  target(comp: string[]): FaultTarget {
    const [head, action] = comp;
    if (head === 'HEARTBEAT') return { path: '/heartbeat', trade: false };
    if (head === 'TRACK_PRICES') return { path: comp[1] ? `/tick/${comp[1]}` : '/tick', trade: false };
    if (head === 'TRACK_RATES') return { path: '/rates', trade: false };
    if (head === 'HIST') return { path: '/history', trade: false };
    if (head !== 'TRADE') return { path: '/unknown', trade: false };
    switch (action) {
      case 'GET_ACCOUNT_INFO':
        return { path: '/account', trade: false };
      case 'GET_OPEN_TRADES':
        return { path: '/positions', trade: false };
      case 'OPEN':
        return { path: '/trade', trade: true, action: toNum(comp[2]) === 1 ? 'sell' : toNum(comp[2]) === 0 ? 'buy' : 'open' };
      case 'MODIFY':
        return { path: '/trade', trade: true, action: 'modify' };
      case 'CLOSE': {
        const pending = this.#engine.orders().some((o) => o.ticket === toNum(comp[10]));
        return { path: '/trade', trade: true, action: pending ? 'delete' : 'close' };
      }
      case 'CLOSE_PARTIAL':
        return { path: '/trade', trade: true, action: 'close' };
      case 'CLOSE_ALL':
        return { path: '/trade', trade: true, action: 'close_all' };
      case 'CLOSE_MAGIC':
        return { path: '/trade', trade: true, action: 'close_magic' };
      default:
        return { path: '/unknown', trade: false };
    }
  }

  /** InterpretZmqMessage: the reply to one command, or undefined when the EA answers nothing. */
  #interpret(comp: string[]): string | undefined {
    const [head, action] = comp;
    if (head === 'HEARTBEAT') return "{'_action': 'heartbeat', '_response': 'loud and clear!'}";
    let sw = 0;
    if (head === 'TRADE') {
      sw =
        { OPEN: 1, MODIFY: 2, CLOSE: 3, CLOSE_PARTIAL: 4, CLOSE_MAGIC: 5, CLOSE_ALL: 6, GET_OPEN_TRADES: 7, GET_ACCOUNT_INFO: 11 }[
          action ?? ''
        ] ?? 0;
    } else sw = { HIST: 8, TRACK_PRICES: 9, TRACK_RATES: 10 }[head ?? ''] ?? 0;
    if (sw === 0) return undefined;
    // CheckOpsStatus
    if (!this.#engine.account().trade_allowed || this.#opts.forced === 4109)
      return "{'_response': 'TRADING_IS_NOT_ALLOWED__ABORTED_COMMAND'}";
    if (this.#opts.forced === 146 || this.#opts.contextBusy) return "{'_response': 'TRADE_CONTEXT_BUSY__ABORTED_COMMAND'}";
    if (this.#opts.forced === 6) return "{'_response': 'NO_BROKER_CONNECTION__ABORTED_COMMAND'}";
    switch (sw) {
      case 1:
        return `{${this.#open(comp[3]!, toNum(comp[2]), toNum(comp[8]), toNum(comp[4]), Math.trunc(toNum(comp[5])), Math.trunc(toNum(comp[6])), comp[7]!, Math.trunc(toNum(comp[9])))}}`;
      case 2: {
        const r = this.#modifyOrder(Math.trunc(toNum(comp[10])), toNum(comp[4]), toNum(comp[5]), toNum(comp[6]), 3);
        return `{'_action': 'MODIFY'${r.out}}`;
      }
      case 3:
        return `{${this.#closeTicket(Math.trunc(toNum(comp[10])))}}`;
      case 4:
        return `{${this.#closePartialExtern(toNum(comp[8]), Math.trunc(toNum(comp[10])))}}`;
      case 5:
        return `{${this.#closeMany(Math.trunc(toNum(comp[9])))}}`;
      case 6:
        return `{${this.#closeMany(undefined)}}`;
      case 7:
        return `{${this.#openTrades()}}`;
      case 8:
        return `{'_action': 'HIST', '_symbol': '${comp[1]}_${timeframeText(toNum(comp[2]))}', '_response': 'NOT_AVAILABLE'}`;
      case 9:
        return `{${this.#trackPrices(comp)}}`;
      case 10:
        return `{${this.#trackRates(comp)}}`;
      default:
        return `{${this.#accountInfo()}}`;
    }
  }

  // ---- the pool ---------------------------------------------------------------------------------

  /** OrdersTotal() orders, index 0 first (oldest ticket first). */
  #pool(): PoolOrder[] {
    const e = this.#engine;
    const positions = e.positions().map((p) => ({
      ticket: p.ticket,
      symbol: p.symbol,
      type: p.type,
      lots: p.lots,
      openPrice: p.open_price,
      openTime: p.open_time,
      sl: p.sl,
      tp: p.tp,
      profit: p.profit,
      comment: p.comment,
      magic: p.magic,
    }));
    const orders = e.orders().map((o) => ({
      ticket: o.ticket,
      symbol: o.symbol,
      type: o.type,
      lots: o.lots,
      openPrice: o.open_price,
      openTime: o.open_time,
      sl: o.sl,
      tp: o.tp,
      profit: 0,
      comment: o.comment,
      magic: o.magic,
    }));
    return [...positions, ...orders].sort((a, b) => a.ticket - b.ticket);
  }

  /** OrderSelect(ticket, SELECT_BY_TICKET): open orders and the history. */
  #byTicket(ticket: number): PoolOrder | undefined {
    const open = this.#pool().find((o) => o.ticket === ticket);
    if (open) return open;
    const h = this.#engine.history(0).find((t) => t.ticket === ticket);
    return h
      ? {
          ticket: h.ticket,
          symbol: h.symbol,
          type: h.type,
          lots: h.lots,
          openPrice: h.open_price,
          openTime: h.open_time,
          sl: h.sl,
          tp: h.tp,
          profit: h.profit,
          comment: h.comment,
          magic: h.magic,
        }
      : undefined;
  }

  /** OrderType() of the selected order (0, OP_BUY, when nothing was ever selected). */
  #selectedType(): string {
    return this.#selected === undefined ? 'buy' : (this.#byTicket(this.#selected)?.type ?? 'buy');
  }

  #wall(iso: string): string {
    return wallTime(Date.parse(iso), this.#offset);
  }

  /** A trade function: the engine, unless a trade_error fault makes it fail. */
  #trade(req: TradeRequest): TradeReplyWire {
    const forced = this.#opts.forced;
    if (forced !== undefined) {
      const r: TradeReplyWire = { success: false, ticket: null, price: null, message: 'simulated', error_code: forced };
      this.#opts.onTrade?.(r, false);
      return r;
    }
    const r = this.#engine.trade(req);
    this.#opts.onTrade?.(r, true);
    return r;
  }

  #pointDigits(symbol: string): { point: number; digits: number } {
    const s = this.#engine.symbolSpec(symbol);
    return s ? { point: s.point, digits: s.digits } : { point: 0, digits: 0 };
  }

  // ---- commands ---------------------------------------------------------------------------------

  /** DWX_OpenOrder, DMA mode. */
  #open(symbol: string, type: number, lots: number, _price: number, SL: number, TP: number, comment: string, magic: number): string {
    let out = "'_action': 'EXECUTION'";
    if (lots > this.#inputs.maxLotSize) return `${out}, '_response': 'LOT_SIZE_ERROR', 'response_value': 'MAX_LOT_SIZE_EXCEEDED'`;
    if (this.#pool().length >= this.#inputs.maxOrders)
      return `${out}, '_response': 'NUM_ORDERS_ERROR', 'response_value': 'MAX_NUMBER_OF_ORDERS_EXCEEDED'`;
    if (type !== 0 && type !== 1) return `${out}, '_response': '3', 'response_value': '${describeError(3)}'`; // pending orders: not simulated
    const r = this.#trade({ action: type === 0 ? 'buy' : 'sell', symbol, lots, comment, magic });
    if (!r.success || r.ticket === null)
      return `${out}, '_response': '${r.error_code}', 'response_value': '${describeError(r.error_code)}'`;
    const ticket = r.ticket;
    this.#selected = ticket;
    const o = this.#byTicket(ticket)!;
    out += `, '_symbol': '${symbol}', '_magic': ${magic}, '_ticket': ${ticket}, '_open_time': '${this.#wall(o.openTime)}', '_open_price': ${D(o.openPrice)}`;
    // DMA_MODE: opened without stops; set them now.
    let retries = 3;
    for (;;) {
      retries--;
      if (retries < 0) return out;
      const now = this.#byTicket(ticket);
      if ((SL === 0 && TP === 0) || (now && now.sl === SL && now.tp === TP)) return out;
      const m = this.#modifyOrder(ticket, o.openPrice, SL, TP, retries);
      out += m.out;
      if (m.ok) return out;
      if (retries === 0) return `${out}, '_response': 'ERROR_SETTING_SL_TP'`;
    }
  }

  /** DWX_ModifyOrder: SL/TP in points from the open price; on the last retry a failure closes the order. */
  #modifyOrder(ticket: number, price: number, SL: number, TP: number, retries: number): { ok: boolean; out: string } {
    const o = this.#byTicket(ticket);
    if (!o) return { ok: false, out: ", '_response': 'NOT_FOUND'" };
    this.#selected = ticket;
    const base = o.type === 'buy' || o.type === 'sell' || price === 0 ? o.openPrice : price;
    const dir = o.type === 'buy' || o.type === 'buy_limit' || o.type === 'buy_stop' ? 1 : -1;
    const { point, digits } = this.#pointDigits(o.symbol);
    const norm = (v: number) => Number(v.toFixed(digits));
    const mSL = norm(base - SL * dir * point);
    const mTP = norm(base + TP * dir * point);
    const open = this.#pool().some((x) => x.ticket === ticket);
    const r = open ? this.#trade({ action: 'modify', ticket, sl: mSL, tp: mTP }) : { success: false, error_code: 4108 };
    if (r.success) return { ok: true, out: `, '_sl': ${D(mSL)}, '_tp': ${D(mTP)}` };
    let out = `, '_response': '${r.error_code}', '_response_value': '${describeError(r.error_code)}', '_sl_attempted': ${mSL.toFixed(digits)}, '_tp_attempted': ${mTP.toFixed(digits)}`;
    if (retries === 0) out += this.#closeAtMarket(-1).out;
    return { ok: false, out };
  }

  /** DWX_CloseAtMarket: up to 3 tries of DWX_ClosePartial on the selected order. */
  #closeAtMarket(size: number): { ok: boolean; out: string } {
    let out = '';
    for (let retries = 3; retries > 0; retries--) {
      const r = this.#closePartial(size);
      out += r.out;
      if (r.ok) return { ok: true, out };
      // GetLastError() was read (and reset) inside: the EA appends a second, empty, error.
      out += `, '_response': '0', '_response_value': '${describeError(0)}'`;
    }
    return { ok: false, out };
  }

  /** DWX_ClosePartial on the selected order (the internal call: no header). */
  #closePartial(size: number): { ok: boolean; out: string } {
    const type = this.#selectedType();
    if (type !== 'buy' && type !== 'sell') return { ok: true, out: '' };
    const o = this.#selected === undefined ? undefined : this.#byTicket(this.#selected);
    if (!o) return { ok: false, out: `, '_response': '4108', '_response_value': '${describeError(4108)}'` };
    const lots = size < 0.01 || size > o.lots ? o.lots : size;
    const open = this.#pool().some((x) => x.ticket === o.ticket);
    const r = open
      ? this.#trade({ action: 'close', ticket: o.ticket, ...(lots < o.lots ? { lots } : {}) })
      : { success: false, price: null, error_code: 4108 };
    if (r.success) return { ok: true, out: `, '_close_price': ${D(r.price ?? 0)}, '_close_lots': ${D(lots)}` };
    return { ok: false, out: `, '_response': '${r.error_code}', '_response_value': '${describeError(r.error_code)}'` };
  }

  /** TRADE;CLOSE_PARTIAL: DWX_ClosePartial(size, zmq_ret, ticket, true). */
  #closePartialExtern(size: number, ticket: number): string {
    // Its first line reads the type of whatever order is selected, before selecting the ticket.
    const type = this.#selectedType();
    if (type !== 'buy' && type !== 'sell') return '';
    let out = `'_action': 'CLOSE', '_ticket': ${ticket}`;
    if (!this.#byTicket(ticket)) return `${out}, '_response': 'CLOSE_PARTIAL_FAILED'`;
    this.#selected = ticket;
    out += ", '_response': 'CLOSE_PARTIAL'";
    return out + this.#closePartial(size).out;
  }

  /** DWX_CloseOrder_Ticket. */
  #closeTicket(ticket: number): string {
    let out = `'_action': 'CLOSE', '_ticket': ${ticket}`;
    let found = false;
    for (const o of this.#pool()) {
      this.#selected = o.ticket;
      if (o.ticket !== ticket) continue;
      found = true;
      if (o.type === 'buy' || o.type === 'sell') {
        out += this.#closeAtMarket(-1).out;
        out += ", '_response': 'CLOSE_MARKET'";
      } else {
        out += ", '_response': 'CLOSE_PENDING'";
        this.#trade({ action: 'delete', ticket });
      }
      break;
    }
    return out + (found ? ", '_response_value': 'SUCCESS'" : ", '_response': 'NOT_FOUND'");
  }

  /** DWX_CloseAllOrders (magic undefined) and DWX_CloseOrder_Magic. */
  #closeMany(magic: number | undefined): string {
    let out = magic === undefined ? "'_action': 'CLOSE_ALL'" : `'_action': 'CLOSE_ALL_MAGIC', '_magic': ${magic}`;
    out += ", '_responses': {";
    let found = false;
    const pool = this.#pool();
    for (let i = pool.length - 1; i >= 0; i--) {
      const o = pool[i]!;
      if (magic !== undefined && o.magic !== magic) continue;
      this.#selected = o.ticket;
      found = true;
      out += magic === undefined ? `${o.ticket}: {'_symbol':'${o.symbol}', '_magic': ${o.magic}` : `${o.ticket}: {'_symbol':'${o.symbol}'`;
      if (o.type === 'buy' || o.type === 'sell') {
        out += this.#closeAtMarket(-1).out;
        out += ", '_response': 'CLOSE_MARKET'";
      } else {
        out += ", '_response': 'CLOSE_PENDING'";
        this.#trade({ action: 'delete', ticket: o.ticket });
      }
      out += i !== 0 ? '}, ' : '}';
    }
    out += '}';
    return out + (found ? ", '_response_value': 'SUCCESS'" : ", '_response': 'NOT_FOUND'");
  }

  /** DWX_GetOpenOrders. */
  #openTrades(): string {
    let out = "'_action': 'OPEN_TRADES', '_trades': {";
    const pool = this.#pool();
    for (let i = pool.length - 1; i >= 0; i--) {
      const o = pool[i]!;
      this.#selected = o.ticket;
      out +=
        `${o.ticket}: {'_magic': ${o.magic}, '_symbol': '${o.symbol}', '_lots': ${D(o.lots)}, '_type': ${TYPE_CODES[o.type] ?? 0}, '_open_price': ${D(o.openPrice)}, ` +
        `'_open_time': '${this.#wall(o.openTime)}', '_SL': ${D(o.sl)}, '_TP': ${D(o.tp)}, '_pnl': ${D(o.profit)}, '_comment': '${o.comment}'`;
      out += i !== 0 ? '}, ' : '}';
    }
    return `${out}}`;
  }

  /** DWX_GetAccountInformation. */
  #accountInfo(): string {
    const a = this.#engine.account();
    return (
      `'_action': 'GET_ACCOUNT_INFORMATION', 'account_number':${a.login}, '_data': [{` +
      `'currenttime': '${wallTime(this.#now(), this.#offset, false)}', 'account_name':'${a.name}', 'account_balance':${D(a.balance)}, ` +
      `'account_equity':${D(a.equity)}, 'account_profit':${D(a.profit)}, 'account_free_margin':${D(a.free_margin)}, 'account_leverage' :${Math.trunc(a.leverage)}}]`
    );
  }

  /**
   * DWX_SetSymbolList. `compArray` is the EA's fixed array of 11, so there are always 10 "symbols"
   * (the unused ones empty, and failing); each symbol that SymbolSelect()s takes slot s with
   * ArrayResize(…, s+1), which drops the slots beyond it and adds new, empty, ones.
   */
  #trackPrices(comp: string[]): string {
    let out = "'_action': 'TRACK_PRICES'";
    const n = comp.length - 1;
    const errors: string[] = [];
    for (let s = 0; s < n; s++) {
      const sym = comp[s + 1]!;
      if (sym !== '' && this.#engine.hasSymbol(sym)) {
        this.#publish = resize(this.#publish, s + 1);
        this.#lastTick = resize(this.#lastTick, s + 1);
        this.#publish[s] = sym;
      } else errors.push(`'${sym}'`);
    }
    out += `, '_data': {'symbol_count':${n}, 'error_symbols':[${errors.join(', ')}]}`;
    this.#publishing = true;
    return out;
  }

  /** DWX_SetInstrumentList: answered; the sim publishes no rates. */
  #trackRates(comp: string[]): string {
    const n = Math.floor((comp.length - 1) / 2);
    const errors: string[] = [];
    for (let s = 0; s < n; s++) {
      const sym = comp[2 * s + 1]!;
      if (!(sym !== '' && this.#engine.hasSymbol(sym))) errors.push(`'${sym}'`);
    }
    return `'_action': 'TRACK_RATES', '_data': {'instrument_count':${n}, 'error_symbols':[${errors.join(', ')}]}`;
  }
}

/** MQL ArrayResize of a string array: shrinking drops the tail, growing adds empty strings. */
function resize(a: string[], n: number): string[] {
  return a.length >= n ? a.slice(0, n) : [...a, ...Array.from({ length: n - a.length }, () => '')];
}

function timeframeText(tf: number): string {
  return (
    ({ 1: 'M1', 5: 'M5', 15: 'M15', 30: 'M30', 60: 'H1', 240: 'H4', 1440: 'D1', 10080: 'W1', 43200: 'MN1' } as Record<number, string>)[
      tf
    ] ?? 'UNKNOWN'
  );
}
