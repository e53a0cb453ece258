// The control path (/_sim/… on an HTTP front): what a test or a script can do to a paper terminal
// besides speaking its protocol. Not part of any protocol; never logged, never faulted. Protocol
// independent: a front hands it (method, path below /_sim, parsed JSON body) and sends the reply.
import type { HistoryInput, PendingOrderInput, SpecOverride } from './engine-state.js';
import { SimInputError } from './errors.js';
import { validateFault, validateFaults } from './faults.js';
import type { PaperTerminal } from './terminal.js';
import { parseTime } from './time.js';

export interface ControlReply {
  status: number;
  body: unknown;
  /** 405: the methods allowed. */
  allow?: string;
  /** To run once the reply is out (POST /_sim/down). */
  after?: () => void;
}

function errorBody(error: string, message: string): { error: string; message: string } {
  return { error, message };
}

/** Throws SimInputError (a 400 for the caller) for a bad request. */
export function controlRequest(t: PaperTerminal, method: string, sub: string, body: unknown): ControlReply {
  const obj = (): Record<string, unknown> => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SimInputError('the body must be a JSON object');
    return body as Record<string, unknown>;
  };
  const ok = (extra: Record<string, unknown> = {}): ControlReply => ({ status: 200, body: { ok: true, ...extra } });
  const methods = (allowed: string[]): ControlReply => ({
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
        account: t.account(),
        positions: t.positions(),
        orders: t.orders(),
        history: t.history(0),
        quotes: t.engine.symbols().map((s) => t.engine.quote(s)),
        faults: t.faults(),
        trade_context: t.tradeContextStatus(),
        clock: { now: t.now(), frozen: t.clockFrozen(), server_time: t.engine.serverTime() },
      });
    case 'GET requests':
      return ok({ requests: t.requests() });
    case 'DELETE requests':
      t.clearRequests();
      return ok();
    case 'GET faults':
      return ok({ faults: t.faults() });
    case 'PUT faults':
      t.setFaults(validateFaults(obj().faults));
      return ok({ faults: t.faults() });
    case 'POST faults': {
      const o = obj();
      const added = o.faults !== undefined ? validateFaults(o.faults) : [validateFault(o.fault !== undefined ? o.fault : o)];
      for (const f of added) t.addFault(f);
      return ok({ faults: t.faults() });
    }
    case 'DELETE faults':
      t.clearFaults();
      return ok();
    case 'GET price/*': {
      const q = t.quote(param!);
      if (!q) throw new SimInputError(`unknown symbol ${param}`);
      return ok({ quote: q });
    }
    case 'POST price': {
      const o = obj();
      if (typeof o.symbol !== 'string') throw new SimInputError('symbol is required');
      if (o.bid === null) {
        t.unfreeze(o.symbol);
        return ok({ quote: t.quote(o.symbol) });
      }
      if (typeof o.bid !== 'number') throw new SimInputError('bid must be a number (or null to unfreeze)');
      return ok({ quote: t.setPrice(o.symbol, o.bid) });
    }
    case 'DELETE price':
      t.unfreeze();
      return ok();
    case 'DELETE price/*':
      t.unfreeze(param);
      return ok({ quote: t.quote(param!) });
    case 'GET clock':
      return ok({ now: t.now(), frozen: t.clockFrozen(), server_time: t.engine.serverTime() });
    case 'POST clock': {
      const v = obj().now;
      t.setClock(v === null || v === undefined ? null : parseTime(v, 'now'));
      return ok({ now: t.now(), frozen: t.clockFrozen(), server_time: t.engine.serverTime() });
    }
    case 'POST balance': {
      const b = obj().balance;
      if (typeof b !== 'number') throw new SimInputError('balance must be a number');
      t.setBalance(b);
      return ok({ account: t.account() });
    }
    case 'POST history': {
      const o = obj();
      const trades = Array.isArray(o.trades) ? o.trades : undefined;
      if (!trades) throw new SimInputError('trades must be an array');
      const adjust = o.adjust_balance;
      if (adjust !== undefined && typeof adjust !== 'boolean') throw new SimInputError('adjust_balance must be a boolean');
      return ok({ trades: t.addHistory(trades as HistoryInput[], { adjustBalance: adjust !== false }) });
    }
    case 'POST orders': {
      const o = obj();
      const order = { ...o, price: o.price ?? o.open_price } as Record<string, unknown>;
      delete order.open_price;
      return ok({ ticket: t.addPendingOrder(order as unknown as PendingOrderInput) });
    }
    case 'POST spec': {
      const { symbol, ...override } = obj();
      if (typeof symbol !== 'string') throw new SimInputError('symbol is required');
      t.setSpec(symbol, override as SpecOverride);
      return ok({ spec: t.engine.symbolSpec(symbol) });
    }
    case 'POST trading': {
      const allowed = obj().allowed;
      if (typeof allowed !== 'boolean') throw new SimInputError('allowed must be a boolean');
      t.setTradeAllowed(allowed);
      return ok();
    }
    case 'GET trade-context':
      return ok({ trade_context: t.tradeContextStatus() });
    case 'POST trade-context': {
      const seconds = body === undefined ? undefined : obj().seconds;
      if (seconds !== undefined && seconds !== null && typeof seconds !== 'number') throw new SimInputError('seconds must be a number');
      t.holdTradeContext(seconds ?? undefined);
      return ok({ trade_context: t.tradeContextStatus() });
    }
    case 'DELETE trade-context':
      t.releaseTradeContext();
      return ok({ trade_context: t.tradeContextStatus() });
    case 'POST down': {
      const seconds = obj().seconds;
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
        throw new SimInputError('seconds (a number >= 0) is required: the control path is unreachable while down');
      }
      return { ...ok({ seconds }), after: () => void t.goDown(seconds) };
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
        'trade-context': ['GET', 'POST', 'DELETE'],
      };
      const a = head !== undefined && (param === undefined || head === 'price') ? allowed[head] : undefined;
      if (a) return methods(a);
      return { status: 404, body: errorBody('not_found', `no control endpoint /_sim${sub}`) };
    }
  }
}
