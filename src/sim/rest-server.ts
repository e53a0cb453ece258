// The EA Bridge REST front (protocol v1, ../shared/contracts/bridge-protocol-v1.md): routes each
// request onto the engine, applies the faults, and runs trades in the terminal's single trade
// context. Everything else (HTTP, the token, the control path, the log) is http-terminal.ts.
import type { TradeRequest } from '../bridge/schemas.js';
import { corruptTypes, malform } from './faults.js';
import { type ErrorReply, errorBody, type HttpExchange, HttpTerminal, type HttpTerminalConfig } from './http-terminal.js';
import { failure } from './mt4.js';
import { PaperTerminal } from './terminal.js';
import { parseTradeRequest } from './trade-request.js';
import type { SimRequest } from './types.js';

export interface RestTerminalConfig extends HttpTerminalConfig {
  /** false: GET /symbol/{symbol} answers 404 not_supported, like a minimal bridge. */
  symbolEndpoint: boolean;
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

export class RestTerminal extends HttpTerminal {
  readonly transport = 'rest' as const;
  private readonly symbolEndpoint: boolean;

  constructor(cfg: RestTerminalConfig) {
    super(cfg);
    this.symbolEndpoint = cfg.symbolEndpoint;
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
    const action =
      path === '/trade' &&
      bodyIsJson &&
      typeof body === 'object' &&
      body !== null &&
      typeof (body as { action?: unknown }).action === 'string'
        ? (body as { action: string }).action
        : undefined;
    const entry = this.logExchange(x, {
      time: this.now(),
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body,
      ...(action === undefined ? {} : { action }),
    });
    const fired: SimRequest['faults'] = [];
    // echo_token first: it reaches the 401, 400, 404 and 405 bodies too.
    if (this.faultSet.echoes({ path, trade: method === 'POST' && action !== undefined, ...(action === undefined ? {} : { action }) })) {
      x.echo = true;
      fired.push('echo_token');
    }
    const note = (): void => {
      if (fired.length === 0) return;
      entry.faults = [...fired];
      entry.fault ??= fired[0];
    };
    note();

    if (!this.authorized(req)) {
      this.answer(x, 401, errorBody('unauthorized', `missing or wrong ${this.tokenHeader} token`));
      return;
    }
    const route = this.route(method, url, text, bodyIsJson, body);
    if (route.kind === 'error') {
      this.answer(x, route.status, route.body, route.allow ? { allow: route.allow } : {});
      return;
    }

    const decision = this.faultSet.decide({
      path,
      trade: route.kind === 'trade',
      ...(route.kind === 'trade' ? { action: route.request.action } : {}),
    });
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
        // Never answer: the socket stays open until the client gives up or the sim closes.
        return;
      case 'http_500':
        if (await delay()) this.answer(x, 500, errorBody('internal', 'internal error (simulated)'));
        return;
      case 'http_503':
        if (await delay()) this.answer(x, 503, errorBody('busy', 'terminal not ready (simulated)'));
        return;
      case 'unauthorized':
        if (await delay()) this.answer(x, 401, errorBody('unauthorized', 'token rejected (simulated)'));
        return;
      case 'trade_error': {
        const r = failure(fault.code ?? 2, 'simulated');
        PaperTerminal.noteOutcome(entry, r);
        if (await delay()) this.answer(x, 200, r);
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
    const shaped = this.shaped(x, result.body);
    let out = JSON.stringify(shaped);
    if (fault?.kind === 'malformed_json') out = malform(out);
    if (fault?.kind === 'wrong_types') out = JSON.stringify(corruptTypes(shaped));
    if (!(await delay())) return;
    this.answerText(x, result.status, out);
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
  private async process(route: Exclude<Route, { kind: 'error' }>, entry: SimRequest): Promise<Reply | undefined> {
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
        const r = await this.inTradeContext(entry, () => this.engine.trade(route.request));
        if (r === undefined) return undefined;
        PaperTerminal.noteOutcome(entry, r);
        return { status: 200, body: r };
      }
    }
  }
}
