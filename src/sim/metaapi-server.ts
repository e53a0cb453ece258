// The MetaApi paper bridge: MetaApi's client REST API (../shared/contracts/metaapi-notes.md) on a
// loopback port, in front of the same engine as the other fronts — the `auth-token` header, the
// /users/current/accounts/<id>/… paths, MetaApi's shapes (metaapi-wire.ts) and codes.
//
// Faults (faults.ts) match each request as the REST request it stands for — account-information
// is /account, positions /positions, orders /orders, history-deals and history-orders /history
// (history-deals/position/<id> /history/position/<id>),
// symbols/X/current-price /tick/X, symbols/X/specification /symbol/X, server-time /server-time,
// POST trade /trade with the action buy, sell, close, modify or delete — and the request log
// records that path (wirePath is the real one). Besides the shared faults: trade_error with an MT4
// code, or MetaApi's own (-11, -10, -7, -5), answered without executing; execute_then_error: executed,
// then answered with that code (default -11: the outcome unknown to the client); http_429: 429
// TooManyRequestsError with Retry-After and metadata.recommendedRetryTime (variant metadata,
// details, or only the header); not_connected: 404 "not found or not provisioned". A refused trade
// is answered as HTTP 200 with its numericCode, or as a 400 TradeError (trade_errors '4xx'): the
// notes leave open which MetaApi does.
import type { TradeRequest } from '../bridge/schemas.js';
import { corruptTypes, malform } from './faults.js';
import { type HttpExchange, HttpTerminal, type HttpTerminalConfig } from './http-terminal.js';
import {
  maAccount,
  maDeals,
  maHistoryOrders,
  maOrder,
  maPosition,
  maPrice,
  maServerTime,
  maSpec,
  maTradeError,
  maTradeResult,
  parseMaTrade,
  type MaTradeResultWire,
} from './metaapi-wire.js';
import { failure } from './mt4.js';
import { PaperTerminal } from './terminal.js';
import type { MetaApiTradeErrors, SimRequest } from './types.js';

export interface MetaApiTerminalConfig extends HttpTerminalConfig {
  accountId: string;
  tradeErrors: MetaApiTradeErrors;
  brokerOffsetMinutes: number;
}

/** A UUID-shaped account id made from the agent id, stable across runs. */
export function simAccountId(agentId: string): string {
  let h = 0x811c9dc5;
  const bytes: number[] = [];
  for (let i = 0; i < 16; i++) {
    for (const c of `${agentId}:${i}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    bytes.push(h & 0xff);
  }
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

type Route =
  | { kind: 'account' }
  | { kind: 'server-time' }
  | { kind: 'positions' }
  | { kind: 'orders' }
  | { kind: 'deals'; from: number; to: number; offset: number; limit: number }
  | { kind: 'deals-of'; position: string }
  | { kind: 'history-orders'; from: number; to: number; offset: number; limit: number }
  | { kind: 'price'; symbol: string }
  | { kind: 'spec'; symbol: string }
  | { kind: 'trade'; request: TradeRequest }
  | { kind: 'error'; status: number; error: string; message: string };

const ACCOUNTS = '/users/current/accounts/';
/** MetaApi's answers that are not failures (DONE, NO_CHANGES): always HTTP 200. */
const SUCCESS_CODES = new Set([0, 10008, 10009, 10010, 10025]);

export class MetaApiTerminal extends HttpTerminal {
  readonly transport = 'metaapi' as const;
  readonly accountId: string;
  tradeErrors: MetaApiTradeErrors;
  private readonly offset: number;

  constructor(cfg: MetaApiTerminalConfig) {
    super({ ...cfg, tokenHeader: 'auth-token' });
    this.accountId = cfg.accountId;
    this.tradeErrors = cfg.tradeErrors;
    this.offset = cfg.brokerOffsetMinutes;
  }

  /** What agents.yml's mt4.base_url is for this agent. */
  get baseUrl(): string {
    return this.url;
  }

  protected async serveProtocol(x: HttpExchange): Promise<void> {
    const { req, method, url, path, text } = x;
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
    const route = this.route(method, url, bodyIsJson, body);
    const standsFor = this.restPath(route, path);
    const action = route.kind === 'trade' ? route.request.action : undefined;
    const entry = this.logExchange(x, {
      time: this.now(),
      method,
      path: standsFor,
      wirePath: path,
      query: Object.fromEntries(url.searchParams),
      body,
      ...(action === undefined ? {} : { action }),
    });
    const fired: SimRequest['faults'] = [];
    const target = { path: standsFor, trade: route.kind === 'trade', ...(action === undefined ? {} : { action }) };
    if (this.faultSet.echoes(target)) {
      x.echo = true;
      fired.push('echo_token');
    }
    const note = (): void => {
      if (fired.length === 0) return;
      entry.faults = [...fired];
      entry.fault ??= fired[0];
    };
    note();
    const error = (status: number, name: string, message: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) =>
      this.answer(x, status, { id: 1, error: name, message, ...extra }, headers);

    if (!this.authorized(req)) {
      error(401, 'UnauthorizedError', 'Authorization token invalid');
      return;
    }
    if (route.kind === 'error') {
      error(route.status, route.error, route.message);
      return;
    }

    const decision = this.faultSet.decide(target);
    const fault = decision.fault;
    if (fault) entry.fault = fault.kind;
    fired.push(...decision.fired);
    note();
    if (decision.holdSeconds !== undefined) this.tradeContext.hold(decision.holdSeconds);
    const delay = async (): Promise<boolean> => this.sleep(decision.delayMs);

    switch (fault?.kind) {
      case 'down':
        req.socket.destroy();
        void this.goDown(fault.seconds ?? 5);
        return;
      case 'hang':
        return;
      case 'http_500':
        if (await delay()) error(500, 'InternalError', 'internal error (simulated)');
        return;
      case 'http_503':
        if (await delay()) error(503, 'ServiceUnavailableError', 'service unavailable (simulated)');
        return;
      case 'unauthorized':
        if (await delay()) error(401, 'UnauthorizedError', 'token rejected (simulated)');
        return;
      case 'not_connected':
        if (await delay()) error(404, 'NotFoundError', `Account ${this.accountId} not found or not provisioned yet (simulated)`);
        return;
      case 'http_429': {
        const seconds = fault.seconds ?? 1;
        const at = new Date(Date.now() + seconds * 1000).toISOString();
        const metadata = {
          periodInMinutes: 1,
          requestsPerPeriodAllowed: 100,
          recommendedRetryTime: at,
          type: 'LIMIT_REQUEST_RATE_PER_USER',
        };
        const variant = fault.variant ?? 'metadata';
        const extra = variant === 'metadata' ? { metadata } : variant === 'details' ? { details: metadata } : {};
        if (await delay())
          error(
            429,
            'TooManyRequestsError',
            'The API allows 100 requests per 1 minute to avoid overloading our servers (simulated)',
            extra,
            { 'retry-after': String(Math.max(1, Math.ceil(seconds))) },
          );
        return;
      }
      case 'trade_error': {
        const code = fault.code ?? 2;
        PaperTerminal.noteOutcome(entry, { ...failure(code >= 0 ? code : 2, 'simulated'), error_code: code });
        // MT4's words for an MT4 code, as the REST bridge answers; MetaApi's own codes say only "simulated".
        if (await delay()) this.tradeAnswer(x, maTradeError(code, code >= 0 ? failure(code, 'simulated').message : 'simulated'));
        return;
      }
      default:
        break;
    }

    const result = await this.process(route, entry);
    if (result === undefined) return; // the sim closed meanwhile
    if (fault?.kind === 'execute_then_drop') {
      if (await delay()) req.socket.destroy();
      return;
    }
    if (fault?.kind === 'execute_then_error') {
      if (await delay()) this.tradeAnswer(x, maTradeError(fault.code ?? -11, 'simulated after executing'));
      return;
    }
    if (route.kind === 'trade' && !SUCCESS_CODES.has((result.body as MaTradeResultWire).numericCode)) {
      if (await delay()) this.tradeAnswer(x, result.body as MaTradeResultWire, fault?.kind);
      return;
    }
    const shaped = this.shaped(x, result.body);
    let out = JSON.stringify(shaped);
    if (fault?.kind === 'malformed_json') out = malform(out);
    if (fault?.kind === 'wrong_types') out = JSON.stringify(corruptTypes(shaped));
    if (!(await delay())) return;
    this.answerText(x, result.status, out);
  }

  /** A refused trade, as HTTP 200 with its code or as a 400 TradeError (the two readings of the notes). */
  private tradeAnswer(x: HttpExchange, r: MaTradeResultWire, corrupt?: string): void {
    const shaped =
      this.tradeErrors === '4xx'
        ? (this.shaped(x, {
            id: 1,
            error: 'TradeError',
            message: r.message,
            numericCode: r.numericCode,
            stringCode: r.stringCode,
          }) as object)
        : (this.shaped(x, r) as object);
    let out = JSON.stringify(shaped);
    if (corrupt === 'malformed_json') out = malform(out);
    if (corrupt === 'wrong_types') out = JSON.stringify(corruptTypes(shaped));
    this.answerText(x, this.tradeErrors === '4xx' ? 400 : 200, out);
  }

  /** The REST path a request stands for: what its faults match and its log entry says. */
  private restPath(route: Route, path: string): string {
    switch (route.kind) {
      case 'account':
        return '/account';
      case 'server-time':
        return '/server-time';
      case 'positions':
        return '/positions';
      case 'orders':
        return '/orders';
      case 'deals':
      case 'history-orders':
        return '/history';
      case 'deals-of':
        return `/history/position/${route.position}`;
      case 'price':
        return `/tick/${route.symbol}`;
      case 'spec':
        return `/symbol/${route.symbol}`;
      case 'trade':
        return '/trade';
      case 'error':
        return path;
    }
  }

  private route(method: string, url: URL, bodyIsJson: boolean, body: unknown): Route {
    const path = url.pathname;
    const notFound = (message = `no endpoint ${method} ${path}`): Route => ({
      kind: 'error',
      status: 404,
      error: 'NotFoundError',
      message,
    });
    if (!path.startsWith(ACCOUNTS)) return notFound();
    const [account, ...rest] = path.slice(ACCOUNTS.length).split('/');
    let segs: string[];
    try {
      segs = rest.map(decodeURIComponent);
    } catch {
      return notFound();
    }
    if (account !== this.accountId) return notFound(`Account ${account ?? ''} not found`);
    const get = (r: Route): Route =>
      method === 'GET' ? r : { kind: 'error', status: 405, error: 'MethodNotAllowedError', message: `${method} ${path}: use GET` };
    const range = (kind: 'deals' | 'history-orders'): Route => {
      const from = Date.parse(segs[2] ?? '');
      const to = Date.parse(segs[3] ?? '');
      if (segs.length !== 4 || !Number.isFinite(from) || !Number.isFinite(to))
        return { kind: 'error', status: 400, error: 'ValidationError', message: 'expected …/time/<startTime>/<endTime> in ISO format' };
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 1000);
      if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1 || limit > 1000)
        return { kind: 'error', status: 400, error: 'ValidationError', message: 'offset must be >= 0 and limit 1..1000' };
      return get({ kind, from, to, offset, limit });
    };
    const head = segs.join('/');
    if (head === 'account-information') return get({ kind: 'account' });
    if (head === 'server-time') return get({ kind: 'server-time' });
    if (head === 'positions') return get({ kind: 'positions' });
    if (head === 'orders') return get({ kind: 'orders' });
    if (segs[0] === 'history-deals' && segs[1] === 'time') return range('deals');
    if (segs[0] === 'history-orders' && segs[1] === 'time') return range('history-orders');
    if (segs[0] === 'history-deals' && segs[1] === 'position' && segs.length === 3) return get({ kind: 'deals-of', position: segs[2]! });
    if (segs[0] === 'symbols' && segs.length === 3 && (segs[2] === 'current-price' || segs[2] === 'specification')) {
      const symbol = segs[1]!;
      if (!this.engine.hasSymbol(symbol))
        return get({ kind: 'error', status: 404, error: 'NotFoundError', message: `Symbol ${symbol} not found` });
      return get(segs[2] === 'current-price' ? { kind: 'price', symbol } : { kind: 'spec', symbol });
    }
    if (head === 'trade') {
      if (method !== 'POST') return { kind: 'error', status: 405, error: 'MethodNotAllowedError', message: `${method} ${path}: use POST` };
      if (!bodyIsJson) return { kind: 'error', status: 400, error: 'ValidationError', message: 'the body is not valid JSON' };
      const parsed = parseMaTrade(body);
      if (!parsed.ok) return { kind: 'error', status: 400, error: 'ValidationError', message: `Validation failed: ${parsed.message}` };
      return { kind: 'trade', request: parsed.request };
    }
    return notFound();
  }

  private clientIds(): Map<number, string> {
    const s = this.engine.state();
    const out = new Map<number, string>();
    for (const x of [...s.positions, ...s.orders, ...s.history]) if (x.clientId !== undefined) out.set(x.ticket, x.clientId);
    return out;
  }

  private tickValue(symbol: string): number {
    return this.engine.symbolSpec(symbol)?.tick_value ?? 0;
  }

  private async process(
    route: Exclude<Route, { kind: 'error' }>,
    entry: SimRequest,
  ): Promise<{ status: number; body: unknown } | undefined> {
    const e = this.engine;
    const ok = (body: unknown) => ({ status: 200, body });
    switch (route.kind) {
      case 'account':
        return ok(maAccount(e.account()));
      case 'server-time':
        return ok(maServerTime(this.now(), this.offset));
      case 'positions': {
        const ids = this.clientIds();
        return ok(e.positions().map((p) => maPosition(p, ids.get(p.ticket), this.tickValue(p.symbol), this.offset)));
      }
      case 'orders': {
        const ids = this.clientIds();
        return ok(
          e.orders().map((o) => {
            const q = e.quote(o.symbol);
            const current = q ? (o.type.startsWith('buy') ? q.ask : q.bid) : o.open_price;
            return maOrder(o, ids.get(o.ticket), current, this.offset);
          }),
        );
      }
      case 'deals': {
        const all = maDeals(e.state(), this.offset).filter((d) => {
          const t = Date.parse(d.time);
          return t >= route.from && t < route.to;
        });
        return ok(all.slice(route.offset, route.offset + route.limit));
      }
      case 'deals-of':
        return ok(maDeals(e.state(), this.offset).filter((d) => d.positionId === route.position));
      case 'history-orders': {
        const all = maHistoryOrders(e.state(), this.offset)
          .filter((o) => o.closeTime >= route.from && o.closeTime < route.to)
          .map(({ closeTime: _, ...o }) => o);
        return ok(all.slice(route.offset, route.offset + route.limit));
      }
      case 'price': {
        const t = e.tick(route.symbol);
        return t ? ok(maPrice(t, this.tickValue(route.symbol), this.now(), this.offset)) : undefined;
      }
      case 'spec': {
        const s = e.symbolSpec(route.symbol);
        return s ? ok(maSpec(s)) : undefined;
      }
      case 'trade': {
        const r = await this.inTradeContext(entry, () => this.engine.trade(route.request));
        if (r === undefined) return undefined;
        PaperTerminal.noteOutcome(entry, r);
        return ok(maTradeResult(r, route.request.action));
      }
    }
  }
}
