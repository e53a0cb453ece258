// One paper bridge: a node:http server that speaks protocol v1 (../shared/contracts/
// bridge-protocol-v1.md) in front of a SimEngine, with fault injection, one trade context, a
// request log and the /_sim control path.
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TradeRequest } from '../bridge/schemas.js';
import type { SimEngine } from './engine.js';
import type { HistoryInput, PendingOrderInput, SpecOverride } from './engine-state.js';
import { SimInputError } from './errors.js';
import { failure } from './mt4.js';
import { parseTime } from './time.js';
import { parseTradeRequest } from './trade-request.js';
import type { TradeReplyWire } from './wire.js';
import { type FaultSet, validateFault, validateFaults, type Fault } from './faults.js';
import { EngineControl } from './control.js';
import type { SimAgentControl, SimRequest } from './types.js';

const MAX_BODY = 1024 * 1024;
/** The request log keeps the latest entries only, so a long-running sim does not grow without bound. */
export const MAX_LOG = 10_000;
const JSON_TYPE = 'application/json; charset=utf-8';

interface ErrorReply {
  error: string;
  message: string;
}

function errorBody(error: string, message: string): ErrorReply {
  return { error, message };
}

type Route =
  | { kind: 'account' }
  | { kind: 'tick'; symbol: string }
  | { kind: 'symbol'; symbol: string }
  | { kind: 'positions' }
  | { kind: 'orders' }
  | { kind: 'history'; from: number | undefined; to: number | undefined }
  | { kind: 'trade'; request: TradeRequest }
  | { kind: 'error'; status: number; body: ErrorReply; allow?: string };

interface Reply {
  status: number;
  body: unknown;
}

/** The terminal's single trade context. */
class TradeContext {
  private busy = false;
  private waiters: Array<() => void> = [];

  tryAcquire(): boolean {
    if (this.busy) return false;
    this.busy = true;
    return true;
  }

  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.busy = false;
  }
}

function sameSecret(got: string, want: string): boolean {
  const a = createHash('sha256').update(got).digest();
  const b = createHash('sha256').update(want).digest();
  return timingSafeEqual(a, b);
}

/** wrong_types: the same reply with one field of the wrong JSON type (a money field when there is one). */
export function corruptTypes(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? {} : [corruptTypes(v[0]), ...v.slice(1)];
  if (typeof v === 'object' && v !== null) {
    const o = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(o);
    const preferred = ['balance', 'bid', 'profit', 'tick_value', 'error_code'].find((k) => typeof o[k] === 'number');
    const key =
      preferred ??
      keys.find((k) => typeof o[k] === 'number') ??
      keys.find((k) => typeof o[k] === 'boolean') ??
      keys.find((k) => typeof o[k] === 'string');
    if (key === undefined) return [];
    const val = o[key];
    o[key] = typeof val === 'string' ? 0 : String(val);
    return o;
  }
  return typeof v === 'number' ? String(v) : 0;
}

/** malformed_json: the reply cut in half — never valid JSON, since an object or array is left open. */
export function malform(text: string): string {
  return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
}

export interface AgentServerConfig {
  id: string;
  host: string;
  port: number;
  token: string | undefined;
  engine: SimEngine;
  faults: FaultSet;
  tradeLatencyMs: number;
  busyPolicy: 'reject' | 'queue';
  symbolEndpoint: boolean;
  /** The sim's clock; the agent's own setClock overrides it. */
  baseClock: () => number;
  /** Lets the engine read the agent's clock, which this server owns. */
  bindClock: (now: () => number) => void;
}

export class AgentServer extends EngineControl implements SimAgentControl {
  readonly id: string;
  readonly host: string;
  readonly engine: SimEngine;
  private actualPort: number;
  private readonly token: string | undefined;
  private readonly faultSet: FaultSet;
  private readonly tradeLatencyMs: number;
  private readonly busyPolicy: 'reject' | 'queue';
  private readonly symbolEndpoint: boolean;
  private readonly baseClock: () => number;
  private clockOverride: number | null = null;
  private readonly server: http.Server;
  private readonly tradeContext = new TradeContext();
  private log: SimRequest[] = [];
  private seq = 0;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; resolve: (ok: boolean) => void }>();
  private upTimer: NodeJS.Timeout | undefined;
  private listening = false;
  private wantDown = false;
  private closed = false;
  private chain: Promise<void> = Promise.resolve();
  private error: string | undefined;

  constructor(cfg: AgentServerConfig) {
    super();
    this.id = cfg.id;
    this.host = cfg.host;
    this.actualPort = cfg.port;
    this.token = cfg.token === '' ? undefined : cfg.token;
    this.engine = cfg.engine;
    this.faultSet = cfg.faults;
    this.tradeLatencyMs = cfg.tradeLatencyMs;
    this.busyPolicy = cfg.busyPolicy;
    this.symbolEndpoint = cfg.symbolEndpoint;
    this.baseClock = cfg.baseClock;
    cfg.bindClock(() => this.now());
    this.server = http.createServer({ keepAlive: true }, (req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  get port(): number {
    return this.actualPort;
  }

  get url(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${h}:${this.actualPort}`;
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  private listenOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server.off('listening', onListening);
        reject(err);
      };
      const onListening = (): void => {
        this.server.off('error', onError);
        this.actualPort = (this.server.address() as AddressInfo).port;
        this.listening = true;
        resolve();
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen(this.actualPort, this.host);
    });
  }

  /** First start: a failure (port in use, …) is the caller's error. */
  async start(): Promise<void> {
    await this.listenOnce();
  }

  private stopListening(): Promise<void> {
    if (!this.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      // Every connection goes too: idle keep-alive ones, in-flight ones and hung ones.
      this.server.closeAllConnections();
      this.listening = false;
    });
  }

  /** Runs lifecycle steps one after the other. */
  private enqueue(op: () => Promise<void>): Promise<void> {
    const p = this.chain.then(op);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Brings the listener to the wanted state (down, up, or closed). */
  private reconcile(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed || this.wantDown) {
        await this.stopListening();
        return;
      }
      if (this.listening) return;
      // Listen again on the same port; someone may have taken it meanwhile: retry for a while.
      for (let attempt = 0; ; attempt++) {
        if (this.closed || this.wantDown) return;
        try {
          await this.listenOnce();
          this.error = undefined;
          return;
        } catch (err) {
          this.error = `cannot listen again on ${this.host}:${this.actualPort}: ${(err as Error).message}`;
          if (attempt >= 20 || !(await this.sleep(100))) return;
        }
      }
    });
  }

  goDown(seconds?: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (seconds !== undefined && !(Number.isFinite(seconds) && seconds >= 0)) throw new SimInputError('seconds must be a number >= 0');
    this.wantDown = true;
    this.clearUpTimer();
    if (seconds !== undefined) {
      this.upTimer = setTimeout(() => {
        this.upTimer = undefined;
        void this.goUp();
      }, seconds * 1000);
    }
    return this.reconcile();
  }

  goUp(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.wantDown = false;
    this.clearUpTimer();
    return this.reconcile().catch((err: unknown) => {
      this.error = String(err);
    });
  }

  isDown(): boolean {
    return !this.listening;
  }

  lastError(): string | undefined {
    return this.error;
  }

  private clearUpTimer(): void {
    if (this.upTimer !== undefined) clearTimeout(this.upTimer);
    this.upTimer = undefined;
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.clearUpTimer();
      for (const s of this.sleepers) {
        clearTimeout(s.timer);
        s.resolve(false);
      }
      this.sleepers.clear();
    }
    await this.reconcile();
  }

  /** Resolves true after `ms`, or false at once when the sim closes meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const s = {
        timer: setTimeout(() => {
          this.sleepers.delete(s);
          resolve(true);
        }, ms),
        resolve,
      };
      this.sleepers.add(s);
    });
  }

  // ---- clock ----------------------------------------------------------------------------------

  now(): number {
    return this.clockOverride ?? this.baseClock();
  }

  setClock(ms: number | null): void {
    if (ms !== null && !(typeof ms === 'number' && Number.isFinite(ms)))
      throw new SimInputError('the clock must be epoch milliseconds or null');
    this.clockOverride = ms;
  }

  // ---- HTTP -------------------------------------------------------------------------------------

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.handle(req, res).catch((err: unknown) => {
      this.send(res, 500, errorBody('internal', `the sim failed: ${(err as Error)?.message ?? String(err)}`));
    });
  }

  private send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.sendText(res, status, JSON.stringify(body), headers);
  }

  private sendText(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  }

  private readBody(req: http.IncomingMessage): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          resolve(undefined);
          req.removeAllListeners('data');
          req.resume();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  private authorized(req: http.IncomingMessage): boolean {
    if (this.token === undefined) return true;
    const got = req.headers.authorization;
    return typeof got === 'string' && sameSecret(got, this.token);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const path = url.pathname;
    const text = await this.readBody(req);
    if (text === undefined) {
      this.send(res, 413, errorBody('payload_too_large', `bodies are limited to ${MAX_BODY} bytes`), { connection: 'close' });
      return;
    }
    if (path === '/_sim' || path.startsWith('/_sim/')) {
      await this.handleControl(method, path.slice('/_sim'.length), text, req, res);
      return;
    }

    let body: unknown;
    let bodyIsJson = false;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
        bodyIsJson = true;
      } catch {
        body = text;
      }
    }
    const entry: SimRequest = {
      seq: ++this.seq,
      time: this.now(),
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body,
    };
    if (
      path === '/trade' &&
      bodyIsJson &&
      typeof body === 'object' &&
      body !== null &&
      typeof (body as { action?: unknown }).action === 'string'
    ) {
      entry.action = (body as { action: string }).action;
    }
    this.log.push(entry);
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
    const reply = (status: number, value: unknown, headers?: Record<string, string>): void => {
      entry.status = status;
      this.send(res, status, value, headers);
    };

    if (!this.authorized(req)) {
      reply(401, errorBody('unauthorized', 'missing or wrong Authorization token'));
      return;
    }
    const route = this.route(method, url, text, bodyIsJson, body);
    if (route.kind === 'error') {
      reply(route.status, route.body, route.allow ? { allow: route.allow } : {});
      return;
    }

    const decision = this.faultSet.decide({
      path,
      trade: route.kind === 'trade',
      ...(route.kind === 'trade' ? { action: route.request.action } : {}),
    });
    const fault = decision.fault;
    if (fault) entry.fault = fault.kind;
    else if (decision.delayMs > 0) entry.fault = 'latency';
    const delay = async (): Promise<boolean> => this.sleep(decision.delayMs);

    switch (fault?.kind) {
      case 'down':
        req.socket.destroy();
        void this.goDown(fault.seconds ?? 5);
        return;
      case 'hang':
        // Never answer: the socket stays open until the client gives up or the sim closes.
        return;
      case 'http_500':
        if (await delay()) reply(500, errorBody('internal', 'internal error (simulated)'));
        return;
      case 'http_503':
        if (await delay()) reply(503, errorBody('busy', 'terminal not ready (simulated)'));
        return;
      case 'unauthorized':
        if (await delay()) reply(401, errorBody('unauthorized', 'token rejected (simulated)'));
        return;
      case 'trade_error':
        if (await delay()) reply(200, failure(fault.code ?? 2, 'simulated'));
        return;
      default:
        break;
    }

    const result = await this.process(route);
    if (result === undefined) return; // the sim closed meanwhile
    if (fault?.kind === 'execute_then_drop') {
      if (await delay()) req.socket.destroy();
      return;
    }
    let out = JSON.stringify(result.body);
    if (fault?.kind === 'malformed_json') out = malform(out);
    if (fault?.kind === 'wrong_types') out = JSON.stringify(corruptTypes(result.body));
    if (!(await delay())) return;
    entry.status = result.status;
    this.sendText(res, result.status, out);
  }

  private route(method: string, url: URL, text: string, bodyIsJson: boolean, body: unknown): Route {
    const path = url.pathname;
    const segments = path.split('/').slice(1);
    const notFound: Route = { kind: 'error', status: 404, body: errorBody('not_found', `no endpoint ${path}`) };
    const onlyGet = (r: Route): Route =>
      method === 'GET'
        ? r
        : { kind: 'error', status: 405, body: errorBody('method_not_allowed', `${method} ${path}: use GET`), allow: 'GET' };
    const symbolParam = (): string | undefined => {
      if (segments.length !== 2 || segments[1] === '') return undefined;
      try {
        return decodeURIComponent(segments[1]!);
      } catch {
        return undefined;
      }
    };
    switch (segments[0]) {
      case 'account':
        return segments.length === 1 ? onlyGet({ kind: 'account' }) : notFound;
      case 'positions':
        return segments.length === 1 ? onlyGet({ kind: 'positions' }) : notFound;
      case 'orders':
        return segments.length === 1 ? onlyGet({ kind: 'orders' }) : notFound;
      case 'tick':
      case 'symbol': {
        const symbol = symbolParam();
        if (symbol === undefined) return notFound;
        if (method !== 'GET') return onlyGet(notFound);
        if (segments[0] === 'symbol' && !this.symbolEndpoint) {
          return { kind: 'error', status: 404, body: errorBody('not_supported', 'this bridge has no /symbol endpoint') };
        }
        if (!this.engine.hasSymbol(symbol))
          return { kind: 'error', status: 404, body: errorBody('unknown_symbol', `unknown symbol ${symbol}`) };
        return segments[0] === 'tick' ? { kind: 'tick', symbol } : { kind: 'symbol', symbol };
      }
      case 'history': {
        if (segments.length !== 1) return notFound;
        if (method !== 'GET') return onlyGet(notFound);
        const times: Array<number | undefined> = [];
        for (const key of ['from', 'to'] as const) {
          const v = url.searchParams.get(key);
          if (v === null || v === '') {
            times.push(undefined);
            continue;
          }
          const t = Date.parse(v);
          if (Number.isNaN(t)) return { kind: 'error', status: 400, body: errorBody('bad_request', `${key}=${v} is not an ISO-8601 time`) };
          times.push(t);
        }
        return { kind: 'history', from: times[0], to: times[1] };
      }
      case 'trade': {
        if (segments.length !== 1) return notFound;
        if (method !== 'POST') {
          return { kind: 'error', status: 405, body: errorBody('method_not_allowed', `${method} /trade: use POST`), allow: 'POST' };
        }
        if (!bodyIsJson) {
          return {
            kind: 'error',
            status: 400,
            body: errorBody('bad_request', text.trim() === '' ? 'the body is empty' : 'the body is not valid JSON'),
          };
        }
        const parsed = parseTradeRequest(body);
        if (!parsed.ok) return { kind: 'error', status: 400, body: errorBody('bad_request', parsed.message) };
        return { kind: 'trade', request: parsed.request };
      }
      default:
        return notFound;
    }
  }

  /** The reply to a protocol request; undefined when the sim closed before it was done. */
  private async process(route: Exclude<Route, { kind: 'error' }>): Promise<Reply | undefined> {
    const e = this.engine;
    switch (route.kind) {
      case 'account':
        return { status: 200, body: e.account() };
      case 'tick': {
        const t = e.tick(route.symbol);
        return t ? { status: 200, body: t } : { status: 404, body: errorBody('unknown_symbol', `unknown symbol ${route.symbol}`) };
      }
      case 'symbol': {
        const s = e.symbolSpec(route.symbol);
        return s ? { status: 200, body: s } : { status: 404, body: errorBody('unknown_symbol', `unknown symbol ${route.symbol}`) };
      }
      case 'positions':
        return { status: 200, body: e.positions() };
      case 'orders':
        return { status: 200, body: e.orders() };
      case 'history':
        return { status: 200, body: e.history(route.from, route.to) };
      case 'trade': {
        const r = await this.runTrade(route.request);
        return r === undefined ? undefined : { status: 200, body: r };
      }
    }
  }

  /** One trade at a time: hold the context for tradeLatencyMs, then execute. */
  private async runTrade(request: TradeRequest): Promise<TradeReplyWire | undefined> {
    if (this.busyPolicy === 'reject') {
      if (!this.tradeContext.tryAcquire()) return failure(146, 'another trade is in progress');
    } else {
      await this.tradeContext.acquire();
    }
    try {
      if (!(await this.sleep(this.tradeLatencyMs)) || this.closed) return undefined;
      return this.engine.trade(request);
    } finally {
      this.tradeContext.release();
    }
  }

  // ---- the /_sim control path ---------------------------------------------------------------------

  private async handleControl(
    method: string,
    sub: string,
    text: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    if (!this.authorized(req)) {
      this.send(res, 401, errorBody('unauthorized', 'missing or wrong Authorization token'));
      return;
    }
    let body: unknown;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        this.send(res, 400, errorBody('bad_request', 'the body is not valid JSON'));
        return;
      }
    }
    try {
      const r = this.control(method, sub, body);
      this.send(res, r.status, r.body, r.allow ? { allow: r.allow } : {});
      if (r.after) {
        const after = r.after;
        res.once('finish', () => after());
      }
    } catch (err) {
      if (err instanceof SimInputError) {
        this.send(res, 400, errorBody('bad_request', err.message));
        return;
      }
      throw err;
    }
  }

  private control(method: string, sub: string, body: unknown): { status: number; body: unknown; allow?: string; after?: () => void } {
    const obj = (): Record<string, unknown> => {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SimInputError('the body must be a JSON object');
      return body as Record<string, unknown>;
    };
    const ok = (extra: Record<string, unknown> = {}): { status: number; body: unknown } => ({ status: 200, body: { ok: true, ...extra } });
    const methods = (allowed: string[]): { status: number; body: unknown; allow: string } => ({
      status: 405,
      body: errorBody('method_not_allowed', `${method} /_sim${sub}: use ${allowed.join(' or ')}`),
      allow: allowed.join(', '),
    });
    const [head, ...rest] = sub.split('/').slice(1);
    let param: string | undefined;
    try {
      param = rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined;
    } catch {
      throw new SimInputError(`bad path /_sim${sub}`);
    }
    const key = `${method} ${head ?? ''}${param === undefined ? '' : '/*'}`;
    switch (key) {
      case 'GET state':
        return ok({
          account: this.account(),
          positions: this.positions(),
          orders: this.orders(),
          history: this.history(0),
          quotes: this.engine.symbols().map((s) => this.engine.quote(s)),
          faults: this.faults(),
          clock: { now: this.now(), frozen: this.clockOverride !== null, server_time: this.engine.serverTime() },
        });
      case 'GET requests':
        return ok({ requests: this.requests() });
      case 'DELETE requests':
        this.clearRequests();
        return ok();
      case 'GET faults':
        return ok({ faults: this.faults() });
      case 'PUT faults':
        this.setFaults(validateFaults(obj().faults));
        return ok({ faults: this.faults() });
      case 'POST faults': {
        const o = obj();
        const added = o.faults !== undefined ? validateFaults(o.faults) : [validateFault(o.fault !== undefined ? o.fault : o)];
        for (const f of added) this.addFault(f);
        return ok({ faults: this.faults() });
      }
      case 'DELETE faults':
        this.clearFaults();
        return ok();
      case 'GET price/*': {
        const q = this.quote(param!);
        if (!q) throw new SimInputError(`unknown symbol ${param}`);
        return ok({ quote: q });
      }
      case 'POST price': {
        const o = obj();
        if (typeof o.symbol !== 'string') throw new SimInputError('symbol is required');
        if (o.bid === null) {
          this.unfreeze(o.symbol);
          return ok({ quote: this.quote(o.symbol) });
        }
        if (typeof o.bid !== 'number') throw new SimInputError('bid must be a number (or null to unfreeze)');
        return ok({ quote: this.setPrice(o.symbol, o.bid) });
      }
      case 'DELETE price':
        this.unfreeze();
        return ok();
      case 'DELETE price/*':
        this.unfreeze(param);
        return ok({ quote: this.quote(param!) });
      case 'GET clock':
        return ok({ now: this.now(), frozen: this.clockOverride !== null, server_time: this.engine.serverTime() });
      case 'POST clock': {
        const v = obj().now;
        this.setClock(v === null || v === undefined ? null : parseTime(v, 'now'));
        return ok({ now: this.now(), frozen: this.clockOverride !== null, server_time: this.engine.serverTime() });
      }
      case 'POST balance': {
        const b = obj().balance;
        if (typeof b !== 'number') throw new SimInputError('balance must be a number');
        this.setBalance(b);
        return ok({ account: this.account() });
      }
      case 'POST history': {
        const o = obj();
        const trades = Array.isArray(o.trades) ? o.trades : undefined;
        if (!trades) throw new SimInputError('trades must be an array');
        const adjust = o.adjust_balance;
        if (adjust !== undefined && typeof adjust !== 'boolean') throw new SimInputError('adjust_balance must be a boolean');
        return ok({ trades: this.addHistory(trades as HistoryInput[], { adjustBalance: adjust !== false }) });
      }
      case 'POST orders': {
        const o = obj();
        const order = { ...o, price: o.price ?? o.open_price } as Record<string, unknown>;
        delete order.open_price;
        return ok({ ticket: this.addPendingOrder(order as unknown as PendingOrderInput) });
      }
      case 'POST spec': {
        const { symbol, ...override } = obj();
        if (typeof symbol !== 'string') throw new SimInputError('symbol is required');
        this.setSpec(symbol, override as SpecOverride);
        return ok({ spec: this.engine.symbolSpec(symbol) });
      }
      case 'POST trading': {
        const allowed = obj().allowed;
        if (typeof allowed !== 'boolean') throw new SimInputError('allowed must be a boolean');
        this.setTradeAllowed(allowed);
        return ok();
      }
      case 'POST down': {
        const seconds = obj().seconds;
        if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
          throw new SimInputError('seconds (a number >= 0) is required: the control path is unreachable while down');
        }
        return { ...ok({ seconds }), after: () => void this.goDown(seconds) };
      }
      default: {
        const allowed: Record<string, string[]> = {
          state: ['GET'],
          requests: ['GET', 'DELETE'],
          faults: ['GET', 'PUT', 'POST', 'DELETE'],
          price: param === undefined ? ['POST', 'DELETE'] : ['GET', 'DELETE'],
          clock: ['GET', 'POST'],
          balance: ['POST'],
          history: ['POST'],
          orders: ['POST'],
          spec: ['POST'],
          trading: ['POST'],
          down: ['POST'],
        };
        const a = head !== undefined && (param === undefined || head === 'price') ? allowed[head] : undefined;
        if (a) return methods(a);
        return { status: 404, body: errorBody('not_found', `no control endpoint /_sim${sub}`) };
      }
    }
  }

  // ---- SimAgentControl --------------------------------------------------------------------------

  setFaults(faults: Fault[]): void {
    this.faultSet.set(validateFaults(faults));
  }

  addFault(fault: Fault): void {
    this.faultSet.add(validateFault(fault));
  }

  clearFaults(): void {
    this.faultSet.clear();
  }

  faults(): Fault[] {
    return this.faultSet.list();
  }

  requests(): SimRequest[] {
    return structuredClone(this.log);
  }

  clearRequests(): void {
    this.log = [];
  }
}
