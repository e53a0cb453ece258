// The DWX ZeroMQ transport: the Bridge interface over darwinex's DWX_ZeroMQ_Server_v2.0.1_RC8 EA.
//
// Three one-way sockets: commands are PUSHed to the EA's PUSH_PORT, replies PULLed from its
// PULL_PORT, quotes read from its PUB_PORT after TRACK_PRICES. Replies carry no request id, so:
//   - one command is in flight per terminal at a time (a per-client queue), each with the agent's
//     timeout, and only a reply of the right shape (its `_action`, and its ticket where there is
//     one) is taken as the answer; anything else, and the EA's empty messages, are skipped;
//   - after a timeout, the next command is preceded by a HEARTBEAT, and everything before its
//     answer is dropped: the EA answers in order, so a late reply cannot be taken for a new one;
//   - a command is sent only once both command and reply sockets are connected: a terminal that
//     is down is "unreachable, nothing sent", never "maybe executed".
//
// What the EA cannot tell (closed trades, symbol specs, the broker's clock) is stated in
// DWX_CAPABILITIES; the matching methods answer undefined. See docs/transports.md.
//
// zeromq is a native module and is imported only when the first command is sent.
import { clientIdOf, commentWithClientId } from '../client-id.js';
import { roundCents } from '../../risk/format.js';
import type * as Zmq from 'zeromq';
import { BridgeError, type BridgeErrorKind } from '../errors.js';
import { isSafeToRetry, mt4Code } from '../mt4codes.js';
import type { Account, ClosedTrade, PendingOrder, Position, SymbolSpec, Tick, TradeReply, TradeRequest } from '../schemas.js';
import { COMMON_SYMBOLS, type SymbolOverride } from '../symbols.js';
import type { Bridge } from '../transport.js';
import { DWX_CAPABILITIES } from './capabilities.js';
import { DwxParseError, asDict, asNumber, asString, parseDwx, type DwxDict } from './parser.js';
import {
  ABORTED,
  HEARTBEAT,
  MAX_TRACKED,
  SAFE_SYMBOL,
  abortedMessage,
  abortedReason,
  estimateOffsetMinutes,
  interpretAccount,
  interpretClose,
  interpretModify,
  interpretOpen,
  interpretOpenTrades,
  interpretTrackPrices,
  isStopped,
  parseQuote,
  parseWallTime,
  sanitizeComment,
  stopPoints,
  trackPricesCommand,
  tradeCommand,
  wallToIso,
  type DwxTrade,
  type OpType,
} from './protocol.js';

export { DWX_CAPABILITIES, DWX_DEFAULT_PORTS } from './capabilities.js';

export interface DwxTarget {
  id: string;
  host: string;
  /** The EA's PUSH_PORT: where commands go (the EA's PULL socket). */
  pushPort: number;
  /** The EA's PULL_PORT: where replies come from (the EA's PUSH socket). */
  pullPort: number;
  /** The EA's PUB_PORT: quotes. */
  pubPort: number;
  timeoutMs: number;
  /** The account currency: the EA does not report it (mt4.currency). */
  currency: string;
  /** The broker server's name, when agents.yml gives it (the EA does not report it). */
  server?: string | undefined;
  /** agents.yml `symbols:`, for the point size of symbols outside the table (stops are sent in points). */
  symbols?: Record<string, SymbolOverride> | undefined;
}

export interface DwxClientOptions {
  /** Debug lines (`--verbose`). */
  log?: ((line: string) => void) | undefined;
}

type Accept = (d: DwxDict) => boolean;

interface Waiter {
  accept: Accept;
  resolve: (d: DwxDict) => void;
  reject: (e: Error) => void;
}

interface Sockets {
  zmq: typeof Zmq;
  push: Zmq.Push;
  pull: Zmq.Pull;
}

interface CachedQuote {
  bid: number;
  ask: number;
  /** When it arrived (our clock): the EA publishes only on a change, so this is a lower bound of its freshness. */
  at: number;
}

/** A cached quote younger than this is answered without asking the terminal again. */
const QUOTE_REUSE_MS = 5_000;
/** How long to wait for a quote after TRACK_PRICES before arming again (the EA's price timer is 500 ms). */
const QUOTE_ROUND_MS = 1_000;
/** Reads answered TRADE_CONTEXT_BUSY / TRADING_IS_NOT_ALLOWED are tried this many times. */
const READ_ATTEMPTS = 3;
/**
 * The least time between an answer and the next command. The EA sends without blocking through a
 * high-water mark of 1: a reply it sends within about a millisecond of the previous message is
 * dropped (ZeroMQ has not yet seen the pipe drained). A terminal's timer spaces commands anyway.
 */
const PACE_MS = 5;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class DwxClient implements Bridge {
  readonly agent: string;
  readonly transport = 'dwx' as const;
  readonly capabilities = DWX_CAPABILITIES;
  readonly #t: DwxTarget;
  readonly #log: ((line: string) => void) | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #sockets: Promise<Sockets> | undefined;
  #sub: Promise<Zmq.Subscriber> | undefined;
  #closed = false;
  /** A command timed out: its reply may still come. The next command is preceded by a HEARTBEAT barrier. */
  #desync = false;
  #waiter: Waiter | undefined;
  #up = { push: false, pull: false, sub: false };
  #refused = { push: 0, pull: 0 };
  readonly #stateWaiters = new Set<() => void>();
  readonly #quotes = new Map<string, CachedQuote>();
  readonly #quoteWaiters = new Map<string, Set<() => void>>();
  readonly #subscribed = new Set<string>();
  #tracked: string[] = [];
  /** The broker's UTC offset as estimated at the last account read. */
  #offsetMinutes: number | undefined;
  #accountInFlight: Promise<Account> | undefined;
  #tradesInFlight: Promise<DwxTrade[]> | undefined;
  /** When the last message came from the EA (performance.now()). */
  #lastHeard = 0;

  constructor(target: DwxTarget, options: DwxClientOptions = {}) {
    this.agent = target.id;
    this.#t = target;
    this.#log = options.log;
  }

  /** `tcp://host:port`, bracketing IPv6 literals. */
  endpoint(port: number): string {
    const h = this.#t.host.includes(':') && !this.#t.host.startsWith('[') ? `[${this.#t.host}]` : this.#t.host;
    return `tcp://${h}:${port}`;
  }

  // ---- Bridge: reads -------------------------------------------------------------------------

  account(): Promise<Account> {
    this.#accountInFlight ??= this.#readAccount().finally(() => (this.#accountInFlight = undefined));
    return this.#accountInFlight;
  }

  async positions(): Promise<Position[]> {
    const trades = await this.#openTrades();
    const offset = await this.#offset();
    return trades.filter((t) => t.type === 'buy' || t.type === 'sell').map((t) => this.#position(t, offset));
  }

  async orders(): Promise<PendingOrder[]> {
    const trades = await this.#openTrades();
    const offset = await this.#offset();
    return trades
      .filter((t) => t.type !== 'buy' && t.type !== 'sell')
      .map((t) => ({
        ticket: t.ticket,
        symbol: t.symbol,
        type: t.type as PendingOrder['type'],
        lots: t.lots,
        open_price: t.openPrice,
        open_time: this.#openTimeIso(t.openTime, offset),
        sl: t.sl === 0 ? null : t.sl,
        tp: t.tp === 0 ? null : t.tp,
        expiration: null, // not reported by the EA
        comment: t.comment,
        client_id: clientIdOf(t.comment),
        magic: t.magic,
      }));
  }

  /** The EA has no closed-trade history. */
  async history(): Promise<ClosedTrade[] | undefined> {
    return undefined;
  }

  /** The EA has no symbol specs: the caller falls back to agents.yml and the table. */
  async symbol(): Promise<SymbolSpec | undefined> {
    return undefined;
  }

  /**
   * The latest quote from the PUB socket. The EA publishes a symbol only after TRACK_PRICES and
   * only when its bid or ask changes, so the first call arms the subscription (twice: see
   * #arm) and waits for a quote; later calls within a few seconds answer from the cache. The
   * timestamp is when the quote arrived.
   */
  async tick(symbol: string): Promise<Tick> {
    const endpoint = `TRACK_PRICES ${symbol}`;
    if (!SAFE_SYMBOL.test(symbol)) throw this.#unknownSymbol(symbol, endpoint);
    const cached = this.#quotes.get(symbol);
    if (cached && Date.now() - cached.at < QUOTE_REUSE_MS) return this.#toTick(symbol, cached);
    const deadline = Date.now() + this.#t.timeoutMs;
    await this.#subscribe(symbol, deadline);
    const since = Date.now();
    for (;;) {
      await this.#arm(symbol, endpoint);
      const got = await this.#nextQuote(symbol, since, Math.min(deadline, Date.now() + QUOTE_ROUND_MS));
      if (got) return this.#toTick(symbol, got);
      if (Date.now() >= deadline) break;
    }
    const old = this.#quotes.get(symbol);
    if (old) return this.#toTick(symbol, old); // QUOTE_STALE will say how old it is
    throw new BridgeError(
      'timeout',
      this.agent,
      endpoint,
      `no quote within ${this.#t.timeoutMs} ms on ${this.endpoint(this.#t.pubPort)} (the EA publishes a price only when it changes: is the market open, and is PUB_PORT ${this.#t.pubPort}?)`,
      { hint: 'Check the symbol in the Market Watch and the EA’s PUB_PORT; outside market hours no quote comes.' },
    );
  }

  // ---- Bridge: trades ------------------------------------------------------------------------

  /**
   * One trade request. Buys and sells open without stops and then set them with MODIFY from the
   * actual open price (as the EA itself does in DMA mode, but without its SL=0 pitfall); closes,
   * modifies and deletes look the ticket up first and verify by listing again afterwards.
   */
  async trade(request: TradeRequest): Promise<TradeReply> {
    switch (request.action) {
      case 'buy':
      case 'sell':
        return this.#open(request);
      case 'close':
        return this.#close(request.ticket, request.lots);
      case 'modify':
        return this.#modify(request.ticket, request.sl, request.tp);
      case 'delete':
        return this.#delete(request.ticket);
    }
  }

  /**
   * CLOSE_ALL: every position and pending order in one command. Not used by the trading layer
   * (which closes ticket by ticket and verifies); the EA's word per ticket is returned as given.
   */
  async closeAll(): Promise<Array<{ ticket: number; symbol: string; closed: boolean; message: string }>> {
    const d = await this.#trade(
      'TRADE;CLOSE_ALL',
      tradeCommand({ action: 'CLOSE_ALL' }),
      (x) => asString(x.get('_action')) === 'CLOSE_ALL',
    );
    const reason = abortedReason(d);
    if (reason) throw this.#abortedError(reason, 'TRADE;CLOSE_ALL');
    const out: Array<{ ticket: number; symbol: string; closed: boolean; message: string }> = [];
    for (const [key, v] of asDict(d.get('_responses'))?.entries ?? []) {
      const row = asDict(v);
      const r = row ? interpretClose(row) : undefined;
      out.push({
        ticket: Number(key),
        symbol: asString(row?.get('_symbol')) ?? '',
        closed: r?.ok === true,
        message: r === undefined ? 'no details' : r.ok ? (r.pending ? 'deleted' : `closed at ${r.price}`) : `${r.code}: ${r.message}`,
      });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiter?.reject(new BridgeError('unreachable', this.agent, 'close', 'the client was closed'));
    this.#waiter = undefined;
    for (const w of this.#stateWaiters) w();
    for (const set of this.#quoteWaiters.values()) for (const w of set) w();
    const s = await this.#sockets?.catch(() => undefined);
    const sub = await this.#sub?.catch(() => undefined);
    for (const sock of [s?.push, s?.pull, sub]) {
      try {
        sock?.close();
      } catch {
        // already closed
      }
    }
  }

  // ---- reads ---------------------------------------------------------------------------------

  async #readAccount(): Promise<Account> {
    const endpoint = 'GET_ACCOUNT_INFO';
    const d = await this.#read(
      endpoint,
      tradeCommand({ action: 'GET_ACCOUNT_INFO' }),
      (x) => asString(x.get('_action')) === 'GET_ACCOUNT_INFORMATION',
    );
    const a = interpretAccount(d);
    if (typeof a === 'string') throw new BridgeError('protocol', this.agent, endpoint, `answered outside the DWX format: ${a}`);
    const now = Date.now();
    const wall = parseWallTime(a.currentTime);
    const estimate = wall === undefined ? undefined : estimateOffsetMinutes(wall, now);
    if (estimate !== undefined) this.#offsetMinutes = estimate;
    const offset = this.#offsetMinutes ?? 0;
    const margin = roundCents(a.equity - a.freeMargin);
    return {
      login: Math.trunc(a.login),
      name: a.name,
      server: this.#t.server ?? 'unknown (not reported over dwx)',
      currency: this.#t.currency,
      leverage: a.leverage > 0 ? a.leverage : 1,
      balance: a.balance,
      equity: a.equity,
      margin,
      free_margin: a.freeMargin,
      margin_level: margin > 0 ? roundCents((a.equity / margin) * 100) : 0,
      profit: a.profit,
      // The EA reports its last tick's time to the minute, without an offset: the offset is
      // estimated against our clock (capabilities.serverTime is false).
      server_time: wall === undefined ? new Date(now).toISOString() : wallToIso(wall, offset),
      // The EA answers GET_ACCOUNT_INFO only while IsTradeAllowed() is true.
      trade_allowed: true,
    };
  }

  /** The broker's UTC offset for converting open times; one account read when not known yet. */
  async #offset(): Promise<number> {
    if (this.#offsetMinutes === undefined) await this.account().catch(() => undefined);
    return this.#offsetMinutes ?? 0;
  }

  #openTrades(): Promise<DwxTrade[]> {
    this.#tradesInFlight ??= (async () => {
      const endpoint = 'GET_OPEN_TRADES';
      const d = await this.#read(
        endpoint,
        tradeCommand({ action: 'GET_OPEN_TRADES' }),
        (x) => asString(x.get('_action')) === 'OPEN_TRADES',
      );
      const trades = interpretOpenTrades(d);
      if (typeof trades === 'string') throw new BridgeError('protocol', this.agent, endpoint, `answered outside the DWX format: ${trades}`);
      return trades.sort((a, b) => a.ticket - b.ticket);
    })().finally(() => (this.#tradesInFlight = undefined));
    return this.#tradesInFlight;
  }

  #openTimeIso(wall: string, offset: number): string {
    const ms = parseWallTime(wall);
    return ms === undefined ? new Date(0).toISOString() : new Date(ms - offset * 60_000).toISOString();
  }

  #position(t: DwxTrade, offset: number): Position {
    return {
      ticket: t.ticket,
      symbol: t.symbol,
      type: t.type as 'buy' | 'sell',
      lots: t.lots,
      open_price: t.openPrice,
      open_time: this.#openTimeIso(t.openTime, offset),
      sl: t.sl === 0 ? null : t.sl,
      tp: t.tp === 0 ? null : t.tp,
      current_price: this.#markPrice(t),
      swap: 0, // not reported by the EA
      commission: 0, // not reported by the EA
      profit: t.pnl,
      comment: t.comment,
      client_id: clientIdOf(t.comment),
      magic: t.magic,
    };
  }

  /**
   * The EA does not report a position's current price: the last quote when there is a fresh one,
   * else derived from its profit when the contract is known, else its open price.
   */
  #markPrice(t: DwxTrade): number {
    const q = this.#quotes.get(t.symbol);
    if (q && Date.now() - q.at < 60_000) return t.type === 'buy' ? q.bid : q.ask;
    const info = COMMON_SYMBOLS[t.symbol];
    const size = (this.#t.symbols?.[t.symbol]?.contract_size ?? info?.contract_size ?? 0) * t.lots;
    const dir = t.type === 'buy' ? 1 : -1;
    if (info && size > 0) {
      let price: number | undefined;
      if (info.quote === this.#t.currency) price = t.openPrice + (dir * t.pnl) / size;
      else if (info.base === this.#t.currency && size - dir * t.pnl !== 0) price = (t.openPrice * size) / (size - dir * t.pnl);
      if (price !== undefined && price > 0 && Number.isFinite(price)) return Number(price.toFixed(info.digits));
    }
    return t.openPrice;
  }

  // ---- quotes --------------------------------------------------------------------------------

  #toTick(symbol: string, q: CachedQuote): Tick {
    const point = this.#spec(symbol)?.point ?? pointFromQuote(q.bid, q.ask);
    return { symbol, bid: q.bid, ask: q.ask, spread: Math.round((q.ask - q.bid) / point), timestamp: new Date(q.at).toISOString() };
  }

  #unknownSymbol(symbol: string, endpoint: string, why = 'the terminal does not know it'): BridgeError {
    return new BridgeError('unknown_symbol', this.agent, endpoint, `unknown symbol ${JSON.stringify(symbol)}: ${why}`);
  }

  /** Connects the SUB socket (once) and subscribes to the symbol's topic. */
  async #subscribe(symbol: string, deadline: number): Promise<void> {
    this.#sub ??= (async () => {
      const zmq = await this.#zmq('SUB');
      const sub = new zmq.Subscriber({ linger: 0, ...(this.#t.host.includes(':') ? { ipv6: true } : {}) });
      sub.events.on('connect', () => this.#setUp('sub', true));
      sub.events.on('disconnect', () => this.#setUp('sub', false));
      sub.connect(this.endpoint(this.#t.pubPort));
      void this.#readQuotes(sub);
      return sub;
    })();
    const sub = await this.#sub;
    if (!this.#subscribed.has(symbol)) {
      sub.subscribe(`${symbol}:|:`);
      this.#subscribed.add(symbol);
    }
    // A subscription reaches the EA only once connected: wait for that (bounded), then a moment.
    if (!this.#up.sub) {
      await this.#waitState(() => this.#up.sub, Math.min(deadline, Date.now() + 1_000));
      await sleep(20);
    }
  }

  async #readQuotes(sub: Zmq.Subscriber): Promise<void> {
    try {
      for await (const frames of sub) {
        const q = parseQuote(Buffer.concat(frames).toString('utf8'));
        if (!q) continue;
        this.#quotes.set(q.symbol, { bid: q.bid, ask: q.ask, at: Date.now() });
        const waiters = this.#quoteWaiters.get(q.symbol);
        if (waiters) for (const w of [...waiters]) w();
      }
    } catch {
      // the socket was closed
    }
  }

  /**
   * TRACK_PRICES replaces the EA's whole list, and the EA publishes a slot only when its bid/ask
   * string differs from the one last published in that slot. Sending the list, then the list
   * with the symbol once more, gives the symbol a new slot (ArrayResize adds it empty): it is
   * published at the EA's next price round even if the price has not moved. The symbol goes
   * first: with its send high-water mark of 1 the EA often delivers only the first symbol.
   */
  async #arm(symbol: string, endpoint: string): Promise<void> {
    const list = [symbol, ...this.#tracked.filter((s) => s !== symbol)].slice(0, MAX_TRACKED - 1);
    for (const cmd of [trackPricesCommand(list), trackPricesCommand([...list, symbol])]) {
      const d = await this.#read(endpoint, cmd, (x) => asString(x.get('_action')) === 'TRACK_PRICES');
      const r = interpretTrackPrices(d);
      if (typeof r === 'string') throw new BridgeError('protocol', this.agent, endpoint, `answered outside the DWX format: ${r}`);
      if (r.errorSymbols.includes(symbol)) {
        this.#tracked = this.#tracked.filter((s) => s !== symbol);
        throw this.#unknownSymbol(symbol, endpoint, 'the terminal could not select it (TRACK_PRICES error_symbols)');
      }
    }
    this.#tracked = list;
  }

  /** The first quote of `symbol` that arrives after `since`, or undefined at `until`. */
  #nextQuote(symbol: string, since: number, until: number): Promise<CachedQuote | undefined> {
    const fresh = () => {
      const q = this.#quotes.get(symbol);
      return q && q.at >= since ? q : undefined;
    };
    const now = fresh();
    if (now || this.#closed) return Promise.resolve(now);
    return new Promise((resolve) => {
      let set = this.#quoteWaiters.get(symbol);
      if (!set) {
        set = new Set();
        this.#quoteWaiters.set(symbol, set);
      }
      const done = () => {
        const q = fresh();
        if (!q && !this.#closed && Date.now() < until) return;
        clearTimeout(timer);
        set!.delete(done);
        resolve(q);
      };
      const timer = setTimeout(
        () => {
          set!.delete(done);
          resolve(fresh());
        },
        Math.max(0, until - Date.now()),
      );
      set.add(done);
    });
  }

  // ---- trades --------------------------------------------------------------------------------

  #spec(symbol: string): { point: number; digits: number } | undefined {
    const o = this.#t.symbols?.[symbol];
    const info = COMMON_SYMBOLS[symbol];
    const point = o?.point ?? info?.point;
    if (point === undefined) return undefined;
    return { point, digits: o?.digits ?? info?.digits ?? decimals(point) };
  }

  async #open(req: Extract<TradeRequest, { action: 'buy' | 'sell' }>): Promise<TradeReply> {
    const endpoint = `TRADE;OPEN (${req.action})`;
    const type: OpType = req.action;
    if (!SAFE_SYMBOL.test(req.symbol)) return failure(4106, `unknown symbol ${JSON.stringify(req.symbol)}; nothing was sent`);
    const sl = req.sl || null;
    const tp = req.tp || null;
    const spec = this.#spec(req.symbol);
    if ((sl !== null || tp !== null) && !spec) {
      return failure(
        3,
        `the point size of ${req.symbol} is unknown and DWX sets stops in points; add \`symbols: {${req.symbol}: {point: …, digits: …}}\` to agents.yml; nothing was sent`,
      );
    }
    const comment = sanitizeComment(commentWithClientId(req.client_id, req.comment));
    // Never send stops with OPEN: in DMA mode (the EA's default) SL=0 with TP>0 makes the EA close
    // the new trade again; the stops are set below, from the actual open price.
    const cmd = tradeCommand({
      action: 'OPEN',
      type: type === 'buy' ? 0 : 1,
      symbol: req.symbol,
      comment,
      lots: req.lots,
      magic: req.magic ?? 0,
    });
    let opened: { ticket: number; price: number; note: string };
    try {
      const d = await this.#tradeRetryingNotAllowed(
        endpoint,
        cmd,
        (x) => asString(x.get('_action')) === 'EXECUTION' && sameSymbol(x, req.symbol),
      );
      const reason = abortedReason(d);
      if (reason) return this.#abortedReply(reason);
      const r = interpretOpen(d);
      if (!r.ok) {
        if ('ticket' in r) {
          // Only an EA that was sent stops can get here; it opened the trade and then failed.
          if (r.closedAgain)
            return { ...failure(r.code, `${r.message}: ticket ${r.ticket} was opened and closed again by the EA`), ticket: r.ticket };
          return failure(128, `${r.message}: ticket ${r.ticket} was opened but the EA reports no close; read the positions back`);
        }
        return failure(r.code, r.message);
      }
      opened = { ticket: r.ticket, price: r.price, note: '' };
      // Defensive: make sure the ticket is ours (another client on the same EA can take our reply).
      const listed = await this.#openTrades().catch(() => undefined);
      const row = listed?.find((t) => t.ticket === r.ticket);
      if (listed && row && comment !== '' && !sameOrder(comment, row.comment)) {
        const mine = listed.find((t) => sameOrder(comment, t.comment) && t.symbol === req.symbol);
        if (!mine)
          throw new BridgeError(
            'timeout',
            this.agent,
            endpoint,
            `the reply named ticket ${r.ticket}, which is not this order's: the answer was lost`,
            { maybeExecuted: true },
          );
        opened = { ticket: mine.ticket, price: mine.openPrice, note: '' };
      }
    } catch (e) {
      // The reply was lost. Without stops to set, the trading layer looks the order up by its
      // comment (and journals it); with stops, they must be set now: look it up once here.
      if (!(e instanceof BridgeError) || !e.maybeExecuted || (sl === null && tp === null)) throw e;
      const listed = await this.#openTrades().catch(() => undefined);
      const mine = listed?.find((t) => sameOrder(comment, t.comment) && t.symbol === req.symbol && t.type === type);
      if (!mine) throw e;
      this.#log?.(`${this.agent} ${endpoint}: reply lost; found ticket ${mine.ticket} by its comment`);
      opened = { ticket: mine.ticket, price: mine.openPrice, note: ' (its reply was lost; found by its comment)' };
    }
    if (sl === null && tp === null) return success(opened.ticket, opened.price, `opened${opened.note}`);
    return this.#applyStops(endpoint, opened.ticket, opened.price, type, spec!, sl, tp, opened.note);
  }

  /** Sets the stops of a just-opened trade; if that fails, closes it again (the EA's own DMA rule). */
  async #applyStops(
    endpoint: string,
    ticket: number,
    openPrice: number,
    type: OpType,
    spec: { point: number; digits: number },
    sl: number | null,
    tp: number | null,
    note: string,
  ): Promise<TradeReply> {
    let last = { code: 2, message: 'no answer' };
    for (let attempt = 1; attempt <= 3; attempt++) {
      const r = await this.#modifyOnce(ticket, type, openPrice, spec, sl, tp).catch((e: unknown) => {
        if (e instanceof BridgeError) return { ok: false as const, code: e.maybeExecuted ? 128 : 2, message: e.reason };
        throw e;
      });
      if (r.ok) return success(ticket, openPrice, `opened with its stops${note}`);
      last = r;
      if (r.code === 128) {
        // The MODIFY's answer was lost: it may have been applied.
        const row = (await this.#openTrades().catch(() => undefined))?.find((t) => t.ticket === ticket);
        if (row && near(row.sl, sl ?? 0, spec.point) && near(row.tp, tp ?? 0, spec.point))
          return success(ticket, openPrice, `opened with its stops${note}`);
      } else if (!isSafeToRetry(r.code)) break;
      await sleep(150 * attempt);
    }
    const why = `${last.code === 128 ? '' : `MT4 ${last.code}: `}${last.message}`;
    // A position without the stops it was decided with must not stay open.
    const closed = await this.#close(ticket, undefined).catch((e: unknown) => failure(2, e instanceof Error ? e.message : String(e)));
    if (closed.success) {
      const code = isSafeToRetry(last.code) || last.code === 128 ? 2 : last.code;
      return {
        ...failure(
          code,
          `ERROR_SETTING_SL_TP: ticket ${ticket} opened at ${openPrice}, but its stops could not be set (${why}); it was closed again${closed.price ? ` at ${closed.price}` : ''}${note}`,
        ),
        ticket,
      };
    }
    this.#log?.(`${this.agent} ${endpoint}: ticket ${ticket} is open WITHOUT its stops: ${why}; closing it failed: ${closed.message}`);
    return success(
      ticket,
      openPrice,
      `opened, but its stops could not be set (${why}) and closing it failed (${closed.message}): the position is open WITHOUT stops${note}`,
    );
  }

  /** One MODIFY that puts the stops at the prices `sl` / `tp` (null: none). */
  async #modifyOnce(
    ticket: number,
    type: OpType,
    base: number,
    spec: { point: number; digits: number },
    sl: number | null,
    tp: number | null,
  ): Promise<{ ok: true } | { ok: false; code: number; message: string }> {
    const pts = stopPoints(type, base, spec.point, sl, tp);
    const endpoint = `TRADE;MODIFY #${ticket}`;
    const d = await this.#tradeRetryingNotAllowed(
      endpoint,
      tradeCommand({ action: 'MODIFY', ticket, sl: pts.sl, tp: pts.tp }),
      (x) => asString(x.get('_action')) === 'MODIFY',
    );
    const reason = abortedReason(d);
    if (reason) {
      const a = ABORTED[reason];
      return { ok: false, code: a?.code ?? 2, message: `${reason}__ABORTED_COMMAND${a ? `: ${a.meaning}` : ''}` };
    }
    const r = interpretModify(d);
    if (!r.ok) return r;
    if (!near(r.sl, sl ?? 0, spec.point) || !near(r.tp, tp ?? 0, spec.point)) {
      return { ok: false, code: 2, message: `the EA set SL ${r.sl} / TP ${r.tp}, not ${sl ?? 0} / ${tp ?? 0}` };
    }
    return { ok: true };
  }

  async #modify(ticket: number, slIn: number | null | undefined, tpIn: number | null | undefined): Promise<TradeReply> {
    const row = (await this.#openTrades()).find((t) => t.ticket === ticket);
    if (!row) return failure(4108, `NOT_FOUND: ticket ${ticket} is not among the open trades; nothing was sent`);
    const spec = this.#spec(row.symbol);
    if (!spec)
      return failure(
        3,
        `the point size of ${row.symbol} is unknown and DWX sets stops in points; add \`symbols: {${row.symbol}: {point: …, digits: …}}\` to agents.yml; nothing was sent`,
      );
    // MODIFY always sets both stops: a stop left out keeps its current value.
    const sl = slIn === undefined ? row.sl || null : slIn || null;
    const tp = tpIn === undefined ? row.tp || null : tpIn || null;
    if (near(row.sl, sl ?? 0, spec.point) && near(row.tp, tp ?? 0, spec.point))
      return failure(1, 'the stops are already so; nothing was sent');
    const r = await this.#modifyOnce(ticket, row.type, row.openPrice, spec, sl, tp);
    return r.ok ? success(ticket, null, 'modified') : failure(r.code, r.message);
  }

  async #close(ticket: number, lots: number | undefined): Promise<TradeReply> {
    const row = (await this.#openTrades()).find((t) => t.ticket === ticket);
    if (!row) return failure(4108, `NOT_FOUND: ticket ${ticket} is not among the open trades; nothing was sent`);
    if (row.type !== 'buy' && row.type !== 'sell')
      return failure(4108, `ticket ${ticket} is a pending order (use delete); nothing was sent`);
    const partial = lots !== undefined && lots < row.lots - 1e-9;
    if (partial && lots! < 0.01 - 1e-9)
      return failure(131, `the DWX EA closes the whole position when asked for less than 0.01 lots; nothing was sent`);
    const endpoint = partial ? `TRADE;CLOSE_PARTIAL #${ticket}` : `TRADE;CLOSE #${ticket}`;
    const cmd = tradeCommand({ action: partial ? 'CLOSE_PARTIAL' : 'CLOSE', symbol: row.symbol, ticket, ...(partial ? { lots } : {}) });
    const d = await this.#tradeRetryingNotAllowed(
      endpoint,
      cmd,
      (x) => x.size === 0 || (asString(x.get('_action')) === 'CLOSE' && asNumber(x.get('_ticket')) === ticket),
    );
    const reason = abortedReason(d);
    if (reason) return this.#abortedReply(reason);
    if (d.size === 0) {
      return failure(
        2,
        'the EA answered {} to CLOSE_PARTIAL: it skipped the ticket (a DWX quirk when the last order it selected is a pending order); nothing was closed — close all of it instead',
      );
    }
    const r = interpretClose(d);
    if (!r.ok) return failure(r.code, r.message);
    // The EA's word is not enough: list again.
    const after = await this.#openTrades().catch(() => undefined);
    if (after) {
      const still = after.find((t) => t.ticket === ticket);
      if (!partial && still)
        return failure(2, `the EA reported a close${r.price !== null ? ` at ${r.price}` : ''}, but ticket ${ticket} is still open`);
      if (partial) {
        const rest = after.find((t) => t.ticket !== ticket && t.symbol === row.symbol && t.comment.includes(`#${ticket}`));
        return { ...success(ticket, r.price, `closed ${r.lots ?? lots} lots`), new_ticket: rest?.ticket ?? null };
      }
    }
    return success(ticket, r.price, 'closed');
  }

  async #delete(ticket: number): Promise<TradeReply> {
    const row = (await this.#openTrades()).find((t) => t.ticket === ticket);
    if (!row) return failure(4108, `NOT_FOUND: ticket ${ticket} is not among the open orders; nothing was sent`);
    if (row.type === 'buy' || row.type === 'sell')
      return failure(4108, `ticket ${ticket} is a market position (use close); nothing was sent`);
    const endpoint = `TRADE;CLOSE #${ticket} (pending)`;
    const d = await this.#tradeRetryingNotAllowed(
      endpoint,
      tradeCommand({ action: 'CLOSE', symbol: row.symbol, ticket }),
      (x) => asString(x.get('_action')) === 'CLOSE' && asNumber(x.get('_ticket')) === ticket,
    );
    const reason = abortedReason(d);
    if (reason) return this.#abortedReply(reason);
    const r = interpretClose(d);
    if (!r.ok) return failure(r.code, r.message);
    // The EA does not check OrderDelete's result: list again.
    const after = await this.#openTrades().catch(() => undefined);
    if (after?.some((t) => t.ticket === ticket))
      return failure(2, `the EA reported the order deleted, but ticket ${ticket} is still pending`);
    return success(ticket, null, 'deleted');
  }

  #abortedReply(reason: string): TradeReply {
    return failure(ABORTED[reason]?.code ?? 2, `${abortedMessage(reason)}; nothing was executed`);
  }

  #abortedError(reason: string, endpoint: string): BridgeError {
    const a = ABORTED[reason];
    const kind: BridgeErrorKind = reason === 'NO_BROKER_CONNECTION' ? 'unreachable' : 'busy';
    return new BridgeError(kind, this.agent, endpoint, abortedMessage(reason), a ? { hint: a.hint } : {});
  }

  // ---- the wire ------------------------------------------------------------------------------

  /** A read: answered TRADE_CONTEXT_BUSY or TRADING_IS_NOT_ALLOWED, it is tried again (it changes nothing). */
  async #read(endpoint: string, cmd: string, accept: Accept): Promise<DwxDict> {
    for (let attempt = 1; ; attempt++) {
      const d = await this.#request(endpoint, cmd, accept, false);
      const reason = abortedReason(d);
      if (!reason) return d;
      if ((reason === 'TRADE_CONTEXT_BUSY' || reason === 'TRADING_IS_NOT_ALLOWED') && attempt < READ_ATTEMPTS) {
        await sleep(100 * attempt);
        continue;
      }
      throw this.#abortedError(reason, endpoint);
    }
  }

  #trade(endpoint: string, cmd: string, accept: Accept): Promise<DwxDict> {
    return this.#request(endpoint, cmd, accept, true);
  }

  /**
   * A trade command. TRADING_IS_NOT_ALLOWED is also what the EA answers while the trade context
   * is busy (IsTradeAllowed() is false then): nothing was executed, so it is sent again twice.
   */
  async #tradeRetryingNotAllowed(endpoint: string, cmd: string, accept: Accept): Promise<DwxDict> {
    for (let attempt = 1; ; attempt++) {
      const d = await this.#trade(endpoint, cmd, accept);
      if (abortedReason(d) === 'TRADING_IS_NOT_ALLOWED' && attempt < 3) {
        await sleep(200 * attempt);
        continue;
      }
      return d;
    }
  }

  /** Runs one command exchange at a time. */
  #request(endpoint: string, cmd: string, accept: Accept, isTrade: boolean): Promise<DwxDict> {
    const run = async (): Promise<DwxDict> => {
      if (this.#closed) throw new BridgeError('unreachable', this.agent, endpoint, 'the client was closed');
      const s = await this.#open_();
      if (this.#desync) {
        try {
          await this.#exchange(s, 'HEARTBEAT', HEARTBEAT, (d) => asString(d.get('_action')) === 'heartbeat', false, false);
          this.#desync = false;
        } catch (e) {
          if (!(e instanceof BridgeError)) throw e;
          throw new BridgeError(
            e.kind,
            this.agent,
            endpoint,
            `${e.reason} (a heartbeat sent to resynchronise after an earlier timeout); nothing was sent`,
            { cause: e },
          );
        }
      }
      return this.#exchange(s, endpoint, cmd, accept, isTrade, !isTrade);
    };
    const p = this.#chain.then(run, run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  /** One command and its answer. `resend`: a read, sent once more if no answer has come halfway to the deadline. */
  async #exchange(s: Sockets, endpoint: string, cmd: string, accept: Accept, isTrade: boolean, resend: boolean): Promise<DwxDict> {
    const t = this.#t.timeoutMs;
    const deadline = Date.now() + t;
    // Send only when both directions are connected: otherwise nothing is sent at all.
    await this.#waitConnected(endpoint, deadline);
    const pause = this.#lastHeard + PACE_MS - performance.now();
    if (pause > 0) await sleep(pause);
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<DwxDict>((resolve, reject) => {
      this.#waiter = { accept, resolve, reject };
      timer = setTimeout(
        () =>
          reject(
            new BridgeError('timeout', this.agent, endpoint, `timed out after ${t} ms waiting for the answer`, { maybeExecuted: isTrade }),
          ),
        Math.max(1, deadline - Date.now()),
      );
    });
    reply.catch(() => undefined);
    try {
      try {
        s.push.sendTimeout = Math.max(1, deadline - Date.now());
        await s.push.send(cmd);
      } catch (e) {
        // Not queued (ZeroMQ guarantees it): nothing reached the terminal.
        const code = (e as { code?: string }).code;
        const why = code === 'EAGAIN' ? `no connection within ${this.#t.timeoutMs} ms` : (code ?? (e as Error).message);
        throw new BridgeError(
          'unreachable',
          this.agent,
          endpoint,
          `unreachable: ${why} on the EA's PUSH_PORT ${this.#t.pushPort} (${this.endpoint(this.#t.pushPort)}); nothing was sent`,
          { cause: e },
        );
      }
      let again: NodeJS.Timeout | undefined;
      if (resend) {
        // A read changes nothing: if its reply is lost (the EA drops what it cannot send at once),
        // it is sent once more halfway to the deadline. Either answer will do; a second one that
        // comes late is dropped behind the next command's heartbeat.
        again = setTimeout(
          () => {
            if (this.#closed) return;
            this.#desync = true;
            this.#log?.(`${this.agent} ${endpoint} -> no answer yet; sent again`);
            s.push.sendTimeout = Math.max(1, deadline - Date.now());
            s.push.send(cmd).catch(() => undefined);
          },
          Math.max(1, Math.floor((deadline - Date.now()) / 2)),
        );
      }
      const d = await reply.finally(() => clearTimeout(again));
      this.#log?.(`${this.agent} ${endpoint} -> answered in ${Math.round(performance.now() - started)} ms`);
      return d;
    } catch (e) {
      if (e instanceof BridgeError && e.kind === 'timeout') {
        this.#desync = true;
        this.#log?.(`${this.agent} ${endpoint} -> no answer in ${t} ms`);
      }
      throw e;
    } finally {
      clearTimeout(timer);
      this.#waiter = undefined;
    }
  }

  #onReply(frames: Buffer[]): void {
    this.#lastHeard = performance.now();
    const text = Buffer.concat(frames).toString('utf8');
    if (text.trim() === '') return; // the EA's empty message after each reply
    const w = this.#waiter;
    let d: DwxDict | undefined;
    try {
      d = asDict(parseDwx(text));
    } catch (e) {
      if (!(e instanceof DwxParseError)) throw e;
      if (w) {
        this.#waiter = undefined;
        const endpoint = 'reply';
        w.reject(
          new BridgeError('protocol', this.agent, endpoint, `answered outside the DWX format: ${e.message}`, { maybeExecuted: true }),
        );
      } else this.#log?.(`${this.agent}: dropped an unreadable message with no command waiting`);
      return;
    }
    if (!d) {
      if (w) {
        this.#waiter = undefined;
        w.reject(new BridgeError('protocol', this.agent, 'reply', 'answered something that is not a dict', { maybeExecuted: true }));
      }
      return;
    }
    if (isStopped(d)) {
      if (w) {
        this.#waiter = undefined;
        w.reject(
          new BridgeError('unreachable', this.agent, 'reply', 'EA_IS_STOPPED: the DWX EA is being removed from its chart', {
            maybeExecuted: true,
          }),
        );
      }
      return;
    }
    if (w && (abortedReason(d) !== undefined || w.accept(d))) {
      this.#waiter = undefined;
      w.resolve(d);
      return;
    }
    this.#log?.(
      `${this.agent}: dropped a reply that is not the answer awaited (${asString(d.get('_action')) ?? asString(d.get('_response')) ?? 'no _action'})`,
    );
  }

  async #zmq(what: string): Promise<typeof Zmq> {
    try {
      return await import('zeromq');
    } catch (e) {
      throw new BridgeError('unreachable', this.agent, what, `the zeromq module could not be loaded (${(e as Error).message})`, {
        cause: e,
        hint: 'The dwx transport needs the zeromq package that ships with mt4gw: reinstall mt4gw (npm install).',
      });
    }
  }

  #open_(): Promise<Sockets> {
    this.#sockets ??= (async () => {
      const zmq = await this.#zmq('connect');
      const ipv6 = this.#t.host.includes(':') ? { ipv6: true } : {};
      // immediate: nothing is queued for a peer that is not connected, so a command is either
      // handed to a live connection or not sent at all. linger 0: nothing is sent after close.
      const push = new zmq.Push({ linger: 0, immediate: true, sendHighWaterMark: 1, sendTimeout: this.#t.timeoutMs, ...ipv6 });
      const pull = new zmq.Pull({ linger: 0, ...ipv6 });
      for (const [name, sock] of [
        ['push', push],
        ['pull', pull],
      ] as const) {
        sock.events.on('connect', () => this.#setUp(name, true));
        sock.events.on('disconnect', () => this.#setUp(name, false));
        sock.events.on('connect:retry', () => {
          this.#refused[name] = Date.now();
          this.#notify();
        });
      }
      push.connect(this.endpoint(this.#t.pushPort));
      pull.connect(this.endpoint(this.#t.pullPort));
      void (async () => {
        try {
          for await (const frames of pull) this.#onReply(frames);
        } catch {
          // the socket was closed
        }
      })();
      return { zmq, push, pull };
    })();
    return this.#sockets;
  }

  #setUp(name: 'push' | 'pull' | 'sub', up: boolean): void {
    this.#up[name] = up;
    this.#notify();
  }

  #notify(): void {
    for (const w of [...this.#stateWaiters]) w();
  }

  /** Resolves when `ready()` holds, or at `until` (whatever holds then). */
  #waitState(ready: () => boolean, until: number, stop: () => boolean = () => false): Promise<void> {
    if (ready() || stop() || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (!ready() && !stop() && !this.#closed && Date.now() < until) return;
        clearTimeout(timer);
        this.#stateWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(
        () => {
          this.#stateWaiters.delete(done);
          resolve();
        },
        Math.max(0, until - Date.now()),
      );
      this.#stateWaiters.add(done);
    });
  }

  async #waitConnected(endpoint: string, deadline: number): Promise<void> {
    const since = Date.now();
    const ready = () => this.#up.push && this.#up.pull;
    // A refused connection attempt after we started waiting means nothing listens there.
    const refused = () => (!this.#up.push && this.#refused.push >= since) || (!this.#up.pull && this.#refused.pull >= since);
    await this.#waitState(ready, deadline, refused);
    if (ready()) return;
    if (this.#closed) throw new BridgeError('unreachable', this.agent, endpoint, 'the client was closed');
    const which = !this.#up.push
      ? `PUSH_PORT ${this.#t.pushPort} (${this.endpoint(this.#t.pushPort)})`
      : `PULL_PORT ${this.#t.pullPort} (${this.endpoint(this.#t.pullPort)})`;
    const why = refused() ? 'connection refused' : `no connection within ${this.#t.timeoutMs} ms`;
    throw new BridgeError('unreachable', this.agent, endpoint, `unreachable: ${why} on the EA's ${which}; nothing was sent`, {
      hint: 'Is the MT4 terminal running with the DWX server EA on its chart, with these ports? (`mt4gw status` checks every agent.)',
    });
  }
}

// ---- helpers -------------------------------------------------------------------------------------

function failure(code: number, message: string): TradeReply {
  return { success: false, ticket: null, price: null, message: message || mt4Code(code).meaning, error_code: code, new_ticket: null };
}

function success(ticket: number, price: number | null, message: string): TradeReply {
  return { success: true, ticket, price, message, error_code: 0, new_ticket: null };
}

function near(a: number, b: number, point: number): boolean {
  return Math.abs(a - b) < point / 2;
}

function decimals(point: number): number {
  const s = String(point);
  return s.includes('e-') ? Number(s.split('e-')[1]) : (s.split('.')[1] ?? '').length;
}

/** A point size when the symbol is in no table: the finer of the two prices' decimals. */
function pointFromQuote(bid: number, ask: number): number {
  const d = Math.max(decimals(bid), decimals(ask), 0);
  return 10 ** -Math.min(d, 8);
}

/** The EXECUTION reply is for this symbol (an error reply names none). */
function sameSymbol(d: DwxDict, symbol: string): boolean {
  const s = asString(d.get('_symbol'));
  return s === undefined || s === symbol;
}

/** Two comments belong to one order: equal, or the same `mt4gw:<id>` tag (the broker may rewrite the rest). */
function sameOrder(sent: string, seen: string): boolean {
  if (sent === '' || seen === '') return false;
  if (sent === seen) return true;
  const id = clientIdOf(sent);
  return id !== null && clientIdOf(seen) === id;
}

/** For tests. */
export const _internal = { pointFromQuote, sameOrder };
