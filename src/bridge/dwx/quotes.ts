// Quotes from a DWX server EA: the SUB socket on its PUB_PORT, the symbols it is asked to track
// (TRACK_PRICES, sent through the session), and the last quote of each symbol with its waiters.
//
// The EA publishes a symbol only after TRACK_PRICES, and only when its bid or ask changes; a
// symbol's topic is `SYMBOL:|:`. zeromq is loaded when the first quote is asked for.
import type * as Zmq from 'zeromq';
import { BridgeError } from '../errors.js';
import type { Tick } from '../schemas.js';
import { type AgentFacts, type Quote, toTick } from './mapping.js';
import { asString } from './parser.js';
import { MAX_TRACKED, SAFE_SYMBOL, interpretTrackPrices, parseQuote, trackPricesCommand } from './protocol.js';
import { type DwxSession, loadZmq } from './session.js';
import { Waiters, sleep } from './wait.js';

export interface QuoteTarget extends AgentFacts {
  id: string;
  host: string;
  /** The EA's PUB_PORT. */
  pubPort: number;
  timeoutMs: number;
}

/** A cached quote younger than this is answered without asking the terminal again. */
const QUOTE_REUSE_MS = 5_000;
/** How long to wait for a quote after TRACK_PRICES before arming again (the EA's price timer is 500 ms). */
const QUOTE_ROUND_MS = 1_000;

export class DwxQuotes {
  readonly #agent: string;
  readonly #t: QuoteTarget;
  readonly #session: DwxSession;
  #sub: Promise<Zmq.Subscriber> | undefined;
  #up = false;
  /** Waiting for the SUB socket to connect. */
  readonly #state = new Waiters();
  readonly #quotes = new Map<string, Quote>();
  readonly #waiters = new Map<string, Waiters>();
  readonly #subscribed = new Set<string>();
  #tracked: string[] = [];

  constructor(target: QuoteTarget, session: DwxSession) {
    this.#agent = target.id;
    this.#t = target;
    this.#session = session;
  }

  /** The last quote of `symbol` that arrived, if any (whatever its age). */
  last(symbol: string): Quote | undefined {
    return this.#quotes.get(symbol);
  }

  /**
   * The latest quote. The first call arms the subscription (twice: see #arm) and waits for a
   * quote; later calls within a few seconds answer from the cache. The timestamp is when the
   * quote arrived.
   */
  async tick(symbol: string): Promise<Tick> {
    const endpoint = `TRACK_PRICES ${symbol}`;
    if (!SAFE_SYMBOL.test(symbol)) throw this.#unknownSymbol(symbol, endpoint);
    const cached = this.#quotes.get(symbol);
    if (cached && Date.now() - cached.at < QUOTE_REUSE_MS) return toTick(symbol, cached, this.#t);
    const deadline = Date.now() + this.#t.timeoutMs;
    await this.#subscribe(symbol, deadline);
    const since = Date.now();
    for (;;) {
      await this.#arm(symbol, endpoint);
      const got = await this.#nextQuote(symbol, since, Math.min(deadline, Date.now() + QUOTE_ROUND_MS));
      if (got) return toTick(symbol, got, this.#t);
      if (Date.now() >= deadline) break;
    }
    const old = this.#quotes.get(symbol);
    if (old) return toTick(symbol, old, this.#t); // QUOTE_STALE will say how old it is
    const pub = this.#t.pubPort;
    throw new BridgeError(
      'timeout',
      this.#agent,
      endpoint,
      `no quote within ${this.#t.timeoutMs} ms on ${this.#session.endpoint(pub)} (the EA publishes a price only when it changes: is the market open, and is PUB_PORT ${pub}?)`,
      { hint: 'Check the symbol in the Market Watch and the EA’s PUB_PORT; outside market hours no quote comes.' },
    );
  }

  async close(): Promise<void> {
    if (this.#state.closed) return;
    this.#state.close();
    for (const w of this.#waiters.values()) w.close();
    const sub = await this.#sub?.catch(() => undefined);
    try {
      sub?.close();
    } catch {
      // already closed
    }
  }

  #unknownSymbol(symbol: string, endpoint: string, why = 'the terminal does not know it'): BridgeError {
    return new BridgeError('unknown_symbol', this.#agent, endpoint, `unknown symbol ${JSON.stringify(symbol)}: ${why}`);
  }

  /** Connects the SUB socket (once) and subscribes to the symbol's topic. */
  async #subscribe(symbol: string, deadline: number): Promise<void> {
    this.#sub ??= (async () => {
      const zmq = await loadZmq(this.#agent, 'SUB');
      const sub = new zmq.Subscriber({ linger: 0, ...(this.#t.host.includes(':') ? { ipv6: true } : {}) });
      sub.events.on('connect', () => this.#setUp(true));
      sub.events.on('disconnect', () => this.#setUp(false));
      sub.connect(this.#session.endpoint(this.#t.pubPort));
      void this.#read(sub);
      return sub;
    })();
    const sub = await this.#sub;
    if (!this.#subscribed.has(symbol)) {
      sub.subscribe(`${symbol}:|:`);
      this.#subscribed.add(symbol);
    }
    // A subscription reaches the EA only once connected: wait for that (bounded), then a moment.
    if (!this.#up) {
      await this.#state.wait(() => this.#up, Math.min(deadline, Date.now() + 1_000));
      await sleep(20);
    }
  }

  #setUp(up: boolean): void {
    this.#up = up;
    this.#state.notify();
  }

  async #read(sub: Zmq.Subscriber): Promise<void> {
    try {
      for await (const frames of sub) {
        const q = parseQuote(Buffer.concat(frames).toString('utf8'));
        if (!q) continue;
        this.#quotes.set(q.symbol, { bid: q.bid, ask: q.ask, at: Date.now() });
        this.#waiters.get(q.symbol)?.notify();
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
      const d = await this.#session.read(endpoint, cmd, (x) => asString(x.get('_action')) === 'TRACK_PRICES');
      const r = interpretTrackPrices(d);
      if (typeof r === 'string') throw new BridgeError('protocol', this.#agent, endpoint, `answered outside the DWX format: ${r}`);
      if (r.errorSymbols.includes(symbol)) {
        this.#tracked = this.#tracked.filter((s) => s !== symbol);
        throw this.#unknownSymbol(symbol, endpoint, 'the terminal could not select it (TRACK_PRICES error_symbols)');
      }
    }
    this.#tracked = list;
  }

  /** The first quote of `symbol` that arrives after `since`, or undefined at `until` (or at close). */
  async #nextQuote(symbol: string, since: number, until: number): Promise<Quote | undefined> {
    const fresh = () => {
      const q = this.#quotes.get(symbol);
      return q && q.at >= since ? q : undefined;
    };
    let waiters = this.#waiters.get(symbol);
    if (!waiters) {
      waiters = new Waiters();
      if (this.#state.closed) waiters.close();
      this.#waiters.set(symbol, waiters);
    }
    await waiters.wait(() => fresh() !== undefined, until);
    return fresh();
  }
}
