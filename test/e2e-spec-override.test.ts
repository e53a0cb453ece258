// agents.yml's `symbols:` override is one rule for every path that needs a contract spec: orders,
// partial closes and modifies all take the terminal's spec with the override on top (trading/spec.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { DESIGN_AGENTS, type Desk, startDesk } from './helpers/desk.js';

let desk: Desk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});
const NOVA = DESIGN_AGENTS[2]!; // agent_3: XAUUSD among its pairs, 0.05 lots
const sent = (d: Desk, action: string) =>
  d.sim
    .agent('agent_3')
    .requests()
    .filter((q) => q.path === '/trade' && q.action === action);

describe('symbols: override', () => {
  it('lot_step 0.1 and min_lot 0.1: trade 0.05 is denied, and so is close --lots 0.05 of a 0.1-lot position (nothing sent)', async () => {
    desk = await startDesk([NOVA], {}, 'symbols:\n  XAUUSD: {lot_step: 0.1, min_lot: 0.1}\n');
    const d = desk;
    const trade = await d.run(['trade', 'agent_3', 'buy', 'XAUUSD', '0.05', '--yes']);
    expect(trade.code).toBe(4);
    expect(trade.stderr).toContain('LOTS_NOT_STEP_MULTIPLE');
    const t = d.sim.agent('agent_3').engine.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.1 }).ticket!;
    const close = await d.run(['close', 'agent_3', String(t), '--lots', '0.05']);
    expect(close.code, close.stderr).toBe(2);
    expect(close.stderr).toContain('CLOSE_LOTS_NOT_STEP_MULTIPLE');
    expect(close.stderr).toContain('CLOSE_LOTS_BELOW_MIN');
    expect(close.stderr).toContain('CLOSE_REMAINDER_BELOW_MIN');
    expect(sent(d, 'close')).toHaveLength(0);
    expect(
      d.sim
        .agent('agent_3')
        .positions()
        .map((p) => p.lots),
    ).toEqual([0.1]);
    // All of it may always be closed.
    const all = await d.run(['close', 'agent_3', String(t)]);
    expect(all.code, all.stderr).toBe(0);
    expect(d.sim.agent('agent_3').positions()).toHaveLength(0);
  });

  it('stop_level 500 points: a modify to a stop 2.00 from the price is denied SL_TOO_CLOSE (nothing sent)', async () => {
    desk = await startDesk([NOVA], {}, 'symbols:\n  XAUUSD: {stop_level: 500}\n');
    const d = desk;
    const a3 = d.sim.agent('agent_3');
    a3.setPrice('XAUUSD', 2650);
    const t = a3.engine.trade({ action: 'buy', symbol: 'XAUUSD', lots: 0.05 }).ticket!;
    const r = await d.run(['modify', 'agent_3', String(t), '--sl', '2648']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('SL_TOO_CLOSE');
    expect(sent(d, 'modify')).toHaveLength(0);
    const ok = await d.run(['modify', 'agent_3', String(t), '--sl', '2640']);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
