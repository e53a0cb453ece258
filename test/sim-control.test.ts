// The paper bridge's control path, request log, trade context (one trade at a time) and
// lifecycle. Servers on 127.0.0.1, ephemeral ports.
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { AccountSchema, ErrorBodySchema, TradeReplySchema } from '../src/bridge/schemas.js';
import { isLoopbackHost, startSim, syntheticAgents, type SimAgentOptions, type SimOptions } from '../src/sim/index.js';
import { call, failure, restAgent, simPool, sleep } from './helpers/sim-http.js';

const TOKEN = 'fault-token';
const pool = simPool();

async function sim(options: Partial<SimOptions> = {}, agent: Partial<SimAgentOptions> = {}) {
  const s = pool.track(
    await startSim({ seed: 3, ...options, agents: [{ id: 'a1', port: 0, token: TOKEN, initialBalance: 10_000, ...agent }] }),
  );
  const r = restAgent(s, TOKEN);
  // Positions as the engine has them (not through the faults under test).
  return { ...r, positions: () => r.a.positions() };
}

const BUY = { action: 'buy', symbol: 'EURUSD', lots: 0.1, comment: 'mt4gw:F1' };

describe('request log and control path', () => {
  it('logs protocol requests with body, action, status and fault, and never control calls', async () => {
    const { a, get, post, ctl } = await sim();
    await ctl('PUT', '/faults', { faults: [{ kind: 'http_503', endpoint: '/orders' }] });
    await get('/account?x=1');
    await post(BUY);
    await get('/orders');
    await call(a.url, 'GET', '/positions', { token: 'nope' });
    await ctl('GET', '/state');
    a.setBalance(500);
    const log = a.requests();
    expect(log.map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', '/account', 200],
      ['POST', '/trade', 200],
      ['GET', '/orders', 503],
      ['GET', '/positions', 401],
    ]);
    expect(log[0]!.query).toEqual({ x: '1' });
    expect(log[1]).toMatchObject({ action: 'buy', body: BUY });
    expect(log[2]!.fault).toBe('http_503');
    expect(log.every((r) => typeof r.time === 'number' && r.seq > 0)).toBe(true);
    const viaHttp = await ctl('GET', '/requests');
    expect(viaHttp.json.requests).toHaveLength(4);
    expect((await ctl('DELETE', '/requests')).status).toBe(200);
    expect(a.requests()).toEqual([]);
    await get('/account');
    a.clearRequests();
    expect(a.requests()).toEqual([]);
  });

  it('the control path needs the token and answers 404/405/400 with the error body', async () => {
    const { ctl } = await sim();
    expect((await ctl('GET', '/state', undefined, null)).status).toBe(401);
    expect((await ctl('GET', '/state', undefined, 'wrong')).status).toBe(401);
    const nf = await ctl('GET', '/nope');
    expect(nf.status).toBe(404);
    ErrorBodySchema.parse(nf.json);
    const na = await ctl('GET', '/balance');
    expect(na.status).toBe(405);
    expect(na.headers.allow).toBe('POST');
    const bad = await ctl('POST', '/price', { symbol: 'NOPE', bid: 1 });
    expect(bad.status).toBe(400);
    expect(ErrorBodySchema.parse(bad.json).error).toBe('bad_request');
    const notJson = await call((await sim()).base, 'POST', '/_sim/balance', { token: TOKEN, raw: '{' });
    expect(notJson.status).toBe(400);
  });

  it('drives the engine over HTTP: price, balance, clock, history, orders, spec, trading, faults', async () => {
    const { ctl, get, post, a } = await sim();
    const price = await ctl('POST', '/price', { symbol: 'XAUUSD', bid: 2600.123 });
    expect(price.json.quote).toMatchObject({ symbol: 'XAUUSD', bid: 2600.12, frozen: true });
    expect((await get('/tick/XAUUSD')).json.bid).toBe(2600.12);
    expect((await ctl('POST', '/price', { symbol: 'XAUUSD', bid: null })).json.quote.frozen).toBe(false);

    expect((await ctl('POST', '/balance', { balance: 321.5 })).status).toBe(200);
    expect(AccountSchema.parse((await get('/account')).json).balance).toBe(321.5);

    const clock = await ctl('POST', '/clock', { now: '2026-11-22T21:59:30Z' });
    expect(clock.json.server_time).toBe('2026-11-22T23:59:30+02:00');
    expect(AccountSchema.parse((await get('/account')).json).server_time).toBe('2026-11-22T23:59:30+02:00');

    const hist = await ctl('POST', '/history', {
      trades: [{ symbol: 'EURUSD', type: 'buy', lots: 0.1, open_price: 1.08, close_price: 1.07, close_time: '2026-11-22T21:00:00Z' }],
    });
    expect(hist.json.trades[0].profit).toBe(-100);
    expect((await get('/history')).json).toHaveLength(1);
    expect(AccountSchema.parse((await get('/account')).json).balance).toBe(221.5);

    const eur = a.quote('EURUSD')!;
    const ord = await ctl('POST', '/orders', {
      symbol: 'EURUSD',
      type: 'buy_limit',
      lots: 0.01,
      open_price: Number((eur.bid - 0.01).toFixed(5)),
    });
    expect(ord.status).toBe(200);
    expect((await get('/orders')).json[0].ticket).toBe(ord.json.ticket);
    expect((await ctl('POST', '/orders', { symbol: 'EURUSD', type: 'buy_limit', lots: 0.01, price: eur.ask + 0.01 })).status).toBe(400);

    expect((await ctl('POST', '/spec', { symbol: 'EURUSD', min_lot: 0.1 })).json.spec.min_lot).toBe(0.1);
    expect(TradeReplySchema.parse((await post({ action: 'buy', symbol: 'EURUSD', lots: 0.05 })).json).error_code).toBe(131);

    await ctl('POST', '/trading', { allowed: false });
    expect(TradeReplySchema.parse((await post({ action: 'buy', symbol: 'EURUSD', lots: 0.1 })).json).error_code).toBe(4109);
    await ctl('POST', '/trading', { allowed: true });

    await ctl('POST', '/faults', { kind: 'http_500', count: 1 });
    expect((await ctl('GET', '/faults')).json.faults).toEqual([{ kind: 'http_500', count: 1 }]);
    expect((await get('/account')).status).toBe(500);
    expect((await ctl('GET', '/faults')).json.faults).toEqual([]);
    await ctl('PUT', '/faults', { faults: [{ kind: 'http_503' }] });
    expect((await get('/account')).status).toBe(503);
    await ctl('DELETE', '/faults');
    expect((await get('/account')).status).toBe(200);

    const state = await ctl('GET', '/state');
    expect(state.json).toMatchObject({ ok: true, account: { balance: 221.5 } });
    expect(state.json.orders).toHaveLength(1);
    expect((await ctl('POST', '/clock', { now: null })).json.frozen).toBe(false);
  });
});

describe('trade context', () => {
  /** Waits (bounded) until the sim has received `n` requests. */
  async function received(a: { requests(): unknown[] }, n: number): Promise<void> {
    for (let i = 0; i < 200 && a.requests().length < n; i++) await sleep(5);
    expect(a.requests().length).toBeGreaterThanOrEqual(n);
  }

  it("busyPolicy 'reject': a trade arriving while another runs gets 146 and is not executed", async () => {
    const { a, post, positions } = await sim({ tradeLatencyMs: 400, busyPolicy: 'reject' });
    const first = post(BUY);
    await received(a, 1);
    const r2 = await post({ ...BUY, comment: 'second' });
    expect(TradeReplySchema.parse(r2.json)).toMatchObject({ success: false, error_code: 146 });
    expect(r2.ms).toBeLessThan(300);
    expect(TradeReplySchema.parse((await first).json)).toMatchObject({ success: true });
    expect(positions().map((p) => p.comment)).toEqual(['mt4gw:F1']);
    // Once the context is free again, trades go through.
    expect(TradeReplySchema.parse((await post(BUY)).json).success).toBe(true);
  });

  it("busyPolicy 'queue': trades wait their turn and run one after the other", async () => {
    const { a, post, positions } = await sim({ tradeLatencyMs: 250, busyPolicy: 'queue' });
    const started = performance.now();
    const done: string[] = [];
    const send = async (comment: string) => {
      const r = await post({ ...BUY, comment });
      done.push(comment);
      return TradeReplySchema.parse(r.json);
    };
    const one = send('one');
    await received(a, 1);
    const two = send('two');
    await received(a, 2);
    const three = send('three');
    const [r1, r2, r3] = await Promise.all([one, two, three]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(700);
    expect([r1.success, r2.success, r3.success]).toEqual([true, true, true]);
    expect(done).toEqual(['one', 'two', 'three']);
    expect(r1.ticket! < r2.ticket! && r2.ticket! < r3.ticket!).toBe(true);
    expect(positions()).toHaveLength(3);
  });

  it('reads are not held up by a running trade', async () => {
    const { a, post, get } = await sim({ tradeLatencyMs: 500 });
    const trade = post(BUY);
    await received(a, 1);
    const read = await get('/account');
    expect(read.ms).toBeLessThan(400);
    expect(a.positions()).toEqual([]); // the trade is still holding the context
    await trade;
    expect(a.positions()).toHaveLength(1);
  });
});

describe('lifecycle', () => {
  it('refuses to bind anything but loopback unless allowed', async () => {
    for (const host of ['0.0.0.0', '192.168.1.10', '::', 'example.com', '128.0.0.1']) {
      await expect(startSim({ agents: [{ id: 'x', host, port: 0, initialBalance: 1 }] })).rejects.toThrow(/loopback/);
    }
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', '127.0.0.256', 'localhost.example.com'].some(isLoopbackHost)).toBe(false);
  });

  it('syntheticAgents: agent_1..agent_N on consecutive ports, or all ephemeral', async () => {
    const fixed = syntheticAgents(3, 18081, 'tok');
    expect(fixed.map((a) => [a.id, a.port, a.token])).toEqual([
      ['agent_1', 18081, 'tok'],
      ['agent_2', 18082, 'tok'],
      ['agent_3', 18083, 'tok'],
    ]);
    expect(fixed.map((a) => a.initialBalance)).toEqual([200, 500, 1000]);
    const s = await startSim({ agents: syntheticAgents(4, 0, 'tok') });
    pool.track(s);
    expect(new Set(s.agents.map((a) => a.port)).size).toBe(4);
    expect(s.agents.every((a) => a.host === '127.0.0.1' && a.url === `http://127.0.0.1:${a.port}`)).toBe(true);
    expect((await call(s.agents[3]!.url, 'GET', '/account')).status).toBe(401);
    expect(AccountSchema.parse((await call(s.agents[3]!.url, 'GET', '/account', { token: 'tok' })).json).balance).toBe(200);
    expect(() => s.agent('agent_9')).toThrow(/no sim agent/);
  });

  it('a port in use fails startSim and leaves nothing running', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(
        startSim({
          agents: [
            { id: 'ok', port: 0, initialBalance: 1 },
            { id: 'clash', port, initialBalance: 1 },
          ],
        }),
      ).rejects.toThrow(/in use/);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('keeps connections alive, and close() shuts every server', async () => {
    const { s, base, get } = await sim();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const reused: boolean[] = [];
    for (let i = 0; i < 3; i++) await call(base, 'GET', '/account', { token: TOKEN, agent, onSocket: (r) => reused.push(r) });
    expect(reused).toEqual([false, true, true]);
    await s.close();
    expect((await failure(get('/account'))).code).toBe('ECONNREFUSED');
    agent.destroy();
  });
});
