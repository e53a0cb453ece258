// End-to-end over MetaApi's REST API, against the MetaApi paper bridge: what the shared cases
// (e2e-trade.cases.ts, e2e-panic.cases.ts, the fault matrix) do not cover — every read command,
// MetaApi's shapes on the wire, its client id, its rate limits and account states, both readings
// of a refused trade, an unknown outcome proven by age, a desk that mixes rest, dwx and metaapi
// agents, and `mt4gw sim --transport metaapi`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimRequest } from '../src/sim/index.js';
import { baseEnv, runCli, startCli } from './helpers/cli.js';
import { DESIGN_AGENTS, startDesk, type Desk, type DeskAgent } from './helpers/desk.js';

let desk: Desk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

async function open(agents: DeskAgent[] = DESIGN_AGENTS, simOptions = {}): Promise<Desk> {
  desk = await startDesk(agents, { transport: 'metaapi', ...simOptions });
  desk.sim.agent('agent_1').setPrice('XAUUSD', 2650);
  return desk;
}

const trades = (d: Desk, id = 'agent_1') =>
  d.sim
    .agent(id)
    .requests()
    .filter((r) => r.path === '/trade');
const json = (stdout: string) => JSON.parse(stdout);
const wire = (q: SimRequest) => q.wirePath ?? q.path;

describe('reads over metaapi', () => {
  it('status, summary, account, tick, positions, orders, history and watch answer from MetaApi’s paths and shapes', async () => {
    const d = await open();
    const a1 = d.sim.agent('agent_1');
    const opened = json((await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--sl', '2648.5', '--yes', '--json'])).stdout);
    a1.addPendingOrder({ symbol: 'XAUUSD', type: 'buy_limit', lots: 0.01, price: 2600, comment: 'dip' });

    const status = await d.run(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const rows = json(status.stdout) as Array<{ agent_id: string; status: string; login: number; server_time: string }>;
    expect(rows.map((r) => r.status)).toEqual(['online', 'online', 'online']);
    // The broker's clock with its offset (the sim's broker is at +02:00), from server-time's brokerTime.
    expect(rows[0]!.server_time).toMatch(/\+02:00$/);
    expect(rows[0]!.login).toBe(a1.account().login);

    const summary = json((await d.run(['summary', '--json'])).stdout);
    expect(summary).toMatchObject({ agents_online: 3, total_balance: 1700 });

    const account = json((await d.run(['account', 'agent_1', '--json'])).stdout);
    expect(account).toMatchObject({ balance: 200, currency: 'USD', leverage: 500, trade_allowed: true });
    expect(account.margin).toBeCloseTo(a1.account().margin, 2);

    const tick = json((await d.run(['tick', 'agent_1', 'XAUUSD', '--json'])).stdout);
    expect(tick).toMatchObject({ symbol: 'XAUUSD', bid: 2650, spread: 30 });

    const positions = json((await d.run(['positions', 'agent_1', '--json'])).stdout);
    expect(positions.positions).toEqual([
      expect.objectContaining({ ticket: opened.ticket, type: 'buy', lots: 0.01, sl: 2648.5, tp: null, client_id: opened.order_id }),
    ]);

    const orders = json((await d.run(['orders', 'agent_1', '--json'])).stdout);
    expect(JSON.stringify(orders)).toMatch(/"type":\s*"buy_limit"/);
    expect(JSON.stringify(orders)).toMatch(/"comment":\s*"dip"/);

    // Closed trades come from the deals that opened and closed each ticket.
    expect((await d.run(['close', 'agent_1', String(opened.ticket)])).code).toBe(0);
    const history = json((await d.run(['history', 'agent_1', '--json'])).stdout);
    const closed = (history.trades ?? history) as Array<Record<string, unknown>>;
    expect(closed).toEqual([
      expect.objectContaining({ ticket: opened.ticket, type: 'buy', lots: 0.01, open_price: opened.price, client_id: opened.order_id }),
    ]);

    const watch = await d.run(['watch', '--once']);
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stdout).toContain('agent_1');

    // Every request went where MetaApi's API is, under the agent's account id.
    const accountId = d.sim.agents.find((a) => a.id === 'agent_1')!.metaapi!.account_id;
    const paths = new Set(a1.requests().map(wire));
    for (const p of ['account-information', 'server-time', 'positions', 'orders', 'symbols/XAUUSD/current-price', 'trade'])
      expect(paths).toContain(`/users/current/accounts/${accountId}/${p}`);
    expect([...paths].some((p) => p.includes('/history-deals/time/'))).toBe(true);
  });

  it('a symbol spec comes from the specification and the current price: the risk check uses the terminal’s', async () => {
    const d = await open();
    d.sim.agent('agent_1').setSpec('XAUUSD', { min_lot: 0.02 });
    const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--dry-run', '--json']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('LOTS_BELOW_MIN');
  });

  it('an account MetaApi does not serve (404 not provisioned) is offline with that reason, the others shown (exit 3)', async () => {
    const d = await open();
    d.sim.agent('agent_2').setFaults([{ kind: 'not_connected' }]);
    const r = await d.run(['status']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/agent_2\s+Orion\s+offline.*MetaApi account \S+ is not found or not deployed \(404 NotFoundError/);
    expect(r.stdout).toMatch(/agent_1\s+Atlas\s+online/);
    expect(r.stdout + r.stderr).not.toMatch(/unknown agent/);
  });

  it('a 429 is waited out until the time MetaApi recommends, in each layout; one past the timeout is offline, saying when', async () => {
    const d = await open();
    const a1 = d.sim.agent('agent_1');
    for (const variant of ['metadata', 'details', 'header'] as const) {
      a1.clearRequests();
      a1.setFaults([{ kind: 'http_429', seconds: 1, count: 1, endpoint: '/account', variant }]);
      const r = await d.run(['account', 'agent_1', '--json']);
      expect(r.code, `${variant}: ${r.stderr}`).toBe(0);
      const asked = a1.requests().filter((q) => q.path === '/account');
      expect(asked.map((q) => q.status)).toEqual([429, 200]);
      expect(asked[1]!.time - asked[0]!.time).toBeGreaterThanOrEqual(900);
    }
    a1.setFaults([{ kind: 'http_429', seconds: 120, endpoint: '/account' }]);
    const late = await d.run(['status', 'agent_1']);
    expect(late.code).toBe(3);
    expect(late.stdout).toMatch(/offline.*rate limited by MetaApi \(429\).*retry at \S+ \(in 1[12]\d s\)/);
  });
});

describe('trades over metaapi', () => {
  it('the order id is the clientId; the comment is cut so that both fit in 26 characters', async () => {
    const d = await open();
    const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--comment', 'a comment far too long to keep', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r.stdout);
    const body = trades(d)[0]!.body as { clientId: string; comment: string };
    expect(body.clientId).toBe(out.order_id);
    expect(body.comment).toBe('a comment far to');
    expect(body.clientId.length + body.comment.length).toBe(26);
    expect(d.sim.agent('agent_1').positions()[0]!.comment).toBe('a comment far to');
  });

  for (const reading of ['200', '4xx'] as const) {
    it(`a refused trade answered as ${reading === '200' ? 'HTTP 200 with its code' : 'a 400 TradeError'} is MT4's rejection: exit 5, nothing opened`, async () => {
      const d = await open(DESIGN_AGENTS, { metaapiTradeErrors: reading });
      d.sim.agent('agent_1').setFaults([{ kind: 'trade_error', code: 134, count: 1 }]);
      const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/error 134, not enough money/);
      expect(r.stderr).toContain('MetaApi 134 ERR_NOT_ENOUGH_MONEY');
      expect(trades(d).map((q) => q.status)).toEqual([reading === '200' ? 200 : 400]);
      expect(d.sim.agent('agent_1').positions()).toHaveLength(0);
    });
  }

  it('a trade rate-limited for a moment is sent again once MetaApi allows, and opens once', async () => {
    const d = await open();
    d.sim.agent('agent_1').setFaults([{ kind: 'http_429', seconds: 1, count: 1, endpoint: '/trade', variant: 'header' }]);
    const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--sl', '2648.5', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(trades(d).map((q) => q.status)).toEqual([429, 200]);
    expect(trades(d).filter((q) => q.executedAt !== undefined)).toHaveLength(1);
    expect(d.sim.agent('agent_1').positions()).toEqual([expect.objectContaining({ sl: 2648.5 })]);
  });

  it('-7 without executing: in flight (exit 6), never resent; once older than max_order_age on the terminal’s clock, proven not opened by positions and deals', async () => {
    const d = await open([{ ...DESIGN_AGENTS[0]!, mt4Extra: ['max_order_age: 10s'] }]);
    const a1 = d.sim.agent('agent_1');
    a1.setFaults([{ kind: 'trade_error', code: -7, count: 1 }]);
    const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/MetaApi -7 ERR_TRADE_TIMED_OUT/);
    // The read-back asked MetaApi to refresh the terminal's state first.
    const after = a1.requests().filter((q) => q.seq > trades(d)[0]!.seq && (q.path === '/positions' || q.path === '/history'));
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((q) => q.query.refreshTerminalState === 'true')).toBe(true);
    // A minute later on the terminal's clock: the next order proves it never opened, then trades.
    a1.setClock(Date.now() + 60_000);
    a1.setPrice('XAUUSD', 2650);
    const next = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/no position or closed trade carries it: not opened/);
    const records = await d.journal();
    expect(records.find((j) => j.event === 'result' && j.outcome === 'not_opened')).toMatchObject({ proof: 'age', certain: true });
    expect(trades(d)).toHaveLength(2);
    expect(a1.positions()).toHaveLength(1);
  });

  it('-10 (disconnected before the trade) is not sent: exit 3, nothing opened, the journal says so', async () => {
    const d = await open();
    d.sim.agent('agent_1').setFaults([{ kind: 'trade_error', code: -10, count: 1 }]);
    const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/never reached the broker, nothing was executed/);
    expect(await d.pending('agent_1')).toEqual([]);
    expect((await d.journal()).find((j) => j.event === 'result')).toMatchObject({ outcome: 'not_sent' });
  });
});

describe('a desk of rest, dwx and metaapi agents', () => {
  const MIXED: DeskAgent[] = [
    { id: 'atlas', name: 'Atlas', pairs: ['XAUUSD'], balance: 200, risk: 0.05, maxPositions: 1, lotSize: 0.01 },
    {
      id: 'orion',
      name: 'Orion',
      pairs: ['XAUUSD'],
      balance: 500,
      risk: 0.05,
      maxPositions: 1,
      lotSize: 0.02,
      sim: { transport: 'dwx' },
    },
    {
      id: 'nova',
      name: 'Nova',
      pairs: ['XAUUSD'],
      balance: 1000,
      risk: 0.05,
      maxPositions: 1,
      lotSize: 0.05,
      sim: { transport: 'metaapi' },
    },
  ];

  it('one signal opens on each, with its stop and its order id where its wire keeps it; panic flattens all three', async () => {
    desk = await startDesk(MIXED);
    const d = desk;
    for (const id of ['atlas', 'orion', 'nova']) d.sim.agent(id).setPrice('XAUUSD', 2650);
    expect(d.sim.agents.map((a) => a.transport)).toEqual(['rest', 'dwx', 'metaapi']);
    const sl = 2645;
    const r = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(sl), '--id', 'mixed-1', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = Object.fromEntries(
      json(r.stdout).signals[0].agents.map((x: { agent_id: string; status: string }) => [x.agent_id, x]),
    ) as Record<string, { status: string; ticket: number; order_id: string; lots: number }>;
    for (const id of ['atlas', 'orion', 'nova']) {
      expect(rows[id], id).toMatchObject({ status: 'opened' });
      expect(d.sim.agent(id).positions()).toEqual([expect.objectContaining({ ticket: rows[id]!.ticket, sl })]);
    }
    expect(d.sim.agent('atlas').positions()[0]!.comment).toBe(`mt4gw:${rows.atlas!.order_id}`);
    expect(d.sim.agent('orion').positions()[0]!.comment).toBe(`mt4gw:${rows.orion!.order_id}`);
    expect(d.sim.agent('nova').state().positions[0]!.clientId).toBe(rows.nova!.order_id);
    // Re-delivered: handled already on each, nothing sent anywhere.
    const again = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(sl), '--id', 'mixed-1', '--yes']);
    expect(again.code).toBe(0);
    for (const id of ['atlas', 'orion', 'nova']) expect(d.sim.agent(id).positions()).toHaveLength(1);

    // Panic through a busy terminal and a rate-limited one.
    d.sim.agent('atlas').setFaults([{ kind: 'trade_error', code: 146, count: 2, action: 'close' }]);
    d.sim.agent('nova').setFaults([{ kind: 'http_429', seconds: 1, count: 1, endpoint: '/trade' }]);
    const p = await d.run(['panic', '--yes', '--json']);
    expect(p.code, p.stderr).toBe(0);
    for (const id of ['atlas', 'orion', 'nova']) expect(d.sim.agent(id).positions(), id).toHaveLength(0);
  });
});

/** A port nothing listens on now (the kernel's pick for port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('mt4gw sim --transport metaapi', () => {
  it('serves the metaapi agents of agents.yml at their base_url, under their account id, with their token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt4gw-metaapi-sim-'));
    const port = await freePort();
    const config = join(dir, 'agents.yml');
    const accountId = '865d3a4d-3803-486d-bdf3-a85679d9fad2';
    writeFileSync(
      config,
      [
        'agents:',
        '  agent_1:',
        `    mt4: {transport: metaapi, account_id: ${accountId}, base_url: "http://127.0.0.1:${port}", token: "\${MT4GW_AGENT1_TOKEN}", timeout_ms: 3000}`,
        '    strategy: {pairs: [XAUUSD]}',
        '    risk: {initial_balance: 200, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, lot_size: 0.01}',
        '',
      ].join('\n'),
    );
    const env = baseEnv({ MT4GW_STATE_DIR: join(dir, 'state'), MT4GW_AGENT1_TOKEN: 'sim-token-3b1e' });
    const sim = startCli(['--config', config, 'sim', '--transport', 'metaapi'], { env, timeoutMs: 60_000 });
    let err = '';
    sim.child.stderr!.on('data', (x: Buffer | string) => {
      err += String(x);
    });
    try {
      const end = Date.now() + 15_000;
      while (!err.includes('ready: 1 paper bridge')) {
        if (Date.now() > end || sim.child.exitCode !== null) throw new Error(`the sim did not start:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(err).toContain(`serving agent_1 as MetaApi account ${accountId} on http://127.0.0.1:${port}`);
      const s = await runCli(['--config', config, 'summary', '--json'], { env });
      expect(s.code, s.stderr).toBe(0);
      expect(json(s.stdout)).toMatchObject({ agents_online: 1, total_balance: 200 });
      const t = await runCli(['--config', config, 'trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json'], { env });
      expect(t.code, t.stderr).toBe(0);
      expect(json(t.stdout)).toMatchObject({ status: 'opened' });
      // Another token is refused (401), and says so without printing either.
      const wrongToken = await runCli(['--config', config, 'account', 'agent_1'], { env: { ...env, MT4GW_AGENT1_TOKEN: 'other' } });
      expect(wrongToken.code).toBe(3);
      expect(wrongToken.stderr).toMatch(/unauthorized \(401\): MetaApi refused the token/);
      expect(wrongToken.stderr).not.toMatch(/sim-token-3b1e|other/);
      // --transport rest refuses an agents.yml whose agents are metaapi.
      const wrong = await runCli(['--config', config, 'sim', '--transport', 'rest'], { env });
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/agent_1 is configured with transport metaapi/);
    } finally {
      sim.child.kill('SIGINT');
      const done = await sim.done;
      rmSync(dir, { recursive: true, force: true });
      expect(done.code).toBe(0);
    }
  }, 60_000);
});
