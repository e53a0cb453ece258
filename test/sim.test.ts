// The paper bridge against protocol v1: every reply is validated with the client's zod schemas
// (src/bridge/schemas.ts), trades follow MT4's rules, and the market behaves (stops, pending
// orders, currency conversion, determinism, broker time). Servers on 127.0.0.1, ephemeral ports.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AccountSchema,
  ClosedTradeSchema,
  ErrorBodySchema,
  PendingOrderSchema,
  PositionSchema,
  SymbolSpecSchema,
  TickSchema,
  TradeReplySchema,
} from '../src/bridge/schemas.js';
import { COMMON_SYMBOLS } from '../src/bridge/symbols.js';
import { startSim, type SimAgentOptions, type SimHandle, type SimOptions } from '../src/sim/index.js';

// ---- a plain node:http client (one connection per request) ----------------------------------------

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

function call(base: string, method: string, path: string, o: { token?: string; body?: unknown; raw?: string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
    const headers: Record<string, string> = {};
    if (o.token !== undefined) headers.authorization = o.token;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const req = http.request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('client timeout')));
    req.end(payload);
  });
}

// ---- one sim per test, on a clock the test moves ---------------------------------------------------

const TOKEN = 'paper-token-1';
const T0 = Date.parse('2026-11-22T08:15:00Z');
let now = T0;
const open: SimHandle[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  now = T0;
});

async function sim(options: Partial<SimOptions> = {}, agent: Partial<SimAgentOptions> = {}) {
  const s = await startSim({
    seed: 42,
    clock: () => now,
    ...options,
    agents: [{ id: 'a1', port: 0, token: TOKEN, initialBalance: 10_000, ...agent }],
  });
  open.push(s);
  const base = s.agents[0]!.url;
  const a = s.agent('a1');
  const get = (path: string) => call(base, 'GET', path, { token: TOKEN });
  const trade = async (body: unknown) => {
    const r = await call(base, 'POST', '/trade', { token: TOKEN, body });
    expect(r.status).toBe(200);
    return TradeReplySchema.parse(r.json);
  };
  const positions = async () => z.array(PositionSchema).parse((await get('/positions')).json);
  const orders = async () => z.array(PendingOrderSchema).parse((await get('/orders')).json);
  const history = async (q = '') => z.array(ClosedTradeSchema).parse((await get(`/history${q}`)).json);
  const account = async () => AccountSchema.parse((await get('/account')).json);
  return { s, a, base, get, trade, positions, orders, history, account };
}

function decimals(n: number): number {
  const s = String(n);
  return s.includes('.') ? s.split('.')[1]!.length : 0;
}

// ---------------------------------------------------------------------------------------------

describe('reads', () => {
  it('GET /account validates and shows the starting account with the broker-offset server time', async () => {
    const { get } = await sim();
    const r = await get('/account');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const acc = AccountSchema.parse(r.json);
    expect(acc).toMatchObject({
      currency: 'USD',
      leverage: 500,
      balance: 10_000,
      equity: 10_000,
      margin: 0,
      free_margin: 10_000,
      margin_level: 0,
      profit: 0,
      trade_allowed: true,
    });
    expect(acc.server_time).toBe('2026-11-22T10:15:00+02:00');
  });

  it('server_time follows brokerOffsetMinutes, negative and half-hour offsets included', async () => {
    const west = await sim({ brokerOffsetMinutes: -300 });
    expect((await west.account()).server_time).toBe('2026-11-22T03:15:00-05:00');
    const india = await sim({ brokerOffsetMinutes: 330 });
    expect((await india.account()).server_time).toBe('2026-11-22T13:45:00+05:30');
  });

  it('GET /tick validates for every common symbol, with realistic digits, prices and spreads', async () => {
    const { get } = await sim();
    const expected: Record<string, [number, number]> = {
      XAUUSD: [2600, 2700],
      EURUSD: [1.07, 1.09],
      GBPUSD: [1.26, 1.28],
      USDJPY: [149, 151],
    };
    for (const [symbol, info] of Object.entries(COMMON_SYMBOLS)) {
      const r = await get(`/tick/${symbol}`);
      expect(r.status).toBe(200);
      const t = TickSchema.parse(r.json);
      expect(t.symbol).toBe(symbol);
      expect(t.timestamp).toBe('2026-11-22T08:15:00Z');
      expect(decimals(t.bid)).toBeLessThanOrEqual(info.digits);
      expect(decimals(t.ask)).toBeLessThanOrEqual(info.digits);
      expect(t.ask).toBeGreaterThan(t.bid);
      expect(t.ask - t.bid).toBeCloseTo(t.spread * info.point, info.digits + 2);
      const range = expected[symbol];
      if (range) {
        expect(t.bid).toBeGreaterThan(range[0]);
        expect(t.bid).toBeLessThan(range[1]);
      }
    }
    const gold = TickSchema.parse((await get('/tick/XAUUSD')).json);
    expect(gold.spread).toBeGreaterThanOrEqual(25);
    expect(gold.spread).toBeLessThanOrEqual(30);
  });

  it('an unknown symbol is 404 unknown_symbol on /tick and /symbol', async () => {
    const { get } = await sim({}, { symbols: ['XAUUSD', 'EURUSD'] });
    for (const path of ['/tick/BTCUSD', '/symbol/BTCUSD', '/tick/USDJPY']) {
      const r = await get(path);
      expect(r.status).toBe(404);
      expect(ErrorBodySchema.parse(r.json).error).toBe('unknown_symbol');
    }
  });

  it('GET /symbol is MarketInfo: tick_value and margin_required from the price and leverage', async () => {
    const { get, a } = await sim({}, { leverage: 200 });
    a.setPrice('XAUUSD', 2650);
    a.setPrice('USDJPY', 150);
    const gold = SymbolSpecSchema.parse((await get('/symbol/XAUUSD')).json);
    const ask = a.quote('XAUUSD')!.ask;
    expect(gold).toMatchObject({ symbol: 'XAUUSD', digits: 2, point: 0.01, contract_size: 100, tick_value: 1, min_lot: 0.01, max_lot: 50 });
    expect(gold.margin_required).toBeCloseTo((100 * ask) / 200, 2);
    const jpy = SymbolSpecSchema.parse((await get('/symbol/USDJPY')).json);
    // One tick (0.001 JPY) on 100,000 USD is 100 JPY, worth 100/150 USD at 150.
    expect(jpy.tick_value).toBeCloseTo(100 / 150, 6);
    expect(jpy.margin_required).toBe(500); // 100,000 USD / 200
    const eur = SymbolSpecSchema.parse((await get('/symbol/EURUSD')).json);
    expect(eur.tick_value).toBe(1);
  });

  it('symbolEndpoint: false answers /symbol with 404 not_supported', async () => {
    const { get } = await sim({ symbolEndpoint: false });
    const r = await get('/symbol/XAUUSD');
    expect(r.status).toBe(404);
    expect(ErrorBodySchema.parse(r.json).error).toBe('not_supported');
  });

  it('positions, orders and history are arrays that validate', async () => {
    const { positions, orders, history, trade, a } = await sim();
    expect(await positions()).toEqual([]);
    expect(await orders()).toEqual([]);
    expect(await history()).toEqual([]);
    const { ticket } = await trade({ action: 'buy', symbol: 'EURUSD', lots: 0.1 });
    a.addPendingOrder({
      symbol: 'GBPUSD',
      type: 'sell_limit',
      lots: 0.1,
      price: a.quote('GBPUSD')!.bid + 0.01,
      expiration: '2026-11-23T00:00:00Z',
    });
    await trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01 });
    await trade({ action: 'close', ticket });
    expect(await positions()).toHaveLength(1);
    const [o] = await orders();
    expect(o).toMatchObject({ type: 'sell_limit', expiration: '2026-11-23T00:00:00Z' });
    expect(await history()).toHaveLength(1);
  });

  it('a missing or wrong token is 401 unauthorized on every endpoint, and nothing executes', async () => {
    const { base, positions } = await sim();
    for (const [method, path] of [
      ['GET', '/account'],
      ['GET', '/tick/XAUUSD'],
      ['GET', '/positions'],
      ['GET', '/history'],
      ['POST', '/trade'],
    ] as const) {
      for (const token of [undefined, 'wrong', `Bearer ${TOKEN}`]) {
        const r = await call(base, method, path, {
          ...(token === undefined ? {} : { token }),
          body: method === 'POST' ? { action: 'buy', symbol: 'EURUSD', lots: 0.1 } : undefined,
        });
        expect(r.status).toBe(401);
        expect(ErrorBodySchema.parse(r.json)).toMatchObject({ error: 'unauthorized' });
        expect(typeof r.json.message).toBe('string');
      }
    }
    expect(await positions()).toEqual([]);
  });

  it('an agent without a token accepts every request', async () => {
    const s = await startSim({ agents: [{ id: 'open', port: 0, initialBalance: 100 }], clock: () => now });
    open.push(s);
    expect((await call(s.agents[0]!.url, 'GET', '/account')).status).toBe(200);
  });

  it('a wrong method is 405 and an unknown path 404, both with the error body', async () => {
    const { base } = await sim();
    for (const [method, path, status, allow] of [
      ['POST', '/account', 405, 'GET'],
      ['DELETE', '/positions', 405, 'GET'],
      ['GET', '/trade', 405, 'POST'],
      ['GET', '/nope', 404, undefined],
      ['GET', '/tick', 404, undefined],
      ['GET', '/account/extra', 404, undefined],
    ] as const) {
      const r = await call(base, method, path, { token: TOKEN });
      expect(r.status, `${method} ${path}`).toBe(status);
      ErrorBodySchema.parse(r.json);
      if (allow) expect(r.headers.allow).toBe(allow);
    }
  });

  it('a /trade body that is not JSON or misses fields is 400 bad_request and executes nothing', async () => {
    const { base, positions, a } = await sim();
    const before = a.state().nextTicket;
    const bodies: Array<{ raw?: string; body?: unknown }> = [
      { raw: '{"action":"buy","symbol":"EURUSD",' },
      { raw: '' },
      { body: [] },
      { body: { symbol: 'EURUSD', lots: 0.1 } },
      { body: { action: 'buy', lots: 0.1 } },
      { body: { action: 'buy', symbol: 'EURUSD' } },
      { body: { action: 'buy', symbol: 'EURUSD', lots: '0.1' } },
      { body: { action: 'buy', symbol: 'EURUSD', lots: 0.1, sl: 'none' } },
      { body: { action: 'close' } },
      { body: { action: 'close', ticket: '1000001' } },
      { body: { action: 'modify', ticket: 1.5 } },
      { body: { action: 'delete' } },
      { body: { action: 'hedge', symbol: 'EURUSD', lots: 0.1 } },
    ];
    for (const b of bodies) {
      const r = await call(base, 'POST', '/trade', { token: TOKEN, ...b });
      expect(r.status, JSON.stringify(b)).toBe(400);
      expect(ErrorBodySchema.parse(r.json).error).toBe('bad_request');
    }
    expect(await positions()).toEqual([]);
    expect(a.state().nextTicket).toBe(before);
  });

  it('a /history range that is not a time is 400', async () => {
    const { get } = await sim();
    const r = await get('/history?from=yesterday');
    expect(r.status).toBe(400);
    expect(ErrorBodySchema.parse(r.json).error).toBe('bad_request');
  });
});

describe('trades', () => {
  it('buy fills at the ask, sell at the bid; tickets increase; the comment keeps 31 characters', async () => {
    const { trade, positions, a } = await sim();
    const q = a.setPrice('EURUSD', 1.08);
    const b = await trade({
      action: 'buy',
      symbol: 'EURUSD',
      lots: 0.1,
      comment: 'mt4gw:01JD3K5-and-a-very-long-tail-that-goes-on',
      magic: 77,
    });
    expect(b).toMatchObject({ success: true, price: q.ask, error_code: 0 });
    const s = await trade({ action: 'sell', symbol: 'EURUSD', lots: 0.2, sl: 1.09, tp: 1.07 });
    expect(s).toMatchObject({ success: true, price: 1.08, error_code: 0 });
    expect(s.ticket!).toBeGreaterThan(b.ticket!);
    const ps = await positions();
    expect(ps.map((p) => p.ticket)).toEqual([b.ticket, s.ticket]);
    expect(ps[0]).toMatchObject({ type: 'buy', lots: 0.1, open_price: q.ask, current_price: 1.08, magic: 77, sl: null, tp: null });
    expect(ps[0]!.comment).toBe('mt4gw:01JD3K5-and-a-very-long-t');
    expect(ps[0]!.comment).toHaveLength(31);
    expect(ps[1]).toMatchObject({ type: 'sell', lots: 0.2, open_price: 1.08, current_price: q.ask, sl: 1.09, tp: 1.07 });
    // Marked to market: the buy is down its spread, the sell down its spread too.
    expect(ps[0]!.profit).toBeCloseTo(-(q.ask - 1.08) * 10_000, 2);
    expect(ps[1]!.profit).toBeCloseTo(-(q.ask - 1.08) * 20_000, 2);
  });

  it('close moves the position into history at the bid and books the profit', async () => {
    const { trade, positions, history, account, a } = await sim();
    a.setPrice('XAUUSD', 2650);
    const { ticket, price } = await trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.1, comment: 'tag1' });
    a.setPrice('XAUUSD', 2660);
    const c = await trade({ action: 'close', ticket });
    expect(c).toMatchObject({ success: true, ticket, price: 2660, error_code: 0, new_ticket: null });
    expect(await positions()).toEqual([]);
    const [h] = await history();
    const profit = Math.round((2660 - price!) * 0.1 * 100 * 100) / 100;
    expect(h).toMatchObject({ ticket, type: 'buy', lots: 0.1, open_price: price, close_price: 2660, profit, comment: 'tag1' });
    expect((await account()).balance).toBeCloseTo(10_000 + profit, 2);
    const again = await trade({ action: 'close', ticket });
    expect(again).toMatchObject({ success: false, error_code: 4108, ticket: null });
  });

  it('a partial close books that part as "to #new" and leaves the rest under a new ticket "from #old"', async () => {
    const { trade, positions, history, a } = await sim();
    a.setPrice('EURUSD', 1.08);
    const { ticket } = await trade({ action: 'buy', symbol: 'EURUSD', lots: 0.1, sl: 1.07, comment: 'mt4gw:abc' });
    const r = await trade({ action: 'close', ticket, lots: 0.03 });
    expect(r.success).toBe(true);
    expect(r.ticket).toBe(ticket);
    expect(r.new_ticket).toBeGreaterThan(ticket!);
    const [rest] = await positions();
    expect(rest).toMatchObject({ ticket: r.new_ticket, lots: 0.07, sl: 1.07, comment: `from #${ticket}` });
    const [part] = await history();
    expect(part).toMatchObject({ ticket, lots: 0.03, comment: `to #${r.new_ticket}` });
    // Tickets stay monotonic after the new ticket.
    const next = await trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01 });
    expect(next.ticket).toBeGreaterThan(r.new_ticket!);
    // Bad partial volumes: more than the position, not a step multiple, a remainder below min lot.
    for (const lots of [0.08, 0.015, 0.065, 0]) {
      expect(await trade({ action: 'close', ticket: r.new_ticket, lots })).toMatchObject({ success: false, error_code: 131 });
    }
    expect((await positions()).find((p) => p.ticket === r.new_ticket)?.lots).toBe(0.07);
  });

  it('modify changes stops: omitted or null keeps, 0 removes, no change is error 1, wrong side 130', async () => {
    const { trade, positions, a } = await sim();
    a.setPrice('XAUUSD', 2650);
    const { ticket } = await trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: 2640, tp: 2670 });
    expect(await trade({ action: 'modify', ticket, sl: 2645 })).toMatchObject({ success: true, ticket, error_code: 0 });
    expect((await positions())[0]).toMatchObject({ sl: 2645, tp: 2670 });
    expect(await trade({ action: 'modify', ticket, sl: null, tp: 2680 })).toMatchObject({ success: true });
    expect((await positions())[0]).toMatchObject({ sl: 2645, tp: 2680 });
    expect(await trade({ action: 'modify', ticket, tp: 0 })).toMatchObject({ success: true });
    expect((await positions())[0]).toMatchObject({ sl: 2645, tp: null });
    expect(await trade({ action: 'modify', ticket, sl: 2645 })).toMatchObject({ success: false, error_code: 1 });
    expect(await trade({ action: 'modify', ticket })).toMatchObject({ success: false, error_code: 1 });
    expect(await trade({ action: 'modify', ticket, sl: 2655 })).toMatchObject({ success: false, error_code: 130 });
    expect(await trade({ action: 'modify', ticket, tp: 2649 })).toMatchObject({ success: false, error_code: 130 });
    expect((await positions())[0]).toMatchObject({ sl: 2645, tp: null });
    expect(await trade({ action: 'modify', ticket: 999, sl: 1 })).toMatchObject({ success: false, error_code: 4108 });
  });

  it('delete removes a pending order; close/delete on the wrong kind of ticket is 4108', async () => {
    const { trade, orders, a } = await sim();
    a.setPrice('EURUSD', 1.08);
    const pending = a.addPendingOrder({ symbol: 'EURUSD', type: 'buy_stop', lots: 0.1, price: 1.09, sl: 1.085, comment: 'brk' });
    const { ticket: market } = await trade({ action: 'buy', symbol: 'EURUSD', lots: 0.1 });
    expect(await orders()).toHaveLength(1);
    expect(await trade({ action: 'close', ticket: pending })).toMatchObject({ success: false, error_code: 4108 });
    expect(await trade({ action: 'delete', ticket: market })).toMatchObject({ success: false, error_code: 4108 });
    expect(await trade({ action: 'modify', ticket: pending, tp: 1.1 })).toMatchObject({ success: true });
    expect(await trade({ action: 'modify', ticket: pending, sl: 1.095 })).toMatchObject({ success: false, error_code: 130 });
    expect((await orders())[0]).toMatchObject({ ticket: pending, open_price: 1.09, sl: 1.085, tp: 1.1 });
    expect(await trade({ action: 'delete', ticket: pending })).toMatchObject({ success: true, ticket: pending });
    expect(await orders()).toEqual([]);
    expect(await trade({ action: 'delete', ticket: pending })).toMatchObject({ success: false, error_code: 4108 });
  });

  it('invalid volume is 131: below min, above max, not a multiple of the step', async () => {
    const { trade, positions } = await sim();
    for (const lots of [0.001, 0, -0.1, 51, 0.015]) {
      expect(await trade({ action: 'buy', symbol: 'XAUUSD', lots })).toMatchObject({
        success: false,
        error_code: 131,
        ticket: null,
        price: null,
      });
    }
    expect(await positions()).toEqual([]);
  });

  it('stops on the wrong side, or inside the stop level, are 130', async () => {
    const { trade, positions, a } = await sim();
    a.setPrice('XAUUSD', 2650);
    const ask = a.quote('XAUUSD')!.ask;
    expect(await trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: 2651 })).toMatchObject({ error_code: 130 });
    expect(await trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01, tp: 2649 })).toMatchObject({ error_code: 130 });
    expect(await trade({ action: 'sell', symbol: 'XAUUSD', lots: 0.01, sl: ask - 0.5 })).toMatchObject({ error_code: 130 });
    expect(await trade({ action: 'sell', symbol: 'XAUUSD', lots: 0.01, tp: ask + 1 })).toMatchObject({ error_code: 130 });
    a.setSpec('XAUUSD', { stop_level: 100 }); // 1.00 in price
    expect(await trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: 2649.5 })).toMatchObject({ error_code: 130 });
    expect(await positions()).toEqual([]);
    expect(await trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: 2649 })).toMatchObject({ success: true });
  });

  it('not enough free margin is 134 and opens nothing', async () => {
    const { trade, positions, a } = await sim({}, { initialBalance: 200 });
    a.setPrice('XAUUSD', 2650);
    // 1 lot of gold at 500:1 needs about 530 USD.
    expect(await trade({ action: 'buy', symbol: 'XAUUSD', lots: 1 })).toMatchObject({ success: false, error_code: 134 });
    expect(await positions()).toEqual([]);
    expect(await trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.3 })).toMatchObject({ success: true });
    // 0.3 lots hold ~159 of margin; another 0.1 (~53) no longer fits.
    expect(await trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.1 })).toMatchObject({ success: false, error_code: 134 });
  });

  it('an unknown symbol is 4106 with HTTP 200; a terminal with trading disabled answers 4109', async () => {
    const { trade, a, account } = await sim({}, { symbols: ['XAUUSD'] });
    expect(await trade({ action: 'buy', symbol: 'BTCUSD', lots: 0.01 })).toMatchObject({ success: false, error_code: 4106 });
    expect(await trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01 })).toMatchObject({ success: false, error_code: 4106 });
    a.setTradeAllowed(false);
    expect((await account()).trade_allowed).toBe(false);
    expect(await trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01 })).toMatchObject({ success: false, error_code: 4109 });
  });

  it('tickets are per agent and never reused', async () => {
    const s = await startSim({
      seed: 1,
      clock: () => now,
      agents: [
        { id: 'x', port: 0, initialBalance: 1000 },
        { id: 'y', port: 0, initialBalance: 1000 },
      ],
    });
    open.push(s);
    const t = async (i: number) =>
      TradeReplySchema.parse(
        (await call(s.agents[i]!.url, 'POST', '/trade', { body: { action: 'buy', symbol: 'EURUSD', lots: 0.01 } })).json,
      ).ticket!;
    const x1 = await t(0);
    const x2 = await t(0);
    const y1 = await t(1);
    expect(x2).toBe(x1 + 1);
    expect(y1).not.toBe(x1);
    expect(y1).not.toBe(x2);
  });
});

describe('market', () => {
  it('a stop loss hit closes the position into history at the market, comment marked [sl]', async () => {
    const { trade, positions, history, account, a } = await sim();
    a.setPrice('XAUUSD', 2650);
    const { ticket, price } = await trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.1, sl: 2640, comment: 'mt4gw:sl' });
    a.setPrice('XAUUSD', 2641);
    expect(await positions()).toHaveLength(1);
    a.setPrice('XAUUSD', 2639.5);
    expect(await positions()).toEqual([]);
    const [h] = await history();
    const profit = Math.round((2639.5 - price!) * 10 * 100) / 100;
    expect(h).toMatchObject({ ticket, close_price: 2639.5, sl: 2640, comment: 'mt4gw:sl[sl]', profit });
    expect((await account()).balance).toBeCloseTo(10_000 + profit, 2);
  });

  it('a take profit on a sell triggers at the ask as the walk moves', async () => {
    const { trade, positions, history, a } = await sim();
    a.setPrice('EURUSD', 1.08);
    const { ticket } = await trade({ action: 'sell', symbol: 'EURUSD', lots: 0.1, tp: 1.079 });
    a.unfreeze('EURUSD');
    // Walk second by second until the ask reaches the TP (bounded: the test fails if it never does).
    let hit = false;
    for (let i = 0; i < 400 && !hit; i++) {
      now += 60_000;
      hit = (await positions()).length === 0;
    }
    expect(hit).toBe(true);
    const [h] = await history();
    expect(h!.ticket).toBe(ticket);
    expect(h!.comment).toBe('[tp]');
    expect(h!.close_price).toBeLessThanOrEqual(1.079);
  });

  it('pending orders trigger into positions (same ticket) when the price crosses, and expire', async () => {
    const { orders, positions, a } = await sim();
    a.setPrice('EURUSD', 1.08);
    a.setPrice('GBPUSD', 1.27);
    const limit = a.addPendingOrder({ symbol: 'EURUSD', type: 'buy_limit', lots: 0.1, price: 1.078, tp: 1.09, comment: 'lim' });
    const stop = a.addPendingOrder({ symbol: 'GBPUSD', type: 'sell_stop', lots: 0.2, price: 1.265 });
    const expiring = a.addPendingOrder({ symbol: 'EURUSD', type: 'sell_limit', lots: 0.1, price: 1.1, expiration: T0 + 60_000 });
    expect(() => a.addPendingOrder({ symbol: 'EURUSD', type: 'buy_limit', lots: 0.1, price: 1.085 })).toThrow(/130/);
    expect((await orders()).map((o) => o.ticket)).toEqual([limit, stop, expiring]);
    a.setPrice('EURUSD', 1.0785); // the ask (bid + spread) is still above 1.078
    expect(await positions()).toEqual([]);
    a.setPrice('EURUSD', 1.0765);
    let ps = await positions();
    expect(ps).toHaveLength(1);
    expect(ps[0]).toMatchObject({ ticket: limit, type: 'buy', lots: 0.1, tp: 1.09, comment: 'lim' });
    expect(ps[0]!.open_price).toBe(a.quote('EURUSD')!.ask);
    a.setPrice('GBPUSD', 1.2655);
    expect(await positions()).toHaveLength(1);
    a.setPrice('GBPUSD', 1.265);
    ps = await positions();
    expect(ps.find((p) => p.ticket === stop)).toMatchObject({ type: 'sell', open_price: 1.265 });
    expect((await orders()).map((o) => o.ticket)).toEqual([expiring]);
    now += 61_000;
    expect(await orders()).toEqual([]);
  });

  it('USDJPY profit is converted to USD at the USDJPY price', async () => {
    const { trade, positions, history, account, a } = await sim();
    a.setPrice('USDJPY', 150);
    const buy = await trade({ action: 'buy', symbol: 'USDJPY', lots: 1 });
    const sell = await trade({ action: 'sell', symbol: 'USDJPY', lots: 1 });
    expect(sell.price).toBe(150);
    a.setPrice('USDJPY', 151);
    const ask = a.quote('USDJPY')!.ask;
    const ps = await positions();
    // Buy: (151 - open) JPY per USD on 100,000 USD, at 151 JPY per USD.
    const buyUsd = Math.round(((151 - buy.price!) * 100_000 * 100) / 151) / 100;
    const sellUsd = Math.round(((150 - ask) * 100_000 * 100) / ask) / 100;
    expect(ps[0]!.profit).toBeCloseTo(buyUsd, 2);
    expect(ps[1]!.profit).toBeCloseTo(sellUsd, 2);
    expect(buyUsd).toBeGreaterThan(600); // ~650 USD, not ~98,500 JPY
    expect(buyUsd).toBeLessThan(670);
    await trade({ action: 'close', ticket: buy.ticket });
    expect((await history())[0]!.profit).toBeCloseTo(buyUsd, 2);
    const acc = await account();
    expect(acc.balance).toBeCloseTo(10_000 + buyUsd, 2);
    expect(acc.profit).toBeCloseTo(sellUsd, 2);
  });

  it('margin, equity, free margin and margin level add up', async () => {
    const { trade, account, a } = await sim({}, { initialBalance: 1000 });
    a.setPrice('XAUUSD', 2650);
    const { price } = await trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.1 });
    a.setPrice('XAUUSD', 2655);
    const acc = await account();
    const ask = a.quote('XAUUSD')!.ask;
    const margin = Math.round(((0.1 * 100 * ask) / 500) * 100) / 100;
    const profit = Math.round((2655 - price!) * 10 * 100) / 100;
    expect(acc.margin).toBeCloseTo(margin, 2);
    expect(acc.profit).toBeCloseTo(profit, 2);
    expect(acc.equity).toBeCloseTo(1000 + profit, 2);
    expect(acc.free_margin).toBeCloseTo(acc.equity - acc.margin, 2);
    expect(acc.margin_level).toBeCloseTo((acc.equity / acc.margin) * 100, 1);
  });

  it('below the stop-out level the losing position is closed', async () => {
    const { trade, positions, history, a } = await sim({}, { initialBalance: 100 });
    a.setPrice('XAUUSD', 2650);
    await trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.1 });
    a.setPrice('XAUUSD', 2640);
    expect(await positions()).toEqual([]);
    expect((await history())[0]!.comment).toMatch(/^so: /);
  });

  it('the walk is deterministic for a seed, differs between seeds, and moves with the clock', async () => {
    const one = await sim({ seed: 7 });
    const two = await sim({ seed: 7 });
    const other = await sim({ seed: 8 });
    const ticks = async (h: Awaited<ReturnType<typeof sim>>) =>
      Promise.all(Object.keys(COMMON_SYMBOLS).map(async (s) => TickSchema.parse((await h.get(`/tick/${s}`)).json)));
    const a0 = await ticks(one);
    expect(await ticks(two)).toEqual(a0);
    expect(await ticks(other)).not.toEqual(a0);
    now += 90_000;
    const a1 = await ticks(one);
    expect(a1.map((t) => t.bid)).not.toEqual(a0.map((t) => t.bid));
    now += 3_600_000;
    const a2 = await ticks(one);
    // Read at different moments, the same seed gives the same path.
    expect(await ticks(two)).toEqual(a2);
    // A day later prices are still realistic.
    now += 86_400_000;
    const started = Date.now();
    const gold = TickSchema.parse((await one.get('/tick/XAUUSD')).json);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(gold.bid).toBeGreaterThan(2650 * 0.85);
    expect(gold.bid).toBeLessThan(2650 * 1.15);
  });

  it('history defaults to the broker day: a trade before broker midnight drops out after it', async () => {
    const { trade, history, a, get } = await sim();
    now = Date.parse('2026-11-22T21:50:00Z'); // 23:50 at the broker (+02:00)
    const { ticket } = await trade({ action: 'buy', symbol: 'EURUSD', lots: 0.1 });
    await trade({ action: 'close', ticket });
    expect((await history()).map((h) => h.ticket)).toEqual([ticket]);
    a.setClock(Date.parse('2026-11-22T22:10:00Z')); // 00:10 on the 23rd at the broker
    expect(AccountSchema.parse((await get('/account')).json).server_time).toBe('2026-11-23T00:10:00+02:00');
    expect(await history()).toEqual([]);
    expect((await history('?from=2026-11-22T00:00:00Z')).map((h) => h.ticket)).toEqual([ticket]);
    a.setClock(null);
    expect((await history()).map((h) => h.ticket)).toEqual([ticket]);
  });

  it('history is [from, to): from included, to excluded; injected trades show and move the balance', async () => {
    const { history, account, a } = await sim();
    const added = a.addHistory([
      {
        symbol: 'XAUUSD',
        type: 'buy',
        lots: 0.1,
        open_price: 2650,
        close_price: 2640,
        open_time: '2026-11-22T07:00:00Z',
        close_time: '2026-11-22T07:30:00Z',
        comment: 'early loss',
      },
      { symbol: 'EURUSD', type: 'sell', lots: 1, open_price: 1.08, close_price: 1.079, close_time: '2026-11-22T08:00:00Z', profit: 100 },
    ]);
    expect(added[0]!.profit).toBe(-100);
    expect((await account()).balance).toBe(10_000);
    const all = await history();
    expect(all.map((h) => h.comment)).toEqual(['early loss', '']);
    expect(await history('?from=2026-11-22T07:30:00Z&to=2026-11-22T08:00:00Z')).toHaveLength(1);
    expect((await history('?from=2026-11-22T07:30:01Z&to=2026-11-22T08:00:01Z'))[0]!.profit).toBe(100);
    a.addHistory([{ symbol: 'XAUUSD', type: 'sell', lots: 0.01, open_price: 2650, close_price: 2660 }], { adjustBalance: false });
    expect((await account()).balance).toBe(10_000);
  });
});
