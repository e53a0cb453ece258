// POST /trade body validation: a body that fails is answered 400 bad_request and nothing is
// executed. Shared by every HTTP front that speaks protocol v1.
import type { TradeRequest } from '../bridge/schemas.js';

export type TradeParse = { ok: true; request: TradeRequest } | { ok: false; message: string };

export function parseTradeRequest(body: unknown): TradeParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, message: 'the body must be a JSON object' };
  const o = body as Record<string, unknown>;
  const bad = (message: string): TradeParse => ({ ok: false, message });
  const optNumber = (key: string): number | undefined | false => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    return typeof v === 'number' && Number.isFinite(v) ? v : false;
  };
  const ticket = (): number | false => {
    const v = o.ticket;
    return typeof v === 'number' && Number.isInteger(v) ? v : false;
  };
  switch (o.action) {
    case 'buy':
    case 'sell': {
      if (typeof o.symbol !== 'string' || o.symbol === '') return bad('`symbol` (a string) is required');
      if (typeof o.lots !== 'number' || !Number.isFinite(o.lots)) return bad('`lots` (a number) is required');
      const sl = optNumber('sl');
      const tp = optNumber('tp');
      const slippage = optNumber('slippage');
      if (sl === false) return bad('`sl` must be a number');
      if (tp === false) return bad('`tp` must be a number');
      if (slippage === false) return bad('`slippage` must be a number');
      const magic = o.magic;
      if (magic !== undefined && magic !== null && !(typeof magic === 'number' && Number.isInteger(magic)))
        return bad('`magic` must be an integer');
      const comment = o.comment;
      if (comment !== undefined && comment !== null && typeof comment !== 'string') return bad('`comment` must be a string');
      const r: TradeRequest = { action: o.action, symbol: o.symbol, lots: o.lots };
      if (sl !== undefined) r.sl = sl;
      if (tp !== undefined) r.tp = tp;
      if (slippage !== undefined) r.slippage = slippage;
      if (typeof magic === 'number') r.magic = magic;
      if (typeof comment === 'string') r.comment = comment;
      return { ok: true, request: r };
    }
    case 'close': {
      const t = ticket();
      if (t === false) return bad('`ticket` (an integer) is required');
      const lots = optNumber('lots');
      if (lots === false) return bad('`lots` must be a number');
      return { ok: true, request: lots === undefined ? { action: 'close', ticket: t } : { action: 'close', ticket: t, lots } };
    }
    case 'modify': {
      const t = ticket();
      if (t === false) return bad('`ticket` (an integer) is required');
      const sl = optNumber('sl');
      const tp = optNumber('tp');
      if (sl === false) return bad('`sl` must be a number or null');
      if (tp === false) return bad('`tp` must be a number or null');
      const r: TradeRequest = { action: 'modify', ticket: t };
      if (sl !== undefined) r.sl = sl;
      if (tp !== undefined) r.tp = tp;
      return { ok: true, request: r };
    }
    case 'delete': {
      const t = ticket();
      if (t === false) return bad('`ticket` (an integer) is required');
      return { ok: true, request: { action: 'delete', ticket: t } };
    }
    case undefined:
      return bad('`action` is required (buy, sell, close, modify or delete)');
    default:
      return bad(`unknown action ${JSON.stringify(o.action)} (buy, sell, close, modify or delete)`);
  }
}
