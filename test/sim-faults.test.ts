// The paper bridge's fault injection: every fault kind observed from the client's side of a real
// socket, and the filters that choose which requests a fault hits. The control path, the request
// log, the trade context and the lifecycle are sim-control.test.ts. Servers on 127.0.0.1,
// ephemeral ports.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AccountSchema, ErrorBodySchema, PositionSchema, TradeReplySchema } from '../src/bridge/schemas.js';
import { startSim, syntheticAgents, type Fault, type SimAgentOptions, type SimOptions } from '../src/sim/index.js';
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
    pool.track(s);
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
