// The paper bridge's fault injection, control path, trade context and lifecycle. Every fault kind
// is observed from the client's side of a real socket. Servers on 127.0.0.1, ephemeral ports.
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AccountSchema, ErrorBodySchema, PositionSchema, TradeReplySchema } from '../src/bridge/schemas.js';
import {
  isLoopbackHost,
  startSim,
  syntheticAgents,
  type Fault,
  type SimAgentOptions,
  type SimHandle,
  type SimOptions,
} from '../src/sim/index.js';

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
  ms: number;
}

function call(
  base: string,
  method: string,
  path: string,
  o: { token?: string; body?: unknown; raw?: string; timeoutMs?: number; agent?: http.Agent; onSocket?: (reused: boolean) => void } = {},
): Promise<HttpResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const payload = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
    const headers: Record<string, string> = {};
    if (o.token !== undefined) headers.authorization = o.token;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const req = http.request(`${base}${path}`, { method, headers, agent: o.agent ?? false }, (res) => {
      o.onSocket?.(req.reusedSocket);
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
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, ms: performance.now() - started });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(o.timeoutMs ?? 10_000, () => req.destroy(new Error('client timeout')));
    req.end(payload);
  });
}

/** The error a request ends with (fails the test if it gets a reply instead). */
async function failure(p: Promise<HttpResult>): Promise<NodeJS.ErrnoException> {
  try {
    const r = await p;
    throw new Error(`expected no reply, got HTTP ${r.status} ${r.text}`);
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const TOKEN = 'fault-token';
const open: SimHandle[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function sim(options: Partial<SimOptions> = {}, agent: Partial<SimAgentOptions> = {}) {
  const s = await startSim({ seed: 3, ...options, agents: [{ id: 'a1', port: 0, token: TOKEN, initialBalance: 10_000, ...agent }] });
  open.push(s);
  const base = s.agents[0]!.url;
  const a = s.agent('a1');
  const get = (path: string, o: { timeoutMs?: number } = {}) => call(base, 'GET', path, { token: TOKEN, ...o });
  const post = (body: unknown, o: { timeoutMs?: number } = {}) => call(base, 'POST', '/trade', { token: TOKEN, body, ...o });
  /** token null: send none. */
  const ctl = (method: string, path: string, body?: unknown, token: string | null = TOKEN) =>
    call(base, method, `/_sim${path}`, { ...(token === null ? {} : { token }), ...(body === undefined ? {} : { body }) });
  const positions = () => a.positions();
  return { s, a, base, get, post, ctl, positions };
}

const BUY = { action: 'buy', symbol: 'EURUSD', lots: 0.1, comment: 'mt4gw:F1' };

describe('fault kinds', () => {
  it('latency delays the reply by ms (+ jitter)', async () => {
    const { a, get } = await sim();
    const fast = await get('/account');
    a.setFaults([{ kind: 'latency', ms: 300, jitter: 50, endpoint: '/account' }]);
    const slow = await get('/account');
    expect(slow.status).toBe(200);
    AccountSchema.parse(slow.json);
    expect(slow.ms).toBeGreaterThanOrEqual(290);
    expect(slow.ms).toBeLessThan(2_000);
    expect((await get('/positions')).ms).toBeLessThan(250);
    expect(fast.ms).toBeLessThan(250);
    expect(a.requests().at(-2)).toMatchObject({ path: '/account', fault: 'latency', status: 200 });
  });

  it('trade_error answers success:false with the code and does not execute; count limits it', async () => {
    const { a, post, positions } = await sim();
    a.setFaults([{ kind: 'trade_error', code: 136, count: 1 }]);
    const r = await post(BUY);
    expect(r.status).toBe(200);
    expect(TradeReplySchema.parse(r.json)).toMatchObject({ success: false, error_code: 136, ticket: null });
    expect(positions()).toEqual([]);
    const ok = TradeReplySchema.parse((await post(BUY)).json);
    expect(ok.success).toBe(true);
    expect(positions()).toHaveLength(1);
    expect(a.faults()).toEqual([]);
  });

  it('execute_then_drop executes the trade and closes the socket without a reply', async () => {
    const { a, post, positions } = await sim();
    a.setFaults([{ kind: 'execute_then_drop', endpoint: '/trade' }]);
    const err = await failure(post(BUY));
    expect(err.code ?? err.message).toMatch(/ECONNRESET|socket hang up/);
    const ps = z.array(PositionSchema).parse(positions());
    expect(ps).toHaveLength(1);
    expect(ps[0]!.comment).toBe('mt4gw:F1');
    expect(a.requests()[0]).toMatchObject({ action: 'buy', fault: 'execute_then_drop' });
    expect(a.requests()[0]!.status).toBeUndefined();
  });

  it('hang never answers: the client gives up, and close() still ends promptly', async () => {
    const { s, a, get, post, positions } = await sim();
    a.setFaults([{ kind: 'hang' }]);
    const err = await failure(get('/account', { timeoutMs: 300 }));
    expect(err.message).toBe('client timeout');
    expect(positions()).toEqual([]);
    const tradeErr = await failure(post(BUY, { timeoutMs: 200 }));
    expect(tradeErr.message).toBe('client timeout');
    expect(positions()).toEqual([]); // a hung trade is not executed
    // A client that would wait for ever is cut off when the sim closes.
    const patient = failure(get('/positions', { timeoutMs: 60_000 }));
    await sleep(100);
    const started = performance.now();
    await s.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect((await patient).code ?? (await patient).message).toMatch(/ECONNRESET|socket hang up/);
  });

  it('malformed_json answers 200 with a body that is not JSON', async () => {
    const { a, get, post } = await sim();
    a.setFaults([{ kind: 'malformed_json' }]);
    for (const r of [await get('/account'), await get('/positions'), await post(BUY)]) {
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/json/);
      expect(() => JSON.parse(r.text)).toThrow();
    }
  });

  it('wrong_types answers valid JSON that the schemas reject', async () => {
    const { a, get, post } = await sim();
    a.setFaults([{ kind: 'wrong_types' }]);
    const acc = await get('/account');
    expect(acc.status).toBe(200);
    expect(typeof acc.json.balance).toBe('string');
    expect(AccountSchema.safeParse(acc.json).success).toBe(false);
    expect(z.array(PositionSchema).safeParse((await get('/positions')).json).success).toBe(false);
    const t = await post(BUY);
    expect(TradeReplySchema.safeParse(t.json).success).toBe(false);
  });

  it('http_500 and http_503 answer with the error body; nothing is executed', async () => {
    const { a, post, get, positions } = await sim();
    a.setFaults([{ kind: 'http_500', endpoint: '/trade' }]);
    const r500 = await post(BUY);
    expect(r500.status).toBe(500);
    ErrorBodySchema.parse(r500.json);
    a.setFaults([{ kind: 'http_503' }]);
    const r503 = await get('/account');
    expect(r503.status).toBe(503);
    expect(ErrorBodySchema.parse(r503.json).error).toBe('busy');
    expect((await post(BUY)).status).toBe(503);
    expect(positions()).toEqual([]);
  });

  it('unauthorized answers 401 even with the right token', async () => {
    const { a, get } = await sim();
    a.setFaults([{ kind: 'unauthorized', count: 1 }]);
    const r = await get('/account');
    expect(r.status).toBe(401);
    expect(ErrorBodySchema.parse(r.json).error).toBe('unauthorized');
    expect((await get('/account')).status).toBe(200);
  });

  it('down refuses connections for `seconds`, then listens again on the same port', async () => {
    const { s, a, get, positions } = await sim();
    const port = s.agents[0]!.port;
    a.setFaults([{ kind: 'down', seconds: 0.6, count: 1 }]);
    const first = await failure(get('/account'));
    expect(first.code ?? first.message).toMatch(/ECONNRESET|socket hang up/);
    await sleep(50);
    expect(a.isDown()).toBe(true);
    const refused = await failure(get('/account'));
    expect(refused.code).toBe('ECONNREFUSED');
    await sleep(900);
    expect(a.isDown()).toBe(false);
    const back = await get('/account');
    expect(back.status).toBe(200);
    expect(s.agents[0]!.port).toBe(port);
    expect(positions()).toEqual([]);
  });

  it('goDown/goUp in process, and POST /_sim/down over HTTP', async () => {
    const { a, get, ctl } = await sim();
    await a.goDown();
    expect((await failure(get('/account'))).code).toBe('ECONNREFUSED');
    await a.goUp();
    expect((await get('/account')).status).toBe(200);
    expect((await ctl('POST', '/down', {})).status).toBe(400);
    const r = await ctl('POST', '/down', { seconds: 0.4 });
    expect(r.status).toBe(200);
    await sleep(100);
    expect((await failure(get('/account'))).code).toBe('ECONNREFUSED');
    await sleep(600);
    expect((await get('/account')).status).toBe(200);
  });
});

describe('fault filters', () => {
  it('endpoint matches the path and what lies below it', async () => {
    const { a, get } = await sim();
    a.setFaults([{ kind: 'http_500', endpoint: '/tick' }]);
    expect((await get('/tick/XAUUSD')).status).toBe(500);
    expect((await get('/account')).status).toBe(200);
    a.setFaults([{ kind: 'http_500', endpoint: '/tick/EURUSD' }]);
    expect((await get('/tick/XAUUSD')).status).toBe(200);
    expect((await get('/tick/EURUSD')).status).toBe(500);
    a.setFaults([{ kind: 'http_500', endpoint: '/position' }]);
    expect((await get('/positions')).status).toBe(200);
  });

  it('action only hits /trade bodies with that action', async () => {
    const { a, post, get } = await sim();
    a.setFaults([
      { kind: 'trade_error', code: 4, action: 'close' },
      { kind: 'http_503', action: 'modify' },
    ]);
    const opened = TradeReplySchema.parse((await post(BUY)).json);
    expect(opened.success).toBe(true);
    expect((await get('/account')).status).toBe(200);
    expect((await post({ action: 'modify', ticket: opened.ticket, sl: 1 })).status).toBe(503);
    expect(TradeReplySchema.parse((await post({ action: 'close', ticket: opened.ticket })).json)).toMatchObject({
      success: false,
      error_code: 4,
    });
    expect(a.positions()).toHaveLength(1);
  });

  it('count applies to the next N matching requests; rate is seeded and reproducible', async () => {
    const { a, get } = await sim();
    a.setFaults([{ kind: 'http_500', count: 2, endpoint: '/account' }]);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get('/account')).status);
    expect(statuses).toEqual([500, 500, 200, 200]);

    const pattern = async (seed: number) => {
      const h = await sim({ seed, faults: [{ kind: 'http_503', rate: 0.5 }] });
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await h.get('/account')).status);
      return out;
    };
    const p1 = await pattern(11);
    const p2 = await pattern(11);
    expect(p2).toEqual(p1);
    const hits = p1.filter((x) => x === 503).length;
    expect(hits).toBeGreaterThan(0);
    expect(hits).toBeLessThan(30);
    expect(await pattern(12)).not.toEqual(p1);
  });

  it('SimOptions.faults apply to every agent from the start', async () => {
    const s = await startSim({ seed: 1, faults: [{ kind: 'http_503', count: 1 }], agents: syntheticAgents(3, 0) });
    open.push(s);
    for (const agent of s.agents) {
      expect((await call(agent.url, 'GET', '/account')).status).toBe(503);
      expect((await call(agent.url, 'GET', '/account')).status).toBe(200);
    }
  });

  it('a bad fault is refused with a reason', async () => {
    const { a, ctl } = await sim();
    expect(() => a.setFaults([{ kind: 'explode' } as unknown as Fault])).toThrow(/kind must be one of/);
    expect(() => a.addFault({ kind: 'latency', rate: 2, ms: 1 })).toThrow(/rate/);
    const r = await ctl('PUT', '/faults', { faults: [{ kind: 'latency' }] });
    expect(r.status).toBe(400);
    expect(ErrorBodySchema.parse(r.json).message).toMatch(/ms/);
    await expect(startSim({ agents: syntheticAgents(1, 0), faults: [{ kind: 'hang', count: 0 }] })).rejects.toThrow(/count/);
  });
});

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
    open.push(s);
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
