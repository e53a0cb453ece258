// The paper bridge against protocol v1: every reply is validated with the client's zod schemas
// (src/bridge/schemas.ts) and trades follow MT4's rules. The market (stops, pending orders,
// conversion, determinism, broker time) is sim-market.test.ts. Servers on 127.0.0.1, ephemeral ports.
import { afterEach, describe, expect, it } from 'vitest';
import { AccountSchema, ErrorBodySchema, SymbolSpecSchema, TickSchema, TradeReplySchema } from '../src/bridge/schemas.js';
import { COMMON_SYMBOLS } from '../src/bridge/symbols.js';
import { startSim, type SimAgentOptions, type SimOptions } from '../src/sim/index.js';
import { call, restAgent, simPool } from './helpers/sim-http.js';

// ---- one sim per test, on a clock the test moves ---------------------------------------------------

const TOKEN = 'paper-token-1';
const T0 = Date.parse('2026-11-22T08:15:00Z');
let now = T0;
const pool = simPool();
afterEach(() => {
  now = T0;
});

async function sim(options: Partial<SimOptions> = {}, agent: Partial<SimAgentOptions> = {}) {
  const s = pool.track(
    await startSim({
      seed: 42,
      clock: () => now,
      ...options,
      agents: [{ id: 'a1', port: 0, token: TOKEN, initialBalance: 10_000, ...agent }],
    }),
  );
  return restAgent(s, TOKEN);
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
    pool.track(s);
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
    pool.track(s);
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
