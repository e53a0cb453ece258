// What the control path hands the engine that the protocol cannot (closed trades from earlier,
// pending orders, changed specs), validated the way MT4 would before anything is added: a bad entry adds nothing.
import type { SymbolInfo } from '../bridge/symbols.js';
import type { ClosedTradeState, HistoryInput, PendingOrderInput, PendingOrderState, SpecOverride } from './engine-state.js';
import { SimInputError } from './errors.js';
import { roundTo } from './market.js';
import { roundLots, round2, sideOf, stopsProblem, truncateComment, volumeProblem } from './mt4.js';
import { floorSecond, parseTime } from './time.js';
import { PENDING_TYPES, type Side } from './wire.js';

/** What the validation needs from the engine. */
export interface InputEnv {
  /** The contract spec of a symbol the terminal offers; throws SimInputError for any other. */
  spec(symbol: unknown): { symbol: string; info: SymbolInfo };
  /** The agent's clock, epoch ms. */
  now: number;
  profitOf(symbol: string, side: Side, lots: number, openPrice: number, closePrice: number): number;
  /** The price an order on `side` would fill at now (ask for a buy, bid for a sell). */
  market(symbol: string, side: Side): number;
}

/** Closed trades ready for the history; `ticket` is 0 until the engine gives one (`wanted`, or its next). */
export function prepareHistory(trades: readonly HistoryInput[], env: InputEnv): Array<{ wanted: unknown; trade: ClosedTradeState }> {
  if (!Array.isArray(trades)) throw new SimInputError('trades must be an array');
  return trades.map((t, i) => {
    const what = `trades[${i}]`;
    if (typeof t !== 'object' || t === null) throw new SimInputError(`${what} must be an object`);
    const { symbol, info } = env.spec(t.symbol);
    if (t.type !== 'buy' && t.type !== 'sell') throw new SimInputError(`${what}.type must be buy or sell`);
    for (const key of ['lots', 'open_price', 'close_price'] as const) {
      const v = t[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new SimInputError(`${what}.${key} must be a positive number`);
    }
    const closeTime = floorSecond(t.close_time === undefined ? env.now : parseTime(t.close_time, `${what}.close_time`));
    const openTime = floorSecond(t.open_time === undefined ? closeTime : parseTime(t.open_time, `${what}.open_time`));
    const num = (v: unknown, key: string): number => {
      if (v === undefined || v === null) return 0;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new SimInputError(`${what}.${key} must be a number`);
      return v;
    };
    const openPrice = roundTo(t.open_price, info.digits);
    const closePrice = roundTo(t.close_price, info.digits);
    const profit = t.profit === undefined ? env.profitOf(symbol, t.type, t.lots, openPrice, closePrice) : round2(num(t.profit, 'profit'));
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
}

/** A pending order checked like MT4 would (price side, stop level, volume), without its ticket. */
export function preparePendingOrder(input: PendingOrderInput, env: InputEnv): Omit<PendingOrderState, 'ticket'> {
  if (typeof input !== 'object' || input === null) throw new SimInputError('the order must be an object');
  const { symbol, info } = env.spec(input.symbol);
  if (!PENDING_TYPES.includes(input.type)) throw new SimInputError(`type must be one of ${PENDING_TYPES.join(', ')}`);
  if (typeof input.lots !== 'number') throw new SimInputError('lots must be a number');
  const vol = volumeProblem(input.lots, info);
  if (vol) throw new SimInputError(`invalid volume (131): ${vol}`);
  if (typeof input.price !== 'number' || !Number.isFinite(input.price) || input.price <= 0)
    throw new SimInputError('price must be a positive number');
  const price = roundTo(input.price, info.digits);
  const side = sideOf(input.type);
  const market = env.market(symbol, side);
  const below = input.type === 'buy_limit' || input.type === 'sell_stop';
  const dist = Math.round((below ? market - price : price - market) / info.point);
  if (dist < Math.max(info.stop_level, 1)) {
    throw new SimInputError(
      `invalid price (130): a ${input.type} must be ${below ? 'below' : 'above'} ${market} by at least the stop level (${info.stop_level} points)`,
    );
  }
  const num = (v: unknown, key: string): number => {
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SimInputError(`${key} must be a number`);
    return roundTo(v, info.digits);
  };
  const sl = num(input.sl, 'sl');
  const tp = num(input.tp, 'tp');
  const stops = stopsProblem(info, side, price, sl, tp);
  if (stops) throw new SimInputError(`invalid stops (130): ${stops}`);
  if (input.comment !== undefined && typeof input.comment !== 'string') throw new SimInputError('comment must be a string');
  if (input.magic !== undefined && !Number.isInteger(input.magic)) throw new SimInputError('magic must be an integer');
  const expiration =
    input.expiration === undefined || input.expiration === null ? null : floorSecond(parseTime(input.expiration, 'expiration'));
  return {
    symbol,
    type: input.type,
    lots: roundLots(input.lots),
    price,
    openTime: floorSecond(env.now),
    sl,
    tp,
    expiration,
    comment: truncateComment(input.comment ?? ''),
    magic: input.magic ?? 0,
  };
}

/** The spec with a test's changes (volume limits, stop and freeze levels), checked. */
export function overriddenSpec(info: SymbolInfo, override: SpecOverride): SymbolInfo {
  const next = { ...info };
  for (const key of ['min_lot', 'lot_step', 'max_lot', 'stop_level', 'freeze_level'] as const) {
    const v = override[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new SimInputError(`${key} must be a number >= 0`);
    next[key] = v;
  }
  if (!(next.min_lot > 0 && next.lot_step > 0 && next.max_lot >= next.min_lot))
    throw new SimInputError('lots: need 0 < min_lot <= max_lot and lot_step > 0');
  return next;
}
