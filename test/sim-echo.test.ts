// The echo_token fault: a careless, independently written bridge that repeats the request's
// Authorization header (the agent's token) in the `message` of its trade replies and error bodies.
// mt4gw must never show it (tested elsewhere); here: the sim really leaks it, and only where a
// message is. Servers on 127.0.0.1, ephemeral ports.
import { describe, expect, it } from 'vitest';
import { AccountSchema, ErrorBodySchema, TradeReplySchema } from '../src/bridge/schemas.js';
import { startSim } from '../src/sim/index.js';
import { call, restAgent, simPool } from './helpers/sim-http.js';

const TOKEN = 'echo-secret-3f9a';
const pool = simPool();

async function sim() {
  const s = pool.track(await startSim({ seed: 9, agents: [{ id: 'a1', port: 0, token: TOKEN, initialBalance: 10_000 }] }));
  return restAgent(s, TOKEN);
}

const BUY = { action: 'buy', symbol: 'EURUSD', lots: 0.1 };

describe('echo_token', () => {
  it('puts the token into the message of trade replies, success and failure alike', async () => {
    const { a, post } = await sim();
    a.setFaults([{ kind: 'echo_token' }]);
    const ok = TradeReplySchema.parse((await post(BUY)).json);
    expect(ok.success).toBe(true);
    expect(ok.message).toContain(TOKEN);
    const bad = TradeReplySchema.parse((await post({ ...BUY, lots: 0.001 })).json);
    expect(bad).toMatchObject({ success: false, error_code: 131 });
    expect(bad.message).toContain(TOKEN);
    const close = TradeReplySchema.parse((await post({ action: 'close', ticket: ok.ticket })).json);
    expect(close.message).toContain(TOKEN);
    expect(a.positions()).toEqual([]); // the trades executed as usual
    expect(a.requests()[0]).toMatchObject({ fault: 'echo_token', faults: ['echo_token'] });
  });

  it('puts it into error bodies too: 400, 404, 405, and the 401 of a wrong token (which is what was sent)', async () => {
    const { a, base, get } = await sim();
    a.setFaults([{ kind: 'echo_token' }]);
    const bad = await call(base, 'POST', '/trade', { token: TOKEN, body: { action: 'buy' } });
    expect(bad.status).toBe(400);
    expect(ErrorBodySchema.parse(bad.json).message).toContain(TOKEN);
    const nf = await get('/nope');
    expect(nf.status).toBe(404);
    expect(nf.json.message).toContain(TOKEN);
    const unknown = await get('/tick/BTCUSD');
    expect(unknown.json).toMatchObject({ error: 'unknown_symbol' });
    expect(unknown.json.message).toContain(TOKEN);
    const na = await call(base, 'DELETE', '/positions', { token: TOKEN });
    expect(na.status).toBe(405);
    expect(na.json.message).toContain(TOKEN);
    const wrong = await call(base, 'GET', '/account', { token: 'not-the-token-7c1' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.message).toContain('not-the-token-7c1');
  });

  it('combines with the faults that answer an error body or a trade reply', async () => {
    const { a, get, post } = await sim();
    a.setFaults([{ kind: 'echo_token' }, { kind: 'http_500', endpoint: '/account' }, { kind: 'trade_error', code: 134 }]);
    const r500 = await get('/account');
    expect(r500.status).toBe(500);
    expect(r500.json.message).toContain(TOKEN);
    const te = TradeReplySchema.parse((await post(BUY)).json);
    expect(te).toMatchObject({ success: false, error_code: 134 });
    expect(te.message).toContain(TOKEN);
    expect(a.requests().map((r) => r.faults)).toEqual([
      ['echo_token', 'http_500'],
      ['echo_token', 'trade_error'],
    ]);
    expect(a.requests()[1]!.fault).toBe('trade_error');
  });

  it('leaves replies without a message alone; endpoint and count limit it like any fault', async () => {
    const { a, get, post } = await sim();
    a.setFaults([{ kind: 'echo_token', endpoint: '/trade', count: 1 }]);
    const acc = await get('/account');
    expect(acc.text).not.toContain(TOKEN);
    AccountSchema.parse(acc.json);
    expect(TradeReplySchema.parse((await post(BUY)).json).message).toContain(TOKEN);
    expect(TradeReplySchema.parse((await post(BUY)).json).message).not.toContain(TOKEN);
    a.setFaults([{ kind: 'echo_token' }]);
    const positions = await get('/positions');
    expect(positions.text).not.toContain(TOKEN);
  });

  it('without it, no reply carries the token', async () => {
    const { base, get, post } = await sim();
    for (const r of [
      await post(BUY),
      await post({ ...BUY, lots: 0.001 }),
      await get('/nope'),
      await call(base, 'GET', '/account', { token: 'not-the-token' }),
    ]) {
      expect(r.text).not.toContain(TOKEN);
      expect(r.text).not.toContain('not-the-token');
    }
  });
});
