// The paper terminal over the DWX ZeroMQ protocol: what darwinex's DWX_ZeroMQ_Server_v2.0.1_RC8.mq4
// does in a terminal, in front of the same SimEngine as the REST sim (server.ts). Three sockets on
// 127.0.0.1: PULL on the push port (commands), PUSH on the pull port (replies), PUB on the pub port
// (quotes `SYMBOL:|:bid;ask`). Like the EA it handles one command at a time, answers with a
// Python-dict literal written by concatenation (repeated keys, `'_response_value': 'SUCCESS'` on
// a close that failed, and all), then pushes an empty message; its sockets have a high-water mark
// of 1 and never block, so a message sent back to back may be dropped, as on a real terminal.
//
// The EA's DMA mode (its default) is what runs: OPEN sends the order without stops, then sets them
// with a MODIFY from the open price, and closes the trade again when that fails
// (ERROR_SETTING_SL_TP). MaximumLotSize and MaximumOrders are the EA's guards; the sim's defaults
// are large (the EA's own are 0.01 and 1), setEaInputs() changes them.
//
// Faults (faults.ts) apply per command, matched as the REST request it stands for: GET_ACCOUNT_INFO
// is /account, GET_OPEN_TRADES /positions, TRACK_PRICES /tick/SYMBOL, HEARTBEAT /heartbeat, and
// the TRADE actions /trade with action buy, sell, modify, close, delete (CLOSE of a pending order),
// close_all. down: the sockets close for `seconds`; hang: no answer and nothing done;
// execute_then_drop: done, no answer; trade_error: 146, 4109 and 6 are answered as the EA's
// `…__ABORTED_COMMAND` words, other codes as the MT4 error of the trade function; latency: the
// answer comes later (and the terminal does nothing else meanwhile); malformed_json: the reply cut
// in half; wrong_types: a number quoted. http_500, http_503 and unauthorized have no DWX meaning
// and do nothing.
import type * as Zmq from 'zeromq';
import type { TradeRequest } from '../bridge/schemas.js';
import type { SimEngine } from './engine.js';
import { SimInputError } from './errors.js';
import { MT4_MESSAGES } from './mt4.js';
import type { TradeReplyWire } from './wire.js';
import { type FaultSet, validateFault, validateFaults, type Fault, type FaultTarget } from './faults.js';
import { MAX_LOG } from './server.js';
import { EngineControl } from './control.js';
import type { SimAgentControl, SimRequest } from './types.js';

export interface DwxPorts {
  push_port: number;
  pull_port: number;
  pub_port: number;
}

export interface DwxAgentServerConfig {
  id: string;
  host: string;
  /** 0: ephemeral (read back from ports()). */
  pushPort: number;
  pullPort: number;
  pubPort: number;
  engine: SimEngine;
  faults: FaultSet;
  tradeLatencyMs: number;
  brokerOffsetMinutes: number;
  baseClock: () => number;
  bindClock: (now: () => number) => void;
  /** How often tracked prices are checked and changes published (the EA: on each tick, else every 500 ms). Default 100. */
  publishIntervalMs?: number;
}

/** The EA's inputs a test may change. */
export interface EaInputs {
  /** MaximumLotSize (the EA's default 0.01). */
  maxLotSize: number;
  /** MaximumOrders (the EA's default 1). */
  maxOrders: number;
}

/**
 * The EA reads one command per OnTimer() call; its answers are spaced by the terminal's timer. Two
 * answers sent back to back through its high-water mark of 1 lose the second, so the sim spaces
 * them too.
 */
const EA_TIMER_MS = 5;

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

export class DwxAgentServer extends EngineControl implements SimAgentControl {
  readonly id: string;
  readonly host: string;
  readonly engine: SimEngine;
  readonly #faults: FaultSet;
  readonly #tradeLatencyMs: number;
  readonly #offset: number;
  readonly #baseClock: () => number;
  readonly #publishMs: number;
  #clockOverride: number | null = null;
  #ports: { push: number; pull: number; pub: number };
  #zmq: typeof Zmq | undefined;
  #sockets: { pull: Zmq.Pull; push: Zmq.Push; pub: Zmq.Publisher } | undefined;
  #loop: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #upTimer: NodeJS.Timeout | undefined;
  #down = false;
  #closed = false;
  #error: string | undefined;
  #log: SimRequest[] = [];
  #seq = 0;
  #inputs: EaInputs = { maxLotSize: 100, maxOrders: 1_000 };
  /** Publish_Symbols / Publish_Symbols_LastTick, with the EA's ArrayResize behaviour. */
  #publish: string[] = [];
  #lastTick: string[] = [];
  #publishing = false;
  /** The order OrderSelect() last selected (OrderType() reads it). */
  #selected: number | undefined;
  /** A trade_error fault in force for the command being handled: every trade function fails with it. */
  #forced: number | undefined;
  #lastAnswer = 0;
  readonly #sleepers = new Set<{ timer: NodeJS.Timeout; resolve: (ok: boolean) => void }>();

  constructor(cfg: DwxAgentServerConfig) {
    super();
    this.id = cfg.id;
    this.host = cfg.host;
    this.engine = cfg.engine;
    this.#faults = cfg.faults;
    this.#tradeLatencyMs = cfg.tradeLatencyMs;
    this.#offset = cfg.brokerOffsetMinutes;
    this.#baseClock = cfg.baseClock;
    this.#publishMs = cfg.publishIntervalMs ?? 100;
    this.#ports = { push: cfg.pushPort, pull: cfg.pullPort, pub: cfg.pubPort };
    cfg.bindClock(() => this.now());
  }

  get port(): number {
    return this.#ports.push;
  }

  get url(): string {
    return this.#endpoint(this.#ports.push);
  }

  /** The three ports as agents.yml names them. */
  ports(): DwxPorts {
    return { push_port: this.#ports.push, pull_port: this.#ports.pull, pub_port: this.#ports.pub };
  }

  setEaInputs(inputs: Partial<EaInputs>): void {
    this.#inputs = { ...this.#inputs, ...inputs };
  }

  #endpoint(port: number | '*'): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `tcp://${h}:${port}`;
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  async start(): Promise<void> {
    this.#zmq = await import('zeromq');
    await this.#bind();
  }

  async #bind(): Promise<void> {
    const zmq = this.#zmq!;
    const ipv6 = this.host.includes(':') ? { ipv6: true } : {};
    const pull = new zmq.Pull({ receiveHighWaterMark: 1, linger: 0, ...ipv6 });
    const push = new zmq.Push({ sendHighWaterMark: 1, linger: 0, sendTimeout: 0, ...ipv6 });
    const pub = new zmq.Publisher({ sendHighWaterMark: 1, linger: 0, sendTimeout: 0, ...ipv6 });
    const bound: Array<Zmq.Pull | Zmq.Push | Zmq.Publisher> = [];
    try {
      for (const [sock, key] of [
        [pull, 'push'],
        [push, 'pull'],
        [pub, 'pub'],
      ] as const) {
        const port = this.#ports[key];
        await sock.bind(this.#endpoint(port === 0 ? '*' : port));
        bound.push(sock);
        const actual = Number(/:(\d+)$/.exec(sock.lastEndpoint ?? '')?.[1]);
        if (Number.isInteger(actual) && actual > 0) this.#ports[key] = actual;
      }
    } catch (e) {
      for (const s of [pull, push, pub]) s.close();
      throw e;
    }
    this.#sockets = { pull, push, pub };
    this.#loop = this.#serve(pull);
    this.#timer = setInterval(() => void this.#publishRound(), this.#publishMs);
    this.#timer.unref();
  }

  async #unbind(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const s = this.#sockets;
    this.#sockets = undefined;
    if (s) for (const sock of [s.pull, s.push, s.pub]) sock.close();
    await this.#loop?.catch(() => undefined);
    this.#loop = undefined;
  }

  async goDown(seconds?: number): Promise<void> {
    if (this.#closed) return;
    if (seconds !== undefined && !(Number.isFinite(seconds) && seconds >= 0)) throw new SimInputError('seconds must be a number >= 0');
    this.#down = true;
    if (this.#upTimer) clearTimeout(this.#upTimer);
    this.#upTimer = undefined;
    await this.#unbind();
    if (seconds !== undefined) {
      this.#upTimer = setTimeout(() => void this.goUp(), seconds * 1000);
    }
  }

  async goUp(): Promise<void> {
    if (this.#closed || !this.#down) return;
    if (this.#upTimer) clearTimeout(this.#upTimer);
    this.#upTimer = undefined;
    this.#down = false;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#bind();
        this.#error = undefined;
        return;
      } catch (e) {
        this.#error = `cannot bind again on ${this.host} ${this.#ports.push}/${this.#ports.pull}/${this.#ports.pub}: ${(e as Error).message}`;
        if (attempt >= 20 || !(await this.#sleep(100)) || this.#closed) return;
      }
    }
  }

  isDown(): boolean {
    return this.#down || !this.#sockets;
  }

  lastError(): string | undefined {
    return this.#error;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#upTimer) clearTimeout(this.#upTimer);
    for (const s of this.#sleepers) {
      clearTimeout(s.timer);
      s.resolve(false);
    }
    this.#sleepers.clear();
    await this.#unbind();
  }

  #sleep(ms: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const s = {
        timer: setTimeout(() => {
          this.#sleepers.delete(s);
          resolve(true);
        }, ms),
        resolve,
      };
      this.#sleepers.add(s);
    });
  }

  // ---- the EA's loop ----------------------------------------------------------------------------

  async #serve(pull: Zmq.Pull): Promise<void> {
    try {
      for await (const frames of pull) {
        const text = Buffer.concat(frames).toString('utf8');
        await this.#handle(text).catch((e: unknown) => {
          this.#error = `handling ${JSON.stringify(text.slice(0, 60))} failed: ${(e as Error).message}`;
        });
      }
    } catch {
      // closed
    }
  }

  /**
   * Sends without blocking, as the EA does (`send(reply, true)`): a full queue drops the message.
   * `patienceMs` > 0 (replies only): where the EA would drop a reply because ZeroMQ has not yet
   * flushed the previous message, the sim tries again for that long — so replies get lost in
   * tests only through the hang and execute_then_drop faults, never by the machine's load.
   */
  async #send(sock: Zmq.Push | Zmq.Publisher | undefined, text: string, patienceMs = 0): Promise<boolean> {
    const until = performance.now() + patienceMs;
    for (;;) {
      if (!sock || this.#closed) return false;
      try {
        await sock.send(text);
        return true;
      } catch {
        if (performance.now() >= until || !(await this.#sleep(2))) return false;
      }
    }
  }

  async #handle(raw: string): Promise<void> {
    // ParseZmqMessage: StringSplit into `string components[11]`.
    const comp = raw.split(';').slice(0, 11);
    while (comp.length < 11) comp.push('');
    const target = this.#target(comp);
    const entry: SimRequest = { seq: ++this.#seq, time: this.now(), method: 'DWX', path: target.path, query: {}, body: raw };
    if (target.action !== undefined) entry.action = target.action;
    this.#log.push(entry);
    if (this.#log.length > MAX_LOG) this.#log.splice(0, this.#log.length - MAX_LOG);

    const decision = this.#faults.decide(target);
    const fault: Fault | undefined = decision.fault;
    if (fault) entry.fault = fault.kind;
    else if (decision.delayMs > 0) entry.fault = 'latency';
    if (fault?.kind === 'down') {
      void this.goDown(fault.seconds ?? 5);
      return;
    }
    if (fault?.kind === 'hang') return;

    if (target.trade && this.#tradeLatencyMs > 0 && !(await this.#sleep(this.#tradeLatencyMs))) return;
    this.#forced = fault?.kind === 'trade_error' ? (fault.code ?? 2) : undefined;
    let reply: string | undefined;
    try {
      reply = this.#interpret(comp);
    } finally {
      this.#forced = undefined;
    }
    if (fault?.kind === 'execute_then_drop') {
      await this.#sleep(decision.delayMs);
      return;
    }
    if (reply !== undefined && fault?.kind === 'malformed_json') reply = reply.slice(0, Math.max(1, Math.floor(reply.length / 2)));
    if (reply !== undefined && fault?.kind === 'wrong_types') reply = reply.replace(/(: ?)(-?\d+(?:\.\d+)?)/, "$1'x$2'");
    if (!(await this.#sleep(decision.delayMs))) return;
    const gap = this.#lastAnswer + EA_TIMER_MS - performance.now();
    if (gap > 0 && !(await this.#sleep(gap))) return;
    this.#lastAnswer = performance.now();
    const s = this.#sockets;
    if (reply !== undefined && (await this.#send(s?.push, reply, 250))) entry.status = 200;
    // OnTimer: the (empty) ZmqMsg MessageHandler returns, sent after every command.
    await this.#send(s?.push, '');
  }

  /** The REST request a command stands for, for fault matching and the request log. */
  #target(comp: string[]): FaultTarget {
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
        const pending = this.engine.orders().some((o) => o.ticket === toNum(comp[10]));
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
    if (!this.engine.account().trade_allowed || this.#forced === 4109) return "{'_response': 'TRADING_IS_NOT_ALLOWED__ABORTED_COMMAND'}";
    if (this.#forced === 146) return "{'_response': 'TRADE_CONTEXT_BUSY__ABORTED_COMMAND'}";
    if (this.#forced === 6) return "{'_response': 'NO_BROKER_CONNECTION__ABORTED_COMMAND'}";
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
    const e = this.engine;
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
    const h = this.engine.history(0).find((t) => t.ticket === ticket);
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
    if (this.#forced !== undefined) return { success: false, ticket: null, price: null, message: 'simulated', error_code: this.#forced };
    return this.engine.trade(req);
  }

  #pointDigits(symbol: string): { point: number; digits: number } {
    const s = this.engine.symbolSpec(symbol);
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
    const a = this.engine.account();
    return (
      `'_action': 'GET_ACCOUNT_INFORMATION', 'account_number':${a.login}, '_data': [{` +
      `'currenttime': '${wallTime(this.now(), this.#offset, false)}', 'account_name':'${a.name}', 'account_balance':${D(a.balance)}, ` +
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
      if (sym !== '' && this.engine.hasSymbol(sym)) {
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
      if (!(sym !== '' && this.engine.hasSymbol(sym))) errors.push(`'${sym}'`);
    }
    return `'_action': 'TRACK_RATES', '_data': {'instrument_count':${n}, 'error_symbols':[${errors.join(', ')}]}`;
  }

  /** OnTick's price part: each tracked slot whose `bid;ask` changed is published, without blocking. */
  async #publishRound(): Promise<void> {
    if (!this.#publishing || !this.#sockets) return;
    const pub = this.#sockets.pub;
    for (let s = 0; s < this.#publish.length; s++) {
      const sym = this.#publish[s]!;
      const q = sym === '' ? undefined : this.engine.quote(sym);
      const tick = q ? `${q.bid.toFixed(6)};${q.ask.toFixed(6)}` : '';
      if (this.#lastTick[s] === tick) continue;
      this.#lastTick[s] = tick;
      await this.#send(pub, `${sym}:|:${tick}`);
    }
  }

  // ---- SimAgentControl --------------------------------------------------------------------------

  now(): number {
    return this.#clockOverride ?? this.#baseClock();
  }

  setClock(ms: number | null): void {
    if (ms !== null && !(typeof ms === 'number' && Number.isFinite(ms)))
      throw new SimInputError('the clock must be epoch milliseconds or null');
    this.#clockOverride = ms;
  }

  setFaults(faults: Fault[]): void {
    this.#faults.set(validateFaults(faults));
  }

  addFault(fault: Fault): void {
    this.#faults.add(validateFault(fault));
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  faults(): Fault[] {
    return this.#faults.list();
  }

  requests(): SimRequest[] {
    return structuredClone(this.#log);
  }

  clearRequests(): void {
    this.#log = [];
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
