// The paper bridge's market: stops, pending orders, currency conversion, margin, stop-out,
// determinism of the walk, and the broker's day in history. Servers on 127.0.0.1, ephemeral ports.
import { afterEach, describe, expect, it } from 'vitest';
import { AccountSchema, TickSchema } from '../src/bridge/schemas.js';
import { COMMON_SYMBOLS } from '../src/bridge/symbols.js';
import { startSim, type SimAgentOptions, type SimOptions } from '../src/sim/index.js';
import { restAgent, simPool } from './helpers/sim-http.js';

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
