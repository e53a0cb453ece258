// Trade requests over DWX, and what proves their outcome. The EA's word is not enough: closes,
// modifies and deletes look the ticket up first and list again afterwards; buys and sells open
// without stops and then set them with MODIFY from the actual open price (as the EA itself does in
// DMA mode, but without its SL=0 pitfall), closing the trade again if that fails.
//
// Nothing here is sent twice unless the EA proved it did not execute it (an aborted command).
import { clientIdOf, commentWithClientId } from '../client-id.js';
import { BridgeError } from '../errors.js';
import { isSafeToRetry, mt4Code } from '../mt4codes.js';
import type { TradeReply, TradeRequest } from '../schemas.js';
import { asDict, asNumber, asString, type DwxDict } from './parser.js';
import {
  ABORTED,
  SAFE_SYMBOL,
  abortedMessage,
  abortedReason,
  interpretClose,
  interpretModify,
  interpretOpen,
  sanitizeComment,
  stopPoints,
  tradeCommand,
  type DwxTrade,
  type OpType,
} from './protocol.js';
import { type DwxSession, abortedError } from './session.js';
import { sleep } from './wait.js';

type Spec = { point: number; digits: number };

export interface TraderDeps {
  agent: string;
  session: DwxSession;
  /** GET_OPEN_TRADES, sorted by ticket. */
  openTrades: () => Promise<DwxTrade[]>;
  /** A symbol's point size and digits, undefined when unknown (stops are sent in points). */
  spec: (symbol: string) => Spec | undefined;
  log?: ((line: string) => void) | undefined;
}

export interface CloseAllRow {
  ticket: number;
  symbol: string;
  closed: boolean;
  message: string;
}

export class DwxTrader {
  readonly #d: TraderDeps;

  constructor(deps: TraderDeps) {
    this.#d = deps;
  }

  trade(request: TradeRequest): Promise<TradeReply> {
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

  /** CLOSE_ALL: every position and pending order in one command; the EA's word per ticket, as given. */
  async closeAll(): Promise<CloseAllRow[]> {
    const endpoint = 'TRADE;CLOSE_ALL';
    const d = await this.#d.session.trade(endpoint, tradeCommand({ action: 'CLOSE_ALL' }), (x) => action(x) === 'CLOSE_ALL');
    const reason = abortedReason(d);
    if (reason) throw abortedError(this.#d.agent, reason, endpoint);
    const out: CloseAllRow[] = [];
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

  async #open(req: Extract<TradeRequest, { action: 'buy' | 'sell' }>): Promise<TradeReply> {
    const { agent, session } = this.#d;
    const endpoint = `TRADE;OPEN (${req.action})`;
    const type: OpType = req.action;
    if (!SAFE_SYMBOL.test(req.symbol)) return failure(4106, `unknown symbol ${JSON.stringify(req.symbol)}; nothing was sent`);
    const sl = req.sl || null;
    const tp = req.tp || null;
    const spec = this.#d.spec(req.symbol);
    if ((sl !== null || tp !== null) && !spec) return unknownPoint(req.symbol);
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
      const d = await session.tradeRetryingNotAllowed(endpoint, cmd, (x) => action(x) === 'EXECUTION' && sameSymbol(x, req.symbol));
      const reason = abortedReason(d);
      if (reason) return abortedReply(reason);
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
      const listed = await this.#d.openTrades().catch(() => undefined);
      const row = listed?.find((t) => t.ticket === r.ticket);
      if (listed && row && comment !== '' && !sameOrder(comment, row.comment)) {
        const mine = listed.find((t) => sameOrder(comment, t.comment) && t.symbol === req.symbol);
        if (!mine)
          throw new BridgeError(
            'timeout',
            agent,
            endpoint,
            `the reply named ticket ${r.ticket}, which is not this order's: the answer was lost`,
            {
              maybeExecuted: true,
            },
          );
        opened = { ticket: mine.ticket, price: mine.openPrice, note: '' };
      }
    } catch (e) {
      // The reply was lost. Without stops to set, the trading layer looks the order up by its
      // comment (and journals it); with stops, they must be set now: look it up once here.
      if (!(e instanceof BridgeError) || !e.maybeExecuted || (sl === null && tp === null)) throw e;
      const listed = await this.#d.openTrades().catch(() => undefined);
      const mine = listed?.find((t) => sameOrder(comment, t.comment) && t.symbol === req.symbol && t.type === type);
      if (!mine) throw e;
      this.#d.log?.(`${agent} ${endpoint}: reply lost; found ticket ${mine.ticket} by its comment`);
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
    spec: Spec,
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
        const row = (await this.#d.openTrades().catch(() => undefined))?.find((t) => t.ticket === ticket);
        if (row && stopsAre(row, sl, tp, spec.point)) return success(ticket, openPrice, `opened with its stops${note}`);
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
    this.#d.log?.(`${this.#d.agent} ${endpoint}: ticket ${ticket} is open WITHOUT its stops: ${why}; closing it failed: ${closed.message}`);
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
    spec: Spec,
    sl: number | null,
    tp: number | null,
  ): Promise<{ ok: true } | { ok: false; code: number; message: string }> {
    const pts = stopPoints(type, base, spec.point, sl, tp);
    const d = await this.#d.session.tradeRetryingNotAllowed(
      `TRADE;MODIFY #${ticket}`,
      tradeCommand({ action: 'MODIFY', ticket, sl: pts.sl, tp: pts.tp }),
      (x) => action(x) === 'MODIFY',
    );
    const reason = abortedReason(d);
    if (reason) {
      const a = ABORTED[reason];
      return { ok: false, code: a?.code ?? 2, message: `${reason}__ABORTED_COMMAND${a ? `: ${a.meaning}` : ''}` };
    }
    const r = interpretModify(d);
    if (!r.ok) return r;
    if (!stopsAre(r, sl, tp, spec.point))
      return { ok: false, code: 2, message: `the EA set SL ${r.sl} / TP ${r.tp}, not ${sl ?? 0} / ${tp ?? 0}` };
    return { ok: true };
  }

  async #modify(ticket: number, slIn: number | null | undefined, tpIn: number | null | undefined): Promise<TradeReply> {
    const row = (await this.#d.openTrades()).find((t) => t.ticket === ticket);
    if (!row) return notFound(ticket, 'trades');
    const spec = this.#d.spec(row.symbol);
    if (!spec) return unknownPoint(row.symbol);
    // MODIFY always sets both stops: a stop left out keeps its current value.
    const sl = slIn === undefined ? row.sl || null : slIn || null;
    const tp = tpIn === undefined ? row.tp || null : tpIn || null;
    if (stopsAre(row, sl, tp, spec.point)) return failure(1, 'the stops are already so; nothing was sent');
    const r = await this.#modifyOnce(ticket, row.type, row.openPrice, spec, sl, tp);
    return r.ok ? success(ticket, null, 'modified') : failure(r.code, r.message);
  }

  async #close(ticket: number, lots: number | undefined): Promise<TradeReply> {
    const row = (await this.#d.openTrades()).find((t) => t.ticket === ticket);
    if (!row) return notFound(ticket, 'trades');
    if (row.type !== 'buy' && row.type !== 'sell')
      return failure(4108, `ticket ${ticket} is a pending order (use delete); nothing was sent`);
    const partial = lots !== undefined && lots < row.lots - 1e-9;
    if (partial && lots! < 0.01 - 1e-9)
      return failure(131, `the DWX EA closes the whole position when asked for less than 0.01 lots; nothing was sent`);
    const endpoint = partial ? `TRADE;CLOSE_PARTIAL #${ticket}` : `TRADE;CLOSE #${ticket}`;
    const cmd = tradeCommand({ action: partial ? 'CLOSE_PARTIAL' : 'CLOSE', symbol: row.symbol, ticket, ...(partial ? { lots } : {}) });
    const d = await this.#d.session.tradeRetryingNotAllowed(endpoint, cmd, (x) => x.size === 0 || closeOf(x, ticket));
    const reason = abortedReason(d);
    if (reason) return abortedReply(reason);
    if (d.size === 0) {
      return failure(
        2,
        'the EA answered {} to CLOSE_PARTIAL: it skipped the ticket (a DWX quirk when the last order it selected is a pending order); nothing was closed — close all of it instead',
      );
    }
    const r = interpretClose(d);
    if (!r.ok) return failure(r.code, r.message);
    // The EA's word is not enough: list again.
    const after = await this.#d.openTrades().catch(() => undefined);
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
    const row = (await this.#d.openTrades()).find((t) => t.ticket === ticket);
    if (!row) return notFound(ticket, 'orders');
    if (row.type === 'buy' || row.type === 'sell')
      return failure(4108, `ticket ${ticket} is a market position (use close); nothing was sent`);
    const d = await this.#d.session.tradeRetryingNotAllowed(
      `TRADE;CLOSE #${ticket} (pending)`,
      tradeCommand({ action: 'CLOSE', symbol: row.symbol, ticket }),
      (x) => closeOf(x, ticket),
    );
    const reason = abortedReason(d);
    if (reason) return abortedReply(reason);
    const r = interpretClose(d);
    if (!r.ok) return failure(r.code, r.message);
    // The EA does not check OrderDelete's result: list again.
    const after = await this.#d.openTrades().catch(() => undefined);
    if (after?.some((t) => t.ticket === ticket))
      return failure(2, `the EA reported the order deleted, but ticket ${ticket} is still pending`);
    return success(ticket, null, 'deleted');
  }
}

// ---- helpers -------------------------------------------------------------------------------------

function failure(code: number, message: string): TradeReply {
  return { success: false, ticket: null, price: null, message: message || mt4Code(code).meaning, error_code: code, new_ticket: null };
}

function success(ticket: number, price: number | null, message: string): TradeReply {
  return { success: true, ticket, price, message, error_code: 0, new_ticket: null };
}

function abortedReply(reason: string): TradeReply {
  return failure(ABORTED[reason]?.code ?? 2, `${abortedMessage(reason)}; nothing was executed`);
}

function notFound(ticket: number, among: 'trades' | 'orders'): TradeReply {
  return failure(4108, `NOT_FOUND: ticket ${ticket} is not among the open ${among}; nothing was sent`);
}

function unknownPoint(symbol: string): TradeReply {
  return failure(
    3,
    `the point size of ${symbol} is unknown and DWX sets stops in points; add \`symbols: {${symbol}: {point: …, digits: …}}\` to agents.yml; nothing was sent`,
  );
}

/** The stops `at` are at the prices `sl` / `tp` (null: none, which the EA reports as 0), to half a point. */
function stopsAre(at: { sl: number; tp: number }, sl: number | null, tp: number | null, point: number): boolean {
  return Math.abs(at.sl - (sl ?? 0)) < point / 2 && Math.abs(at.tp - (tp ?? 0)) < point / 2;
}

function action(d: DwxDict): string | undefined {
  return asString(d.get('_action'));
}

/** The CLOSE reply for `ticket`. */
function closeOf(d: DwxDict, ticket: number): boolean {
  return action(d) === 'CLOSE' && asNumber(d.get('_ticket')) === ticket;
}

/** The EXECUTION reply is for this symbol (an error reply names none). */
function sameSymbol(d: DwxDict, symbol: string): boolean {
  const s = asString(d.get('_symbol'));
  return s === undefined || s === symbol;
}

/** Two comments belong to one order: equal, or the same `mt4gw:<id>` tag (the broker may rewrite the rest). */
export function sameOrder(sent: string, seen: string): boolean {
  if (sent === '' || seen === '') return false;
  if (sent === seen) return true;
  const id = clientIdOf(sent);
  return id !== null && clientIdOf(seen) === id;
}
