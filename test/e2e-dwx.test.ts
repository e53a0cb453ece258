// End-to-end over the DWX transport: the built binary against DWX paper terminals (the same engine
// as the REST sim, behind DWX_ZeroMQ_Server's protocol) on 127.0.0.1, the same scenarios as over
// REST — status, summary, reads, trade, close, modify, close-all, panic, signal — plus what DWX
// cannot tell: no history, daily loss estimated from equity vs balance.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DwxAgentServer } from '../src/sim/index.js';
import { baseEnv, runCli, startCli } from './helpers/cli.js';
import { DESIGN_AGENTS, startDesk, type Desk, type DeskAgent } from './helpers/desk.js';

let desk: Desk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

const IDS = ['agent_1', 'agent_2', 'agent_3'] as const;

async function open(agents: DeskAgent[] = DESIGN_AGENTS): Promise<Desk> {
  desk = await startDesk(agents, { transport: 'dwx' });
  const has = (id: string) => agents.some((a) => a.id === id);
  if (has('agent_1')) desk.sim.agent('agent_1').setPrice('XAUUSD', 2650);
  if (has('agent_2')) desk.sim.agent('agent_2').setPrice('EURUSD', 1.08);
  if (has('agent_3')) desk.sim.agent('agent_3').setPrice('EURUSD', 1.08);
  return desk;
}

const term = (d: Desk, id: string) => d.sim.agent(id) as DwxAgentServer;
/** Trade commands (OPEN, MODIFY, CLOSE…), as the sim logs them: path /trade and the REST action. */
const trades = (d: Desk, id = 'agent_1', action?: string) =>
  d.sim
    .agent(id)
    .requests()
    .filter((r) => r.path === '/trade' && (action === undefined || r.action === action));
const journal = (d: Desk) =>
  existsSync(join(d.dir, 'state', 'journal.jsonl'))
    ? readFileSync(join(d.dir, 'state', 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

describe('reads over dwx', () => {
  it('status, summary (table, JSON, prometheus): every agent online', async () => {
    const d = await open();
    const status = await d.run(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    for (const row of JSON.parse(status.stdout))
      expect(row).toMatchObject({ status: 'online', trade_allowed: true, server_time: expect.stringMatching(/\+02:00$/) });

    const s = await d.run(['summary', '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({
      total_balance: 1700,
      total_positions: 0,
      agents_online: 3,
      agents_offline: 0,
      currency: 'USD',
    });
    const table = await d.run(['summary']);
    expect(table.stdout).toMatch(/agent_1\s+Atlas\s+online\s+200\.00/);
    const prom = await d.run(['summary', '--format', 'prometheus']);
    expect(prom.stdout).toMatch(/mt4gw_agents_online 3/);
    const watch = await d.run(['watch']); // not a terminal: one snapshot
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stdout).toMatch(/3\/3 online/);
    // No token anywhere: DWX has none.
    expect(readFileSync(d.configPath, 'utf8')).not.toMatch(/token/);
  });

  it('account, tick, positions, orders; history says it is not available (exit 2), not "no trades"', async () => {
    const d = await open();
    const t = d.sim.agent('agent_1').engine.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: 2640, comment: 'by hand' });
    const pending = d.sim.agent('agent_1').addPendingOrder({ symbol: 'XAUUSD', type: 'buy_limit', lots: 0.01, price: 2600 });

    const acct = JSON.parse((await d.run(['account', 'agent_1', '--json'])).stdout);
    expect(acct).toMatchObject({ balance: 200, currency: 'USD', leverage: 500 });
    const tick = await d.run(['tick', 'agent_1', 'XAUUSD', '--json']);
    expect(tick.code, tick.stderr).toBe(0);
    expect(JSON.parse(tick.stdout)).toMatchObject({ symbol: 'XAUUSD', bid: 2650, ask: d.sim.agent('agent_1').quote('XAUUSD')!.ask });
    const unknown = await d.run(['tick', 'agent_1', 'NOPE']);
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toMatch(/does not know the symbol NOPE/);
    const pos = JSON.parse((await d.run(['positions', 'agent_1', '--json'])).stdout);
    expect(pos).toEqual({
      positions: [expect.objectContaining({ ticket: t.ticket, symbol: 'XAUUSD', sl: 2640, comment: 'by hand' })],
      offline: [],
    });
    const orders = JSON.parse((await d.run(['orders', 'agent_1', '--json'])).stdout);
    expect(orders).toEqual({ orders: [expect.objectContaining({ ticket: pending, type: 'buy_limit', open_price: 2600 })], offline: [] });
    const history = await d.run(['history', 'agent_1']);
    expect(history.code, history.stderr).toBe(2);
    expect(history.stderr).toMatch(/closed-trade history not available over dwx/);
    expect(
      d.sim
        .agent('agent_1')
        .requests()
        .some((r) => r.path === '/history'),
    ).toBe(false);
  });

  it('a terminal that is down is offline with the reason, the others are shown, exit 3', async () => {
    const d = await open();
    await d.sim.agent('agent_2').goDown(60);
    const r = await d.run(['summary', '--json']);
    expect(r.code, r.stderr).toBe(3);
    const s = JSON.parse(r.stdout);
    expect(s.agents_online).toBe(2);
    expect(s.agents.find((a: { agent_id: string }) => a.agent_id === 'agent_2')).toMatchObject({
      status: 'offline',
      error: expect.stringMatching(/connection refused|no connection/),
    });
  });
});

describe('trade over dwx', () => {
  it('opens with its stops, tagged with its order id; the risk decision says the daily loss is an estimate', async () => {
    const d = await open();
    const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--sl', '2648.5', '--tp', '2660', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      status: 'opened',
      agent_id: 'agent_1',
      lots: 0.01,
      price: d.sim.agent('agent_1').quote('XAUUSD')!.ask,
      reconciled: false,
    });
    expect(d.sim.agent('agent_1').positions()).toEqual([
      expect.objectContaining({ ticket: out.ticket, sl: 2648.5, tp: 2660, comment: `mt4gw:${out.order_id}` }),
    ]);
    const daily = out.decision.checks.find((c: { code: string }) => c.code === 'DAILY_LOSS_LIMIT_REACHED');
    expect(daily).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(/estimated from equity vs balance.*losses realized earlier today are not counted/),
    });
    expect(
      journal(d)
        .filter((j) => j.order_id === out.order_id)
        .map((j) => j.event),
    ).toEqual(['intent', 'request', 'response', 'result']);
    // One OPEN, stops set by one MODIFY; no stops in the OPEN itself.
    expect(trades(d).map((q) => q.action)).toEqual(['buy', 'modify']);
    expect(String(trades(d)[0]!.body).split(';').slice(4, 7)).toEqual(['0', '0', '0']);
  });

  it('a loss on the open positions over the limit denies (exit 4), estimated from equity vs balance', async () => {
    const d = await open([{ ...DESIGN_AGENTS[0]!, maxPositions: 5 }]);
    d.sim.agent('agent_1').engine.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.1 });
    d.sim.agent('agent_1').setPrice('XAUUSD', 2648); // −25 USD on 200: over 5 %
    const before = trades(d).length;
    const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('DAILY_LOSS_LIMIT_REACHED');
    expect(r.stderr).toMatch(/equity − balance/);
    expect(trades(d)).toHaveLength(before);
  });

  it('risk denials send nothing', async () => {
    const d = await open();
    for (const [args, code] of [
      [['0.02'], 'LOTS_ABOVE_AGENT_MAX'],
      [['0.01', '--sl', '2655'], 'SL_WRONG_SIDE'],
      [['0.01', '--sl', '2640'], 'RISK_PER_TRADE_EXCEEDED'],
    ] as const) {
      const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', ...args, '--yes']);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain(code);
    }
    expect(trades(d)).toHaveLength(0);
  });

  it('TRADE_CONTEXT_BUSY__ABORTED_COMMAND is 146: retried, opened once', async () => {
    const d = await open();
    d.sim.agent('agent_1').setFaults([{ kind: 'trade_error', code: 146, count: 2, action: 'buy' }]);
    const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(trades(d, 'agent_1', 'buy')).toHaveLength(3);
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
  });

  it("the EA's MaximumLotSize: LOT_SIZE_ERROR is an MT4 rejection (exit 5) with the word and the input to raise", async () => {
    const d = await open();
    term(d, 'agent_3').setEaInputs({ maxLotSize: 0.01 });
    const r = await d.run(['trade', 'agent_3', 'buy', 'EURUSD', '0.05', '--yes']);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/131/);
    expect(r.stderr).toMatch(/LOT_SIZE_ERROR.*MaximumLotSize/);
    expect(d.sim.agent('agent_3').positions()).toHaveLength(0);
  });

  it('execute-then-drop: exactly one position, found by its comment, never sent again', async () => {
    const d = await open();
    d.sim.agent('agent_1').setFaults([{ kind: 'execute_then_drop', count: 1, endpoint: '/trade' }]);
    const r = await d.run(['--timeout', '800ms', 'trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ status: 'opened', reconciled: true });
    expect(trades(d)).toHaveLength(1);
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    expect(journal(d).some((j) => j.event === 'reconcile' && j.outcome === 'opened' && j.order_id === out.order_id)).toBe(true);
  });

  it('a hung OPEN: in flight (exit 6) until older than max_order_age; then not opened, saying closed trades could not be searched', async () => {
    const d = await open([{ ...DESIGN_AGENTS[0]!, mt4Extra: ['max_order_age: 10s'] }]);
    d.sim.agent('agent_1').setFaults([{ kind: 'hang', count: 1, endpoint: '/trade' }]);
    const r = await d.run(['--timeout', '600ms', 'trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(6);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/may still open/) });
    expect(trades(d)).toHaveLength(1);
    expect(d.sim.agent('agent_1').positions()).toHaveLength(0);
    // Older than max_order_age (DWX has no terminal clock: ours), with its process gone: proven not opened.
    await new Promise((res) => setTimeout(res, 10_500));
    const next = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--dry-run']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(
      /no open position carries it \(closed-trade history not available over dwx: it may have opened and closed since\): not opened/,
    );
    const result = (await d.journal()).find((j) => j.event === 'result' && j.outcome === 'not_opened');
    expect(result).toMatchObject({ proof: 'age', certain: false });
    expect(trades(d)).toHaveLength(1);
  }, 30_000);
});

describe('close, modify, close-all over dwx', () => {
  it('close; a second close cannot tell "already closed" without history (exit 2, says why)', async () => {
    const d = await open();
    const t = JSON.parse((await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json'])).stdout).ticket;
    const r = await d.run(['close', 'agent_1', String(t)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`closed 0.01 of ticket ${t}`));
    expect(d.sim.agent('agent_1').positions()).toHaveLength(0);
    const again = await d.run(['close', 'agent_1', String(t)]);
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toMatch(
      /no open position with ticket \d+ \(whether it was closed cannot be checked: closed-trade history not available over dwx\)/,
    );
  });

  it('partial close reports the new ticket', async () => {
    const d = await open();
    const t = JSON.parse((await d.run(['trade', 'agent_3', 'buy', 'EURUSD', '0.05', '--yes', '--json'])).stdout).ticket;
    const r = await d.run(['close', 'agent_3', String(t), '--lots', '0.02', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.new_ticket).toBeGreaterThan(t);
    expect(d.sim.agent('agent_3').positions()).toEqual([expect.objectContaining({ ticket: out.new_ticket, lots: 0.03 })]);
  });

  it('modify sets the stops asked for; a wrong side is denied without a request', async () => {
    const d = await open();
    const t = JSON.parse((await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json'])).stdout).ticket;
    const ok = await d.run(['modify', 'agent_1', String(t), '--sl', '2648.5', '--tp', '2660']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(d.sim.agent('agent_1').positions()[0]).toMatchObject({ sl: 2648.5, tp: 2660 });
    const tpOnly = await d.run(['modify', 'agent_1', String(t), '--tp', '2670']);
    expect(tpOnly.code, tpOnly.stderr).toBe(0);
    expect(d.sim.agent('agent_1').positions()[0]).toMatchObject({ sl: 2648.5, tp: 2670 }); // the SL kept
    const before = trades(d).length;
    const wrong = await d.run(['modify', 'agent_1', String(t), '--sl', '2655']);
    expect(wrong.code, wrong.stderr).toBe(4);
    expect(trades(d)).toHaveLength(before);
  });

  it('close-all closes one at a time through TRADE_CONTEXT_BUSY, verifies by listing again, exits 0', async () => {
    const d = await open([{ ...DESIGN_AGENTS[2]! }]);
    d.sim.agent('agent_3').setPrice('EURUSD', 1.08);
    for (let i = 0; i < 3; i++) expect((await d.run(['trade', 'agent_3', 'buy', 'EURUSD', '0.05', '--yes'])).code).toBe(0);
    d.sim.agent('agent_3').setFaults([{ kind: 'trade_error', code: 146, count: 2, action: 'close' }]);
    const r = await d.run(['close-all', 'agent_3', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.verified_flat).toBe(true);
    expect(rep.closed).toHaveLength(3);
    expect(d.sim.agent('agent_3').positions()).toHaveLength(0);
  });

  it("close-all when the EA answers SUCCESS but never closes: still open, MT4's code, exit 5", async () => {
    const d = await open();
    const t = JSON.parse((await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json'])).stdout).ticket;
    d.sim.agent('agent_1').setFaults([{ kind: 'trade_error', code: 132, action: 'close' }]);
    const r = await d.run(['close-all', 'agent_1', '--yes', '--deadline', '2s']);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toMatch(new RegExp(`${t}.*STILL OPEN.*132`));
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
  });
});

describe('panic and signal over dwx', () => {
  it('panic --yes: halted, every position closed and every pending order deleted on every agent, verified', async () => {
    const d = await open();
    const seeded: Record<string, number[]> = {
      agent_1: [
        d.sim.agent('agent_1').engine.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.01 }).ticket!,
        d.sim.agent('agent_1').addPendingOrder({ symbol: 'XAUUSD', type: 'buy_limit', lots: 0.01, price: 2600 }),
      ],
      agent_2: [
        d.sim.agent('agent_2').engine.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.02 }).ticket!,
        d.sim.agent('agent_2').engine.trade({ action: 'sell', symbol: 'EURUSD', lots: 0.02 }).ticket!,
      ],
      agent_3: [d.sim.agent('agent_3').engine.trade({ action: 'sell', symbol: 'EURUSD', lots: 0.05 }).ticket!],
    };
    const r = await d.run(['panic', '--yes']);
    expect(r.stderr).toMatch(/Every agent verified flat/);
    expect(r.code, r.stderr).toBe(0);
    for (const id of IDS) {
      expect(d.sim.agent(id).positions()).toHaveLength(0);
      expect(d.sim.agent(id).orders()).toHaveLength(0);
      for (const t of seeded[id]!) expect(r.stdout).toMatch(new RegExp(`${id}\\s+${t}\\s`));
      expect(trades(d, id, 'buy').concat(trades(d, id, 'sell'))).toHaveLength(0);
    }
    expect(trades(d, 'agent_1', 'delete')).toHaveLength(1);
  });

  it('panic with every terminal down: the halt is persisted, exit 7, each agent unreachable', async () => {
    const d = await open();
    for (const id of IDS) await d.sim.agent(id).goDown(60);
    const r = await d.run(['panic', '--yes', '--deadline', '1s', '--json']);
    expect(r.code, r.stderr).toBe(7);
    const report = JSON.parse(r.stdout);
    for (const id of IDS)
      expect(report.agents.find((a: { agent_id: string }) => a.agent_id === id)).toMatchObject({ reached: false, verified_flat: false });
    expect(JSON.parse(readFileSync(join(d.dir, 'state', 'trading-state.json'), 'utf8')).global.state).toBe('halted');
  });

  it('signal (the worked example): Atlas opens 0.01 at 1 %, Nova 0.05, each with its stop; Orion is never contacted', async () => {
    const d = await open();
    const sl = Number((d.sim.agent('agent_1').quote('XAUUSD')!.ask - 2).toFixed(2));
    d.sim.agent('agent_3').setPrice('XAUUSD', 2650);
    const r = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(sl), '--confidence', '0.78', '--id', 'dwx1', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = Object.fromEntries(JSON.parse(r.stdout).signals[0].agents.map((x: { agent_id: string }) => [x.agent_id, x]));
    expect(rows.agent_1).toMatchObject({ status: 'opened', lots: 0.01 });
    expect(rows.agent_3).toMatchObject({ status: 'opened', lots: 0.05 });
    expect(rows.agent_2).toMatchObject({ status: 'skipped' });
    for (const id of ['agent_1', 'agent_3']) {
      expect(d.sim.agent(id).positions()).toEqual([
        expect.objectContaining({ ticket: rows[id].ticket, symbol: 'XAUUSD', type: 'buy', sl, comment: `mt4gw:${rows[id].order_id}` }),
      ]);
    }
    expect(d.sim.agent('agent_2').requests()).toHaveLength(0);
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

describe('mt4gw sim --transport dwx', () => {
  it('serves the dwx agents of agents.yml on their three ports until Ctrl-C; summary and trade run against it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt4gw-dwx-sim-'));
    const [push, pull, pub] = [await freePort(), await freePort(), await freePort()];
    const config = join(dir, 'agents.yml');
    writeFileSync(
      config,
      [
        'agents:',
        '  agent_1:',
        '    mt4: {host: 127.0.0.1, transport: dwx, ' +
          `push_port: ${push}, pull_port: ${pull}, pub_port: ${pub}, currency: USD, timeout_ms: 3000}`,
        '    strategy: {pairs: [XAUUSD]}',
        '    risk: {initial_balance: 200, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, lot_size: 0.01}',
        '',
      ].join('\n'),
    );
    const env = baseEnv({ MT4GW_STATE_DIR: join(dir, 'state') });
    const sim = startCli(['--config', config, 'sim', '--transport', 'dwx'], { env, timeoutMs: 60_000 });
    let err = '';
    sim.child.stderr!.on('data', (x: Buffer | string) => (err += String(x)));
    try {
      const end = Date.now() + 15_000;
      while (!err.includes('ready: 1 paper bridge')) {
        if (Date.now() > end || sim.child.exitCode !== null) throw new Error(`the sim did not start:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(err).toContain(`serving agent_1 over DWX on 127.0.0.1: push ${push}, pull ${pull}, pub ${pub}`);
      const s = await runCli(['--config', config, 'summary', '--json'], { env });
      expect(s.code, s.stderr).toBe(0);
      expect(JSON.parse(s.stdout)).toMatchObject({ agents_online: 1, total_balance: 200 });
      const t = await runCli(['--config', config, 'trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json'], { env });
      expect(t.code, t.stderr).toBe(0);
      expect(JSON.parse(t.stdout)).toMatchObject({ status: 'opened' });
      // --transport rest refuses an agents.yml whose agents are dwx.
      const wrong = await runCli(['--config', config, 'sim', '--transport', 'rest'], { env });
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/agent_1 is configured with transport dwx/);
    } finally {
      sim.child.kill('SIGINT');
      const done = await sim.done;
      rmSync(dir, { recursive: true, force: true });
      expect(done.code).toBe(0);
    }
  }, 60_000);
});
