// Which account a paper terminal says it is: the login and server of GET /account (and DWX's
// account_number), from the sim options or, for `mt4gw sim`, from agents.yml's mt4.account and
// mt4.server. Servers on 127.0.0.1, ephemeral ports; the command runs the built binary.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DwxClient } from '../src/bridge/dwx/client.js';
import { AccountSchema } from '../src/bridge/schemas.js';
import { loginOf } from '../src/commands/handlers/sim.js';
import { startSim } from '../src/sim/index.js';
import { baseEnv, startCli } from './helpers/cli.js';
import { DESIGN_AGENTS, startDesk } from './helpers/desk.js';
import { call, restAgent, simPool, sleep } from './helpers/sim-http.js';

const pool = simPool();

describe('login and server', () => {
  it('are served in GET /account as given per agent', async () => {
    const s = pool.track(
      await startSim({
        agents: [
          { id: 'a1', port: 0, initialBalance: 100, login: 90210, server: 'Broker-Demo01', name: 'Atlas' },
          { id: 'a2', port: 0, initialBalance: 100, login: 7, server: 'Other-Live3' },
        ],
      }),
    );
    expect(await restAgent(s, undefined, 'a1').account()).toMatchObject({ login: 90210, server: 'Broker-Demo01', name: 'Atlas' });
    expect(await restAgent(s, undefined, 'a2').account()).toMatchObject({ login: 7, server: 'Other-Live3' });
    expect(s.agent('a1').account().login).toBe(90210);
  });

  it('default to a deterministic login per agent (22437, 22438, …) and mt4gw-Paper', async () => {
    const agents = ['x', 'y', 'z'].map((id) => ({ id, port: 0, initialBalance: 100 }));
    const logins = async () => {
      const s = pool.track(await startSim({ agents }));
      const out: Array<[number, string]> = [];
      for (const a of s.agents) {
        const acc = AccountSchema.parse((await call(a.url, 'GET', '/account')).json);
        out.push([acc.login, acc.server]);
      }
      return out;
    };
    const first = await logins();
    expect(first).toEqual([
      [22437, 'mt4gw-Paper'],
      [22438, 'mt4gw-Paper'],
      [22439, 'mt4gw-Paper'],
    ]);
    expect(await logins()).toEqual(first);
  });

  it('a login that is not a positive integer, or an empty server, is refused', async () => {
    for (const login of [0, -3, 1.5, Number.NaN]) {
      await expect(startSim({ agents: [{ id: 'a', port: 0, initialBalance: 1, login }] })).rejects.toThrow(
        /login must be a positive integer/,
      );
    }
    await expect(startSim({ agents: [{ id: 'a', port: 0, initialBalance: 1, server: ' ' }] })).rejects.toThrow(/server/);
  });

  it('the DWX front reports the same login as its account_number', async () => {
    const s = pool.track(await startSim({ transport: 'dwx', agents: [{ id: 'd1', port: 0, initialBalance: 500, login: 4242 }] }));
    const p = s.agents[0]!.dwx!;
    const c = new DwxClient({
      id: 'd1',
      host: '127.0.0.1',
      pushPort: p.push_port,
      pullPort: p.pull_port,
      pubPort: p.pub_port,
      timeoutMs: 3000,
      currency: 'USD',
    });
    try {
      expect(await c.account()).toMatchObject({ login: 4242, balance: 500 });
    } finally {
      await c.close();
    }
  });
});

describe('mt4gw sim', () => {
  it('loginOf: mt4.account when it is all digits and a positive integer', () => {
    expect(loginOf('22437')).toBe(22437);
    expect(loginOf('0123')).toBe(123);
    for (const v of [undefined, '', 'demo-7', '12a', '0', '99999999999999999999']) expect(loginOf(v)).toBeUndefined();
  });

  it("serves each agent's mt4.account and mt4.server from agents.yml, defaults for the others", async () => {
    const freePort = () =>
      new Promise<number>((resolve, reject) => {
        const srv = createServer();
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => {
          const { port } = srv.address() as { port: number };
          srv.close(() => resolve(port));
        });
      });
    const [p1, p2] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), 'mt4gw-sim-identity-'));
    const risk = '    risk: {initial_balance: 200, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, lot_size: 0.01}';
    const config = join(dir, 'agents.yml');
    writeFileSync(
      config,
      [
        'agents:',
        '  agent_1:',
        `    mt4: {host: 127.0.0.1, port: ${p1}, token: "\${SIM_ID_TOKEN}", account: "90210", server: Broker-Demo01}`,
        '    strategy: {pairs: [XAUUSD]}',
        risk,
        '  agent_2:',
        `    mt4: {host: 127.0.0.1, port: ${p2}, token: "\${SIM_ID_TOKEN}", account: demo-7}`,
        '    strategy: {pairs: [XAUUSD]}',
        risk,
        '',
      ].join('\n'),
    );
    const token = 'sim-identity-token';
    const env = baseEnv({ MT4GW_STATE_DIR: join(dir, 'state'), SIM_ID_TOKEN: token });
    const sim = startCli(['--config', config, 'sim'], { env, timeoutMs: 60_000 });
    let err = '';
    sim.child.stderr!.on('data', (x: Buffer | string) => (err += String(x)));
    try {
      const end = Date.now() + 15_000;
      while (!err.includes('ready: 2 paper bridges')) {
        if (Date.now() > end || sim.child.exitCode !== null) throw new Error(`the sim did not start:\n${err}`);
        await sleep(50);
      }
      const a1 = AccountSchema.parse((await call(`http://127.0.0.1:${p1}`, 'GET', '/account', { token })).json);
      const a2 = AccountSchema.parse((await call(`http://127.0.0.1:${p2}`, 'GET', '/account', { token })).json);
      expect(a1).toMatchObject({ login: 90210, server: 'Broker-Demo01' });
      // No digits-only account: the default login of its place (the second agent), the command's server name.
      expect(a2).toMatchObject({ login: 22438, server: 'mt4gw-sim' });
    } finally {
      sim.child.kill('SIGINT');
      const done = await sim.done;
      rmSync(dir, { recursive: true, force: true });
      expect(done.code, err).toBe(0);
    }
  }, 60_000);
});

describe('the test desk', () => {
  it('passes per-agent sim options and extra mt4 lines through', async () => {
    const desk = await startDesk([
      {
        ...DESIGN_AGENTS[0]!,
        sim: { login: 5150, server: 'Desk-Demo', busyPolicy: 'queue' },
        mt4Extra: ['account: "5150"', 'server: Desk-Demo'],
      },
    ]);
    try {
      const a = desk.sim.agent('agent_1');
      expect(a.account()).toMatchObject({ login: 5150, server: 'Desk-Demo' });
      expect(a.tradeContextStatus().policy).toBe('queue');
      const yml = readFileSync(desk.configPath, 'utf8');
      expect(yml).toContain('      account: "5150"\n      server: Desk-Demo\n');
    } finally {
      await desk.close();
    }
  });
});
