// End-to-end: panic over the EA Bridge REST transport (the cases: e2e-panic.cases.ts), the
// persisted trading state (halt, reduce, resume) and how status and summary show it.
import { existsSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PositionWire } from '../src/sim/index.js';
import { journal, open, panicCases, position, statePath, trades, tradingState } from './e2e-panic.cases.js';

panicCases('rest');

describe('halt, reduce, resume', () => {
  it('halt and resume an agent: only that agent is denied; close and tightening a stop still work', async () => {
    const d = await open();
    const t = position(d, 'agent_3', 'EURUSD', 0.05);
    const h = await d.run(['halt', 'agent_3', '--reason', 'broker maintenance']);
    expect(h.code).toBe(0);
    expect(h.stdout).toBe('');
    expect(h.stderr).toMatch(/agent_3 is now halted/);
    expect(tradingState(d)).toMatchObject({
      global: { state: 'active' },
      agents: { agent_3: { state: 'halted', reason: 'broker maintenance' } },
    });
    expect(journal(d).at(-1)).toMatchObject({ event: 'halt', agent: 'agent_3', state: 'halted', reason: 'broker maintenance' });

    const denied = await d.run(['trade', 'agent_3', 'buy', 'EURUSD', '0.05', '--yes']);
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/TRADING_HALTED.*agent_3 halted by .*broker maintenance/);
    expect(trades(d, 'agent_3', 'buy')).toHaveLength(0);
    expect((await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'])).code).toBe(0);

    // Tightening a stop is allowed under a halt; loosening one is not.
    const tighten = await d.run(['modify', 'agent_3', String(t), '--sl', '1.07']);
    expect(tighten.code, tighten.stderr).toBe(0);
    const loosen = await d.run(['modify', 'agent_3', String(t), '--sl', '1.06']);
    expect(loosen.code).toBe(4);
    expect(loosen.stderr).toContain('STOP_LOOSENING_HALTED');
    const close = await d.run(['close', 'agent_3', String(t)]);
    expect(close.code).toBe(0);
    expect(d.sim.agent('agent_3').positions()).toHaveLength(0);

    expect((await d.run(['resume', 'agent_3', '--yes'])).code).toBe(0);
    expect(tradingState(d).agents.agent_3!.state).toBe('active');
    expect((await d.run(['trade', 'agent_3', 'buy', 'EURUSD', '0.05', '--yes'])).code).toBe(0);
  });

  it('reduce allows close and modify but denies new trades (TRADING_REDUCING)', async () => {
    const d = await open();
    const t = position(d, 'agent_3', 'EURUSD', 0.05);
    const r = await d.run(['reduce', '--reason', 'NFP at 14:30', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ scope: 'desk', state: 'reducing', reason: 'NFP at 14:30' });
    const denied = await d.run(['trade', 'agent_3', 'sell', 'EURUSD', '0.05', '--yes']);
    expect(denied.code).toBe(4);
    expect(denied.stderr).toContain('TRADING_REDUCING');
    expect(trades(d, 'agent_3', 'sell')).toHaveLength(0);
    // Under reducing any stop change is allowed, loosening included.
    expect((await d.run(['modify', 'agent_3', String(t), '--sl', '1.07', '--tp', '1.09'])).code).toBe(0);
    expect((await d.run(['modify', 'agent_3', String(t), '--sl', '1.06'])).code).toBe(0);
    expect(d.sim.agent('agent_3').positions()[0]).toMatchObject<Partial<PositionWire>>({ sl: 1.06, tp: 1.09 });
    expect((await d.run(['close', 'agent_3', String(t)])).code).toBe(0);
    expect(d.sim.agent('agent_3').positions()).toHaveLength(0);
  });

  it('desk and agent states are separate: the stricter applies; resume lifts the desk, resume --all everything', async () => {
    const d = await open();
    expect((await d.run(['halt', 'agent_1', '--reason', 'one'])).code).toBe(0);
    expect((await d.run(['reduce', '--reason', 'desk'])).code).toBe(0);
    // agent_1: halted (its own, stricter than the desk's reducing); the others reducing.
    let st = JSON.parse((await d.run(['status', '--json'])).stdout);
    expect(st.map((r: { agent_id: string; trading: string; trading_scope: string }) => [r.agent_id, r.trading, r.trading_scope])).toEqual([
      ['agent_1', 'halted', 'agent'],
      ['agent_2', 'reducing', 'desk'],
      ['agent_3', 'reducing', 'desk'],
    ]);

    // Resuming one agent does not lift the desk: it says so.
    const one = await d.run(['resume', 'agent_1', '--yes']);
    expect(one.code).toBe(0);
    expect(one.stderr).toMatch(/still trades as reducing: desk reducing by .*: desk/);

    expect((await d.run(['halt', 'agent_1', '--reason', 'again'])).code).toBe(0);
    const desk_ = await d.run(['resume', '--yes']);
    expect(desk_.code).toBe(0);
    expect(desk_.stderr).toMatch(/agent_1 halted by .*: again — still in force on its own; run mt4gw resume agent_1/);
    expect((await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'])).code).toBe(4);
    expect((await d.run(['trade', 'agent_3', 'buy', 'EURUSD', '0.05', '--yes'])).code).toBe(0);

    expect((await d.run(['resume', 'agent_1', '--all', '--yes'])).code).toBe(2);
    const all = await d.run(['resume', '--all', '--yes', '--json']);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout).still_restricted).toEqual([]);
    st = JSON.parse((await d.run(['status', '--json'])).stdout);
    expect(st.every((r: { trading: string }) => r.trading === 'active')).toBe(true);
    expect((await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'])).code).toBe(0);
  });

  it('halt needs a reason, and an unknown agent; nothing is written', async () => {
    const d = await open();
    expect((await d.run(['halt'])).code).toBe(2);
    const unknown = await d.run(['halt', 'agent_7', '--reason', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown agent "agent_7"/);
    expect(existsSync(statePath(d))).toBe(false);
  });

  it('an unreadable trading-state.json counts as halted', async () => {
    const d = await open();
    expect((await d.run(['halt', '--reason', 'x'])).code).toBe(0);
    writeFileSync(statePath(d), '{"global": {"state": "hal');
    const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/TRADING_HALTED.*unreadable/);
    expect(trades(d, 'agent_1')).toHaveLength(0);
    expect((await d.run(['resume', '--yes'])).code).toBe(0);
    expect((await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'])).code).toBe(0);
  });
});

describe('status and summary show the trading state', () => {
  it('per agent (the stricter of desk and agent) and for the desk, in tables, JSON and Prometheus', async () => {
    const d = await open();
    expect((await d.run(['reduce', '--reason', 'news'])).code).toBe(0);
    expect((await d.run(['halt', 'agent_2', '--reason', 'maintenance'])).code).toBe(0);

    const st = await d.run(['status']);
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(/^AGENT\s+NAME\s+STATUS\s+LATENCY\s+SERVER TIME\s+AUTOTRADING\s+TRADING\s+ENABLED\s+REASON/m);
    expect(st.stdout).toMatch(/agent_1\s+Atlas\s+online\s+.*allowed\s+reducing\s+yes\s*$/m);
    expect(st.stdout).toMatch(/agent_2\s+Orion\s+online\s+.*allowed\s+halted\s+yes\s+agent_2 halted by .*: maintenance$/m);
    expect(st.stderr).toMatch(/desk trading: REDUCING by \S+@\S+ at \S+: news/);

    const sj = JSON.parse((await d.run(['status', '--json'])).stdout);
    expect(sj[1]).toMatchObject({
      agent_id: 'agent_2',
      trading: 'halted',
      trading_scope: 'agent',
      trading_reason: expect.stringMatching(/maintenance/),
    });

    const sum = await d.run(['summary']);
    expect(sum.code).toBe(0);
    expect(sum.stdout).toMatch(/^AGENT\s+NAME\s+STATUS\s+BALANCE\s+EQUITY\s+PROFIT\s+POSITIONS\s+TRADING/m);
    expect(sum.stdout).toMatch(/agent_2\s+Orion\s+online\s+500\.00\s+500\.00\s+0\.00\s+0\s+halted/);
    expect(sum.stderr).toMatch(/desk trading: REDUCING/);

    const json = JSON.parse((await d.run(['summary', '--json'])).stdout);
    expect(json.desk_trading).toMatchObject({ state: 'reducing', reason: 'news' });
    expect(json.agents.map((a: { trading: string }) => a.trading)).toEqual(['reducing', 'halted', 'reducing']);

    // The state is local: an agent whose bridge is down still shows it.
    await d.sim.agent('agent_3').goDown(30);
    const prom = await d.run(['summary', '--format', 'prometheus']);
    expect(prom.code).toBe(3);
    expect(prom.stdout).toContain('# TYPE mt4gw_trading_state gauge');
    expect(prom.stdout).toContain('mt4gw_trading_state{agent="agent_1",name="Atlas"} 1');
    expect(prom.stdout).toContain('mt4gw_trading_state{agent="agent_2",name="Orion"} 2');
    expect(prom.stdout).toContain('mt4gw_trading_state{agent="agent_3",name="Nova"} 1');
    expect(prom.stdout).toContain('mt4gw_desk_trading_state 1');
  });
});
