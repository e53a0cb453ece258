// `mt4gw watch`: the pure renderer, the per-agent poller (daily loss from the risk library, a slow
// agent never holding up the others), the snapshot off a terminal, and the live dashboard driven
// in a pseudo-terminal with its screen read back.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BridgeError } from '../src/bridge/errors.js';
import type { Account, ClosedTrade, Position } from '../src/bridge/schemas.js';
import { ALL_CAPABILITIES, type Bridge, type BridgeCapabilities } from '../src/bridge/transport.js';
import type { AgentConfig } from '../src/config/types.js';
import { makeChalk } from '../src/output/style.js';
import { cutStyled, renderWatch } from '../src/output/watch.js';
import { AgentPoller, totals, type WatchRow, type WatchSnapshot } from '../src/trading/watch.js';
import { startDesk, type Desk } from './helpers/desk.js';
import { ptySkipReason, runInPty, type PtyRun } from './helpers/pty.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[/;
// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/;

const AGENT: AgentConfig = {
  id: 'agent_1',
  name: 'Atlas',
  description: '',
  enabled: true,
  mt4: { host: '127.0.0.1', port: 1, timeout_ms: 1000, transport: 'rest' },
  strategy: { pairs: ['XAUUSD'] },
  risk: {
    initial_balance: 200,
    max_risk_per_trade: 0.01,
    max_daily_loss: 0.05,
    max_positions: 2,
    lot_size: 0.01,
    max_lots: 0.01,
    require_stop_loss: false,
  },
};

function row(over: Partial<WatchRow>): WatchRow {
  return {
    agent_id: 'agent_1',
    name: 'Atlas',
    enabled: true,
    status: 'online',
    slow: false,
    updated_at: '2026-11-22T08:00:00.000Z',
    age_ms: 100,
    currency: 'USD',
    balance: 200,
    equity: 198.4,
    floating: -1.6,
    margin_level: 2480.5,
    open_positions: 1,
    max_positions: 1,
    daily: { pnl: -1.6, loss: 1.6, limit: 10, used: 0.16, reached: false, day_start: '2026-11-22T00:00:00+02:00', basis: 'history' },
    daily_error: null,
    trading: 'active',
    trading_reason: '',
    trade_allowed: true,
    latency_ms: 3,
    error: null,
    offline_since: null,
    ...over,
  };
}

function snap(rows: WatchRow[]): WatchSnapshot {
  return { at: '2026-11-22T08:00:05.000Z', agents: rows, totals: totals(rows) };
}

describe('the screen (renderWatch)', () => {
  const rows = [
    row({}),
    row({
      agent_id: 'agent_2',
      name: 'Orion',
      status: 'offline',
      balance: null,
      equity: null,
      floating: null,
      margin_level: null,
      open_positions: null,
      daily: null,
      latency_ms: null,
      error: 'unreachable at http://127.0.0.1:8082 (connection refused)',
      offline_since: '2026-11-22T08:00:00.000Z',
    }),
    row({
      agent_id: 'agent_3',
      name: 'Nova',
      balance: 1000,
      equity: 940,
      floating: -20,
      daily: { pnl: -60, loss: 60, limit: 50, used: 1.2, reached: true, day_start: '', basis: 'history' },
      trading: 'halted',
      trading_reason: 'desk halted by ops@desk at …: news',
      open_positions: 2,
      max_positions: 3,
    }),
  ];

  it('a row per agent and the totals; offline, limit reached and halted stand out without colour', () => {
    const lines = renderWatch(snap(rows), { c: makeChalk(0), clock: () => '08:00:05' });
    const text = lines.join('\n');
    expect(text).not.toMatch(ANSI);
    expect(lines[0]).toMatch(/^mt4gw watch {2}2026-11-22T08:00:05\.000Z {2}2\/3 online {2}2 need attention$/);
    expect(text).toMatch(
      /^ {2}AGENT\s+NAME\s+STATUS\s+EQUITY\s+BALANCE\s+FLOATING\s+POS\s+MARGIN LVL\s+DAILY LOSS\/LIMIT\s+TRADING\s+LATENCY\s+NOTE$/m,
    );
    expect(text).toMatch(
      /^ {2}agent_1\s+Atlas\s+online\s+198\.40\s+200\.00\s+-1\.60\s+1\/1\s+2480\.5%\s+1\.60\/10\.00\s+16%\s+active\s+3 ms$/m,
    );
    expect(text).toMatch(
      /^! agent_2\s+Orion\s+OFFLINE\s+-\s+-\s+-\s+-\s+-\s+-\s+active\s+-\s+unreachable at http:\/\/127\.0\.0\.1:8082 \(connection refused\) \(5s\)$/m,
    );
    expect(text).toMatch(
      /^! agent_3\s+Nova\s+online\s+940\.00\s+1000\.00\s+-20\.00\s+2\/3\s+\S+%\s+60\.00\/50\.00 LIMIT\s+HALTED\s+3 ms\s+desk halted by/m,
    );
    expect(lines.at(-1)).toMatch(/^ {2}TOTAL\s+2\/3\s+1138\.40\s+1200\.00\s+-21\.60\s+3\s+USD$/);
  });

  it('in colour: red for offline, limits and halts, green for a profit; nothing is cut wider than the terminal', () => {
    const c = makeChalk(1);
    const lines = renderWatch(snap(rows), { c, width: 70, live: { intervalMs: 2000 }, clock: () => '08:00:05' });
    expect(lines[0]).toContain('every 2s');
    expect(lines[0]).toContain('q quit');
    const full = renderWatch(snap(rows), { c }).join('\n');
    expect(full).toContain(c.red.bold('OFFLINE'));
    expect(full).toContain(c.red.bold('HALTED'));
    expect(full).toContain(c.red.bold('60.00/50.00 LIMIT'));
    expect(full).toContain(c.red.bold('!'));
    for (const l of lines) expect(l.replace(/\x1b\[[0-9;]*m/g, '').length).toBeLessThanOrEqual(70);
    expect(cutStyled(c.red('x'.repeat(10)), 5).replace(/\x1b\[[0-9;]*m/g, '')).toBe('xxxx…');
    expect(cutStyled('plain text here', 6)).toBe('plain…');
  });

  it('a slow agent keeps its last values and says how old they are; a connecting one shows nothing yet', () => {
    const text = renderWatch(
      snap([
        row({ slow: true, age_ms: 4200 }),
        row({
          agent_id: 'agent_2',
          status: 'connecting',
          balance: null,
          equity: null,
          floating: null,
          open_positions: null,
          daily: null,
          latency_ms: null,
          margin_level: null,
        }),
      ]),
      { c: makeChalk(0) },
    ).join('\n');
    expect(text).toMatch(/agent_1\s+Atlas\s+slow\s+198\.40.*refresh slow; values 4s old/);
    expect(text).toMatch(/agent_2\s+Atlas\s+connecting\s+-/);
  });
});

// ───────────────────────────── the poller ─────────────────────────────

const SERVER_TIME = '2026-11-22T10:00:00+02:00'; // the broker's day began at 2026-11-21T22:00:00Z

function account(over: Partial<Account> = {}): Account {
  return {
    login: 1,
    name: 'x',
    server: 'x',
    currency: 'USD',
    leverage: 500,
    balance: 200,
    equity: 195,
    margin: 10,
    free_margin: 185,
    margin_level: 1950,
    profit: -5,
    server_time: SERVER_TIME,
    trade_allowed: true,
    ...over,
  };
}
const position = (profit: number): Position => ({
  ticket: 1,
  symbol: 'XAUUSD',
  type: 'buy',
  lots: 0.01,
  open_price: 2650,
  open_time: '2026-11-22T07:00:00Z',
  sl: null,
  tp: null,
  current_price: 2645,
  swap: -0.5,
  commission: 0,
  profit,
  comment: '',
  client_id: null,
  magic: 0,
});
const closed = (profit: number, close_time: string): ClosedTrade => ({
  ticket: 2,
  symbol: 'XAUUSD',
  type: 'buy',
  lots: 0.01,
  open_price: 2650,
  open_time: '2026-11-21T20:00:00Z',
  close_price: 2640,
  close_time,
  sl: null,
  tp: null,
  swap: 0,
  commission: 0,
  profit,
  comment: '',
  client_id: null,
  magic: 0,
});

class FakeBridge implements Bridge {
  readonly agent = 'agent_1';
  readonly transport = 'rest' as const;
  capabilities: Readonly<BridgeCapabilities> = ALL_CAPABILITIES;
  acct = account();
  pos: Position[] = [position(-4.5)];
  hist: ClosedTrade[] = [closed(-3, '2026-11-21T23:30:00Z'), closed(-50, '2026-11-21T21:00:00Z')];
  historyCalls = 0;
  fail: BridgeError | undefined;
  delayMs = 0;
  async #maybe<T>(v: T): Promise<T> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.fail) throw this.fail;
    return v;
  }
  account() {
    return this.#maybe(this.acct);
  }
  positions() {
    return this.#maybe(this.pos);
  }
  history() {
    this.historyCalls++;
    return this.#maybe(this.hist);
  }
  tick(): never {
    throw new Error('not used');
  }
  symbol(): never {
    throw new Error('not used');
  }
  orders(): never {
    throw new Error('not used');
  }
  trade(): never {
    throw new Error('not used');
  }
  async close() {}
}

describe('AgentPoller', () => {
  it("daily loss: trades closed since the broker's midnight plus floating, against max_daily_loss of the day's starting balance", async () => {
    const b = new FakeBridge();
    const p = new AgentPoller(AGENT, b, { intervalMs: 1000 });
    await p.refresh();
    const r = p.row({ state: 'active', reason: '' });
    // realized today −3 (the −50 closed before the broker's midnight), floating −4.5 −0.5 swap.
    expect(r.daily).toMatchObject({
      pnl: -8,
      loss: 8,
      limit: 10.15,
      reached: false,
      day_start: '2026-11-22T00:00:00+02:00',
      basis: 'history',
    });
    expect(r.daily!.used).toBeCloseTo(8 / 10.15, 6);
    expect(r).toMatchObject({
      status: 'online',
      balance: 200,
      equity: 195,
      floating: -5,
      open_positions: 1,
      max_positions: 2,
      error: null,
    });
  });

  it('a transport without trade history: floating only, marked as an estimate, and history is never asked for', async () => {
    const b = new FakeBridge();
    b.capabilities = { ...ALL_CAPABILITIES, history: false };
    const p = new AgentPoller(AGENT, b, { intervalMs: 1000 });
    await p.refresh();
    const r = p.row({ state: 'active', reason: '' });
    expect(b.historyCalls).toBe(0);
    expect(r.daily).toMatchObject({ loss: 5, limit: 10, basis: 'equity' });
    const text = renderWatch(snap([r]), { c: makeChalk(0) }).join('\n');
    expect(text).toMatch(/~5\.00\/10\.00\s+50%.*~ daily loss is floating only/);
  });

  it('reads the history again only when the balance moves (a trade closed) or a minute passes', async () => {
    let now = Date.parse('2026-11-22T08:00:00Z');
    const b = new FakeBridge();
    const p = new AgentPoller(AGENT, b, { intervalMs: 1000, now: () => now });
    await p.refresh();
    await p.refresh();
    expect(b.historyCalls).toBe(1);
    b.acct = account({ balance: 190 });
    b.hist = [...b.hist, closed(-10, '2026-11-22T07:59:00Z')];
    await p.refresh();
    expect(b.historyCalls).toBe(2);
    expect(p.row({ state: 'active', reason: '' }).daily).toMatchObject({ loss: 18, reached: true });
    now += 61_000;
    await p.refresh();
    expect(b.historyCalls).toBe(3);
  });

  it('a failure makes the row offline with the reason and since when; the next success clears it', async () => {
    let now = 1_000_000;
    const b = new FakeBridge();
    const p = new AgentPoller(AGENT, b, { intervalMs: 1000, now: () => now });
    b.fail = new BridgeError('unreachable', 'agent_1', 'GET /account', 'unreachable at http://x (connection refused)');
    await p.refresh();
    now += 3000;
    await p.refresh();
    const r = p.row({ state: 'halted', reason: 'desk halted' });
    expect(r).toMatchObject({
      status: 'offline',
      error: 'unreachable at http://x (connection refused)',
      offline_since: new Date(1_000_000).toISOString(),
      balance: null,
      trading: 'halted',
    });
    b.fail = undefined;
    await p.refresh();
    expect(p.row({ state: 'active', reason: '' })).toMatchObject({ status: 'online', error: null, offline_since: null });
  });

  it('a slow agent is marked slow while its refresh runs past the interval; other pollers are not held up', async () => {
    const slow = new FakeBridge();
    slow.delayMs = 400;
    const fast = new FakeBridge();
    let fastUpdates = 0;
    const ps = new AgentPoller(AGENT, slow, { intervalMs: 100 });
    const pf = new AgentPoller({ ...AGENT, id: 'agent_2' }, fast, { intervalMs: 100, onUpdate: () => fastUpdates++ });
    ps.start();
    pf.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(ps.row({ state: 'active', reason: '' })).toMatchObject({ status: 'connecting', slow: true });
    expect(fastUpdates).toBeGreaterThanOrEqual(2);
    ps.stop();
    pf.stop();
    await Promise.all([ps.loop, pf.loop]);
  });

  it('anything but a bridge failure is a bug and is not swallowed', async () => {
    const b = new FakeBridge();
    b.account = () => Promise.reject(new TypeError('boom'));
    await expect(new AgentPoller(AGENT, b, { intervalMs: 1000 }).refresh()).rejects.toThrow('boom');
  });
});

// ───────────────────────────── end to end ─────────────────────────────

let desk: Desk;
beforeAll(async () => {
  desk = await startDesk();
});
afterAll(async () => {
  await desk?.close();
});
afterEach(async () => {
  for (const a of desk.sim.agents) {
    const agent = desk.sim.agent(a.id);
    agent.clearFaults();
    if (agent.isDown()) await agent.goUp();
  }
  await desk.run(['resume', 'agent_3', '--reason', 'test over']).catch(() => undefined);
});

describe('off a terminal: one snapshot', () => {
  it('prints the table once and exits 0, without escape codes', async () => {
    const r = await desk.run(['watch']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(ANSI);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^mt4gw watch {2}\S+ {2}3\/3 online {2}all clear$/m);
    expect(r.stdout).toMatch(
      /^ {2}agent_1\s+Atlas\s+online\s+200\.00\s+200\.00\s+0\.00\s+0\/1\s+-\s+0\.00\/10\.00\s+0%\s+active\s+\d+ ms$/m,
    );
    expect(r.stdout).toMatch(/^ {2}TOTAL\s+3\/3\s+1700\.00\s+1700\.00\s+0\.00\s+0\s+USD$/m);
  });

  it('--json: rows with the daily loss from the bridge history; an agent down exits 3 and is flagged', async () => {
    desk.sim.agent('agent_1').addHistory([{ symbol: 'XAUUSD', type: 'buy', lots: 0.01, open_price: 2650, close_price: 2642, profit: -8 }]);
    await desk.sim.agent('agent_2').goDown(30);
    const r = await desk.run(['watch', '--json']);
    expect(r.code).toBe(3);
    const s = JSON.parse(r.stdout);
    const a1 = s.agents.find((a: WatchRow) => a.agent_id === 'agent_1');
    expect(a1.daily).toMatchObject({ loss: 8, limit: 10, reached: false });
    expect(a1.balance).toBe(192);
    const a2 = s.agents.find((a: WatchRow) => a.agent_id === 'agent_2');
    expect(a2).toMatchObject({ status: 'offline', balance: null });
    expect(a2.error).toMatch(/connection refused/);
    expect(s.totals).toMatchObject({ agents: 3, online: 2, offline: 1, alerts: 1 });
    expect(r.stderr).toMatch(/1 of 3 agents did not answer: agent_2/);
  });
});

const noPty = ptySkipReason();

describe.skipIf(noPty !== undefined)(`live, in a pseudo-terminal${noPty ? ` (skipped: ${noPty})` : ''}`, () => {
  let run: PtyRun | undefined;
  afterEach(() => run?.kill());

  const env = (extra: Record<string, string> = {}) => ({ ...desk.env, TERM: 'xterm-256color', ...extra });

  it('redraws in place, shows the daily loss and a halt as they happen, and q restores the terminal', async () => {
    run = runInPty(['--config', desk.configPath, 'watch', '--interval', '500ms'], { env: env(), cwd: desk.dir, cols: 220 });
    await run.waitFor((s) => s.altActive && /agent_3\s+Nova\s+online/.test(s.text()));
    const first = run.screen.lines();
    expect(first[0]).toMatch(/^mt4gw watch {2}\d\d:\d\d:\d\d {2}every 500 ms {2}3\/3 online {2}all clear {2}q quit · r refresh$/);
    expect(first.find((l) => l.includes('agent_3'))).toMatch(
      /^ {2}agent_3\s+Nova\s+online\s+1000\.00\s+1000\.00\s+0\.00\s+0\/3\s+-\s+0\.00\/50\.00\s+0%\s+active\s+\d+ ms$/,
    );
    expect(first.at(-1)).toMatch(/^ {2}TOTAL\s+3\/3\s+\d+\.\d\d/);

    // A losing trade closed today on agent_2 (80 % of its 5 % limit), then agent_3 halted.
    desk.sim.agent('agent_2').addHistory([{ symbol: 'EURUSD', type: 'buy', lots: 0.1, open_price: 1.08, close_price: 1.078, profit: -20 }]);
    await run.waitFor(/ agent_2\s+Orion\s+online\s+480\.00\s+480\.00\s+0\.00\s+0\/2\s+-\s+20\.00\/25\.00\s+80%\s+active/);
    expect((await desk.run(['halt', 'agent_3', '--reason', 'drill'])).code).toBe(0);
    await run.waitFor(/! agent_3\s+Nova\s+online.*HALTED.*agent_3 halted by .*: drill/);
    expect(run.screen.lines()[0]).toContain('1 needs attention');
    // Redrawn in place: the alternate screen, never scrolled (the header stays on the first line).
    expect(run.screen.lines().filter((l) => l.startsWith('mt4gw watch'))).toHaveLength(1);
    expect(run.raw()).toContain('\x1b[?1049h');
    expect(run.raw()).toMatch(SGR);

    run.write('q');
    const done = await run.done;
    expect(done.code).toBe(0);
    expect(run.screen.altActive).toBe(false);
    expect(run.raw().endsWith('\x1b[?25h\x1b[?1049l')).toBe(true);
  });

  it('a hung agent never freezes the screen: the others keep updating, it turns slow then OFFLINE; Ctrl-C quits', async () => {
    desk.sim.agent('agent_2').setFaults([{ kind: 'hang', endpoint: '/account' }]);
    run = runInPty(['--config', desk.configPath, 'watch', '--interval', '500ms'], { env: env(), cwd: desk.dir });
    await run.waitFor(/agent_1\s+Atlas\s+online/);
    expect(run.screen.text()).toMatch(/agent_2\s+Orion\s+(connecting|slow)/);
    // The clock keeps moving while agent_2 hangs (its timeout is 2 s).
    const clock = () => /^mt4gw watch {2}(\d\d:\d\d:\d\d)/.exec(run!.screen.lines()[0] ?? '')?.[1];
    const t0 = clock();
    await run.waitFor(() => clock() !== t0, 3000);
    await run.waitFor(/! agent_2\s+Orion\s+OFFLINE.*timed out after 2000 ms/, 6000);
    expect(run.screen.text()).toMatch(/agent_1\s+Atlas\s+online/);
    expect(run.screen.text()).toMatch(/agent_3\s+Nova\s+online/);

    // agent_2's next request hangs again: quitting must not wait for it.
    await run.waitFor(/agent_2\s+Orion\s+OFFLINE/);
    const quitAt = Date.now();
    run.write('\x03');
    const done = await run.done;
    expect(done.code).toBe(0);
    expect(Date.now() - quitAt).toBeLessThan(1500);
    expect(run.screen.altActive).toBe(false);
    expect(run.raw()).toContain('\x1b[?25h\x1b[?1049l');
  });

  it('NO_COLOR: the same screen without a single colour code', async () => {
    run = runInPty(['--config', desk.configPath, 'watch'], { env: env({ NO_COLOR: '1' }), cwd: desk.dir });
    await run.waitFor(/agent_3\s+Nova\s+online/);
    run.write('q');
    expect((await run.done).code).toBe(0);
    expect(run.raw()).not.toMatch(SGR);
    expect(run.raw()).toContain('\x1b[?1049h');
  });

  it('--once on a terminal prints one snapshot, in colour, and exits', async () => {
    run = runInPty(['--config', desk.configPath, 'watch', '--once'], { env: env(), cwd: desk.dir });
    const done = await run.done;
    expect(done.code).toBe(0);
    expect(run.raw()).not.toContain('\x1b[?1049h');
    expect(run.screen.text()).toMatch(/^ {2}TOTAL\s+3\/3\s+\d+\.\d\d\s+\d+\.\d\d/m);
    expect(run.raw()).toMatch(SGR);
  });
});
