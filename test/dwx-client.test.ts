// The DWX client against the DWX paper terminal (src/sim/dwx-server.ts) over real ZeroMQ sockets on
// 127.0.0.1: the Bridge mapping, stops in points, every error word, lost and late replies, a
// terminal that goes down. Every socket is closed after each test.
import { afterEach, describe, expect, it } from 'vitest';
import { DwxClient, _internal } from '../src/bridge/dwx/client.js';
import { LazyDwxBridge } from '../src/bridge/dwx/lazy.js';
import { BridgeError } from '../src/bridge/errors.js';
import { type DwxAgentServer, startSim, type SimHandle } from '../src/sim/index.js';

let sim: SimHandle | undefined;
const clients: DwxClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await sim?.close();
  sim = undefined;
});

async function terminal(opts: { timeoutMs?: number; balance?: number } = {}): Promise<{ c: DwxClient; t: DwxAgentServer; logs: string[] }> {
  sim = await startSim({ transport: 'dwx', seed: 7, agents: [{ id: 'a1', port: 0, initialBalance: opts.balance ?? 10_000 }] });
  const ports = sim.agents[0]!.dwx!;
  const logs: string[] = [];
  const c = new DwxClient(
    {
      id: 'a1',
      host: '127.0.0.1',
      pushPort: ports.push_port,
      pullPort: ports.pull_port,
      pubPort: ports.pub_port,
      timeoutMs: opts.timeoutMs ?? 1500,
      currency: 'USD',
    },
    { log: (l) => logs.push(l) },
  );
  clients.push(c);
  return { c, t: sim.agent('a1') as DwxAgentServer, logs };
}

const commands = (t: DwxAgentServer, prefix = '') =>
  t
    .requests()
    .map((r) => String(r.body))
    .filter((b) => b.startsWith(prefix));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function reject(p: Promise<unknown>): Promise<BridgeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BridgeError);
    return e as BridgeError;
  }
  throw new Error('expected a BridgeError');
}

describe('reads', () => {
  it('account, positions and pending orders map onto the Bridge types; what DWX cannot tell is undefined', async () => {
    const { c, t } = await terminal();
    t.setPrice('XAUUSD', 2650);
    const opened = t.engine.trade({
      action: 'buy',
      symbol: 'XAUUSD',
      lots: 0.02,
      sl: 2640,
      comment: 'mt4gw:0123456789 by hand',
      magic: 77,
    });
    const pending = t.addPendingOrder({ symbol: 'EURUSD', type: 'sell_stop', lots: 0.01, price: 1.0 });

    expect(c.transport).toBe('dwx');
    expect(c.capabilities).toEqual({ history: false, pendingOrders: true, symbolSpecs: false, serverTime: false });
    const acct = await c.account();
    const wire = t.account();
    expect(acct).toMatchObject({
      login: wire.login,
      name: wire.name,
      currency: 'USD',
      leverage: 500,
      balance: wire.balance,
      trade_allowed: true,
    });
    expect(acct.equity).toBeCloseTo(wire.equity, 2);
    expect(acct.margin).toBeCloseTo(wire.margin, 1);
    // The sim's broker runs at +02:00: estimated from the minute-truncated clock.
    expect(acct.server_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+02:00$/);
    expect(Math.abs(Date.parse(acct.server_time) - Date.now())).toBeLessThan(61_000);

    const [p] = await c.positions();
    const sp = t.positions()[0]!;
    expect(p).toMatchObject({
      ticket: opened.ticket,
      symbol: 'XAUUSD',
      type: 'buy',
      lots: 0.02,
      open_price: sp.open_price,
      sl: 2640,
      tp: null,
      comment: 'mt4gw:0123456789 by hand',
      magic: 77,
      swap: 0,
      commission: 0,
    });
    expect(Date.parse(p!.open_time)).toBe(Date.parse(sp.open_time));
    expect(p!.profit).toBeCloseTo(sp.profit, 2);
    expect(p!.current_price).toBeCloseTo(sp.current_price, 2); // derived from the profit: DWX does not report it

    expect(await c.orders()).toEqual([
      expect.objectContaining({ ticket: pending, type: 'sell_stop', lots: 0.01, open_price: 1, expiration: null }),
    ]);
    expect(await c.history()).toBeUndefined();
    expect(await c.symbol()).toBeUndefined();
  });

  it('concurrent calls are answered one command at a time, each with its own reply', async () => {
    const { c, t } = await terminal();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? c.account() : c.positions())));
    for (const [i, r] of results.entries()) {
      if (i % 2) expect(r).toMatchObject({ balance: 10_000 });
      else expect(r).toEqual([]);
    }
    // Concurrent reads of the same list share one command.
    expect(commands(t, 'TRADE;GET_').length).toBeLessThan(12);
  });

  it('tick: a quote even when the price does not move (a fresh slot after TRACK_PRICES), then from the cache', async () => {
    const { c, t } = await terminal();
    t.setPrice('XAUUSD', 2650);
    const q = await c.tick('XAUUSD');
    expect(q).toMatchObject({ symbol: 'XAUUSD', bid: 2650, ask: t.quote('XAUUSD')!.ask, spread: t.quote('XAUUSD')!.spread });
    expect(Date.now() - Date.parse(q.timestamp)).toBeLessThan(2_000);
    expect(commands(t, 'TRACK_PRICES')).toEqual(['TRACK_PRICES;XAUUSD', 'TRACK_PRICES;XAUUSD;XAUUSD']);
    // A second process-like run: the EA still has the slot (same tick string) — the fresh slot is what publishes.
    const again = await c.tick('XAUUSD');
    expect(again.bid).toBe(2650);
    expect(commands(t, 'TRACK_PRICES')).toHaveLength(2); // from the cache
    // A second symbol goes first in the list; the first stays tracked.
    await c.tick('EURUSD');
    expect(commands(t, 'TRACK_PRICES').slice(2)).toEqual(['TRACK_PRICES;EURUSD;XAUUSD', 'TRACK_PRICES;EURUSD;XAUUSD;EURUSD']);
  });

  it('tick: an unknown symbol is unknown_symbol (as REST answers it); a symbol that could break the command is never sent', async () => {
    const { c, t } = await terminal();
    const e = await reject(c.tick('NOPE'));
    expect(e.kind).toBe('unknown_symbol');
    expect(e.message).toMatch(/error_symbols/);
    const bad = await reject(c.tick('EUR;USD'));
    expect(bad.kind).toBe('unknown_symbol');
    expect(commands(t, 'TRACK_PRICES')).toEqual(['TRACK_PRICES;NOPE']);
  });

  it('TRADING_IS_NOT_ALLOWED for every command while AutoTrading is off: a read is a BridgeError with the word and a hint', async () => {
    const { c, t } = await terminal();
    t.setTradeAllowed(false);
    const e = await reject(c.account());
    expect(e.kind).toBe('busy');
    expect(e.message).toMatch(/TRADING_IS_NOT_ALLOWED__ABORTED_COMMAND/);
    expect(e.hint).toMatch(/AutoTrading/);
    expect(commands(t, 'TRADE;GET_ACCOUNT_INFO')).toHaveLength(3); // tried again: the context may have been busy
    const r = await c.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01, comment: 'x' });
    expect(r).toMatchObject({ success: false, error_code: 4109 });
    expect(r.message).toMatch(/^TRADING_IS_NOT_ALLOWED__ABORTED_COMMAND/);
    expect(t.positions()).toHaveLength(0);
  });
});

describe('trades', () => {
  it('opens without stops, then sets them from the open price: exactly the SL and TP asked for', async () => {
    const { c, t } = await terminal();
    t.setPrice('XAUUSD', 2650);
    const r = await c.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: 2641.37, tp: 2671.5, comment: 'mt4gw:abcdefghjk' });
    expect(r).toMatchObject({ success: true, error_code: 0, price: t.quote('XAUUSD')!.ask });
    expect(t.positions()).toEqual([expect.objectContaining({ ticket: r.ticket, sl: 2641.37, tp: 2671.5, comment: 'mt4gw:abcdefghjk' })]);
    const open = commands(t, 'TRADE;OPEN')[0]!.split(';');
    expect(open.slice(4, 7)).toEqual(['0', '0', '0']); // never stops with OPEN (the DMA-mode pitfall)
    expect(commands(t, 'TRADE;MODIFY')).toHaveLength(1);
  });

  it('TP only, SL only, a sell: "no stop" is sent as the distance that lands on 0 (SL=0 would mean the open price)', async () => {
    const { c, t } = await terminal();
    t.setPrice('EURUSD', 1.08);
    const tpOnly = await c.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01, tp: 1.09, comment: 'a' });
    const slOnly = await c.trade({ action: 'sell', symbol: 'EURUSD', lots: 0.01, sl: 1.09, comment: 'b' });
    const byTicket = new Map(t.positions().map((p) => [p.ticket, p]));
    expect(byTicket.get(tpOnly.ticket!)).toMatchObject({ sl: 0, tp: 1.09 });
    expect(byTicket.get(slOnly.ticket!)).toMatchObject({ sl: 1.09, tp: 0 });
    expect(t.history()).toHaveLength(0); // nothing was closed again
  });

  it('stops the broker refuses: the trade is closed again and the failure says so (the EA’s own DMA rule)', async () => {
    const { c, t } = await terminal();
    t.setPrice('XAUUSD', 2650);
    t.setSpec('XAUUSD', { stop_level: 5000 });
    const r = await c.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: 2640, comment: 'mt4gw:abcdefghjk' });
    expect(r).toMatchObject({ success: false, error_code: 130 });
    expect(r.message).toMatch(/^ERROR_SETTING_SL_TP: ticket \d+ opened at .*stops could not be set.*closed again/);
    expect(t.positions()).toHaveLength(0);
  });

  it('a symbol without a known point size is refused before anything is sent', async () => {
    const { c, t } = await terminal();
    const r = await c.trade({ action: 'buy', symbol: 'XAUUSD.m', lots: 0.01, sl: 1, comment: 'x' });
    expect(r).toMatchObject({ success: false, error_code: 3 });
    expect(r.message).toMatch(/point size.*symbols:/);
    expect(commands(t, 'TRADE;OPEN')).toHaveLength(0);
  });

  it('the EA guards and errors map to MT4 codes with the original word', async () => {
    const { c, t } = await terminal();
    t.setEaInputs({ maxLotSize: 0.01, maxOrders: 1 });
    const lot = await c.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.02, comment: 'x' });
    expect(lot).toMatchObject({ success: false, error_code: 131 });
    expect(lot.message).toMatch(/LOT_SIZE_ERROR \(MAX_LOT_SIZE_EXCEEDED\).*MaximumLotSize/);
    expect((await c.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01, comment: 'x' })).success).toBe(true);
    const num = await c.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01, comment: 'x' });
    expect(num).toMatchObject({ success: false, error_code: 148 });
    expect(num.message).toMatch(/NUM_ORDERS_ERROR.*MaximumOrders/);

    t.setEaInputs({ maxOrders: 100 });
    t.setFaults([{ kind: 'trade_error', code: 146, count: 1 }]);
    const busy = await c.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01, comment: 'x' });
    expect(busy).toMatchObject({ success: false, error_code: 146 });
    expect(busy.message).toMatch(/^TRADE_CONTEXT_BUSY__ABORTED_COMMAND/);
    t.setFaults([{ kind: 'trade_error', code: 134, count: 1 }]);
    expect(await c.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01, comment: 'x' })).toMatchObject({
      success: false,
      error_code: 134,
      message: 'not enough money',
    });
    expect(t.positions()).toHaveLength(1);
  });

  it('modify: a stop left out keeps its value, null removes it, no change is answered 1 without a command', async () => {
    const { c, t } = await terminal();
    t.setPrice('XAUUSD', 2650);
    const { ticket } = await c.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: 2640, tp: 2660, comment: 'x' });
    expect(await c.trade({ action: 'modify', ticket: ticket!, sl: 2645 })).toMatchObject({ success: true });
    expect(t.positions()[0]).toMatchObject({ sl: 2645, tp: 2660 });
    expect(await c.trade({ action: 'modify', ticket: ticket!, tp: null })).toMatchObject({ success: true });
    expect(t.positions()[0]).toMatchObject({ sl: 2645, tp: 0 });
    const before = commands(t, 'TRADE;MODIFY').length;
    expect(await c.trade({ action: 'modify', ticket: ticket!, sl: 2645 })).toMatchObject({ success: false, error_code: 1 });
    expect(await c.trade({ action: 'modify', ticket: 999, sl: 1 })).toMatchObject({ success: false, error_code: 4108 });
    expect(commands(t, 'TRADE;MODIFY')).toHaveLength(before);
    const wrong = await c.trade({ action: 'modify', ticket: ticket!, sl: 2655 });
    expect(wrong).toMatchObject({ success: false, error_code: 130 });
  });

  it('close, partial close (with the new ticket), close of a pending order or an unknown ticket, delete', async () => {
    const { c, t } = await terminal();
    t.setPrice('EURUSD', 1.08);
    const a = (await c.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.05, comment: 'x' })).ticket!;
    const part = await c.trade({ action: 'close', ticket: a, lots: 0.02 });
    expect(part).toMatchObject({ success: true, ticket: a, price: 1.08 });
    expect(part.new_ticket).toBeGreaterThan(a);
    expect(t.positions()).toEqual([expect.objectContaining({ ticket: part.new_ticket, lots: 0.03 })]);
    expect(await c.trade({ action: 'close', ticket: a, lots: 0.005 })).toMatchObject({ success: false, error_code: 4108 }); // closed: not found
    expect(await c.trade({ action: 'close', ticket: part.new_ticket!, lots: 0.005 })).toMatchObject({ success: false, error_code: 131 }); // the EA would close it all
    expect(await c.trade({ action: 'close', ticket: part.new_ticket! })).toMatchObject({ success: true, price: 1.08 });
    expect(t.positions()).toHaveLength(0);

    const pending = t.addPendingOrder({ symbol: 'EURUSD', type: 'buy_limit', lots: 0.01, price: 1.07 });
    expect(await c.trade({ action: 'close', ticket: pending })).toMatchObject({ success: false, error_code: 4108 });
    expect(await c.trade({ action: 'delete', ticket: pending })).toMatchObject({ success: true });
    expect(t.orders()).toHaveLength(0);
    expect(await c.trade({ action: 'close', ticket: 424242 })).toMatchObject({ success: false, error_code: 4108 });
    expect(commands(t, 'TRADE;CLOSE;').map((x) => x.split(';').at(-1))).toEqual([String(part.new_ticket), String(pending)]);
  });

  it("a close the EA answers SUCCESS for but did not do is a failure with MT4's code", async () => {
    const { c, t } = await terminal();
    const { ticket } = await c.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01, comment: 'x' });
    t.setFaults([{ kind: 'trade_error', code: 129, count: 1 }]);
    const r = await c.trade({ action: 'close', ticket: ticket! });
    expect(r).toMatchObject({ success: false, error_code: 129 });
    expect(r.message).toMatch(/invalid price.*not closed, although the EA answered SUCCESS/);
    expect(t.positions()).toHaveLength(1);
  });

  it('closeAll: CLOSE_ALL with a word per ticket', async () => {
    const { c, t } = await terminal();
    await c.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01, comment: 'x' });
    await c.trade({ action: 'sell', symbol: 'GBPUSD', lots: 0.01, comment: 'y' });
    const pending = t.addPendingOrder({ symbol: 'EURUSD', type: 'buy_limit', lots: 0.01, price: 1.0 });
    const rows = await c.closeAll();
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.closed)).toBe(true);
    expect(rows.find((r) => r.ticket === pending)?.message).toBe('deleted');
    expect(t.positions()).toHaveLength(0);
    expect(t.orders()).toHaveLength(0);
  });
});

describe('lost, late and unreadable replies; a terminal that goes down', () => {
  it('an OPEN whose reply is lost is maybe-executed: without stops the trading layer looks it up', async () => {
    const { c, t } = await terminal({ timeoutMs: 400 });
    t.setFaults([{ kind: 'execute_then_drop', count: 1, endpoint: '/trade' }]);
    const e = await reject(c.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01, comment: 'mt4gw:aaaaaaaaaa' }));
    expect(e).toMatchObject({ kind: 'timeout', maybeExecuted: true });
    expect(t.positions()).toHaveLength(1);
  });

  it('an OPEN whose reply is lost, with stops: found by its comment, and its stops set', async () => {
    const { c, t } = await terminal({ timeoutMs: 400 });
    t.setPrice('XAUUSD', 2650);
    t.setFaults([{ kind: 'execute_then_drop', count: 1, endpoint: '/trade', action: 'buy' }]);
    const r = await c.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: 2640, comment: 'mt4gw:bbbbbbbbbb' });
    expect(r).toMatchObject({ success: true });
    expect(r.message).toMatch(/reply was lost; found by its comment/);
    expect(t.positions()).toEqual([expect.objectContaining({ ticket: r.ticket, sl: 2640, comment: 'mt4gw:bbbbbbbbbb' })]);
    expect(commands(t, 'TRADE;OPEN')).toHaveLength(1);
  });

  it('a hung command times out; the next command is preceded by a HEARTBEAT and a late reply is never taken for it', async () => {
    const { c, t, logs } = await terminal({ timeoutMs: 300 });
    t.setFaults([{ kind: 'latency', ms: 500, count: 1, endpoint: '/account' }]);
    const e = await reject(c.account());
    expect(e).toMatchObject({ kind: 'timeout', maybeExecuted: false });
    // The late account reply arrives while positions waits behind its heartbeat: it is dropped.
    expect(await c.positions()).toEqual([]);
    // The read was sent again halfway (it changes nothing), then the heartbeat, then the next command.
    const acct = 'TRADE;GET_ACCOUNT_INFO;0;NULL;0;0;0;mt4gw;0;0;0';
    expect(commands(t).slice(0, 4)).toEqual([acct, acct, 'HEARTBEAT;', 'TRADE;GET_OPEN_TRADES;0;NULL;0;0;0;mt4gw;0;0;0']);
    expect(logs.some((l) => /dropped a reply/.test(l))).toBe(true);
    expect((await c.account()).balance).toBe(10_000);
  });

  it('a read whose reply is lost is sent once more and answered within its timeout', async () => {
    const { c, t, logs } = await terminal({ timeoutMs: 600 });
    t.setFaults([{ kind: 'hang', count: 1, endpoint: '/positions' }]);
    const started = Date.now();
    expect(await c.positions()).toEqual([]);
    expect(Date.now() - started).toBeLessThan(600);
    expect(commands(t, 'TRADE;GET_OPEN_TRADES')).toHaveLength(2);
    expect(logs.some((l) => /sent again/.test(l))).toBe(true);
  });

  it('a hung OPEN is maybe-executed; nothing is ever sent twice', async () => {
    const { c, t } = await terminal({ timeoutMs: 300 });
    t.setFaults([{ kind: 'hang', count: 1, endpoint: '/trade' }]);
    const e = await reject(c.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01, comment: 'x' }));
    expect(e).toMatchObject({ kind: 'timeout', maybeExecuted: true });
    expect(commands(t, 'TRADE;OPEN')).toHaveLength(1);
    expect(t.positions()).toHaveLength(0);
  });

  it('an unreadable reply is a protocol error naming the command', async () => {
    const { c, t } = await terminal();
    t.setFaults([{ kind: 'malformed_json', count: 1, endpoint: '/positions' }]);
    const e = await reject(c.positions());
    expect(e.kind).toBe('protocol');
    expect(e.message).toMatch(/outside the DWX format/);
    t.setFaults([{ kind: 'wrong_types', count: 1, endpoint: '/account' }]);
    expect((await reject(c.account())).kind).toBe('protocol');
    expect(await c.positions()).toEqual([]);
  });

  it('a terminal that is down: unreachable at once and nothing sent; back up, it answers again', async () => {
    const { c, t } = await terminal({ timeoutMs: 2000 });
    await c.account();
    const before = t.requests().length;
    await t.goDown();
    await sleep(100); // the client sees the connections drop
    const started = Date.now();
    const e = await reject(c.account());
    expect(e.kind).toBe('unreachable');
    expect(e.message).toMatch(/connection refused on the EA's (PUSH|PULL)_PORT.*nothing was sent/);
    expect(Date.now() - started).toBeLessThan(1500);
    const t2 = await reject(c.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01, comment: 'x' }));
    expect(t2.maybeExecuted).toBe(false);
    await t.goUp();
    expect((await c.account()).balance).toBe(10_000);
    expect(t.requests().length).toBe(before + 1);
  });

  it('nothing listening at all: unreachable, with the port', async () => {
    const c = new DwxClient({ id: 'x', host: '127.0.0.1', pushPort: 1, pullPort: 2, pubPort: 3, timeoutMs: 1000, currency: 'USD' });
    clients.push(c);
    const e = await reject(c.account());
    expect(e).toMatchObject({ kind: 'unreachable', maybeExecuted: false });
    expect(e.message).toMatch(/PUSH_PORT 1|PULL_PORT 2/);
  });
});

describe('the lazy bridge', () => {
  it('answers the capability questions without connecting, and forwards the rest', async () => {
    const { t } = await terminal();
    const ports = sim!.agents[0]!.dwx!;
    const b = new LazyDwxBridge({
      id: 'a1',
      host: '127.0.0.1',
      pushPort: ports.push_port,
      pullPort: ports.pull_port,
      pubPort: ports.pub_port,
      timeoutMs: 1000,
      currency: 'USD',
    });
    expect(await b.history()).toBeUndefined();
    expect(await b.symbol()).toBeUndefined();
    expect(t.requests()).toHaveLength(0);
    expect((await b.account()).balance).toBe(10_000);
    await b.close();
  });
});

it('comments: one order is recognised by its mt4gw tag even when the broker rewrote the rest', () => {
  expect(_internal.sameOrder('mt4gw:0123456789 note', 'mt4gw:0123456789 [sl]')).toBe(true);
  expect(_internal.sameOrder('mt4gw:0123456789', 'mt4gw:0123456788')).toBe(false);
  expect(_internal.sameOrder('plain', 'plain')).toBe(true);
  expect(_internal.sameOrder('', '')).toBe(false);
});
