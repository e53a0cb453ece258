// MetaApi's REST shapes as the paper bridge writes them (metaapi-server.ts), from the engine's state:
// account information, positions, pending orders, deals and history orders, symbol
// specifications, current prices, the server time; and MetaApi's trade bodies read into the
// engine's TradeRequest, its answers written back (MQL4 numbers and names, as MetaApi keeps them
// for MT4 accounts). Checked at compile time against the client's zod schemas (WireChecks).
import type { z } from 'zod';
import type {
  MaAccountSchema,
  MaDealSchema,
  MaOrderSchema,
  MaPositionSchema,
  MaPriceSchema,
  MaServerTimeSchema,
  MaSpecSchema,
  MaTradeResultSchema,
} from '../bridge/metaapi/wire.js';
import { MAX_COMMENT_AND_CLIENT_ID } from '../bridge/metaapi/wire.js';
import type { TradeRequest } from '../bridge/schemas.js';
import type { EngineState } from './engine-state.js';
import type { AccountWire, PendingOrderWire, PositionWire, SymbolSpecWire, TickWire, TradeReplyWire } from './wire.js';

/** MQL4's names of the codes a trade can answer. */
const MQL4_NAMES: Readonly<Record<number, string>> = {
  0: 'ERR_NO_ERROR',
  1: 'ERR_NO_RESULT',
  2: 'ERR_COMMON_ERROR',
  3: 'ERR_INVALID_TRADE_PARAMETERS',
  4: 'ERR_SERVER_BUSY',
  6: 'ERR_NO_CONNECTION',
  8: 'ERR_TOO_FREQUENT_REQUESTS',
  128: 'ERR_TRADE_TIMEOUT',
  129: 'ERR_INVALID_PRICE',
  130: 'ERR_INVALID_STOPS',
  131: 'ERR_INVALID_TRADE_VOLUME',
  132: 'ERR_MARKET_CLOSED',
  133: 'ERR_TRADE_DISABLED',
  134: 'ERR_NOT_ENOUGH_MONEY',
  135: 'ERR_PRICE_CHANGED',
  136: 'ERR_OFF_QUOTES',
  137: 'ERR_BROKER_BUSY',
  138: 'ERR_REQUOTE',
  139: 'ERR_ORDER_LOCKED',
  141: 'ERR_TOO_MANY_REQUESTS',
  145: 'ERR_TRADE_MODIFY_DENIED',
  146: 'ERR_TRADE_CONTEXT_BUSY',
  148: 'ERR_TRADE_TOO_MANY_ORDERS',
  149: 'ERR_TRADE_HEDGE_PROHIBITED',
  150: 'ERR_TRADE_PROHIBITED_BY_FIFO',
  4106: 'ERR_UNKNOWN_SYMBOL',
  4108: 'ERR_INVALID_TICKET',
  4109: 'ERR_TRADE_NOT_ALLOWED',
  [-11]: 'TRADE_RETCODE_DISCONNECTED_DURING_TRADE',
  [-10]: 'TRADE_RETCODE_DISCONNECTED_BEFORE_TRADE',
  [-8]: 'ERR_TRADE_NOT_ALLOWED_INVESTOR',
  [-7]: 'ERR_TRADE_TIMED_OUT',
  [-5]: 'ERR_NOT_SYNCHRONIZED',
  10009: 'TRADE_RETCODE_DONE',
  10025: 'TRADE_RETCODE_NO_CHANGES',
};

export function codeString(code: number): string {
  return MQL4_NAMES[code] ?? `ERR_${code}`;
}

/** `2026-11-22 10:15:00.000`: the broker's wall clock. */
export function brokerTime(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().replace('T', ' ').slice(0, 23);
}

const utc = (iso: string | number) => new Date(typeof iso === 'number' ? iso : Date.parse(iso)).toISOString();
const optional = <K extends string, V>(key: K, v: V | undefined | null | '' | 0): Partial<Record<K, V>> =>
  v === undefined || v === null || v === '' || v === 0 ? {} : ({ [key]: v } as Record<K, V>);

export interface MaAccountWire {
  platform: string;
  broker: string;
  currency: string;
  server: string;
  balance: number;
  equity: number;
  margin: number;
  freeMargin: number;
  leverage: number;
  marginLevel?: number;
  tradeAllowed: boolean;
  name: string;
  login: number;
  credit: number;
  type: string;
}

export function maAccount(a: AccountWire): MaAccountWire {
  return {
    platform: 'mt4',
    broker: 'mt4gw paper',
    currency: a.currency,
    server: a.server,
    balance: a.balance,
    equity: a.equity,
    margin: a.margin,
    freeMargin: a.free_margin,
    leverage: a.leverage,
    // MetaApi leaves marginLevel out while no margin is used.
    ...(a.margin > 0 ? { marginLevel: a.margin_level } : {}),
    tradeAllowed: a.trade_allowed,
    name: a.name,
    login: a.login,
    credit: 0,
    type: 'ACCOUNT_TRADE_MODE_DEMO',
  };
}

export function maServerTime(now: number, offsetMinutes: number): { time: string; brokerTime: string } {
  return { time: utc(now), brokerTime: brokerTime(now, offsetMinutes) };
}

export interface MaPositionWire {
  id: string;
  type: 'POSITION_TYPE_BUY' | 'POSITION_TYPE_SELL';
  symbol: string;
  magic: number;
  time: string;
  brokerTime: string;
  updateTime: string;
  openPrice: number;
  currentPrice: number;
  currentTickValue: number;
  stopLoss?: number;
  takeProfit?: number;
  volume: number;
  profit: number;
  swap: number;
  commission: number;
  realizedProfit: number;
  unrealizedProfit: number;
  comment?: string;
  clientId?: string;
}

export function maPosition(p: PositionWire, clientId: string | undefined, tickValue: number, offset: number): MaPositionWire {
  const t = Date.parse(p.open_time);
  return {
    id: String(p.ticket),
    type: p.type === 'buy' ? 'POSITION_TYPE_BUY' : 'POSITION_TYPE_SELL',
    symbol: p.symbol,
    magic: p.magic,
    time: utc(t),
    brokerTime: brokerTime(t, offset),
    updateTime: utc(t),
    openPrice: p.open_price,
    currentPrice: p.current_price,
    currentTickValue: tickValue,
    ...optional('stopLoss', p.sl),
    ...optional('takeProfit', p.tp),
    volume: p.lots,
    profit: p.profit,
    swap: p.swap,
    commission: p.commission,
    realizedProfit: 0,
    unrealizedProfit: p.profit,
    ...optional('comment', p.comment),
    ...optional('clientId', clientId),
  };
}

const PENDING_TYPES = {
  buy_limit: 'ORDER_TYPE_BUY_LIMIT',
  sell_limit: 'ORDER_TYPE_SELL_LIMIT',
  buy_stop: 'ORDER_TYPE_BUY_STOP',
  sell_stop: 'ORDER_TYPE_SELL_STOP',
} as const;

export interface MaOrderWire {
  id: string;
  type: string;
  state: string;
  symbol: string;
  magic: number;
  openPrice: number;
  currentPrice: number;
  stopLoss?: number;
  takeProfit?: number;
  volume: number;
  currentVolume: number;
  time: string;
  brokerTime: string;
  expirationType: string;
  expirationTime?: string;
  comment?: string;
  clientId?: string;
}

export function maOrder(o: PendingOrderWire, clientId: string | undefined, current: number, offset: number): MaOrderWire {
  const t = Date.parse(o.open_time);
  return {
    id: String(o.ticket),
    type: PENDING_TYPES[o.type],
    state: 'ORDER_STATE_PLACED',
    symbol: o.symbol,
    magic: o.magic,
    openPrice: o.open_price,
    currentPrice: current,
    ...optional('stopLoss', o.sl),
    ...optional('takeProfit', o.tp),
    volume: o.lots,
    currentVolume: o.lots,
    time: utc(t),
    brokerTime: brokerTime(t, offset),
    expirationType: o.expiration === null ? 'ORDER_TIME_GTC' : 'ORDER_TIME_SPECIFIED',
    ...(o.expiration === null ? {} : { expirationTime: utc(o.expiration) }),
    ...optional('comment', o.comment),
    ...optional('clientId', clientId),
  };
}

export interface MaDealWire {
  id: string;
  type: 'DEAL_TYPE_BUY' | 'DEAL_TYPE_SELL';
  entryType: 'DEAL_ENTRY_IN' | 'DEAL_ENTRY_OUT';
  symbol: string;
  magic: number;
  time: string;
  brokerTime: string;
  volume: number;
  price: number;
  profit: number;
  swap: number;
  commission: number;
  positionId: string;
  orderId: string;
  stopLoss?: number;
  takeProfit?: number;
  comment?: string;
  clientId?: string;
}

/**
 * The deals of the engine's trades: each ticket opened by one IN deal (its lots, open price and
 * time — a partial close's remainder too, under its own ticket), and each closed one closed by one
 * OUT deal (close price and time, profit, swap, commission, the close's comment). Oldest first.
 */
export function maDeals(state: EngineState, offset: number): MaDealWire[] {
  const side = (t: 'buy' | 'sell') => (t === 'buy' ? 'DEAL_TYPE_BUY' : 'DEAL_TYPE_SELL');
  const opposite = (t: 'buy' | 'sell') => (t === 'buy' ? 'DEAL_TYPE_SELL' : 'DEAL_TYPE_BUY');
  const deals: MaDealWire[] = [];
  const open = (x: EngineState['positions'][number]): MaDealWire => ({
    id: `${x.ticket}-in`,
    type: side(x.type),
    entryType: 'DEAL_ENTRY_IN',
    symbol: x.symbol,
    magic: x.magic,
    time: utc(x.openTime),
    brokerTime: brokerTime(x.openTime, offset),
    volume: x.lots,
    price: x.openPrice,
    profit: 0,
    swap: 0,
    commission: 0,
    positionId: String(x.ticket),
    orderId: String(x.ticket),
    ...optional('stopLoss', x.sl),
    ...optional('takeProfit', x.tp),
    ...optional('comment', x.comment),
    ...optional('clientId', x.clientId),
  });
  for (const p of state.positions) deals.push(open(p));
  for (const h of state.history) {
    deals.push(open(h));
    deals.push({
      id: `${h.ticket}-out`,
      type: opposite(h.type),
      entryType: 'DEAL_ENTRY_OUT',
      symbol: h.symbol,
      magic: h.magic,
      time: utc(h.closeTime),
      brokerTime: brokerTime(h.closeTime, offset),
      volume: h.lots,
      price: h.closePrice,
      profit: h.profit,
      swap: h.swap,
      commission: h.commission,
      positionId: String(h.ticket),
      orderId: String(h.ticket),
      ...optional('stopLoss', h.sl),
      ...optional('takeProfit', h.tp),
      ...optional('comment', h.comment),
      ...optional('clientId', h.clientId),
    });
  }
  return deals.sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.id.localeCompare(b.id));
}

export interface MaHistoryOrderWire {
  id: string;
  type: 'ORDER_TYPE_BUY' | 'ORDER_TYPE_SELL';
  state: 'ORDER_STATE_FILLED';
  symbol: string;
  magic: number;
  openPrice: number;
  volume: number;
  currentVolume: number;
  positionId: string;
  time: string;
  brokerTime: string;
  doneTime: string;
  doneBrokerTime: string;
  comment?: string;
  clientId?: string;
}

/** The filled opening orders of closed trades (MetaApi's history-orders), by the close time. */
export function maHistoryOrders(state: EngineState, offset: number): Array<MaHistoryOrderWire & { closeTime: number }> {
  return state.history.map((h) => ({
    id: String(h.ticket),
    type: h.type === 'buy' ? 'ORDER_TYPE_BUY' : 'ORDER_TYPE_SELL',
    state: 'ORDER_STATE_FILLED',
    symbol: h.symbol,
    magic: h.magic,
    openPrice: h.openPrice,
    volume: h.lots,
    currentVolume: 0,
    positionId: String(h.ticket),
    time: utc(h.openTime),
    brokerTime: brokerTime(h.openTime, offset),
    doneTime: utc(h.openTime),
    doneBrokerTime: brokerTime(h.openTime, offset),
    ...optional('comment', h.comment),
    ...optional('clientId', h.clientId),
    closeTime: h.closeTime,
  }));
}

export interface MaSpecWire {
  symbol: string;
  tickSize: number;
  minVolume: number;
  maxVolume: number;
  volumeStep: number;
  contractSize: number;
  digits: number;
  point: number;
  stopsLevel: number;
  freezeLevel: number;
  executionMode: string;
  tradeMode: string;
}

export function maSpec(s: SymbolSpecWire): MaSpecWire {
  return {
    symbol: s.symbol,
    tickSize: s.tick_size,
    minVolume: s.min_lot,
    maxVolume: s.max_lot,
    volumeStep: s.lot_step,
    contractSize: s.contract_size,
    digits: s.digits,
    point: s.point,
    stopsLevel: s.stop_level,
    freezeLevel: s.freeze_level,
    executionMode: 'SYMBOL_TRADE_EXECUTION_MARKET',
    tradeMode: 'SYMBOL_TRADE_MODE_FULL',
  };
}

export interface MaPriceWire {
  symbol: string;
  bid: number;
  ask: number;
  profitTickValue: number;
  lossTickValue: number;
  time: string;
  brokerTime: string;
}

export function maPrice(t: TickWire, tickValue: number, now: number, offset: number): MaPriceWire {
  return {
    symbol: t.symbol,
    bid: t.bid,
    ask: t.ask,
    profitTickValue: tickValue,
    lossTickValue: tickValue,
    time: utc(now),
    brokerTime: brokerTime(now, offset),
  };
}

export interface MaTradeResultWire {
  numericCode: number;
  stringCode: string;
  message: string;
  orderId?: string;
  positionId?: string;
}

/** The answer MetaApi gives for an engine reply (a modify that changes nothing: TRADE_RETCODE_NO_CHANGES). */
export function maTradeResult(r: TradeReplyWire, action: TradeRequest['action']): MaTradeResultWire {
  if (r.success) {
    const id = r.ticket === null ? {} : { orderId: String(r.ticket), positionId: String(r.ticket) };
    return { numericCode: 10009, stringCode: 'TRADE_RETCODE_DONE', message: `Request completed: ${r.message}`, ...id };
  }
  if (r.error_code === 1 && action === 'modify') return { numericCode: 10025, stringCode: 'TRADE_RETCODE_NO_CHANGES', message: r.message };
  return maTradeError(r.error_code, r.message);
}

export function maTradeError(code: number, message: string): MaTradeResultWire {
  return { numericCode: code, stringCode: codeString(code), message };
}

export type MaTradeParse = { ok: true; request: TradeRequest } | { ok: false; message: string };

const TICKET = /^\d{1,15}$/;

/** POST trade's body into the engine's request; a body that fails is a 400 ValidationError and executes nothing. */
export function parseMaTrade(body: unknown): MaTradeParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, message: 'the body must be a JSON object' };
  const o = body as Record<string, unknown>;
  const bad = (message: string): MaTradeParse => ({ ok: false, message });
  const num = (key: string): number | undefined | false => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    return typeof v === 'number' && Number.isFinite(v) ? v : false;
  };
  const id = (key: 'positionId' | 'orderId'): number | false => {
    const v = o[key];
    return typeof v === 'string' && TICKET.test(v) ? Number(v) : false;
  };
  const sl = num('stopLoss');
  const tp = num('takeProfit');
  if (sl === false) return bad('stopLoss must be a number');
  if (tp === false) return bad('takeProfit must be a number');
  switch (o.actionType) {
    case 'ORDER_TYPE_BUY':
    case 'ORDER_TYPE_SELL': {
      if (typeof o.symbol !== 'string' || o.symbol === '') return bad('symbol is required');
      const volume = num('volume');
      if (volume === undefined || volume === false) return bad('volume (a number) is required');
      const comment = o.comment ?? '';
      const clientId = o.clientId ?? '';
      if (typeof comment !== 'string') return bad('comment must be a string');
      if (typeof clientId !== 'string') return bad('clientId must be a string');
      if (comment.length + clientId.length > MAX_COMMENT_AND_CLIENT_ID)
        return bad(`comment and clientId must not exceed ${MAX_COMMENT_AND_CLIENT_ID} characters together`);
      const magic = num('magic');
      const slippage = num('slippage');
      if (magic === false || (magic !== undefined && !Number.isInteger(magic))) return bad('magic must be an integer');
      if (slippage === false) return bad('slippage must be a number');
      const r: TradeRequest = { action: o.actionType === 'ORDER_TYPE_BUY' ? 'buy' : 'sell', symbol: o.symbol, lots: volume };
      if (sl !== undefined) r.sl = sl;
      if (tp !== undefined) r.tp = tp;
      if (comment !== '') r.comment = comment;
      if (clientId !== '') r.client_id = clientId;
      if (magic !== undefined) r.magic = magic;
      if (slippage !== undefined) r.slippage = slippage;
      return { ok: true, request: r };
    }
    case 'POSITION_CLOSE_ID':
    case 'POSITION_PARTIAL': {
      const ticket = id('positionId');
      if (ticket === false) return bad('positionId (a ticket, as a string) is required');
      if (o.actionType === 'POSITION_CLOSE_ID') return { ok: true, request: { action: 'close', ticket } };
      const volume = num('volume');
      if (volume === undefined || volume === false) return bad('volume (a number) is required');
      return { ok: true, request: { action: 'close', ticket, lots: volume } };
    }
    case 'POSITION_MODIFY':
    case 'ORDER_MODIFY': {
      const ticket = id(o.actionType === 'POSITION_MODIFY' ? 'positionId' : 'orderId');
      if (ticket === false)
        return bad(`${o.actionType === 'POSITION_MODIFY' ? 'positionId' : 'orderId'} (a ticket, as a string) is required`);
      if (o.actionType === 'ORDER_MODIFY' && num('openPrice') === undefined) return bad('openPrice is required');
      const r: TradeRequest = { action: 'modify', ticket };
      if (sl !== undefined) r.sl = sl;
      if (tp !== undefined) r.tp = tp;
      return { ok: true, request: r };
    }
    case 'ORDER_CANCEL': {
      const ticket = id('orderId');
      if (ticket === false) return bad('orderId (a ticket, as a string) is required');
      return { ok: true, request: { action: 'delete', ticket } };
    }
    case undefined:
      return bad('actionType is required');
    default:
      return bad(`actionType ${JSON.stringify(o.actionType)} is not supported by the paper bridge`);
  }
}

type Fits<A extends B, B> = A;
/** Compile-time proof that every shape the paper bridge writes is accepted by the client's schemas. */
export type MetaApiWireChecks = [
  Fits<MaAccountWire, z.input<typeof MaAccountSchema>>,
  Fits<ReturnType<typeof maServerTime>, z.input<typeof MaServerTimeSchema>>,
  Fits<MaPositionWire, z.input<typeof MaPositionSchema>>,
  Fits<MaOrderWire, z.input<typeof MaOrderSchema>>,
  Fits<MaDealWire, z.input<typeof MaDealSchema>>,
  Fits<MaSpecWire, z.input<typeof MaSpecSchema>>,
  Fits<MaPriceWire, z.input<typeof MaPriceSchema>>,
  Fits<MaTradeResultWire, z.input<typeof MaTradeResultSchema>>,
];
