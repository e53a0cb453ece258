// The DWX ZeroMQ transport: the Bridge interface over darwinex's DWX_ZeroMQ_Server_v2.0.1_RC8 EA.
//
// Three one-way sockets: commands are PUSHed to the EA's PUSH_PORT, replies PULLed from its
// PULL_PORT, quotes read from its PUB_PORT after TRACK_PRICES. The parts:
//   - session.ts: the command channel (one command in flight, heartbeat barriers, reply matching,
//     timeouts, "nothing sent" when the terminal is down);
//   - quotes.ts: the SUB socket, the tracked symbols and the quote cache;
//   - mapping.ts: the EA's replies as Account, Position, PendingOrder and Tick;
//   - trades.ts: trade requests and their verification;
//   - this file: the Bridge, its reads (shared while in flight) and the broker's UTC offset.
//
// What the EA cannot tell (closed trades, symbol specs, the broker's clock) is stated in
// DWX_CAPABILITIES; the matching methods answer undefined. See docs/transports.md.
//
// zeromq is a native module and is imported only when the first command is sent (lazy.ts loads
// this module only then, too).
import { BridgeError } from '../errors.js';
import type { Account, ClosedTrade, PendingOrder, Position, SymbolSpec, Tick, TradeReply, TradeRequest } from '../schemas.js';
import type { Bridge } from '../transport.js';
import { DWX_CAPABILITIES } from './capabilities.js';
import { isMarket, pointFromQuote, pointSpec, toAccount, toPendingOrder, toPosition } from './mapping.js';
import { asString } from './parser.js';
import { interpretAccount, interpretOpenTrades, tradeCommand, type DwxTrade } from './protocol.js';
import { DwxQuotes, type QuoteTarget } from './quotes.js';
import { DwxSession, type SessionTarget, zmqEndpoint } from './session.js';
import { type CloseAllRow, DwxTrader, sameOrder } from './trades.js';

export { DWX_CAPABILITIES, DWX_DEFAULT_PORTS } from './capabilities.js';

/** One agent's EA: its address and ports (session.ts, quotes.ts) and what agents.yml adds (mapping.ts AgentFacts). */
export type DwxTarget = SessionTarget & QuoteTarget;

export interface DwxClientOptions {
  /** Debug lines (`--verbose`). */
  log?: ((line: string) => void) | undefined;
}

export class DwxClient implements Bridge {
  readonly agent: string;
  readonly transport = 'dwx' as const;
  readonly capabilities = DWX_CAPABILITIES;
  readonly #t: DwxTarget;
  readonly #session: DwxSession;
  readonly #quotes: DwxQuotes;
  readonly #trader: DwxTrader;
  /** The broker's UTC offset as estimated at the last account read. */
  #offsetMinutes: number | undefined;
  #accountInFlight: Promise<Account> | undefined;
  #tradesInFlight: Promise<DwxTrade[]> | undefined;

  constructor(target: DwxTarget, options: DwxClientOptions = {}) {
    this.agent = target.id;
    this.#t = target;
    this.#session = new DwxSession(target, options.log);
    this.#quotes = new DwxQuotes(target, this.#session);
    this.#trader = new DwxTrader({
      agent: target.id,
      session: this.#session,
      openTrades: () => this.#openTrades(),
      spec: (symbol) => pointSpec(target, symbol),
      log: options.log,
    });
  }

  /** `tcp://host:port`, bracketing IPv6 literals. */
  endpoint(port: number): string {
    return zmqEndpoint(this.#t.host, port);
  }

  // ---- Bridge: reads -------------------------------------------------------------------------

  account(): Promise<Account> {
    this.#accountInFlight ??= this.#readAccount().finally(() => (this.#accountInFlight = undefined));
    return this.#accountInFlight;
  }

  async positions(): Promise<Position[]> {
    const trades = await this.#openTrades();
    const offset = await this.#offset();
    const now = Date.now();
    return trades.filter(isMarket).map((t) => toPosition(t, offset, this.#t, this.#quotes.last(t.symbol), now));
  }

  async orders(): Promise<PendingOrder[]> {
    const trades = await this.#openTrades();
    const offset = await this.#offset();
    return trades.filter((t) => !isMarket(t)).map((t) => toPendingOrder(t, offset));
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
   * only when its bid or ask changes, so the first call arms the subscription and waits for a
   * quote; later calls within a few seconds answer from the cache (quotes.ts).
   */
  tick(symbol: string): Promise<Tick> {
    return this.#quotes.tick(symbol);
  }

  // ---- Bridge: trades ------------------------------------------------------------------------

  /**
   * One trade request. Buys and sells open without stops and then set them with MODIFY from the
   * actual open price; closes, modifies and deletes look the ticket up first and verify by listing
   * again afterwards (trades.ts).
   */
  trade(request: TradeRequest): Promise<TradeReply> {
    return this.#trader.trade(request);
  }

  /**
   * CLOSE_ALL: every position and pending order in one command. Not used by the trading layer
   * (which closes ticket by ticket and verifies); the EA's word per ticket is returned as given.
   */
  closeAll(): Promise<CloseAllRow[]> {
    return this.#trader.closeAll();
  }

  async close(): Promise<void> {
    await Promise.all([this.#session.close(), this.#quotes.close()]);
  }

  // ---- reads ---------------------------------------------------------------------------------

  async #readAccount(): Promise<Account> {
    const endpoint = 'GET_ACCOUNT_INFO';
    const d = await this.#session.read(
      endpoint,
      tradeCommand({ action: 'GET_ACCOUNT_INFO' }),
      (x) => asString(x.get('_action')) === 'GET_ACCOUNT_INFORMATION',
    );
    const a = interpretAccount(d);
    if (typeof a === 'string') throw new BridgeError('protocol', this.agent, endpoint, `answered outside the DWX format: ${a}`);
    const { account, offsetMinutes } = toAccount(a, this.#t, Date.now(), this.#offsetMinutes);
    this.#offsetMinutes = offsetMinutes;
    return account;
  }

  /** The broker's UTC offset for converting open times; one account read when not known yet. */
  async #offset(): Promise<number> {
    if (this.#offsetMinutes === undefined) await this.account().catch(() => undefined);
    return this.#offsetMinutes ?? 0;
  }

  #openTrades(): Promise<DwxTrade[]> {
    this.#tradesInFlight ??= (async () => {
      const endpoint = 'GET_OPEN_TRADES';
      const d = await this.#session.read(
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
}

/** For tests. */
export const _internal = { pointFromQuote, sameOrder };
