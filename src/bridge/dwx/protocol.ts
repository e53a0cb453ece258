// The DWX ZeroMQ server EA's wire format (DWX_ZeroMQ_Server_v2.0.1_RC8.mq4), both ways: the
// `;`-separated commands mt4gw sends, and what each reply means. Pure functions only: the client
// (session.ts, quotes.ts, trades.ts) does the I/O, the sim (src/sim/dwx-server.ts) writes the replies.
//
// Commands: TRADE;ACTION;TYPE;SYMBOL;PRICE;SL;TP;COMMENT;LOTS;MAGIC;TICKET (11 fields, as the EA's
// `string components[11]` expects), HEARTBEAT; and TRACK_PRICES;SYM1;…;SYMn. SL and TP are whole
// points relative to a price: for OPEN (DMA mode, the default) and MODIFY relative to the order's
// open price, mSL = price − SL·dir·point and mTP = price + TP·dir·point with dir = +1 for buys.
import { asDict, asNumber, asString, type DwxDict, type DwxValue } from './parser.js';

export const OP_TYPES = ['buy', 'sell', 'buy_limit', 'sell_limit', 'buy_stop', 'sell_stop'] as const;
export type OpType = (typeof OP_TYPES)[number];

/** Fields of a TRADE command; unused ones get the neutral values the Python client sends. */
export interface TradeFields {
  action: 'OPEN' | 'MODIFY' | 'CLOSE' | 'CLOSE_PARTIAL' | 'CLOSE_MAGIC' | 'CLOSE_ALL' | 'GET_OPEN_TRADES' | 'GET_ACCOUNT_INFO';
  type?: number;
  symbol?: string;
  price?: number;
  sl?: number;
  tp?: number;
  comment?: string;
  lots?: number;
  magic?: number;
  ticket?: number;
}

/** A number as the EA's StrToDouble/StrToInteger read it back: no exponent, no float noise. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${n}`);
  const s = n.toFixed(8).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

/** Characters that would break the command (`;`) or the EA's reply (quotes), and anything unprintable. */
export function sanitizeComment(comment: string): string {
  return comment.replace(/[;'"\\]|[^\x20-\x7e]/g, '_').slice(0, 31);
}

/** A symbol is sent as is; one that could break the command line is refused by the caller. */
export const SAFE_SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._#+-]{0,31}$/;

export function tradeCommand(f: TradeFields): string {
  const fields = [
    'TRADE',
    f.action,
    String(f.type ?? 0),
    f.symbol ?? 'NULL',
    formatNumber(f.price ?? 0),
    String(Math.round(f.sl ?? 0)),
    String(Math.round(f.tp ?? 0)),
    sanitizeComment(f.comment ?? 'mt4gw'),
    formatNumber(f.lots ?? 0),
    String(Math.round(f.magic ?? 0)),
    String(Math.round(f.ticket ?? 0)),
  ];
  return fields.join(';');
}

export const HEARTBEAT = 'HEARTBEAT;';

/** At most 10 symbols: the EA splits a command into a fixed array of 11 fields. */
export const MAX_TRACKED = 10;

export function trackPricesCommand(symbols: readonly string[]): string {
  return ['TRACK_PRICES', ...symbols.slice(0, MAX_TRACKED)].join(';');
}

// ---- SL/TP as points -----------------------------------------------------------------------------

/**
 * The SL and TP fields that put the stops at `sl` and `tp` (prices; null = none) for an order of
 * `type` whose base price is `base` (its open price). "No stop" is the distance that lands on 0:
 * sending 0 points would put the stop at the open price itself (the EA's SL=0 pitfall).
 */
export function stopPoints(type: OpType, base: number, point: number, sl: number | null, tp: number | null): { sl: number; tp: number } {
  const dir = direction(type);
  const slPrice = sl ?? 0;
  const tpPrice = tp ?? 0;
  // mSL = base − SL·dir·point  →  SL = (base − mSL) / (dir·point)
  const slPts = Math.round((base - slPrice) / (dir * point));
  // mTP = base + TP·dir·point  →  TP = (mTP − base) / (dir·point)
  const tpPts = Math.round((tpPrice - base) / (dir * point));
  return { sl: slPts === 0 ? 0 : slPts, tp: tpPts === 0 ? 0 : tpPts };
}

/** +1 for buys (market, limit and stop), −1 for sells. */
function direction(type: OpType): 1 | -1 {
  return type === 'buy' || type === 'buy_limit' || type === 'buy_stop' ? 1 : -1;
}

/** The prices the EA computes from points (what it will set), rounded to `digits`. */
export function stopPrices(
  type: OpType,
  base: number,
  point: number,
  digits: number,
  slPts: number,
  tpPts: number,
): { sl: number; tp: number } {
  const dir = direction(type);
  const r = (v: number) => {
    const x = Number(v.toFixed(digits));
    return x === 0 ? 0 : x;
  };
  return { sl: r(base - slPts * dir * point), tp: r(base + tpPts * dir * point) };
}

// ---- reply interpretation ------------------------------------------------------------------------

/** What each `<REASON>__ABORTED_COMMAND` means: nothing was executed. */
export const ABORTED: Readonly<Record<string, { code: number; meaning: string; hint: string }>> = {
  TRADING_IS_NOT_ALLOWED: {
    code: 4109,
    meaning: 'trading is not allowed in the terminal (AutoTrading off, or the trade context busy)',
    hint: "Turn AutoTrading on in the terminal and tick 'Allow live trading' in the DWX EA's properties.",
  },
  EA_IS_DISABLED: {
    code: 4109,
    meaning: 'expert advisors are disabled in the terminal',
    hint: 'Enable expert advisors (the AutoTrading button) in the terminal.',
  },
  TRADE_CONTEXT_BUSY: {
    code: 146,
    meaning: 'the trade context is busy',
    hint: 'Another EA or script is trading in that terminal; try again.',
  },
  DLLS_DISABLED: {
    code: 4017,
    meaning: 'DLL imports are not allowed',
    hint: "Tick 'Allow DLL imports' in the DWX EA's properties (ZeroMQ needs it).",
  },
  LIBS_DISABLED: {
    code: 4018,
    meaning: 'library imports are not allowed',
    hint: "Allow imports of external experts/libraries in the terminal's options.",
  },
  NO_BROKER_CONNECTION: {
    code: 6,
    meaning: 'the terminal has no connection to the broker',
    hint: 'Wait until the terminal reconnects to the broker.',
  },
};

/** `TRADE_CONTEXT_BUSY` for `{'_response': 'TRADE_CONTEXT_BUSY__ABORTED_COMMAND'}`, else undefined. */
export function abortedReason(d: DwxDict): string | undefined {
  if (d.has('_action')) return undefined;
  const r = asString(d.get('_response'));
  if (r === undefined || !r.endsWith('__ABORTED_COMMAND')) return undefined;
  return r.slice(0, -'__ABORTED_COMMAND'.length);
}

/** What `<REASON>__ABORTED_COMMAND` says: the reason and its meaning. */
export function abortedMessage(reason: string): string {
  return `${reason}__ABORTED_COMMAND: ${ABORTED[reason]?.meaning ?? 'the EA refused the command'}`;
}

/** The reply the EA sends on its PULL socket (which cannot send) when stopped; handled anyway. */
export function isStopped(d: DwxDict): boolean {
  return !d.has('_action') && asString(d.get('_response')) === 'EA_IS_STOPPED';
}

export interface Failure {
  ok: false;
  /** The MT4 error code the failure maps to (146, 4108, 131, …). */
  code: number;
  /** The EA's words, as it wrote them (`LOT_SIZE_ERROR (MAX_LOT_SIZE_EXCEEDED)`). */
  message: string;
}

/** Every numeric `_response` of a reply that is not 0, in order (MQL's GetLastError() reads 0 the second time). */
function errorCodes(d: DwxDict): number[] {
  return d
    .all('_response')
    .map((v) => asNumber(v))
    .filter((n): n is number => n !== undefined && Number.isInteger(n) && n !== 0);
}

/** A string or number value as text; anything else as ''. */
function text(v: DwxValue | undefined): string {
  return typeof v === 'number' ? String(v) : (asString(v) ?? '');
}

/** Every `_response` of a reply as text, in order. */
function responses(d: DwxDict): string[] {
  return d.all('_response').map(text);
}

/** The words of a reply's `_response`/`response_value` keys, for a message (bookkeeping words left out). */
function words(d: DwxDict): string {
  const skip = new Set(['0', 'no error', 'SUCCESS', 'CLOSE_MARKET', 'CLOSE_PARTIAL', 'ERROR_SETTING_SL_TP', 'TRADE_CONTEXT_NOW_FREE']);
  const parts: string[] = [];
  for (const [k, v] of d.entries) {
    if (k === '_response' || k === '_response_value' || k === 'response_value') {
      const s = text(v);
      if (s && !skip.has(s)) parts.push(s);
    }
  }
  return [...new Set(parts)].join(', ');
}

export interface OpenResult {
  ok: true;
  ticket: number;
  price: number;
  symbol: string | undefined;
  magic: number | undefined;
  /** `'_open_time'`, broker wall time `YYYY.MM.DD HH:MM:SS`. */
  openTime: string | undefined;
  /** Stops the EA set itself (only when it was sent non-zero SL/TP). */
  sl: number | undefined;
  tp: number | undefined;
}

/** An OPEN that failed after the order was opened (DMA mode could not set its stops). */
export interface OpenedThenFailed {
  ok: false;
  code: number;
  message: string;
  ticket: number;
  price: number | undefined;
  /** The EA closed it again (a `_close_price` follows). */
  closedAgain: boolean;
}

/** `{'_action': 'EXECUTION', …}`. */
export function interpretOpen(d: DwxDict): OpenResult | Failure | OpenedThenFailed {
  const said = responses(d);
  const ticket = asNumber(d.get('_ticket'));
  const price = asNumber(d.get('_open_price'));
  if (said.includes('ERROR_SETTING_SL_TP')) {
    const code = errorCodes(d)[0] ?? 130;
    const message = `ERROR_SETTING_SL_TP${words(d) ? ` (${words(d)})` : ''}`;
    if (ticket !== undefined && ticket > 0) return { ok: false, code, message, ticket, price, closedAgain: d.has('_close_price') };
    return { ok: false, code, message };
  }
  if (ticket !== undefined && ticket > 0 && price !== undefined) {
    return {
      ok: true,
      ticket,
      price,
      symbol: asString(d.get('_symbol')),
      magic: asNumber(d.get('_magic')),
      openTime: asString(d.get('_open_time')),
      sl: asNumber(d.get('_sl')),
      tp: asNumber(d.get('_tp')),
    };
  }
  const first = said[0];
  const value = asString(d.get('response_value')) ?? asString(d.get('_response_value'));
  const described = `${first ?? 'no _response'}${value ? ` (${value})` : ''}`;
  if (first === 'LOT_SIZE_ERROR') {
    return {
      ok: false,
      code: 131,
      message: `${described}: the DWX EA's MaximumLotSize input is below this order's lots; raise it in the EA's inputs`,
    };
  }
  if (first === 'NUM_ORDERS_ERROR') {
    return { ok: false, code: 148, message: `${described}: the DWX EA's MaximumOrders input is reached; raise it in the EA's inputs` };
  }
  const code = asNumber(first);
  if (code !== undefined && Number.isInteger(code)) return { ok: false, code, message: value ?? `MT4 error ${code}` };
  return { ok: false, code: 2, message: `the EA answered ${described} without a ticket` };
}

export interface ModifyResult {
  ok: true;
  sl: number;
  tp: number;
}

/** `{'_action': 'MODIFY', …}`. */
export function interpretModify(d: DwxDict): ModifyResult | Failure {
  const sl = asNumber(d.get('_sl'));
  const tp = asNumber(d.get('_tp'));
  if (sl !== undefined && tp !== undefined && errorCodes(d).length === 0) return { ok: true, sl, tp };
  if (asString(d.get('_response')) === 'NOT_FOUND') return { ok: false, code: 4108, message: 'NOT_FOUND' };
  const code = errorCodes(d)[0];
  if (code !== undefined) return { ok: false, code, message: words(d) || `MT4 error ${code}` };
  return { ok: false, code: 2, message: `the EA answered MODIFY without stops${words(d) ? ` (${words(d)})` : ''}` };
}

export interface CloseResult {
  ok: true;
  price: number | null;
  lots: number | null;
  /** The ticket was a pending order: the EA deleted it (without checking that it could). */
  pending: boolean;
}

/**
 * `{'_action': 'CLOSE', '_ticket': T, …}` (CLOSE and CLOSE_PARTIAL). The EA ends a CLOSE with
 * `'_response_value': 'SUCCESS'` even when every OrderClose failed: a close happened only when a
 * `_close_price` is there.
 */
export function interpretClose(d: DwxDict): CloseResult | Failure {
  const said = responses(d);
  if (said.includes('NOT_FOUND') || said.includes('CLOSE_PARTIAL_FAILED')) {
    return { ok: false, code: 4108, message: said.includes('NOT_FOUND') ? 'NOT_FOUND' : 'CLOSE_PARTIAL_FAILED' };
  }
  const price = asNumber(d.get('_close_price'));
  if (price !== undefined) return { ok: true, price, lots: asNumber(d.get('_close_lots')) ?? null, pending: false };
  if (said.includes('CLOSE_PENDING')) return { ok: true, price: null, lots: null, pending: true };
  const code = errorCodes(d)[0];
  const busy = said.includes('TRADE_CONTEXT_BUSY') || said.includes('WAIT_LIMIT_EXCEEDED');
  const claim = d.all('_response_value').includes('SUCCESS') ? ', although the EA answered SUCCESS' : '';
  if (code !== undefined) return { ok: false, code, message: `${words(d) || `MT4 error ${code}`}: not closed${claim}` };
  if (busy) return { ok: false, code: 146, message: `${words(d)}: not closed${claim}` };
  return { ok: false, code: 2, message: `the EA reported no close price (${words(d) || 'no details'}): not closed${claim}` };
}

export interface DwxTrade {
  ticket: number;
  magic: number;
  symbol: string;
  lots: number;
  type: OpType;
  openPrice: number;
  /** Broker wall time, `YYYY.MM.DD HH:MM:SS`. */
  openTime: string;
  sl: number;
  tp: number;
  pnl: number;
  comment: string;
}

/** `{'_action': 'OPEN_TRADES', '_trades': {T: {…}, …}}`: market positions and pending orders. */
export function interpretOpenTrades(d: DwxDict): DwxTrade[] | string {
  const trades = d.get('_trades');
  if (trades === undefined) return 'no `_trades` in the reply';
  const dict = asDict(trades);
  if (!dict) return '`_trades` is not a dict';
  const out: DwxTrade[] = [];
  for (const [key, v] of dict.entries) {
    const t = asDict(v);
    const ticket = asNumber(key);
    if (!t || ticket === undefined || !Number.isInteger(ticket) || ticket <= 0)
      return `trade ${JSON.stringify(String(key))} is not a ticket with a dict`;
    const type = asNumber(t.get('_type'));
    const f = complete({
      magic: asNumber(t.get('_magic')),
      symbol: asString(t.get('_symbol')),
      lots: asNumber(t.get('_lots')),
      openPrice: asNumber(t.get('_open_price')),
      openTime: asString(t.get('_open_time')),
      sl: asNumber(t.get('_SL')),
      tp: asNumber(t.get('_TP')),
      pnl: asNumber(t.get('_pnl')),
      comment: asString(t.get('_comment')),
      // An integer index into OP_TYPES (OP_BUY … OP_SELLSTOP); anything else is missing.
      type: type === undefined ? undefined : OP_TYPES[type],
    });
    if (Array.isArray(f)) return `trade ${ticket}: ${f.join(', ')} missing or invalid`;
    out.push({ ticket, ...f });
  }
  return out;
}

/**
 * The fields read from a reply (each undefined when the reply lacked it or gave it with the wrong
 * type): all of them, or the names of those missing, in order.
 */
function complete<T extends Record<string, unknown>>(fields: T): { [K in keyof T]: Exclude<T[K], undefined> } | string[] {
  const missing = Object.entries(fields)
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  return missing.length > 0 ? missing : (fields as { [K in keyof T]: Exclude<T[K], undefined> });
}

export interface DwxAccount {
  login: number;
  name: string;
  /** Broker wall time `YYYY.MM.DD HH:MM` (the last tick's time, to the minute). */
  currentTime: string;
  balance: number;
  equity: number;
  profit: number;
  freeMargin: number;
  leverage: number;
}

/** `{'_action': 'GET_ACCOUNT_INFORMATION', 'account_number': N, '_data': [{…}]}`. */
export function interpretAccount(d: DwxDict): DwxAccount | string {
  const data = d.get('_data');
  const row = Array.isArray(data) ? asDict(data[0]) : undefined;
  if (!row) return 'no `_data` dict in the reply';
  const f = complete({
    login: asNumber(d.get('account_number')),
    name: asString(row.get('account_name')),
    currentTime: asString(row.get('currenttime')),
    balance: asNumber(row.get('account_balance')),
    equity: asNumber(row.get('account_equity')),
    profit: asNumber(row.get('account_profit')),
    freeMargin: asNumber(row.get('account_free_margin')),
    leverage: asNumber(row.get('account_leverage')),
  });
  return Array.isArray(f) ? `${f.join(', ')} missing or invalid` : f;
}

/** `{'_action': 'TRACK_PRICES', '_data': {'symbol_count': N, 'error_symbols': [...]}}`. */
export function interpretTrackPrices(d: DwxDict): { errorSymbols: string[] } | string {
  const data = asDict(d.get('_data'));
  if (!data) return 'no `_data` dict in the reply';
  const errs = data.get('error_symbols');
  if (errs === undefined) return { errorSymbols: [] }; // `{'symbol_count': 0}`
  if (!Array.isArray(errs)) return '`error_symbols` is not a list';
  return { errorSymbols: errs.map((v: DwxValue) => (typeof v === 'string' ? v : String(v))) };
}

/** `XAUUSD:|:2650.120000;2650.390000` from the PUB socket. */
export function parseQuote(message: string): { symbol: string; bid: number; ask: number } | undefined {
  const i = message.indexOf(':|:');
  if (i <= 0) return undefined;
  const symbol = message.slice(0, i);
  const parts = message.slice(i + 3).split(';');
  if (parts.length !== 2) return undefined; // rates (TRACK_RATES) have 8 fields
  const [bid, ask] = parts.map((p) => (/^\s*\d+(\.\d+)?\s*$/.test(p) ? Number(p) : Number.NaN)) as [number, number];
  if (!(bid > 0) || !(ask > 0) || ask < bid) return undefined;
  return { symbol, bid, ask };
}

// ---- broker time ---------------------------------------------------------------------------------

/** `2026.11.22 01:02:03` or `2026.11.22 01:02` (broker wall time) as epoch ms read as if UTC. */
export function parseWallTime(s: string): number | undefined {
  const m = /^(\d{4})\.(\d{2})\.(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec = '0'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  const back = new Date(ms);
  if (back.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return undefined;
  return ms;
}

/**
 * The broker's UTC offset in minutes, estimated from its clock (wall time read as UTC) against
 * ours: rounded to 30 minutes, undefined when beyond ±14 h (a stale clock: the market is closed).
 */
export function estimateOffsetMinutes(wallMs: number, nowMs: number): number | undefined {
  // TimeCurrent() is truncated to the minute: add half a minute before rounding.
  const minutes = Math.round((wallMs + 30_000 - nowMs) / 1_800_000) * 30;
  return Math.abs(minutes) <= 14 * 60 ? minutes : undefined;
}

export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Wall time (ms read as UTC) as ISO-8601 with the broker's offset: `2026-11-22T01:02:00+02:00`. */
export function wallToIso(wallMs: number, offsetMinutes: number): string {
  return `${new Date(wallMs).toISOString().slice(0, 19)}${formatOffset(offsetMinutes)}`;
}
