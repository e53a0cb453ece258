// End-to-end: the emergency stop (panic / stop-all) — the built binary against several paper
// bridges of one transport, with faults (panicCases('rest') in e2e-panic.test.ts, which also holds
// the trading-state cases, panicCases('metaapi') in e2e-panic-metaapi.test.ts). Every claim is
// checked on the sims (positions really gone, no trade request for a denied order), on stdout,
// stderr and the exit code separately, and in the journal.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimTransport } from '../src/sim/index.js';
import { DESIGN_AGENTS, startDesk, type Desk, type DeskAgent } from './helpers/desk.js';

let desk: Desk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

const IDS = ['agent_1', 'agent_2', 'agent_3'] as const;

/** The transport of the desks open() starts (panicCases sets it). */
let transport: SimTransport = 'rest';

export async function open(agents: DeskAgent[] = DESIGN_AGENTS, simOptions = {}): Promise<Desk> {
  desk = await startDesk(agents, { transport, ...simOptions });
  desk.sim.agent('agent_1').setPrice('XAUUSD', 2650);
  desk.sim.agent('agent_2').setPrice('EURUSD', 1.08);
  desk.sim.agent('agent_3').setPrice('EURUSD', 1.08);
  desk.sim.agent('agent_3').setPrice('GBPUSD', 1.27);
  return desk;
}

type Record_ = Record<string, unknown> & { event: string; order_id?: string; agent?: string };
export const statePath = (d: Desk) => join(d.dir, 'state', 'trading-state.json');
export const tradingState = (d: Desk) =>
  JSON.parse(readFileSync(statePath(d), 'utf8')) as {
    global: { state: string; reason: string; by: string; at: string };
    agents: Record<string, { state: string; reason: string; by: string; at: string }>;
  };
export const journal = (d: Desk): Record_[] => {
  const path = join(d.dir, 'state', 'journal.jsonl');
  return existsSync(path)
    ? readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record_)
    : [];
};
export const trades = (d: Desk, id: string, action?: string) =>
  d.sim
    .agent(id)
    .requests()
    .filter((r) => r.path === '/trade' && (action === undefined || r.action === action));
const allRequests = (d: Desk) => IDS.flatMap((id) => d.sim.agent(id).requests());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a position directly in the paper terminal (as a trader on the terminal would). */
export function position(d: Desk, id: string, symbol: string, lots: number, action: 'buy' | 'sell' = 'buy'): number {
  const r = d.sim.agent(id).engine.trade({ action, symbol, lots });
  expect(r.success, r.message).toBe(true);
  return r.ticket!;
}

/** Positions and pending orders on all three agents; returns the tickets per agent. */
function seed(d: Desk): Record<string, { positions: number[]; orders: number[] }> {
  return {
    agent_1: {
      positions: [position(d, 'agent_1', 'XAUUSD', 0.01)],
      orders: [d.sim.agent('agent_1').addPendingOrder({ symbol: 'XAUUSD', type: 'buy_limit', lots: 0.01, price: 2600 })],
    },
    agent_2: {
      positions: [position(d, 'agent_2', 'EURUSD', 0.02), position(d, 'agent_2', 'EURUSD', 0.02, 'sell')],
      orders: [d.sim.agent('agent_2').addPendingOrder({ symbol: 'EURUSD', type: 'sell_stop', lots: 0.02, price: 1.07 })],
    },
    agent_3: {
      positions: [
        position(d, 'agent_3', 'EURUSD', 0.05),
        position(d, 'agent_3', 'GBPUSD', 0.05),
        position(d, 'agent_3', 'EURUSD', 0.05, 'sell'),
      ],
      orders: [],
    },
  };
}

const flat = (d: Desk, id: string) => d.sim.agent(id).positions().length === 0 && d.sim.agent(id).orders().length === 0;

interface AgentReport {
  agent_id: string;
  reached: boolean;
  verified_flat: boolean;
  closed: Array<{ ticket: number; status: string }>;
  deleted: Array<{ ticket: number; status: string }>;
  still_open: Array<{ ticket: number; kind: string; last_error: string | null }>;
  error: string | null;
}
const agentOf = (report: { agents: AgentReport[] }, id: string) => report.agents.find((a) => a.agent_id === id)!;

/** The panic cases against paper bridges speaking `kind`. */
export function panicCases(kind: Extract<SimTransport, 'rest' | 'metaapi'>): void {
  transport = kind;
  describe(`panic over ${kind}`, () => {
    it('panic --yes halts first, then closes every position and deletes every pending order on every agent, verified (exit 0)', async () => {
      const d = await open();
      const tickets = seed(d);
      const r = await d.run(['panic', '--yes']);
      expect(r.stderr).toMatch(/The desk is HALTED/);
      expect(r.stderr).toMatch(/Every agent verified flat/);
      expect(r.code).toBe(0);
      // The table: one row per agent, then one per ticket.
      expect(r.stdout).toMatch(/^AGENT\s+RESULT\s+CLOSED\s+DELETED\s+STILL OPEN/m);
      expect(r.stdout).toMatch(/agent_1\s+flat \(verified\)\s+1\s+1\s+0/);
      expect(r.stdout).toMatch(/agent_2\s+flat \(verified\)\s+2\s+1\s+0/);
      expect(r.stdout).toMatch(/agent_3\s+flat \(verified\)\s+3\s+0\s+0/);
      for (const id of IDS)
        for (const t of [...tickets[id]!.positions, ...tickets[id]!.orders]) expect(r.stdout).toMatch(new RegExp(`${id}\\s+${t}\\s`));
      expect(r.stdout).not.toMatch(/\x1b\[/);

      for (const id of IDS) {
        expect(flat(d, id)).toBe(true);
        // One close per position and one delete per order: nothing sent twice.
        expect(trades(d, id, 'close')).toHaveLength(tickets[id]!.positions.length);
        expect(trades(d, id, 'delete')).toHaveLength(tickets[id]!.orders.length);
        expect(trades(d, id, 'buy').concat(trades(d, id, 'sell'))).toHaveLength(0);
      }

      // The halt is persisted, with who, when and why, and it was written before any request.
      const s = tradingState(d);
      expect(s.global).toMatchObject({ state: 'halted', reason: 'panic', by: expect.stringContaining('@') });
      const haltedAt = Date.parse(s.global.at);
      for (const q of allRequests(d)) expect(q.time).toBeGreaterThanOrEqual(haltedAt);

      // The journal: the halt first, then every request, then each agent's result and the end.
      const j = journal(d);
      const haltIndex = j.findIndex((x) => x.event === 'halt');
      expect(haltIndex).toBe(0);
      expect(j[0]).toMatchObject({ event: 'halt', scope: 'desk', state: 'halted', via: 'panic' });
      const opId = j[0]!.order_id;
      expect(j.findIndex((x) => x.event === 'request')).toBeGreaterThan(haltIndex);
      expect(j.filter((x) => x.event === 'request').every((x) => x.order_id === opId)).toBe(true);
      for (const id of IDS) {
        expect(j.find((x) => x.event === 'panic' && x.step === 'agent_done' && x.agent === id)).toMatchObject({
          order_id: opId,
          verified_flat: true,
          closed: expect.arrayContaining(tickets[id]!.positions),
          deleted: tickets[id]!.orders,
          still_open: [],
        });
      }
      expect(j.at(-1)).toMatchObject({ event: 'panic', step: 'end', all_flat: true, order_id: opId });
    });

    it('with every bridge down the halt is still persisted and journaled, and panic exits 7', async () => {
      const d = await open();
      for (const id of IDS) await d.sim.agent(id).goDown(60);
      const r = await d.run(['panic', '--yes', '--deadline', '1s', '--json']);
      expect(r.code).toBe(7);
      const report = JSON.parse(r.stdout);
      expect(report.all_flat).toBe(false);
      for (const id of IDS)
        expect(agentOf(report, id)).toMatchObject({
          reached: false,
          verified_flat: false,
          error: expect.stringMatching(/connection refused/),
        });
      expect(tradingState(d).global.state).toBe('halted');
      expect(journal(d)[0]).toMatchObject({ event: 'halt', scope: 'desk' });
      expect(r.stderr).toMatch(/panic incomplete: 3 of 3 agents not verified flat/);
      expect(r.stderr).toMatch(/agent_2: UNREACHABLE, open positions unknown/);
    });

    it('one terminal down: the others are flattened; exit 7 names the unreachable one; a second panic after it is back finishes the job', async () => {
      const d = await open();
      const tickets = seed(d);
      await d.sim.agent('agent_2').goDown(60);
      const r = await d.run(['panic', '--yes', '--deadline', '1.5s']);
      expect(r.code).toBe(7);
      expect(r.stdout).toMatch(/agent_1\s+flat \(verified\)/);
      expect(r.stdout).toMatch(/agent_3\s+flat \(verified\)/);
      expect(r.stdout).toMatch(/agent_2\s+UNREACHABLE\s+0\s+0\s+unknown\s+.*connection refused/);
      expect(r.stderr).toMatch(/panic incomplete: 1 of 3 agents not verified flat/);
      expect(r.stderr).toMatch(
        /agent_2: UNREACHABLE, open positions unknown \(GET \/(positions|orders): unreachable at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)\)/,
      );
      expect(r.stderr).toMatch(/hint: Trading stays halted/);
      expect(flat(d, 'agent_1')).toBe(true);
      expect(flat(d, 'agent_3')).toBe(true);
      // Nothing reached agent_2: its positions are still there.
      expect(
        d.sim
          .agent('agent_2')
          .positions()
          .map((p) => p.ticket)
          .sort(),
      ).toEqual([...tickets.agent_2!.positions].sort());
      expect(journal(d).find((x) => x.event === 'panic' && x.step === 'agent_done' && x.agent === 'agent_2')).toMatchObject({
        reached: false,
        verified_flat: false,
      });
      expect(journal(d).at(-1)).toMatchObject({ step: 'end', all_flat: false });

      await d.sim.agent('agent_2').goUp();
      const again = await d.run(['panic', '--yes', '--json']);
      expect(again.code).toBe(0);
      expect(agentOf(JSON.parse(again.stdout), 'agent_2')).toMatchObject({ verified_flat: true });
      expect(flat(d, 'agent_2')).toBe(true);
    });

    it('a terminal that goes down in the middle: a ticket whose close may have executed is reported not verified, with the error', async () => {
      const d = await open();
      const t = position(d, 'agent_1', 'XAUUSD', 0.01);
      // The first close kills the bridge for a minute (whether it executed is unknown to the client).
      d.sim.agent('agent_1').setFaults([{ kind: 'down', action: 'close', seconds: 60 }]);
      const r = await d.run(['panic', '--yes', '--deadline', '1.5s', '--json']);
      expect(r.code).toBe(7);
      const a1 = agentOf(JSON.parse(r.stdout), 'agent_1');
      expect(a1).toMatchObject({ reached: true, verified_flat: false });
      expect(a1.still_open).toEqual([
        expect.objectContaining({
          ticket: t,
          kind: 'position',
          last_error: expect.stringMatching(/connection refused|dropped/),
          last_failure: 'unknown',
        }),
      ]);
      expect(a1.error).toMatch(/connection refused/);
      expect(r.stderr).toMatch(
        new RegExp(`agent_1: not verified: #${t} 0.01 XAUUSD \\(unknown: .*connection refused.*\\) — .*connection refused`),
      );
      expect(trades(d, 'agent_1', 'close')).toHaveLength(1);
    });

    it('a 146 storm that ends before the deadline: retried with backoff, everything closed once (exit 0)', async () => {
      const d = await open();
      const tickets = seed(d);
      d.sim.agent('agent_3').setFaults([{ kind: 'trade_error', code: 146, count: 4, action: 'close' }]);
      const r = await d.run(['panic', '--yes', '--json']);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.all_flat).toBe(true);
      expect(
        agentOf(report, 'agent_3')
          .closed.map((c) => c.ticket)
          .sort(),
      ).toEqual([...tickets.agent_3!.positions].sort());
      expect(trades(d, 'agent_3', 'close')).toHaveLength(3 + 4);
      for (const id of IDS) expect(flat(d, id)).toBe(true);
      expect(journal(d).filter((x) => x.event === 'retry' && x.agent === 'agent_3' && x.code === 146)).toHaveLength(4);
    });

    it('a 146 storm that outlasts the deadline: exit 7, the ticket and its last error listed; the others flat', async () => {
      const d = await open();
      const tickets = seed(d);
      const stuck = tickets.agent_1!.positions[0]!;
      d.sim.agent('agent_1').setFaults([{ kind: 'trade_error', code: 146, action: 'close' }]);
      const r = await d.run(['panic', '--yes', '--deadline', '1.5s']);
      expect(r.code).toBe(7);
      expect(r.stdout).toMatch(new RegExp(`agent_1\\s+NOT FLAT\\s+0\\s+1\\s+${stuck}\\s`));
      expect(r.stdout).toMatch(
        new RegExp(`agent_1\\s+${stuck}\\s+XAUUSD\\s+STILL OPEN \\(position\\)\\s+MT4 146: trade context is busy: simulated`),
      );
      const metaApiCode = kind === 'metaapi' ? ' \\(MetaApi 146 ERR_TRADE_CONTEXT_BUSY\\)' : '';
      expect(r.stderr).toMatch(
        new RegExp(`agent_1: still open: #${stuck} 0.01 XAUUSD \\(MT4 146: trade context is busy: simulated${metaApiCode}\\)`),
      );
      expect(
        d.sim
          .agent('agent_1')
          .positions()
          .map((p) => p.ticket),
      ).toEqual([stuck]);
      expect(d.sim.agent('agent_1').orders()).toHaveLength(0); // the pending order was still deleted
      expect(flat(d, 'agent_2') && flat(d, 'agent_3')).toBe(true);
      expect(trades(d, 'agent_1', 'close').length).toBeGreaterThan(2); // retried, not given up at once
      expect(journal(d).find((x) => x.event === 'panic' && x.step === 'agent_done' && x.agent === 'agent_1')).toMatchObject({
        verified_flat: false,
        // Over metaapi MetaApi's code follows MT4's words.
        still_open: [
          { ticket: stuck, kind: 'position', last_error: expect.stringMatching(/^MT4 146: trade context is busy: simulated\b/) },
        ],
      });
    });

    it('garbage answers: an agent answering garbage is reported (exit 7) and never hides the others; garbage that stops is retried', async () => {
      const d = await open();
      seed(d);
      d.sim.agent('agent_2').setFaults([{ kind: 'malformed_json' }]);
      d.sim.agent('agent_3').setFaults([{ kind: 'malformed_json', endpoint: '/positions', count: 2 }]);
      const r = await d.run(['panic', '--yes', '--deadline', '1.5s', '--json']);
      expect(r.code).toBe(7);
      const report = JSON.parse(r.stdout);
      expect(agentOf(report, 'agent_2')).toMatchObject({
        reached: false,
        verified_flat: false,
        error: expect.stringMatching(/invalid JSON/),
      });
      expect(agentOf(report, 'agent_1')).toMatchObject({ verified_flat: true });
      expect(agentOf(report, 'agent_3')).toMatchObject({ verified_flat: true });
      expect(agentOf(report, 'agent_3').closed).toHaveLength(3);
      expect(flat(d, 'agent_1') && flat(d, 'agent_3')).toBe(true);
      expect(d.sim.agent('agent_2').positions()).toHaveLength(2);
      expect(r.stderr).toMatch(/agent_2: UNREACHABLE, open positions unknown \(GET \/(positions|orders): answered invalid JSON/);
    });

    it('a garbled answer to a close that did execute counts as closed once', async () => {
      const d = await open();
      const t = position(d, 'agent_1', 'XAUUSD', 0.01);
      d.sim.agent('agent_1').setFaults([{ kind: 'malformed_json', action: 'close', count: 1 }]);
      const r = await d.run(['panic', '--yes', '--json']);
      expect(r.code).toBe(0);
      const a1 = agentOf(JSON.parse(r.stdout), 'agent_1');
      expect(a1.closed).toEqual([expect.objectContaining({ ticket: t })]);
      expect(a1.verified_flat).toBe(true);
      expect(flat(d, 'agent_1')).toBe(true);
    });

    it('a close executed whose reply is dropped: read back, counted closed once, never sent twice', async () => {
      const d = await open();
      const tickets = seed(d);
      d.sim.agent('agent_3').setFaults([{ kind: 'execute_then_drop', action: 'close', count: 1 }]);
      const r = await d.run(['panic', '--yes', '--json']);
      expect(r.code).toBe(0);
      const a3 = agentOf(JSON.parse(r.stdout), 'agent_3');
      expect(a3.closed.map((c) => c.ticket).sort()).toEqual([...tickets.agent_3!.positions].sort());
      expect(a3.closed.map((c) => c.status)).toEqual(['done', 'done', 'done']);
      expect(trades(d, 'agent_3', 'close')).toHaveLength(3); // one per ticket: the dropped one was read back, not resent
      expect(flat(d, 'agent_3')).toBe(true);
      const dropped = tickets.agent_3!.positions[0]!;
      expect(journal(d).find((x) => x.event === 'reconcile' && x.agent === 'agent_3' && x.ticket === dropped)).toMatchObject({
        outcome: 'done',
      });
    });

    it('a trade started while panic runs is denied (TRADING_HALTED) and sends nothing', async () => {
      const d = await open();
      position(d, 'agent_1', 'XAUUSD', 0.01);
      // Slow closes on agent_1 keep the panic running for a while.
      d.sim.agent('agent_1').setFaults([{ kind: 'latency', ms: 2500, action: 'close' }]);
      let panicEnded = 0;
      const running = d.run(['panic', '--yes', '--json']).then((r) => {
        panicEnded = Date.now();
        return r;
      });
      const until = Date.now() + 10_000;
      while (!existsSync(statePath(d)) && Date.now() < until) await sleep(10);
      const t = await d.run(['trade', 'agent_3', 'buy', 'EURUSD', '0.05', '--yes']);
      const tradeEnded = Date.now();
      expect(t.code).toBe(4);
      expect(t.stderr).toContain('TRADING_HALTED');
      expect(t.stderr).toMatch(/desk halted by .* panic/);
      const p = await running;
      expect(p.code).toBe(0);
      expect(tradeEnded).toBeLessThan(panicEnded); // it really ran while panic did
      expect(trades(d, 'agent_3')).toHaveLength(0);
      for (const id of IDS) expect(d.sim.agent(id).positions()).toHaveLength(0);
    });

    it('an order already on its way when the halt lands is waited for and closed: panic verifies under the agent lock', async () => {
      // Every trade holds the terminal for 1 s before it executes: the buy is in flight while panic lists.
      const d = await open(DESIGN_AGENTS, { tradeLatencyMs: 1000, busyPolicy: 'queue' });
      const buying = d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json']);
      const until = Date.now() + 10_000;
      while (trades(d, 'agent_1', 'buy').length === 0 && Date.now() < until) await sleep(5);
      expect(trades(d, 'agent_1', 'buy')).toHaveLength(1);
      const p = await d.run(['panic', '--yes', '--json']);
      const b = await buying;
      expect(b.code).toBe(0); // it passed its checks before the halt
      const ticket = JSON.parse(b.stdout).ticket as number;
      expect(p.code).toBe(0);
      expect(agentOf(JSON.parse(p.stdout), 'agent_1').closed.map((c) => c.ticket)).toEqual([ticket]);
      expect(d.sim.agent('agent_1').positions()).toHaveLength(0);
      expect(journal(d).find((x) => x.event === 'panic' && x.step === 'final_check')).toMatchObject({
        agent: 'agent_1',
        found_late: [ticket],
      });
    });

    it('after panic a trade in a new process exits 4 TRADING_HALTED with nothing sent; after resume --yes it goes through', async () => {
      const d = await open();
      seed(d);
      expect((await d.run(['panic', '--yes'])).code).toBe(0);
      const denied = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
      expect(denied.code).toBe(4);
      expect(denied.stderr).toContain('TRADING_HALTED');
      expect(trades(d, 'agent_1', 'buy')).toHaveLength(0);

      const refused = await d.run(['resume']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/--yes/);
      expect(tradingState(d).global.state).toBe('halted');

      const resumed = await d.run(['resume', '--yes']);
      expect(resumed.code).toBe(0);
      expect(resumed.stderr).toMatch(/the desk: trading is active again/);
      expect(tradingState(d).global).toMatchObject({ state: 'active', reason: 'resumed' });
      expect(journal(d).at(-1)).toMatchObject({
        event: 'resume',
        scope: 'desk',
        lifted: [expect.stringMatching(/^desk halted by .*: panic$/)],
      });
      const ok = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json']);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout).status).toBe('opened');
      expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    });

    it('without a terminal and without --yes it refuses (exit 2): nothing sent, nothing halted', async () => {
      const d = await open();
      seed(d);
      const r = await d.run(['panic']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/refusing to panic without confirmation/);
      expect(r.stderr).toMatch(/mt4gw panic --yes/);
      expect(allRequests(d)).toHaveLength(0);
      expect(existsSync(statePath(d))).toBe(false);
      expect(journal(d)).toHaveLength(0);
    });

    it('--dry-run lists what would be closed and deleted; it halts nothing and sends no trade', async () => {
      const d = await open();
      const tickets = seed(d);
      const r = await d.run(['panic', '--dry-run', '--json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.dry_run).toBe(true);
      expect(out.would_close.map((p: { ticket: number }) => p.ticket).sort()).toEqual(IDS.flatMap((id) => tickets[id]!.positions).sort());
      expect(out.would_delete.map((o: { ticket: number }) => o.ticket).sort()).toEqual(IDS.flatMap((id) => tickets[id]!.orders).sort());
      const table = await d.run(['panic', '--dry-run']);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(new RegExp(`agent_2\\s+${tickets.agent_2!.positions[1]}\\s+close sell 0.02 EURUSD`));
      expect(table.stderr).toMatch(/6 position\(s\) would be closed and 2 pending order\(s\) deleted; nothing was halted or sent/);
      for (const id of IDS) expect(trades(d, id)).toHaveLength(0);
      expect(existsSync(statePath(d))).toBe(false);
      expect(d.sim.agent('agent_3').positions()).toHaveLength(3);
    });

    it('--agent halts and flattens only that agent; the others keep their positions and keep trading', async () => {
      const d = await open();
      const two = [position(d, 'agent_2', 'EURUSD', 0.02), position(d, 'agent_2', 'EURUSD', 0.02)];
      const three = position(d, 'agent_3', 'EURUSD', 0.05);
      const r = await d.run(['panic', '--agent', 'agent_2', '--yes', '--json']);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.halted.scope).toEqual(['agent_2']);
      expect(report.agents.map((a: AgentReport) => a.agent_id)).toEqual(['agent_2']);
      expect(
        agentOf(report, 'agent_2')
          .closed.map((c) => c.ticket)
          .sort(),
      ).toEqual(two.sort());
      expect(r.stderr).toMatch(/agent_2 is HALTED/);
      expect(flat(d, 'agent_2')).toBe(true);
      expect(d.sim.agent('agent_1').requests()).toHaveLength(0);
      expect(d.sim.agent('agent_3').requests()).toHaveLength(0);
      expect(
        d.sim
          .agent('agent_3')
          .positions()
          .map((p) => p.ticket),
      ).toEqual([three]);
      const s = tradingState(d);
      expect(s.global.state).toBe('active');
      expect(s.agents.agent_2).toMatchObject({ state: 'halted', reason: 'panic' });
      expect(journal(d)[0]).toMatchObject({ event: 'halt', scope: ['agent_2'], via: 'panic' });

      const other = await d.run(['trade', 'agent_3', 'buy', 'EURUSD', '0.05', '--yes']);
      expect(other.code, other.stderr).toBe(0);
      expect(d.sim.agent('agent_3').positions()).toHaveLength(2);
      const halted = await d.run(['trade', 'agent_2', 'buy', 'EURUSD', '0.02', '--yes']);
      expect(halted.code).toBe(4);
      expect(halted.stderr).toContain('TRADING_HALTED');
      expect(trades(d, 'agent_2', 'buy')).toHaveLength(0);

      const unknown = await d.run(['panic', '--agent', 'agent_9', '--yes']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/unknown agent "agent_9"/);
      expect(tradingState(d).agents.agent_9).toBeUndefined();
    });

    it('a disabled agent is flattened too', async () => {
      const agents = DESIGN_AGENTS.map((a) => (a.id === 'agent_2' ? { ...a, enabled: false } : a));
      const d = await open(agents);
      const tickets = seed(d);
      const r = await d.run(['panic', '--yes', '--json']);
      expect(r.code).toBe(0);
      expect(agentOf(JSON.parse(r.stdout), 'agent_2').closed).toHaveLength(tickets.agent_2!.positions.length);
      expect(flat(d, 'agent_2')).toBe(true);
    });

    it('stop-all is panic', async () => {
      const d = await open();
      seed(d);
      const r = await d.run(['stop-all', '--yes', '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ all_flat: true, halted: { scope: 'desk' } });
      for (const id of IDS) expect(flat(d, id)).toBe(true);
      expect(tradingState(d).global.state).toBe('halted');
    });

    it('a broken agents.yml still leaves the desk halted, and says so (exit 7)', async () => {
      const d = await open();
      writeFileSync(d.configPath, 'agents: [this is not\n');
      const r = await d.run(['panic', '--yes']);
      expect(r.code).toBe(7);
      expect(r.stderr).toMatch(/the desk is halted, but nothing could be closed/);
      expect(tradingState(d).global.state).toBe('halted');
    });
  });
}
