// Many mt4gw processes on the same agents at once: limits hold (one writer per agent), panic wins
// (nothing stays open, nothing is opened after the halt), and nothing is closed twice. The paper
// terminals take 150 ms per trade and refuse a second trade meanwhile (MT4's 146), so overlapping
// orders would show — as retries in the journal, or as extra positions.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../helpers/cli.js';
import { DESIGN_AGENTS, startDesk, type Desk, type DeskAgent } from '../helpers/desk.js';

let desk: Desk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

const IDS = ['agent_1', 'agent_2', 'agent_3'];
const SLOW_TERMINAL = { tradeLatencyMs: 150 };

async function open(agents: DeskAgent[] = DESIGN_AGENTS): Promise<Desk> {
  desk = await startDesk(agents, SLOW_TERMINAL);
  for (const id of IDS) desk.sim.agent(id).setPrice('XAUUSD', 2650);
  return desk;
}

type Rec = Record<string, unknown> & { event: string };
const journal = (d: Desk): Rec[] => {
  const path = join(d.dir, 'state', 'journal.jsonl');
  return existsSync(path)
    ? readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Rec)
    : [];
};
const buys = (d: Desk, id: string) =>
  d.sim
    .agent(id)
    .requests()
    .filter((q) => q.path === '/trade' && q.action === 'buy');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LONG = { timeoutMs: 90_000 };

function position(d: Desk, id: string, lots: number): number {
  const r = d.sim.agent(id).engine.trade({ action: 'buy', symbol: 'XAUUSD', lots });
  expect(r.success, r.message).toBe(true);
  return r.ticket!;
}

/** Every ticket a close, close-all or panic reported as closed by itself ('done'), across processes. */
function doneTickets(runs: RunResult[]): number[] {
  const out: number[] = [];
  for (const r of runs) {
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    if (j.status === 'done') out.push(j.ticket as number);
    const reports = (Array.isArray(j.agents) ? j.agents : 'closed' in j ? [j] : []) as Array<{
      closed: Array<{ ticket: number; status: string }>;
    }>;
    for (const rep of reports) for (const c of rep.closed) if (c.status === 'done') out.push(c.ticket);
  }
  return out.sort();
}

describe('concurrency', () => {
  it('12 processes trading 3 agents at once: each agent stops exactly at its max_positions, one writer at a time', async () => {
    const d = await open();
    const limits: Record<string, number> = { agent_1: 1, agent_2: 2, agent_3: 3 };
    const symbol: Record<string, string> = { agent_1: 'XAUUSD', agent_2: 'EURUSD', agent_3: 'XAUUSD' };
    d.sim.agent('agent_2').setPrice('EURUSD', 1.08);
    const runs = await Promise.all(
      IDS.flatMap((id) =>
        Array.from({ length: 4 }, () => d.run(['trade', id, 'buy', symbol[id]!, '--yes', '--json'], LONG).then((r) => ({ id, r }))),
      ),
    );
    for (const id of IDS) {
      const mine = runs.filter((x) => x.id === id).map((x) => x.r);
      expect(d.sim.agent(id).positions()).toHaveLength(limits[id]!);
      expect(mine.filter((r) => r.code === 0)).toHaveLength(limits[id]!);
      for (const r of mine.filter((x) => x.code !== 0)) {
        expect(r.code, r.stderr).toBe(4);
        expect(r.stderr).toContain('MAX_POSITIONS_REACHED');
      }
      expect(buys(d, id)).toHaveLength(limits[id]!); // a denied order sent nothing
    }
    // One writer per agent: no order ever met another in the terminal (MT4 would have said 146).
    expect(journal(d).filter((j) => j.event === 'retry')).toEqual([]);
  }, 120_000);

  it('one ticket closed by many processes at once (close, close-all, panic --agent): closed once, every process satisfied', async () => {
    const d = await open();
    const tickets = [position(d, 'agent_3', 0.05), position(d, 'agent_3', 0.05), position(d, 'agent_3', 0.03)];
    const [t1, t2] = tickets;
    const runs = await Promise.all([
      d.run(['close', 'agent_3', String(t1), '--json'], LONG),
      d.run(['close', 'agent_3', String(t1), '--json'], LONG),
      d.run(['close', 'agent_3', String(t1), '--json'], LONG),
      d.run(['close', 'agent_3', String(t2), '--json'], LONG),
      d.run(['close', 'agent_3', String(t2), '--json'], LONG),
      d.run(['close-all', 'agent_3', '--yes', '--json'], LONG),
      d.run(['close-all', 'agent_3', '--yes', '--json'], LONG),
      d.run(['panic', '--agent', 'agent_3', '--yes', '--json'], LONG),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(d.sim.agent('agent_3').positions()).toEqual([]);
    // Each ticket reported closed by exactly one process; the others found it already closed.
    expect(doneTickets(runs.filter((r) => r.stdout.trim().startsWith('{')))).toEqual([...tickets].sort());
    // The terminal closed each exactly once, in full.
    const history = d.sim.agent('agent_3').history();
    expect(history.map((h) => h.ticket).sort()).toEqual([...tickets].sort());
    expect(history.map((h) => h.lots).sort()).toEqual([0.03, 0.05, 0.05]);
  }, 120_000);

  it('panic wins: traders before, during and after the halt — everything open is closed, nothing opens after it', async () => {
    const roomy = DESIGN_AGENTS.map((a) => ({ ...a, pairs: ['XAUUSD'], balance: 1000, maxPositions: 20, lotSize: 0.01 }));
    const d = await open(roomy);
    const statePath = join(d.dir, 'state', 'trading-state.json');
    const halted = () => existsSync(statePath) && /"state":\s*"halted"/.test(readFileSync(statePath, 'utf8'));
    const traders: Array<Promise<{ id: string; afterHalt: boolean; r: RunResult }>> = [];
    const trade = (id: string) => {
      const afterHalt = halted();
      traders.push(d.run(['trade', id, 'buy', 'XAUUSD', '0.01', '--yes', '--json'], LONG).then((r) => ({ id, afterHalt, r })));
    };
    // A wave of orders, panic in the middle of it (once the first order is at a terminal), then
    // more orders once the halt is on disk.
    for (let i = 0; i < 6; i++) {
      trade(IDS[i % 3]!);
      await sleep(60);
    }
    while (IDS.every((id) => buys(d, id).length === 0)) await sleep(5);
    const panic = d.run(['panic', '--yes', '--json'], LONG);
    for (let i = 0; i < 6; i++) {
      trade(IDS[i % 3]!);
      await sleep(100);
    }
    while (!halted()) await sleep(20);
    for (const id of IDS) trade(id);
    const [p, ...ts] = await Promise.all([panic, ...traders]);

    expect(p.code, p.stderr).toBe(0);
    const report = JSON.parse(p.stdout) as { agents: Array<{ agent_id: string; closed: Array<{ ticket: number }> }> };
    for (const id of IDS) {
      expect(d.sim.agent(id).positions()).toEqual([]); // panic verified every agent flat
      const mine = ts.filter((t) => t.id === id);
      const opened = mine.filter((t) => t.r.code === 0).map((t) => JSON.parse(t.r.stdout).ticket as number);
      // Whatever opened, before the halt or racing it, panic closed.
      const closed = report.agents.find((a) => a.agent_id === id)!.closed.map((c) => c.ticket);
      for (const t of opened) expect(closed).toContain(t);
      // Every other order was denied by the halt and sent nothing.
      for (const t of mine.filter((x) => x.r.code !== 0)) {
        expect(t.r.code, t.r.stderr).toBe(4);
        expect(t.r.stderr).toContain('TRADING_HALTED');
      }
      expect(buys(d, id)).toHaveLength(opened.length);
    }
    // Orders started once the halt was on disk: all denied.
    expect(ts.filter((t) => t.r.code === 0).length).toBeGreaterThan(0);
    const late = ts.filter((t) => t.afterHalt);
    expect(late.length).toBeGreaterThanOrEqual(3);
    for (const t of late) expect(t.r.code, t.r.stderr).toBe(4);
    expect(JSON.parse(readFileSync(statePath, 'utf8')).global.state).toBe('halted');
  }, 150_000);

  it('two panics and a close-all at once: every agent flat, each ticket closed by exactly one of them', async () => {
    const d = await open();
    const tickets = [
      position(d, 'agent_1', 0.01),
      position(d, 'agent_2', 0.02),
      position(d, 'agent_2', 0.02),
      position(d, 'agent_3', 0.05),
      position(d, 'agent_3', 0.05),
    ];
    const runs = await Promise.all([
      d.run(['panic', '--yes', '--json'], LONG),
      d.run(['panic', '--yes', '--json'], LONG),
      d.run(['close-all', 'agent_3', '--yes', '--json'], LONG),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    for (const id of IDS) expect(d.sim.agent(id).positions()).toEqual([]);
    expect(doneTickets(runs)).toEqual([...tickets].sort());
    const closedAtTerminal = IDS.flatMap((id) =>
      d.sim
        .agent(id)
        .history()
        .map((h) => h.ticket),
    );
    expect(closedAtTerminal.sort()).toEqual([...tickets].sort());
  }, 120_000);

  it('signals and trades on one agent at once share its limit', async () => {
    const two = [{ ...DESIGN_AGENTS[0]!, maxPositions: 2 }];
    desk = await startDesk(two, SLOW_TERMINAL);
    const d = desk;
    const q = d.sim.agent('agent_1').setPrice('XAUUSD', 2650);
    const sl = String(Number((q.ask - 2).toFixed(2)));
    const runs = await Promise.all([
      ...['s1', 's2', 's3'].map((id) => d.run(['signal', 'XAUUSD', 'long', '--sl', sl, '--id', id, '--yes', '--json'], LONG)),
      ...Array.from({ length: 3 }, () => d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json'], LONG)),
    ]);
    expect(d.sim.agent('agent_1').positions()).toHaveLength(2);
    expect(buys(d, 'agent_1')).toHaveLength(2);
    // Signals: opened or denied (exit 0 either way); trades: opened or denied (exit 4).
    for (const r of runs.slice(0, 3)) expect(r.code, r.stderr).toBe(0);
    for (const r of runs.slice(3)) expect([0, 4]).toContain(r.code);
    expect(journal(d).filter((j) => j.event === 'retry')).toEqual([]);
  }, 120_000);
});
