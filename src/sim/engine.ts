// The paper trading engine of one agent: a USD account, the seeded market, open positions, pending
// orders and closed trades, with MT4's validation and error codes. No I/O and no timers: every
// call first brings the market up to the agent's clock (sync), checking pending orders, stops and
// the stop-out level at each second it walks through. Every paper terminal (REST, DWX, …) is a
// front that maps its protocol onto one of these.
import type { TradeRequest } from '../bridge/schemas.js';
import { COMMON_SYMBOLS, marginPerLot, tickValue, type SymbolInfo } from '../bridge/symbols.js';
import { overriddenSpec, preparePendingOrder, prepareHistory, type InputEnv } from './engine-inputs.js';
import {
  closedWire,
  filledOrder,
  pendingWire,
  positionWire,
  specWire,
  type ClosedTradeState,
  type EngineOptions,
  type EngineState,
  type HistoryInput,
  type OpenPosition,
  type PendingOrderInput,
  type PendingOrderState,
  type SpecOverride,
} from './engine-state.js';
import { SimInputError } from './errors.js';
import { Market, roundTo, type Quote } from './market.js';
import { EPS, failure, isStepMultiple, round2, roundLots, sideOf, stopsProblem, success, truncateComment, volumeProblem } from './mt4.js';
import { brokerDayStart, floorSecond, isoUtc, isoWithOffset } from './time.js';
import type {
  AccountWire,
  ClosedTradeWire,
  PendingOrderWire,
  PositionWire,
  Side,
  SymbolSpecWire,
  TickWire,
  TradeReplyWire,
} from './wire.js';

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

  hasSymbol(symbol: string): boolean {
    return this.specs.has(symbol);
  }

  symbols(): string[] {
    return [...this.specs.keys()];
  }

  quote(symbol: string): Quote | undefined {
    this.sync();
    return this.market.walk(symbol)?.quote();
  }

  /** The price a position is marked (and closed) at: bid for a buy, ask for a sell. */
  private markPrice(symbol: string, side: Side): number {
    const w = this.market.walk(symbol);
    if (!w) throw new Error(`no price for ${symbol}`);
    return side === 'buy' ? w.bid() : w.ask();
  }

  /** The price a position would open at now: ask for a buy, bid for a sell. */
  private openPrice(symbol: string, side: Side): number {
    const w = this.market.walk(symbol);
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
    const w = this.market.walk(symbol);
    if (!w) return undefined;
    return { symbol, bid: w.bid(), ask: w.ask(), spread: w.spread(), timestamp: isoUtc(this.now()) };
  }

  /** MarketInfo: tick_value from the current bid, margin_required for buying one lot at the ask. */
  symbolSpec(symbol: string): SymbolSpecWire | undefined {
    this.sync();
    const w = this.market.walk(symbol);
    const info = this.specs.get(symbol);
    if (!w || !info) return undefined;
    return specWire(symbol, info, roundTo(tickValue(info, this.ctx(w.bid())) ?? 0, 8), round2(marginPerLot(info, this.ctx(w.ask())) ?? 0));
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
        return positionWire(p, current, this.profitOf(p.symbol, p.type, p.lots, p.openPrice, current));
      });
  }

  orders(): PendingOrderWire[] {
    this.sync();
    return [...this.orderList].sort((a, b) => a.ticket - b.ticket).map(pendingWire);
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

  private open(req: Extract<TradeRequest, { action: 'buy' | 'sell' }>): TradeReplyWire {
    const info = this.specs.get(req.symbol);
    const w = this.market.walk(req.symbol);
    if (!info || !w) return failure(4106, req.symbol);
    const vol = volumeProblem(req.lots, info);
    if (vol) return failure(131, vol);
    const side: Side = req.action;
    const sl = req.sl === undefined || req.sl === null ? 0 : roundTo(req.sl, info.digits);
    const tp = req.tp === undefined || req.tp === null ? 0 : roundTo(req.tp, info.digits);
    const ref = side === 'buy' ? w.bid() : w.ask();
    const stops = stopsProblem(info, side, ref, sl, tp);
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
      // Only a front whose protocol has a field for it passes one (MetaApi's clientId).
      ...(req.client_id === undefined ? {} : { clientId: req.client_id }),
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
      problem = stopsProblem(info, p.type, this.markPrice(p.symbol, p.type), sl, tp);
    } else if (o) {
      problem = stopsProblem(info, sideOf(o.type), o.price, sl, tp);
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
      const w = this.market.walk(o.symbol);
      if (!w) continue;
      const bid = w.bid();
      const ask = w.ask();
      const hit =
        (o.type === 'buy_limit' && ask <= o.price) ||
        (o.type === 'buy_stop' && ask >= o.price) ||
        (o.type === 'sell_limit' && bid >= o.price) ||
        (o.type === 'sell_stop' && bid <= o.price);
      if (!hit) continue;
      this.orderList = this.orderList.filter((x) => x !== o);
      this.positionList.push(filledOrder(o, bid, ask, time));
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
    const w = this.market.walk(s)!;
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
    this.market.walk(this.requireSymbol(symbol))!.unfreeze();
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
    this.specs.set(s, overriddenSpec(this.specs.get(s)!, override));
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
    this.sync();
    const prepared = prepareHistory(trades, this.inputEnv());
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
    this.sync();
    const order = preparePendingOrder(input, this.inputEnv());
    const ticket = this.nextTicket++;
    this.orderList.push({ ticket, ...order });
    return ticket;
  }

  private inputEnv(): InputEnv {
    return {
      spec: (symbol) => {
        const s = this.requireSymbol(symbol);
        return { symbol: s, info: this.specs.get(s)! };
      },
      now: this.now(),
      profitOf: (symbol, side, lots, openPrice, closePrice) => this.profitOf(symbol, side, lots, openPrice, closePrice),
      market: (symbol, side) => this.openPrice(symbol, side),
    };
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
