// The MetaApi transport: the Bridge interface over MetaApi's cloud REST API (metaapi.cloud), for an
// MT4 account MetaApi connects to its broker — no terminal and no EA of one's own. HTTP, the token
// and rate limits are session.ts; MetaApi's shapes wire.ts; their mapping map.ts; trade codes
// codes.ts. See docs/transports.md and ../shared/contracts/metaapi-notes.md.
//
// mt4gw's order id travels as MetaApi's `clientId` (comment and clientId within 26 characters
// together) and comes back on positions, orders and deals. A trade whose outcome is unknown — a
// timeout, a dropped connection, -11, -7, an answer we cannot read — is a BridgeError with
// maybeExecuted, or MT4's 128, so the trading layer looks it up and never sends it again; for a
// while after one every read asks MetaApi to refresh the terminal's state first
// (refreshTerminalState), so the lookup sees what the terminal sees. -10 and a 404 account are
// "not sent".
import type { Secret } from '../../config/secret.js';
import { BridgeError } from '../errors.js';
import { mt4Code } from '../mt4codes.js';
import type { Account, ClosedTrade, PendingOrder, Position, SymbolSpec, Tick, TradeReply, TradeRequest } from '../schemas.js';
import { ALL_CAPABILITIES, type Bridge, type BridgeCapabilities } from '../transport.js';
import { classify, codeName } from './codes.js';
import {
  MappingError,
  brokerDayStart,
  brokerOffsetMinutes,
  closingDeals,
  openingDeals,
  pointFromPrice,
  specPoint,
  ticketOf,
  toAccount,
  toClosedTrade,
  toPendingOrder,
  toPosition,
  toSymbolSpec,
  toTick,
} from './map.js';
import { MetaApiSession, describeIssues, describeText, oneLine } from './session.js';
import {
  MAX_COMMENT_AND_CLIENT_ID,
  MaAccountSchema,
  MaDealSchema,
  MaOrderSchema,
  MaPositionSchema,
  MaPriceSchema,
  MaServerTimeSchema,
  MaSpecSchema,
  MaTradeResultSchema,
  type MaAccount,
  type MaDeal,
  type MaSpec,
  type MaTradeBody,
  type MaTradeResult,
} from './wire.js';

export interface MetaApiTarget {
  id: string;
  accountId: string;
  /** Origin and optional path prefix, no trailing slash. */
  baseUrl: string;
  timeoutMs: number;
  token: Secret | undefined;
}

export interface MetaApiClientOptions {
  /** Debug lines (`--verbose`). Never a header or the token. */
  log?: ((line: string) => void) | undefined;
}

/** After an unknown outcome, reads refresh the terminal's state for this long. */
const FRESH_READS_MS = 60_000;
/** MetaApi's page size for history. */
const PAGE = 1000;
/** At most this many pages of one history read (50 000 deals). */
const MAX_PAGES = 50;
/** A modify takes the stop it keeps from a listing this recent (the one the trading layer just made). */
const LISTING_REUSE_MS = 2_000;
/** A server-time answer serves concurrent reads for this long. */
const SERVER_TIME_REUSE_MS = 1_000;

/**
 * MetaApi can tell everything the trading layer asks: closed trades (from deals), pending orders,
 * symbol specs (specification + current price; the margin is estimated, MT4's specification has
 * none) and the broker's clock (server-time's brokerTime).
 */
export const METAAPI_CAPABILITIES: Readonly<BridgeCapabilities> = ALL_CAPABILITIES;

export class MetaApiClient implements Bridge {
  readonly agent: string;
  readonly transport = 'metaapi' as const;
  readonly capabilities = METAAPI_CAPABILITIES;
  readonly #s: MetaApiSession;
  readonly #log: ((line: string) => void) | undefined;
  readonly #specs = new Map<string, Promise<MaSpec>>();
  #freshUntil = 0;
  /** The last listing of positions and when it was made: a modify keeps the stop it does not change from it. */
  #listed: { at: number; rows: Position[] } | undefined;
  #leverage: number | undefined;
  #accountInFlight: Promise<MaAccount> | undefined;
  #serverTime: { promise: Promise<{ ms: number; offsetMinutes: number }>; at: number } | undefined;

  constructor(target: MetaApiTarget, options: MetaApiClientOptions = {}) {
    this.agent = target.id;
    this.#log = options.log;
    this.#s = new MetaApiSession({
      agent: target.id,
      baseUrl: target.baseUrl,
      accountId: target.accountId,
      token: target.token,
      timeoutMs: target.timeoutMs,
      log: options.log,
    });
  }

  /** Where this client sends (for messages): MetaApi's origin. */
  get origin(): string {
    return this.#s.origin;
  }

  // ---- reads --------------------------------------------------------------------------------

  async account(): Promise<Account> {
    const [a, server] = await Promise.all([this.#accountInfo(), this.#brokerClock()]);
    return toAccount(a, server);
  }

  async tick(symbol: string): Promise<Tick> {
    const rel = `symbols/${encodeURIComponent(symbol)}`;
    const endpoint = `GET /${rel}/current-price`;
    // The spec gives the point the spread is counted in; it is asked once per symbol.
    const [price, spec] = await Promise.all([
      this.#s.get(`${rel}/current-price`, MaPriceSchema, endpoint),
      this.#spec(symbol).catch(() => undefined),
    ]);
    return this.#mapped(endpoint, () => toTick(price, spec ? specPoint(spec) : pointFromPrice(price.bid, price.ask)));
  }

  async symbol(symbol: string): Promise<SymbolSpec | undefined> {
    const rel = `symbols/${encodeURIComponent(symbol)}`;
    const [spec, price, leverage] = await Promise.all([
      this.#spec(symbol),
      this.#s.get(`${rel}/current-price`, MaPriceSchema, `GET /${rel}/current-price`),
      this.#leverage === undefined ? this.#accountInfo().then((a) => a.leverage) : Promise.resolve(this.#leverage),
    ]);
    return toSymbolSpec(spec, price, leverage);
  }

  async positions(): Promise<Position[]> {
    const rows = await this.#s.get('positions', MaPositionSchema.array(), 'GET /positions', this.#freshQuery());
    const positions = this.#mapped('GET /positions', () => rows.map(toPosition).sort((a, b) => a.ticket - b.ticket));
    this.#listed = { at: Date.now(), rows: positions };
    return positions;
  }

  async orders(): Promise<PendingOrder[]> {
    const rows = await this.#s.get('orders', MaOrderSchema.array(), 'GET /orders', this.#freshQuery());
    return this.#mapped('GET /orders', () =>
      rows
        .map(toPendingOrder)
        .filter((o): o is PendingOrder => o !== undefined)
        .sort((a, b) => a.ticket - b.ticket),
    );
  }

  /**
   * Trades closed in [from, to): one per closing deal, its open side from the position's opening
   * deal (looked up by position when it is older than the range). Without `from`, since the
   * broker's midnight.
   */
  async history(range: { from?: Date; to?: Date } = {}): Promise<ClosedTrade[]> {
    let from = range.from?.getTime();
    let to = range.to?.getTime();
    if (from === undefined || to === undefined) {
      const clock = await this.#brokerClock();
      from ??= brokerDayStart(clock.ms, clock.offsetMinutes);
      to ??= clock.ms + 60_000;
    }
    const endpoint = 'GET /history-deals/time';
    const deals = await this.#dealsBetween(from, to);
    const closing = closingDeals(deals, from, to);
    const opening = openingDeals(deals);
    const missing = [...new Set(closing.map((d) => d.positionId!).filter((p) => !opening.has(p)))];
    await Promise.all(
      missing.map(async (positionId) => {
        const rel = `history-deals/position/${encodeURIComponent(positionId)}`;
        // Not in the notes: an API without it (404) leaves the closing deal alone, which still
        // carries the profit the daily loss counts.
        const found = await this.#s
          .get(rel, MaDealSchema.array(), 'GET /history-deals/position', this.#freshQuery())
          .catch((e: unknown) => {
            if (e instanceof BridgeError && e.status === 404) return [];
            throw e;
          });
        const open = openingDeals(found).get(positionId);
        if (open) opening.set(positionId, open);
        else this.#log?.(`${this.agent}: no opening deal for position ${positionId}; its open price is shown as the close's`);
      }),
    );
    return this.#mapped(endpoint, () => closing.map((d) => toClosedTrade(d, opening.get(d.positionId!))));
  }

  async #dealsBetween(from: number, to: number): Promise<MaDeal[]> {
    const rel = `history-deals/time/${encodeURIComponent(new Date(from).toISOString())}/${encodeURIComponent(new Date(to).toISOString())}`;
    const out: MaDeal[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const rows = await this.#s.get(rel, MaDealSchema.array(), 'GET /history-deals/time', {
        ...this.#freshQuery(),
        offset: String(page * PAGE),
        limit: String(PAGE),
      });
      out.push(...rows);
      if (rows.length < PAGE) return out;
    }
    throw new BridgeError('protocol', this.agent, 'GET /history-deals/time', `more than ${MAX_PAGES * PAGE} deals in the range: narrow it`);
  }

  // ---- trades -------------------------------------------------------------------------------

  async trade(request: TradeRequest): Promise<TradeReply> {
    const endpoint = `POST /trade (${request.action})`;
    const body = await this.#tradeBody(request);
    if ('reply' in body) return body.reply;
    let answer: Awaited<ReturnType<MetaApiSession['trade']>>;
    try {
      answer = await this.#s.trade(body.wire, endpoint);
    } catch (e) {
      if (e instanceof BridgeError && e.maybeExecuted) this.#unknownOutcome();
      throw e;
    }
    let result: MaTradeResult;
    if (answer.error) {
      // A 4xx: a trade error carries MetaApi's code; anything else (400 ValidationError) refused it.
      if (answer.error.numericCode === undefined || answer.error.numericCode === null) {
        const code = answer.status === 400 ? 3 : 2;
        return failure(
          code,
          `MetaApi refused the request (${answer.status} ${answer.error.error}: ${oneLine(answer.error.message ?? '')}); nothing was executed`,
        );
      }
      result = {
        numericCode: answer.error.numericCode,
        stringCode: answer.error.stringCode ?? '',
        message: answer.error.message ?? '',
        orderId: undefined,
        positionId: undefined,
      };
    } else {
      result = this.#tradeResult(answer.text, endpoint);
    }
    return this.#interpret(request, result, endpoint);
  }

  #tradeResult(text: string, endpoint: string): MaTradeResult {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.#unknownOutcome();
      throw new BridgeError('protocol', this.agent, endpoint, `answered invalid JSON (${describeText(text)})`, {
        status: 200,
        maybeExecuted: true,
      });
    }
    const parsed = MaTradeResultSchema.safeParse(json);
    if (!parsed.success) {
      this.#unknownOutcome();
      throw new BridgeError('protocol', this.agent, endpoint, `answered outside MetaApi's format: ${describeIssues(parsed.error.issues)}`, {
        status: 200,
        maybeExecuted: true,
      });
    }
    return parsed.data;
  }

  async #interpret(request: TradeRequest, r: MaTradeResult, endpoint: string): Promise<TradeReply> {
    const what = `MetaApi ${codeName(r.numericCode, r.stringCode)}${r.message ? `: ${oneLine(r.message)}` : ''}`;
    const outcome = classify(r.numericCode, request.action);
    switch (outcome.kind) {
      case 'unknown':
        this.#unknownOutcome();
        throw new BridgeError('timeout', this.agent, endpoint, `${what}; the result is unknown`, {
          maybeExecuted: true,
          hint: 'MetaApi lost touch with the broker during the trade: mt4gw looks the order up by its client id and never sends it again.',
        });
      case 'not_sent':
        throw new BridgeError('not_connected', this.agent, endpoint, `${what}; it never reached the broker, nothing was executed`, {
          hint: 'MetaApi is not connected to the broker right now; check the account in MetaApi, then try again.',
        });
      case 'failed':
        return failure(
          outcome.code,
          // The broker's words first, as MT4 gives them; MetaApi's code after.
          `${r.message ? oneLine(r.message) : mt4Code(outcome.code).meaning} (MetaApi ${codeName(r.numericCode, r.stringCode)}${outcome.code !== r.numericCode ? `, as MT4 ${outcome.code}: ${mt4Code(outcome.code).meaning}` : ''})`,
        );
      case 'done':
        // Its stops or lots have changed: the last listing no longer says what they are.
        this.#listed = undefined;
        break;
    }
    if (!('ticket' in request)) {
      const id = r.positionId ?? r.orderId;
      let ticket: number | null = null;
      if (id !== undefined && id !== null) {
        try {
          ticket = ticketOf(id);
        } catch {
          ticket = null;
        }
      }
      // MetaApi's answer has no price: the position says what it was filled at (a read that fails
      // leaves it unknown). Without a ticket the trading layer finds the order by its client id.
      const price =
        ticket === null ? null : ((await this.positions().catch(() => [])).find((p) => p.ticket === ticket)?.open_price ?? null);
      return { success: true, ticket, price, message: what, error_code: 0, new_ticket: null };
    }
    const ticket = request.ticket;
    if (request.action === 'close' && request.lots !== undefined) {
      // MT4 leaves the rest open under a new ticket commented `from #<old>`.
      const rest = await this.positions()
        .then((ps) => ps.find((p) => p.comment.startsWith(`from #${ticket}`)))
        .catch(() => undefined);
      return { success: true, ticket, price: null, message: what, error_code: 0, new_ticket: rest?.ticket ?? null };
    }
    return { success: true, ticket, price: null, message: what, error_code: 0, new_ticket: null };
  }

  /** The MetaApi body of a request, or a reply when it cannot be sent (nothing is). */
  async #tradeBody(request: TradeRequest): Promise<{ wire: MaTradeBody } | { reply: TradeReply }> {
    switch (request.action) {
      case 'buy':
      case 'sell': {
        const clientId = request.client_id;
        const room = MAX_COMMENT_AND_CLIENT_ID - (clientId?.length ?? 0);
        const comment = Array.from(request.comment ?? '')
          .slice(0, Math.max(0, room))
          .join('');
        return {
          wire: {
            actionType: request.action === 'buy' ? 'ORDER_TYPE_BUY' : 'ORDER_TYPE_SELL',
            symbol: request.symbol,
            volume: request.lots,
            ...(request.sl ? { stopLoss: request.sl } : {}),
            ...(request.tp ? { takeProfit: request.tp } : {}),
            ...(comment ? { comment } : {}),
            ...(clientId ? { clientId } : {}),
            ...(request.magic !== undefined ? { magic: request.magic } : {}),
            ...(request.slippage !== undefined ? { slippage: request.slippage } : {}),
          },
        };
      }
      case 'close':
        return {
          wire:
            request.lots === undefined
              ? { actionType: 'POSITION_CLOSE_ID', positionId: String(request.ticket) }
              : { actionType: 'POSITION_PARTIAL', positionId: String(request.ticket), volume: request.lots },
        };
      case 'delete':
        return { wire: { actionType: 'ORDER_CANCEL', orderId: String(request.ticket) } };
      case 'modify': {
        // MetaApi sets both stops of a position at once: a stop the request leaves as it is comes
        // from the listing the caller has just made (not older than LISTING_REUSE_MS), else from a new one.
        const keep = (v: number | null | undefined, current: number | null): number =>
          v === undefined ? (current ?? 0) : v === null ? 0 : v;
        const recent = this.#listed && Date.now() - this.#listed.at < LISTING_REUSE_MS ? this.#listed.rows : undefined;
        const positions = recent ?? (await this.positions());
        const p = positions.find((x) => x.ticket === request.ticket);
        if (p)
          return {
            wire: {
              actionType: 'POSITION_MODIFY',
              positionId: String(request.ticket),
              stopLoss: keep(request.sl, p.sl),
              takeProfit: keep(request.tp, p.tp),
            },
          };
        const o = (await this.orders()).find((x) => x.ticket === request.ticket);
        if (o)
          return {
            wire: {
              actionType: 'ORDER_MODIFY',
              orderId: String(request.ticket),
              openPrice: o.open_price,
              stopLoss: keep(request.sl, o.sl),
              takeProfit: keep(request.tp, o.tp),
            },
          };
        return { reply: failure(4108, `ticket ${request.ticket} is neither an open position nor a pending order; nothing was sent`) };
      }
    }
  }

  async close(): Promise<void> {
    await this.#s.close();
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** An outcome is unknown: reads refresh the terminal's state for a while, so a lookup sees what it did. */
  #unknownOutcome(): void {
    this.#freshUntil = Date.now() + FRESH_READS_MS;
  }

  #freshQuery(): Record<string, string> {
    return Date.now() < this.#freshUntil ? { refreshTerminalState: 'true' } : {};
  }

  #spec(symbol: string): Promise<MaSpec> {
    let p = this.#specs.get(symbol);
    if (!p) {
      const rel = `symbols/${encodeURIComponent(symbol)}/specification`;
      p = this.#s.get(rel, MaSpecSchema, `GET /${rel}`);
      this.#specs.set(symbol, p);
      p.catch(() => this.#specs.delete(symbol));
    }
    return p;
  }

  /** account-information; a read in progress serves the reads made meanwhile (an order reads it and the spec at once). */
  #accountInfo(): Promise<MaAccount> {
    this.#accountInFlight ??= this.#s
      .get('account-information', MaAccountSchema, 'GET /account-information')
      .then((a) => {
        this.#leverage = a.leverage;
        return a;
      })
      .finally(() => {
        this.#accountInFlight = undefined;
      });
    return this.#accountInFlight;
  }

  /** The broker's clock now and its UTC offset, from server-time (one answer serves concurrent reads). */
  #brokerClock(): Promise<{ ms: number; offsetMinutes: number }> {
    const now = Date.now();
    if (this.#serverTime && now - this.#serverTime.at < SERVER_TIME_REUSE_MS) {
      const { promise, at } = this.#serverTime;
      return promise.then((c) => ({ ms: c.ms + (Date.now() - at), offsetMinutes: c.offsetMinutes }));
    }
    const endpoint = 'GET /server-time';
    const promise = this.#s.get('server-time', MaServerTimeSchema, endpoint).then((t) => {
      const offsetMinutes = brokerOffsetMinutes(t);
      if (offsetMinutes === undefined)
        throw new BridgeError(
          'protocol',
          this.agent,
          endpoint,
          `answered a brokerTime that cannot be read (${JSON.stringify(t.brokerTime.slice(0, 40))})`,
        );
      return { ms: Date.parse(t.time), offsetMinutes };
    });
    this.#serverTime = { promise, at: now };
    promise.catch(() => {
      if (this.#serverTime?.promise === promise) this.#serverTime = undefined;
    });
    return promise;
  }

  /** Runs a mapping; an answer that validated but cannot be mapped is a protocol error of that endpoint. */
  #mapped<T>(endpoint: string, map: () => T): T {
    try {
      return map();
    } catch (e) {
      if (e instanceof MappingError)
        throw new BridgeError('protocol', this.agent, endpoint, `answered outside MetaApi's format: ${e.message}`);
      throw e;
    }
  }
}

function failure(code: number, message: string): TradeReply {
  return { success: false, ticket: null, price: null, message: message || mt4Code(code).meaning, error_code: code, new_ticket: null };
}
