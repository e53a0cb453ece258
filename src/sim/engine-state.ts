// The state of one paper terminal's engine (times in epoch ms, whole seconds; a stop of 0 means
// none), the inputs the control path gives it, and the wire views of that state.
import type { SymbolInfo } from '../bridge/symbols.js';
import { sideOf } from './mt4.js';
import { isoUtc } from './time.js';
import type { ClosedTradeWire, PendingOrderWire, PendingType, PositionWire, Side, SymbolSpecWire } from './wire.js';

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
  /** The client's own id of the order that opened it (MetaApi's clientId), kept by a partial close's remainder. */
  clientId?: string;
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
  clientId?: string;
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

export interface EngineState {
  balance: number;
  tradeAllowed: boolean;
  nextTicket: number;
  positions: OpenPosition[];
  orders: PendingOrderState[];
  history: ClosedTradeState[];
}

/** A position on the wire, marked at `current` (its bid for a buy, ask for a sell) with `profit`. */
export function positionWire(p: OpenPosition, current: number, profit: number): PositionWire {
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
    profit,
    comment: p.comment,
    magic: p.magic,
  };
}

export function pendingWire(o: PendingOrderState): PendingOrderWire {
  return {
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
  };
}

export function closedWire(h: ClosedTradeState): ClosedTradeWire {
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

/** A pending order that triggered: MT4 keeps its ticket, stops, comment and magic; it fills at the market. */
export function filledOrder(o: PendingOrderState, bid: number, ask: number, time: number): OpenPosition {
  const side = sideOf(o.type);
  return {
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
    ...(o.clientId === undefined ? {} : { clientId: o.clientId }),
  };
}

/** MarketInfo on the wire: the symbol's spec with tick_value and margin_required at the current price. */
export function specWire(symbol: string, info: SymbolInfo, tickValue: number, marginRequired: number): SymbolSpecWire {
  return {
    symbol,
    digits: info.digits,
    point: info.point,
    contract_size: info.contract_size,
    tick_size: info.tick_size,
    tick_value: tickValue,
    min_lot: info.min_lot,
    lot_step: info.lot_step,
    max_lot: info.max_lot,
    stop_level: info.stop_level,
    freeze_level: info.freeze_level,
    margin_required: marginRequired,
  };
}
