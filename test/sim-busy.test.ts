// The REST paper bridge whose trade context is held busy (issue 12): with busy policy 'queue' the
// trades that arrive meanwhile wait in a FIFO queue and run in the order they came once it is
// free — also when their clients gave up — and with 'reject' they are answered 146. Reads go on.
// Everything is asserted on the sim's state and request log, never on timings. Servers on
// 127.0.0.1, ephemeral ports.
import { describe, expect, it } from 'vitest';
import { ErrorBodySchema, TradeReplySchema } from '../src/bridge/schemas.js';
import { type BusyPolicy, type SimAgentControl, startSim, type SimOptions } from '../src/sim/index.js';
import { failure, restAgent, simPool, until } from './helpers/sim-http.js';

const TOKEN = 'busy-token';
const pool = simPool();

async function sim(busyPolicy: BusyPolicy, options: Partial<SimOptions> = {}) {
  const s = pool.track(
    await startSim({ seed: 5, busyPolicy, ...options, agents: [{ id: 'a1', port: 0, token: TOKEN, initialBalance: 10_000 }] }),
  );
  const r = restAgent(s, TOKEN);
  r.a.setPrice('EURUSD', 1.08);
  return r;
}

const buy = (comment: string) => ({ action: 'buy', symbol: 'EURUSD', lots: 0.1, comment });

/** Waits (bounded) until the sim has logged `n` trades and the last one is waiting in the queue. */
async function queuedCount(a: SimAgentControl, n: number): Promise<void> {
  await until(() => {
    const trades = a.requests().filter((r) => r.path === '/trade');
    return trades.length === n && trades.at(-1)!.queued === true;
  }, `${n} queued trades`);
}

describe("a held trade context, busy policy 'queue'", () => {
  it('trades wait, then run in the order sent, although every client timed out; the log shows it all', async () => {
    const { a, get, post, positions } = await sim('queue');
    a.holdTradeContext();
    expect(a.tradeContextStatus()).toMatchObject({ policy: 'queue', held: true, busy: true, queued: 0 });
    const sent = [];
    for (const [i, tag] of ['q1', 'q2', 'q3'].entries()) {
      sent.push(failure(post(buy(tag), { timeoutMs: 300 })));
      await queuedCount(a, i + 1);
    }
    // Reads are not held up; nothing has executed.
    const acc = await get('/account');
    expect(acc.status).toBe(200);
    expect(await positions()).toEqual([]);
    expect(a.tradeContextStatus()).toMatchObject({ held: true, queued: 3 });
    for (const e of await Promise.all(sent)) expect(e.message).toBe('client timeout');
    const trades = () => a.requests().filter((r) => r.path === '/trade');
    await until(() => trades().every((r) => r.disconnectedAt !== undefined), 'the sim to see the clients go');
    expect(trades().every((r) => r.queued === true && r.executedAt === undefined && r.answeredAt === undefined)).toBe(true);

    a.releaseTradeContext();
    await a.waitTradeContextIdle();
    const ps = await positions();
    expect(ps.map((p) => p.comment)).toEqual(['q1', 'q2', 'q3']);
    const log = trades();
    expect(log.map((r) => r.body)).toEqual([buy('q1'), buy('q2'), buy('q3')]);
    expect(log.map((r) => r.executionSeq)).toEqual([1, 2, 3]);
    expect(log.map((r) => r.outcome?.ticket)).toEqual(ps.map((p) => p.ticket));
    for (const r of log) {
      expect(r).toMatchObject({ queued: true, status: 200, clientConnected: false, outcome: { success: true, error_code: 0 } });
      expect(r.executedAt).toBeGreaterThanOrEqual(r.time);
      expect(r.answeredAt).toBeGreaterThanOrEqual(r.executedAt!);
    }
    expect(a.tradeContextStatus()).toMatchObject({ busy: false, held: false, running: false, queued: 0 });
  });

  it('a client still waiting gets the late reply', async () => {
    const { a, post, positions } = await sim('queue');
    a.holdTradeContext();
    const late = post(buy('late'), { timeoutMs: 10_000 });
    await queuedCount(a, 1);
    a.releaseTradeContext();
    const r = await late;
    const reply = TradeReplySchema.parse(r.json);
    expect(reply).toMatchObject({ success: true, error_code: 0 });
    expect((await positions()).map((p) => p.ticket)).toEqual([reply.ticket]);
    expect(a.requests()[0]).toMatchObject({ queued: true, clientConnected: true, outcome: { ticket: reply.ticket } });
  });

  it('closes, modifies and deletes take their turn in the same queue as opens', async () => {
    const { a, trade, post, positions, orders } = await sim('queue');
    const first = await trade(buy('first'));
    const second = await trade(buy('second'));
    const pending = a.addPendingOrder({ symbol: 'EURUSD', type: 'buy_limit', lots: 0.1, price: 1.07 });
    a.clearRequests();
    a.holdTradeContext();
    const bodies = [
      { action: 'close', ticket: first.ticket },
      { action: 'modify', ticket: second.ticket, sl: 1.07 },
      { action: 'delete', ticket: pending },
      buy('third'),
      { action: 'close', ticket: first.ticket }, // already closed by then: 4108
    ];
    const sent = [];
    for (const [i, body] of bodies.entries()) {
      sent.push(post(body, { timeoutMs: 10_000 }));
      await queuedCount(a, i + 1);
    }
    expect(await positions()).toHaveLength(2);
    a.releaseTradeContext();
    const replies = (await Promise.all(sent)).map((r) => TradeReplySchema.parse(r.json));
    expect(replies.map((r) => [r.success, r.error_code])).toEqual([
      [true, 0],
      [true, 0],
      [true, 0],
      [true, 0],
      [false, 4108],
    ]);
    const log = a.requests().filter((r) => r.path === '/trade');
    expect(log.map((r) => r.action)).toEqual(['close', 'modify', 'delete', 'buy', 'close']);
    expect(log.map((r) => r.executionSeq)).toEqual([3, 4, 5, 6, 7]); // two trades before; the count goes on like seq
    const ps = await positions();
    expect(ps.map((p) => p.comment)).toEqual(['second', 'third']);
    expect(ps[0]!.sl).toBe(1.07);
    expect(await orders()).toEqual([]);
  });

  it('a hold with seconds ends on its own; holds extend, never shorten', async () => {
    const { a, post } = await sim('queue');
    a.holdTradeContext(30);
    a.holdTradeContext(5); // shorter: no effect
    expect(a.tradeContextStatus().held_for_seconds).toBe(30);
    a.releaseTradeContext();
    a.holdTradeContext(0.2);
    const r = post(buy('after'), { timeoutMs: 10_000 });
    await queuedCount(a, 1);
    await a.waitTradeContextIdle();
    expect(TradeReplySchema.parse((await r).json).success).toBe(true);
    expect(a.tradeContextStatus().held).toBe(false);
    expect(() => a.holdTradeContext(-1)).toThrow(/seconds/);
  });

  it('tradeLatencyMs and a hold combine: each queued trade still holds the context in turn', async () => {
    const { a, post, positions } = await sim('queue', { tradeLatencyMs: 20 });
    a.holdTradeContext();
    const sent = [];
    for (const [i, tag] of ['l1', 'l2'].entries()) {
      sent.push(post(buy(tag), { timeoutMs: 10_000 }));
      await queuedCount(a, i + 1);
    }
    a.releaseTradeContext();
    await Promise.all(sent);
    expect((await positions()).map((p) => p.comment)).toEqual(['l1', 'l2']);
  });

  it('closing the sim drops what is queued: never executed, and close() does not wait for the hold', async () => {
    const { s, a, post } = await sim('queue');
    a.holdTradeContext();
    const p = failure(post(buy('never'), { timeoutMs: 10_000 }));
    await queuedCount(a, 1);
    await s.close();
    expect((await p).code ?? (await p).message).toMatch(/ECONNRESET|socket hang up/);
    expect(a.positions()).toEqual([]);
    expect(a.requests()[0]!.executedAt).toBeUndefined();
  });
});

describe("a held trade context, busy policy 'reject'", () => {
  it('trades are answered 146 and not executed; reads go on; once released, trades go through', async () => {
    const { a, post, get, positions } = await sim('reject');
    a.holdTradeContext();
    const r = await post(buy('refused'));
    expect(TradeReplySchema.parse(r.json)).toMatchObject({ success: false, error_code: 146, ticket: null });
    expect((await get('/positions')).status).toBe(200);
    expect(await positions()).toEqual([]);
    expect(a.requests()[0]).toMatchObject({ queued: false, outcome: { success: false, error_code: 146 }, clientConnected: true });
    expect(a.requests()[0]!.executedAt).toBeUndefined();
    a.releaseTradeContext();
    expect(TradeReplySchema.parse((await post(buy('ok'))).json).success).toBe(true);
    expect((await positions()).map((p) => p.comment)).toEqual(['ok']);
  });

  it('per-agent busyPolicy overrides the sim-wide one', async () => {
    const s = pool.track(
      await startSim({
        seed: 5,
        busyPolicy: 'reject',
        agents: [
          { id: 'r', port: 0, initialBalance: 1000 },
          { id: 'q', port: 0, initialBalance: 1000, busyPolicy: 'queue' },
        ],
      }),
    );
    expect(s.agent('r').tradeContextStatus().policy).toBe('reject');
    expect(s.agent('q').tradeContextStatus().policy).toBe('queue');
    await expect(startSim({ agents: [{ id: 'x', port: 0, initialBalance: 1, busyPolicy: 'wait' as BusyPolicy }] })).rejects.toThrow(
      /busyPolicy/,
    );
  });
});

describe('the trade_context_busy fault', () => {
  it("holds the context when it fires: with 'queue' the trade it hit waits for the hold, then runs", async () => {
    const { a, post, positions } = await sim('queue');
    a.setFaults([{ kind: 'trade_context_busy', seconds: 0.2, count: 1, endpoint: '/trade' }]);
    const r = await post(buy('held'), { timeoutMs: 10_000 });
    expect(TradeReplySchema.parse(r.json).success).toBe(true);
    expect(a.requests()[0]).toMatchObject({ fault: 'trade_context_busy', faults: ['trade_context_busy'], queued: true, executionSeq: 1 });
    expect((await positions()).map((p) => p.comment)).toEqual(['held']);
    expect(a.faults()).toEqual([]);
  });

  it("with 'reject' the trade it hit is answered 146; a read it hits holds the context for the trades after it", async () => {
    const { a, post, get, positions } = await sim('reject');
    a.setFaults([{ kind: 'trade_context_busy', seconds: 30, count: 1 }]);
    expect((await get('/account')).status).toBe(200); // the fault fires here, and the read is answered
    expect(a.tradeContextStatus().held).toBe(true);
    expect(TradeReplySchema.parse((await post(buy('x'))).json).error_code).toBe(146);
    expect(await positions()).toEqual([]);
    a.releaseTradeContext();
    expect(TradeReplySchema.parse((await post(buy('y'))).json).success).toBe(true);
  });

  it('combines with other faults: a latency fault after it still delays the reply', async () => {
    const { a, post } = await sim('queue');
    a.setFaults([
      { kind: 'trade_context_busy', seconds: 0, count: 1 },
      { kind: 'latency', ms: 1, count: 1 },
    ]);
    expect(TradeReplySchema.parse((await post(buy('z'))).json).success).toBe(true);
    expect(a.requests()[0]!.faults).toEqual(['trade_context_busy', 'latency']);
  });
});

describe('the control path /_sim/trade-context', () => {
  it('holds, shows and releases the trade context over HTTP', async () => {
    const { a, ctl, post, positions } = await sim('queue');
    const held = await ctl('POST', '/trade-context', { seconds: 60 });
    expect(held.status).toBe(200);
    expect(held.json.trade_context).toMatchObject({ policy: 'queue', held: true, busy: true });
    const p = post(buy('via-http'), { timeoutMs: 10_000 });
    await queuedCount(a, 1);
    expect((await ctl('GET', '/trade-context')).json.trade_context).toMatchObject({ queued: 1 });
    expect((await ctl('GET', '/state')).json.trade_context).toMatchObject({ held: true });
    const released = await ctl('DELETE', '/trade-context');
    expect(released.json.ok).toBe(true);
    expect(TradeReplySchema.parse((await p).json).success).toBe(true);
    expect((await positions()).map((x) => x.comment)).toEqual(['via-http']);
    // Without seconds: until released.
    await ctl('POST', '/trade-context');
    expect(a.tradeContextStatus()).toMatchObject({ held: true, held_for_seconds: null });
    await ctl('DELETE', '/trade-context');
    expect(a.tradeContextStatus().held).toBe(false);
  });

  it('refuses a bad hold with 400 and a wrong method with 405', async () => {
    const { ctl } = await sim('queue');
    for (const body of [{ seconds: -1 }, { seconds: 'ten' }, []]) {
      const r = await ctl('POST', '/trade-context', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(ErrorBodySchema.parse(r.json).error).toBe('bad_request');
    }
    const r = await ctl('PUT', '/trade-context', { seconds: 1 });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, POST, DELETE');
    expect((await ctl('POST', '/trade-context', { seconds: 1 }, 'wrong')).status).toBe(401);
  });
});

describe('the request log of a trade', () => {
  it('an ordinary trade: not queued, executed, its ticket, answered to a connected client', async () => {
    const { a, trade } = await sim('reject');
    const r = await trade(buy('plain'));
    const [e] = a.requests();
    expect(e).toMatchObject({
      action: 'buy',
      status: 200,
      queued: false,
      executionSeq: 1,
      outcome: { success: true, ticket: r.ticket, error_code: 0 },
      clientConnected: true,
    });
    expect(e!.executedAt).toBeGreaterThanOrEqual(e!.time);
    expect(e!.answeredAt).toBeGreaterThanOrEqual(e!.executedAt!);
    const bad = await trade({ action: 'buy', symbol: 'EURUSD', lots: 0.001 });
    expect(a.requests()[1]).toMatchObject({ executionSeq: 2, outcome: { success: false, ticket: null, error_code: bad.error_code } });
  });

  it('a trade_error fault: the outcome is the fault, nothing executed; reads carry no trade fields', async () => {
    const { a, post, get } = await sim('reject');
    a.setFaults([{ kind: 'trade_error', code: 136, count: 1 }]);
    await post(buy('f'));
    await get('/account');
    const [t, read] = a.requests();
    expect(t).toMatchObject({ fault: 'trade_error', outcome: { success: false, error_code: 136 }, clientConnected: true });
    expect(t!.executedAt).toBeUndefined();
    expect(read).toMatchObject({ status: 200, clientConnected: true });
    expect(read!.queued).toBeUndefined();
    expect(read!.outcome).toBeUndefined();
  });
});
