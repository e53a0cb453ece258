// The MetaApi client piece by piece: its trade codes, MetaApi's retry times, the broker's clock,
// closed trades from deals, and the client itself against the MetaApi paper bridge on loopback.
import { afterEach, describe, expect, it } from 'vitest';
import { classify } from '../src/bridge/metaapi/codes.js';
import { MetaApiClient } from '../src/bridge/metaapi/client.js';
import { brokerOffsetMinutes, toClosedTrade } from '../src/bridge/metaapi/map.js';
import { retryTime } from '../src/bridge/metaapi/session.js';
import type { MaDeal } from '../src/bridge/metaapi/wire.js';
import { BridgeError } from '../src/bridge/errors.js';
import { Secret } from '../src/config/secret.js';
import { startSim, type SimHandle } from '../src/sim/index.js';

describe('trade codes', () => {
  it('success, unknown, not sent and MT4 refusals, an opening order treated with the most care', () => {
    for (const code of [0, 10008, 10009, 10010]) expect(classify(code, 'buy')).toEqual({ kind: 'done' });
    expect(classify(10025, 'modify')).toEqual({ kind: 'failed', code: 1 });
    expect(classify(10025, 'buy')).toEqual({ kind: 'unknown' });
    for (const code of [-11, -7, 10012, 10999, -99]) expect(classify(code, 'buy')).toEqual({ kind: 'unknown' });
    expect(classify(1, 'buy')).toEqual({ kind: 'unknown' });
    expect(classify(1, 'close')).toEqual({ kind: 'unknown' });
    expect(classify(1, 'modify')).toEqual({ kind: 'failed', code: 1 });
    for (const code of [-10, -5]) expect(classify(code, 'sell')).toEqual({ kind: 'not_sent' });
    expect(classify(128, 'buy')).toEqual({ kind: 'failed', code: 128 }); // MT4's own rule: looked up
    expect(classify(146, 'buy')).toEqual({ kind: 'failed', code: 146 });
    expect(classify(10004, 'buy')).toEqual({ kind: 'failed', code: 138 });
    expect(classify(10019, 'buy')).toEqual({ kind: 'failed', code: 134 });
    expect(classify(-8, 'buy')).toEqual({ kind: 'failed', code: -8 });
  });
});

describe("MetaApi's retry time", () => {
  const now = Date.parse('2026-12-02T10:00:00Z');
  const at = '2026-12-02T10:00:07.000Z';
  it('is read from either metadata layout, else Retry-After (seconds or a date), else a second later', () => {
    expect(retryTime(JSON.stringify({ error: 'TooManyRequestsError', metadata: { recommendedRetryTime: at } }), undefined, now)).toBe(
      Date.parse(at),
    );
    expect(retryTime(JSON.stringify({ error: 'x', details: { recommendedRetryTime: at } }), '1', now)).toBe(Date.parse(at));
    expect(retryTime(JSON.stringify({ error: 'x', details: { metadata: { recommendedRetryTime: at } } }), undefined, now)).toBe(
      Date.parse(at),
    );
    expect(retryTime('not json', '3', now)).toBe(now + 3000);
    expect(retryTime('{}', 'Wed, 02 Dec 2026 10:00:05 GMT', now)).toBe(now + 5000);
    expect(retryTime('{}', undefined, now)).toBe(now + 1000);
  });
});

describe("the broker's clock and closed trades", () => {
  it('the offset is brokerTime less time, to the quarter hour', () => {
    expect(brokerOffsetMinutes({ time: '2026-12-02T10:00:00.123Z', brokerTime: '2026-12-02 12:00:00.456' })).toBe(120);
    expect(brokerOffsetMinutes({ time: '2026-12-02T10:00:00.000Z', brokerTime: '2026-12-02 04:30:01.000' })).toBe(-330);
    expect(brokerOffsetMinutes({ time: '2026-12-02T10:00:00.000Z', brokerTime: 'yesterday' })).toBeUndefined();
  });

  it('a closing deal without its opening deal keeps its profit (what the daily loss counts)', () => {
    const out: MaDeal = {
      id: 'd2',
      type: 'DEAL_TYPE_SELL',
      entryType: 'DEAL_ENTRY_OUT',
      symbol: 'XAUUSD',
      time: '2026-12-02T10:00:00.000Z',
      volume: 0.1,
      price: 2650,
      profit: -15,
      swap: -1,
      commission: -0.5,
      positionId: '42',
    };
    expect(toClosedTrade(out, undefined)).toMatchObject({
      ticket: 42,
      type: 'buy',
      lots: 0.1,
      close_price: 2650,
      profit: -15,
      swap: -1,
      commission: -0.5,
      client_id: null,
    });
  });
});

describe('the client against the MetaApi paper bridge', () => {
  let sim: SimHandle | undefined;
  let client: MetaApiClient | undefined;
  afterEach(async () => {
    await client?.close();
    await sim?.close();
    sim = undefined;
    client = undefined;
  });
  const TOKEN = 'ma-token-7f3e2a';
  async function connect(): Promise<{ client: MetaApiClient; sim: SimHandle }> {
    sim = await startSim({ seed: 3, transport: 'metaapi', agents: [{ id: 'a', port: 0, token: TOKEN, initialBalance: 1000 }] });
    const s = sim.agents[0]!;
    client = new MetaApiClient({
      id: 'a',
      accountId: s.metaapi!.account_id,
      baseUrl: s.metaapi!.base_url,
      timeoutMs: 2000,
      token: new Secret(TOKEN),
    });
    sim.agent('a').setPrice('XAUUSD', 2650);
    return { client, sim };
  }

  it('a trade opened before the range shows in history from its opening deal, looked up by position', async () => {
    const { client, sim } = await connect();
    const ctl = sim.agent('a');
    const start = Date.now();
    ctl.setClock(start - 3_600_000);
    const opened = await client.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.05, client_id: 'abcdefghij' });
    expect(opened).toMatchObject({ success: true, error_code: 0 });
    ctl.setClock(start);
    const closed = await client.trade({ action: 'close', ticket: opened.ticket!, lots: 0.02 });
    expect(closed.success).toBe(true);
    const rest = ctl.positions();
    expect(closed.new_ticket).toBe(rest[0]!.ticket);
    const history = await client.history({ from: new Date(start - 60_000) });
    expect(history).toEqual([
      expect.objectContaining({ ticket: opened.ticket, lots: 0.02, open_price: opened.price, client_id: 'abcdefghij' }),
    ]);
    expect(ctl.requests().some((q) => q.wirePath?.includes(`/history-deals/position/${opened.ticket}`))).toBe(true);
    // An API without the by-position lookup (404): the closing deal alone, its profit intact.
    ctl.setFaults([{ kind: 'not_connected', endpoint: '/history/position' }]);
    const bare = await client.history({ from: new Date(start - 60_000) });
    expect(bare).toEqual([expect.objectContaining({ ticket: opened.ticket, lots: 0.02, profit: history[0]!.profit })]);
    ctl.clearFaults();
    // The remainder keeps the order id: it is still found.
    expect((await client.positions())[0]).toMatchObject({ ticket: rest[0]!.ticket, client_id: 'abcdefghij' });
  });

  it('a modify of one stop keeps the other as the listing says; a modify that changes nothing is MT4 1', async () => {
    const { client, sim } = await connect();
    const r = await client.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: 2640, tp: 2670, client_id: 'aaaaaaaaaa' });
    await client.positions();
    expect(await client.trade({ action: 'modify', ticket: r.ticket!, sl: 2645 })).toMatchObject({ success: true });
    expect(sim.agent('a').positions()[0]).toMatchObject({ sl: 2645, tp: 2670 });
    await client.positions();
    expect(await client.trade({ action: 'modify', ticket: r.ticket!, sl: 2645 })).toMatchObject({ success: false, error_code: 1 });
    expect(await client.trade({ action: 'modify', ticket: 999, sl: 1 })).toMatchObject({ success: false, error_code: 4108 });
  });

  it('after a 429 past the timeout nothing more is sent until MetaApi’s time', async () => {
    const { client, sim } = await connect();
    const ctl = sim.agent('a');
    ctl.setFaults([{ kind: 'http_429', seconds: 30, count: 1, endpoint: '/positions' }]);
    const e = await client.positions().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BridgeError);
    expect(e).toMatchObject({ kind: 'rate_limited', maybeExecuted: false });
    const before = ctl.requests().length;
    const t = await client.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01 }).catch((x: unknown) => x);
    expect(t).toMatchObject({ kind: 'rate_limited', maybeExecuted: false });
    expect((t as Error).message).toMatch(/nothing was sent/);
    expect(ctl.requests().length).toBe(before);
  });

  it('an answer that repeats the token is scrubbed, in a trade reply and in an error', async () => {
    const { client, sim } = await connect();
    sim.agent('a').setFaults([{ kind: 'echo_token' }, { kind: 'trade_error', code: 134, count: 1 }]);
    const r = await client.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01 });
    expect(r.message).toContain('[redacted]');
    expect(r.message).not.toContain(TOKEN);
    sim.agent('a').setFaults([{ kind: 'echo_token' }, { kind: 'http_500' }]);
    const e = (await client.account().catch((x: unknown) => x)) as Error;
    expect(e.message).toContain('[redacted]');
    expect(e.message).not.toContain(TOKEN);
  });

  it('a wrong account id is "not found or not deployed", not an unknown agent', async () => {
    const { sim } = await connect();
    const other = new MetaApiClient({
      id: 'a',
      accountId: 'no-such-account',
      baseUrl: sim.agents[0]!.metaapi!.base_url,
      timeoutMs: 2000,
      token: new Secret(TOKEN),
    });
    try {
      await expect(other.account()).rejects.toMatchObject({ kind: 'not_connected', status: 404 });
    } finally {
      await other.close();
    }
  });
});
