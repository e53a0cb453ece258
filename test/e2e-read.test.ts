// End-to-end: the built binary against paper bridges, asserting stdout, stderr and exit code apart.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDesk, type Desk } from './helpers/desk.js';
import { spawn } from 'node:child_process';
import { runCli, baseEnv, BIN } from './helpers/cli.js';

const ANSI = /\x1b\[/;
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
});

describe('read commands', () => {
  it('agents lists the config without any network or token', async () => {
    const r = await runCli(['--config', desk.configPath, 'agents', '--json'], { env: baseEnv() });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows.map((a: { id: string }) => a.id)).toEqual(['agent_1', 'agent_2', 'agent_3']);
    expect(rows[0]).toMatchObject({ name: 'Atlas', pairs: ['XAUUSD'], max_positions: 1, lot_size: 0.01 });
    for (const a of desk.sim.agents) expect(desk.sim.agent(a.id).requests()).toHaveLength(0);
  });

  it('status shows every agent online with its server time', async () => {
    const r = await desk.run(['status', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.status).toBe('online');
      expect(row.server_time).toMatch(/[+-]\d\d:\d\d$/);
      expect(row.trade_allowed).toBe(true);
      expect(row).toMatchObject({ trading: 'active', trading_scope: null, trading_reason: null });
    }
  });

  it('summary prints a table with totals, and no colour codes when piped', async () => {
    const r = await desk.run(['summary']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(ANSI);
    expect(r.stderr).not.toMatch(ANSI);
    expect(r.stdout).toMatch(/^AGENT\s+NAME\s+STATUS\s+BALANCE/m);
    expect(r.stdout).toMatch(/agent_1\s+Atlas\s+online\s+200\.00/);
    expect(r.stdout).toMatch(/TOTAL\s+3\/3 online\s+1700\.00/);
  });

  it('summary --json is the GlobalSummary', async () => {
    const r = await desk.run(['summary', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ total_balance: 1700, total_positions: 0, agents_online: 3, agents_offline: 0, currency: 'USD' });
    expect(s.desk_trading.state).toBe('active');
    expect(s.agents.every((a: { trading: string }) => a.trading === 'active')).toBe(true);
    expect(s.agents.map((a: { agent_id: string; balance: number }) => [a.agent_id, a.balance])).toEqual([
      ['agent_1', 200],
      ['agent_2', 500],
      ['agent_3', 1000],
    ]);
  });

  it('summary --format prometheus writes gauges for the textfile collector', async () => {
    const r = await desk.run(['summary', '--format', 'prometheus']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# TYPE mt4gw_up gauge');
    expect(r.stdout).toContain('mt4gw_up{agent="agent_2",name="Orion"} 1');
    expect(r.stdout).toContain('mt4gw_agents_online 3');
    expect(r.stdout).toContain('mt4gw_total_positions 0');
    expect(r.stdout).toContain('mt4gw_balance{agent="agent_3",name="Nova",currency="USD"} 1000');
    expect(r.stdout).toContain('mt4gw_trading_state{agent="agent_1",name="Atlas"} 0');
    expect(r.stdout).toContain('mt4gw_desk_trading_state 0');
  });

  it('with one bridge down, summary shows the other two, marks it offline and exits 3', async () => {
    await desk.sim.agent('agent_2').goDown(30);
    const r = await desk.run(['summary', '--json']);
    expect(r.code).toBe(3);
    const s = JSON.parse(r.stdout);
    expect(s.agents_online).toBe(2);
    expect(s.total_balance).toBe(1200);
    const orion = s.agents.find((a: { agent_id: string }) => a.agent_id === 'agent_2');
    expect(orion.status).toBe('offline');
    expect(orion.error).toMatch(/connection refused/);
    expect(r.stderr).toMatch(/agent_2/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a hung bridge costs no more than its timeout and never hides the others', async () => {
    desk.sim.agent('agent_3').setFaults([{ kind: 'hang' }]);
    const r = await desk.run(['--timeout', '700ms', 'summary']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/agent_1\s+Atlas\s+online/);
    expect(r.stdout).toMatch(/agent_3\s+Nova\s+offline.*timed out/);
    expect(r.ms).toBeLessThan(10_000); // a generous bound: the point is that it ends, not how fast
  });

  for (const [kind, pattern] of [
    ['malformed_json', /agent_1: GET \/account: answered invalid JSON/],
    ['wrong_types', /agent_1: GET \/account: answered outside protocol v1: field `\w+`/],
    ['unauthorized', /agent_1: GET \/account: unauthorized \(401\)/],
    ['http_500', /agent_1: GET \/account: HTTP 500/],
  ] as const) {
    it(`a bridge answering ${kind} gives a one-line error naming agent and endpoint, exit 3`, async () => {
      desk.sim.agent('agent_1').setFaults([{ kind }]);
      const r = await desk.run(['account', 'agent_1']);
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('');
      const first = r.stderr.split('\n')[0]!;
      expect(first).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('account, tick, positions, orders and history answer in tables and JSON', async () => {
    const acc = await desk.run(['account', 'agent_3', '--json']);
    expect(acc.code).toBe(0);
    expect(JSON.parse(acc.stdout)).toMatchObject({ agent_id: 'agent_3', balance: 1000, currency: 'USD' });

    const tick = await desk.run(['tick', 'agent_3', 'usdjpy', '--json']);
    expect(tick.code).toBe(0);
    const t = JSON.parse(tick.stdout);
    expect(t.symbol).toBe('USDJPY');
    expect(t.ask).toBeGreaterThan(t.bid);

    const table = await desk.run(['tick', 'agent_1', 'XAUUSD']);
    expect(table.stdout).toMatch(/^AGENT\s+SYMBOL\s+BID\s+ASK/m);

    const pos = await desk.run(['positions', '--json']);
    expect(pos.code).toBe(0);
    expect(JSON.parse(pos.stdout)).toEqual({ positions: [], offline: [] });

    const ord = await desk.run(['orders', '--json']);
    expect(JSON.parse(ord.stdout)).toEqual({ orders: [], offline: [] });

    const hist = await desk.run(['history', 'agent_1', '--since', '7d', '--json']);
    expect(hist.code).toBe(0);
    expect(JSON.parse(hist.stdout)).toEqual([]);
  });
});

describe('bad input sends nothing', () => {
  it('an unknown agent exits 2 with the configured ids and a suggestion', async () => {
    const r = await desk.run(['account', 'agent_4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown agent "agent_4"/);
    expect(r.stderr).toMatch(/agent_1, agent_2, agent_3/);
    const typo = await desk.run(['account', 'agnet_1']);
    expect(typo.stderr).toMatch(/did you mean "agent_1"/);
  });

  it('a missing token variable exits 2 naming the variable, before any request', async () => {
    for (const a of desk.sim.agents) desk.sim.agent(a.id).clearRequests();
    const env = { ...desk.env };
    delete env.MT4GW_TEST_TOKEN_2;
    const r = await desk.run(['summary'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/MT4GW_TEST_TOKEN_2/);
    for (const a of desk.sim.agents) expect(desk.sim.agent(a.id).requests()).toHaveLength(0);
  });

  it('a bad --since exits 2 before any request', async () => {
    desk.sim.agent('agent_1').clearRequests();
    const r = await desk.run(['history', 'agent_1', '--since', 'last tuesday']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--since "last tuesday" is not a time/);
    expect(desk.sim.agent('agent_1').requests()).toHaveLength(0);
  });

  it('an unknown option or command exits 2', async () => {
    expect((await desk.run(['summary', '--frobnicate'])).code).toBe(2);
    const r = await desk.run(['sumary']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/summary/);
  });
});

describe('secrets', () => {
  it('the token never appears in any output, --verbose included', async () => {
    desk.sim.agent('agent_2').setFaults([{ kind: 'unauthorized' }]);
    const runs = await Promise.all([
      desk.run(['--verbose', 'summary']),
      desk.run(['--verbose', 'status', '--json']),
      desk.run(['--verbose', 'account', 'agent_2']),
      desk.run(['--verbose', 'agents', '--json']),
    ]);
    for (const r of runs) {
      for (const token of Object.values(desk.tokens)) {
        expect(r.stdout).not.toContain(token);
        expect(r.stderr).not.toContain(token);
      }
    }
    expect(runs[0]!.stderr).toMatch(/debug: agent_1 GET \/account -> 200/);
  });
});

describe('conventions', () => {
  it('a reader that leaves early (`| true`) gets no stack trace and the command still exits 0', async () => {
    // `true` exits without reading, so every write of mt4gw meets a closed pipe (EPIPE). The sim
    // runs in this process: the shell must be spawned asynchronously so that it can answer.
    const sh = (script: string) =>
      new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn('bash', ['-c', script], { env: desk.env });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('close', (status) => {
          clearTimeout(timer);
          resolve({ status, stderr });
        });
      });
    for (const args of ['--help', `--config "${desk.configPath}" summary --format prometheus`]) {
      const r = await sh(`"${process.execPath}" "${BIN}" ${args} | true; exit \${PIPESTATUS[0]}`);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('--version and --help work without a config', async () => {
    const v = await runCli(['--version'], { env: baseEnv(), cwd: '/' });
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const h = await runCli(['summary', '--help'], { env: baseEnv() });
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Examples:/);
  });

  it('a missing config exits 2 and lists where it looked', async () => {
    const r = await runCli(['summary'], { env: baseEnv({ XDG_CONFIG_HOME: `${desk.dir}/nowhere` }), cwd: '/' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/agents\.yml/);
  });
});
