// End-to-end: trade, close, modify, close-all and journal through the built binary against paper
// bridges of one transport (tradeCases('rest') in e2e-trade.test.ts, tradeCases('metaapi') in
// e2e-trade-metaapi.test.ts). Every denial is checked to have sent no trade request; every lost
// answer to have produced exactly one position.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DESIGN_AGENTS, startDesk, type Desk, type DeskAgent } from './helpers/desk.js';
import type { SimTransport } from '../src/sim/index.js';

/** Every case, against paper bridges speaking `transport`. */
export function tradeCases(transport: Extract<SimTransport, 'rest' | 'metaapi'>): void {
  let desk: Desk | undefined;
  afterEach(async () => {
    await desk?.close();
    desk = undefined;
  });

  async function open(agents: DeskAgent[] = DESIGN_AGENTS, simOptions = {}): Promise<Desk> {
    desk = await startDesk(agents, { transport, ...simOptions });
    desk.sim.agent('agent_1').setPrice('XAUUSD', 2650); // ask 2650.27 with the sim's spread
    return desk;
  }

  const trades = (d: Desk, id = 'agent_1') =>
    d.sim
      .agent(id)
      .requests()
      .filter((r) => r.path === '/trade');
  const journal = (d: Desk) =>
    existsSync(join(d.dir, 'state', 'journal.jsonl'))
      ? readFileSync(join(d.dir, 'state', 'journal.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];

  describe('trade', () => {
    it('opens a position tagged with its order id, journals it, and prints ticket and price', async () => {
      const d = await open();
      const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--sl', '2648.5', '--yes', '--json']);
      // The preview is short: the order, the risk against its limit, margin and today; no passing check.
      expect(r.stderr).toMatch(/risk at SL 1\.80 USD \(0\.90%\), limit 2\.00 USD \(1\.00%\)/);
      expect(r.stderr).not.toMatch(/^\s+ok\s/m);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ status: 'opened', agent_id: 'agent_1', lots: 0.01, reconciled: false });
      const positions = d.sim.agent('agent_1').positions();
      expect(positions).toHaveLength(1);
      expect(positions[0]!.ticket).toBe(out.ticket);
      if (transport === 'metaapi') {
        // MetaApi carries the order id in its own field: the comment stays the user's.
        expect(trades(d)[0]!.body).toMatchObject({ actionType: 'ORDER_TYPE_BUY', clientId: out.order_id, stopLoss: 2648.5 });
        expect(d.sim.agent('agent_1').state().positions[0]!.clientId).toBe(out.order_id);
        expect(positions[0]!.comment).toBe('');
      } else expect(positions[0]!.comment).toBe(`mt4gw:${out.order_id}`);
      const events = journal(d)
        .filter((j) => j.order_id === out.order_id)
        .map((j) => j.event);
      expect(events).toEqual(['intent', 'request', 'response', 'result']);
      const raw = readFileSync(join(d.dir, 'state', 'journal.jsonl'), 'utf8');
      for (const t of Object.values(d.tokens)) expect(raw).not.toContain(t);
      expect(readdirSync(join(d.dir, 'state', 'pending', 'agent_1'))).toEqual([]);
    });

    it('without a terminal and without --yes it refuses, naming the flag, and sends nothing at all', async () => {
      const d = await open();
      const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--yes/);
      expect(d.sim.agent('agent_1').requests()).toHaveLength(0);
    });

    it('--dry-run previews and sends nothing', async () => {
      const d = await open();
      const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '--sl', '2648.5', '--dry-run', '--json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.status).toBe('dry_run');
      expect(out.decision.allowed).toBe(true);
      expect(out.decision.figures.lots).toBe(0.01); // risk.lot_size
      expect(trades(d)).toHaveLength(0);
    });

    const BAD_INPUT: Array<[string, string[], RegExp]> = [
      ['negative lots', ['-0.01'], /negative|unknown option/],
      ['zero lots', ['0'], /greater than 0/],
      ['comma decimals', ['0,01'], /comma/],
      ['exponent', ['1e9'], /not a number/],
      ['NaN', ['NaN'], /not a number/],
      ['lots and --risk together', ['0.01', '--risk', '1%', '--sl', '2640'], /contradict/],
      ['--risk without a stop', ['--risk', '1%'], /needs a stop loss/],
      ['--risk without %', ['--risk', '1', '--sl', '2640'], /not a percentage/],
    ];
    for (const [name, args, message] of BAD_INPUT) {
      it(`bad input (${name}) exits 2 and sends nothing`, async () => {
        const d = desk ?? (await open());
        const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', ...args, '--yes']);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(d.sim.agent('agent_1').requests()).toHaveLength(0);
      });
    }

    // Every violation code, end to end: exit 4, the code on stderr, and no trade request.
    const DENIALS: Array<{
      code: string;
      agents?: DeskAgent[];
      setup?: (d: Desk) => Promise<unknown> | unknown;
      args: string[];
      agent?: string;
    }> = [
      { code: 'TRADING_HALTED', setup: (d) => d.run(['halt', '--reason', 'test']), args: ['0.01'] },
      { code: 'TRADING_REDUCING', setup: (d) => d.run(['reduce', 'agent_1', '--reason', 'test']), args: ['0.01'] },
      { code: 'AGENT_DISABLED', agents: [{ ...DESIGN_AGENTS[0]!, enabled: false }], args: ['0.01'] },
      { code: 'SYMBOL_NOT_ALLOWED', args: ['0.01'], agent: 'agent_2' },
      { code: 'LOTS_NOT_STEP_MULTIPLE', args: ['0.015'] },
      { code: 'LOTS_ABOVE_AGENT_MAX', args: ['0.02'] },
      { code: 'LOTS_ABOVE_SYMBOL_MAX', agents: [{ ...DESIGN_AGENTS[0]!, riskExtra: ['max_lots: 100'] }], args: ['60'] },
      {
        code: 'LOTS_BELOW_MIN',
        setup: (d) => d.sim.agent('agent_1').setSpec('XAUUSD', { min_lot: 0.1 }),
        agents: [{ ...DESIGN_AGENTS[0]!, riskExtra: ['max_lots: 1'] }],
        args: ['0.05'],
      },
      { code: 'MAX_POSITIONS_REACHED', setup: (d) => d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']), args: ['0.01'] },
      { code: 'STOP_LOSS_REQUIRED', agents: [{ ...DESIGN_AGENTS[0]!, riskExtra: ['require_stop_loss: true'] }], args: ['0.01'] },
      { code: 'SL_WRONG_SIDE', args: ['0.01', '--sl', '2655'] },
      { code: 'TP_WRONG_SIDE', args: ['0.01', '--tp', '2645'] },
      {
        code: 'SL_TOO_CLOSE',
        setup: (d) => d.sim.agent('agent_1').setSpec('XAUUSD', { stop_level: 100 }),
        args: ['0.01', '--sl', '2649.5'],
      },
      {
        code: 'TP_TOO_CLOSE',
        setup: (d) => d.sim.agent('agent_1').setSpec('XAUUSD', { stop_level: 100 }),
        args: ['0.01', '--tp', '2650.5'],
      },
      { code: 'RISK_PER_TRADE_EXCEEDED', args: ['0.01', '--sl', '2640'] },
      { code: 'SIZE_BELOW_MIN_LOT', args: ['--risk-money', '0.5', '--sl', '2640'] },
      { code: 'INSUFFICIENT_MARGIN', setup: (d) => d.sim.agent('agent_1').setBalance(1), args: ['0.01'] },
      {
        code: 'DAILY_LOSS_LIMIT_REACHED',
        setup: (d) =>
          d.sim.agent('agent_1').addHistory([
            {
              symbol: 'XAUUSD',
              type: 'buy',
              lots: 0.1,
              open_price: 2660,
              close_price: 2659,
              profit: -11,
              close_time: Date.now() - 60_000,
            },
          ]),
        args: ['0.01'],
      },
      { code: 'QUOTE_STALE', setup: (d) => d.sim.agent('agent_1').setClock(Date.now() - 3_600_000), args: ['0.01'] },
    ];
    for (const c of DENIALS) {
      it(`denies ${c.code}: exit 4, the code listed, no trade request`, async () => {
        const d = await open(c.agents ?? DESIGN_AGENTS);
        await c.setup?.(d);
        const before = trades(d, c.agent ?? 'agent_1').length;
        const r = await d.run(['trade', c.agent ?? 'agent_1', 'buy', 'XAUUSD', ...c.args, '--yes']);
        expect(r.stderr).toContain(c.code);
        expect(r.code).toBe(4);
        expect(trades(d, c.agent ?? 'agent_1')).toHaveLength(before);
      });
    }

    it('lists every violation, not the first only', async () => {
      const d = await open();
      await d.run(['halt', '--reason', 'x']);
      const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.015', '--sl', '2655', '--yes']);
      expect(r.code).toBe(4);
      for (const code of ['TRADING_HALTED', 'LOTS_NOT_STEP_MULTIPLE', 'SL_WRONG_SIDE']) expect(r.stderr).toContain(`  ${code}`);
    });

    it('a rejection by MT4 exits 5 with the code and its meaning', async () => {
      const d = await open();
      d.sim.agent('agent_1').setFaults([{ kind: 'trade_error', code: 134, count: 1 }]);
      const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/error 134, not enough money/);
      expect(trades(d)).toHaveLength(1);
      expect(d.sim.agent('agent_1').positions()).toHaveLength(0);
    });

    it('retries a busy trade context (146) and opens once', async () => {
      const d = await open();
      d.sim.agent('agent_1').setFaults([{ kind: 'trade_error', code: 146, count: 2 }]);
      const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json']);
      expect(r.code).toBe(0);
      expect(trades(d)).toHaveLength(3);
      expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    });

    it('execute-then-drop: exactly one position, reported opened, the journal shows the reconciliation', async () => {
      const d = await open();
      d.sim.agent('agent_1').setFaults([{ kind: 'execute_then_drop', count: 1, endpoint: '/trade' }]);
      const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ status: 'opened', reconciled: true });
      expect(trades(d)).toHaveLength(1); // never sent again
      expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
      expect(journal(d).some((j) => j.event === 'reconcile' && j.outcome === 'opened' && j.order_id === out.order_id)).toBe(true);
    });

    for (const kind of ['malformed_json', 'wrong_types'] as const) {
      it(`a ${kind} answer to an order that executed: read back, reported opened, never resent`, async () => {
        const d = await open();
        d.sim.agent('agent_1').setFaults([{ kind, count: 1, endpoint: '/trade' }]);
        const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json']);
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ status: 'opened', reconciled: true });
        expect(trades(d)).toHaveLength(1);
        expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
      });
    }

    it('a garbled answer to a partial close that executed is not sent again', async () => {
      const d = await open();
      d.sim.agent('agent_3').setPrice('EURUSD', 1.08);
      const t = JSON.parse((await d.run(['trade', 'agent_3', 'buy', 'EURUSD', '0.05', '--yes', '--json'])).stdout).ticket;
      d.sim.agent('agent_3').setFaults([{ kind: 'malformed_json', count: 1, action: 'close' }]);
      const r = await d.run(['close', 'agent_3', String(t), '--lots', '0.02']);
      expect(r.code).toBe(0);
      expect(trades(d, 'agent_3').filter((q) => q.action === 'close')).toHaveLength(1);
      expect(
        d.sim
          .agent('agent_3')
          .positions()
          .map((p) => p.lots),
      ).toEqual([0.03]);
    });

    it('a timeout is never "not opened" by a timer: in flight (exit 6), never resent, new orders denied until resolved', async () => {
      const d = await open();
      d.sim.agent('agent_1').setFaults([{ kind: 'hang', count: 1, endpoint: '/trade' }]);
      const r = await d.run(['--timeout', '600ms', 'trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/may still open/);
      expect(trades(d)).toHaveLength(1);
      expect(d.sim.agent('agent_1').positions()).toHaveLength(0);
      const id = readdirSync(join(d.dir, 'state', 'pending', 'agent_1'))[0]!.replace(/\.json$/, '');
      // The next order is denied while it may still open, and nothing is sent.
      const next = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
      expect(next.code).toBe(4);
      expect(next.stderr).toContain(`ORDER_UNRESOLVED`);
      expect(next.stderr).toContain(`journal resolve ${id} --not-opened`);
      expect(trades(d)).toHaveLength(1);
      // A person who checked the terminal resolves it; then the agent trades again.
      const resolved = await d.run(['journal', 'resolve', id, '--not-opened', '--yes']);
      expect(resolved.code, resolved.stderr).toBe(0);
      expect(journal(d).find((j) => j.event === 'result' && j.order_id === id)).toMatchObject({ outcome: 'not_opened', proof: 'manual' });
      const after = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
      expect(after.code, after.stderr).toBe(0);
      expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    });

    it('an outcome that cannot be read back exits 6; the next run reconciles the orphan', async () => {
      const d = await open();
      const a1 = d.sim.agent('agent_1');
      // The trade executes and its answer is dropped; once it has arrived, positions start failing.
      a1.setFaults([
        { kind: 'latency', ms: 400, endpoint: '/trade' },
        { kind: 'execute_then_drop', count: 1, endpoint: '/trade' },
      ]);
      const running = d.run(['--timeout', '600ms', 'trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
      const deadline = Date.now() + 10_000;
      while (!a1.requests().some((q) => q.path === '/trade') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 5));
      a1.addFault({ kind: 'http_500', endpoint: '/positions' });
      const r = await running;
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/unknown/);
      expect(readdirSync(join(d.dir, 'state', 'pending', 'agent_1'))).toHaveLength(1);
      d.sim.agent('agent_1').clearFaults();
      // The next order on agent_1 first resolves the orphan: it was opened, so max_positions (1) now denies.
      const next = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
      expect(next.stderr).toMatch(/interrupted run .* was opened as ticket/);
      expect(next.code).toBe(4);
      expect(next.stderr).toContain('MAX_POSITIONS_REACHED');
      expect(readdirSync(join(d.dir, 'state', 'pending', 'agent_1'))).toHaveLength(0);
      expect(journal(d).some((j) => j.event === 'reconcile' && j.orphan === true && j.outcome === 'opened')).toBe(true);
      expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    });

    it('20 concurrent processes against max_positions 1 leave exactly one position', async () => {
      const d = await open();
      const runs = await Promise.all(
        Array.from({ length: 20 }, () => d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'], { timeoutMs: 60_000 })),
      );
      expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
      expect(runs.filter((r) => r.code === 0)).toHaveLength(1);
      expect(runs.filter((r) => r.code === 4 && r.stderr.includes('MAX_POSITIONS_REACHED'))).toHaveLength(19);
    }, 90_000);

    it('sizes USDJPY risk in USD', async () => {
      const d = await open();
      d.sim.agent('agent_3').setPrice('USDJPY', 150);
      const r = await d.run(['trade', 'agent_3', 'sell', 'USDJPY', '0.05', '--sl', '150.5', '--dry-run', '--json']);
      expect(r.code).toBe(0);
      const f = JSON.parse(r.stdout).decision.figures;
      // 0.5 JPY = 500 ticks of 0.001; a tick of one lot is 100 JPY = 0.6667 USD at 150.
      expect(f.riskMoney).toBeCloseTo(((0.5 + 0.0) / 0.001) * (100 / 150) * 0.05, 0);
      expect(f.riskMoney).toBeGreaterThan(16);
      expect(f.riskMoney).toBeLessThan(17.5);
      expect(f.currency).toBe('USD');
    });

    it("counts the daily loss from the broker's midnight, not UTC's", async () => {
      // A broker whose clock reads 01:00 now: its day began an hour ago, whatever UTC says.
      const now = new Date();
      const utcMinutes = now.getUTCHours() * 60 + now.getUTCMinutes();
      let offset = 60 - utcMinutes;
      if (offset < -12 * 60) offset += 24 * 60;
      desk = await startDesk(DESIGN_AGENTS, { transport, brokerOffsetMinutes: offset });
      const d = desk;
      d.sim.agent('agent_1').setPrice('XAUUSD', 2650);
      // A loss of 15 (over the 10 allowed) closed two hours ago: yesterday for the broker.
      d.sim.agent('agent_1').addHistory([
        {
          symbol: 'XAUUSD',
          type: 'buy',
          lots: 0.1,
          open_price: 2660,
          close_price: 2658.5,
          profit: -15,
          close_time: Date.now() - 2 * 3_600_000,
        },
      ]);
      const ok = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--dry-run', '--json']);
      expect(ok.code).toBe(0);
      // A loss of 11 thirty minutes ago: today for the broker.
      d.sim.agent('agent_1').addHistory([
        {
          symbol: 'XAUUSD',
          type: 'buy',
          lots: 0.1,
          open_price: 2660,
          close_price: 2658.9,
          profit: -11,
          close_time: Date.now() - 30 * 60_000,
        },
      ]);
      const denied = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--dry-run']);
      expect(denied.code).toBe(4);
      expect(denied.stderr).toContain('DAILY_LOSS_LIMIT_REACHED');
    });
  });

  describe('close, modify, close-all', () => {
    it('closes a ticket, and reports a second close as already closed', async () => {
      const d = await open();
      const t = JSON.parse((await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json'])).stdout).ticket;
      const r = await d.run(['close', 'agent_1', String(t)]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`closed 0.01 of ticket ${t}`));
      expect(d.sim.agent('agent_1').positions()).toHaveLength(0);
      const again = await d.run(['close', 'agent_1', String(t)]);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/already closed/);
      const unknown = await d.run(['close', 'agent_1', '999999']);
      expect(unknown.code).toBe(2);
    });

    it('closes part of a position and reports the new ticket', async () => {
      const d = await open();
      d.sim.agent('agent_3').setPrice('EURUSD', 1.08);
      const t = JSON.parse((await d.run(['trade', 'agent_3', 'buy', 'EURUSD', '0.05', '--yes', '--json'])).stdout).ticket;
      const r = await d.run(['close', 'agent_3', String(t), '--lots', '0.02', '--json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.new_ticket).toBeGreaterThan(t);
      const left = d.sim.agent('agent_3').positions();
      expect(left).toHaveLength(1);
      expect(left[0]!.lots).toBeCloseTo(0.03);
      const tooMuch = await d.run(['close', 'agent_3', String(out.new_ticket), '--lots', '0.5']);
      expect(tooMuch.code).toBe(2);
    });

    it('modifies stops after checking side; a wrong side is denied without a request', async () => {
      const d = await open();
      const t = JSON.parse((await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json'])).stdout).ticket;
      const ok = await d.run(['modify', 'agent_1', String(t), '--sl', '2648.5', '--tp', '2660']);
      expect(ok.code).toBe(0);
      expect(d.sim.agent('agent_1').positions()[0]).toMatchObject({ sl: 2648.5, tp: 2660 });
      const before = trades(d).length;
      const wrong = await d.run(['modify', 'agent_1', String(t), '--sl', '2655']);
      expect(wrong.code).toBe(4);
      expect(wrong.stderr).toContain('SL_WRONG_SIDE');
      expect(trades(d)).toHaveLength(before);
    });

    it('close-all closes one at a time through busy answers, verifies, and exits 0', async () => {
      const d = await open();
      d.sim.agent('agent_3').setPrice('EURUSD', 1.08);
      for (let i = 0; i < 3; i++) expect((await d.run(['trade', 'agent_3', 'buy', 'EURUSD', '0.05', '--yes'])).code).toBe(0);
      d.sim.agent('agent_3').setFaults([{ kind: 'trade_error', code: 146, count: 2, action: 'close' }]);
      const r = await d.run(['close-all', 'agent_3', '--yes', '--json']);
      expect(r.code).toBe(0);
      const rep = JSON.parse(r.stdout);
      expect(rep.verified_flat).toBe(true);
      expect(rep.closed).toHaveLength(3);
      expect(d.sim.agent('agent_3').positions()).toHaveLength(0);
    });

    it('close-all exits non-zero with the ticket still open when MT4 keeps refusing', async () => {
      const d = await open();
      const t = JSON.parse((await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json'])).stdout).ticket;
      d.sim.agent('agent_1').setFaults([{ kind: 'trade_error', code: 132, action: 'close' }]);
      const r = await d.run(['close-all', 'agent_1', '--yes', '--deadline', '2s']);
      expect(r.code).toBe(5);
      expect(r.stdout).toMatch(new RegExp(`${t}.*STILL OPEN.*132`));
    });

    it('the journal command shows what happened', async () => {
      const d = await open();
      const out = JSON.parse((await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json'])).stdout);
      const j = await d.run(['journal', '--order', out.order_id, '--json']);
      expect(j.code).toBe(0);
      const rows = JSON.parse(j.stdout);
      expect(rows.map((x: { event: string }) => x.event)).toEqual(['intent', 'request', 'response', 'result']);
      expect(rows[0]).toMatchObject({ agent: 'agent_1', user: expect.any(String), host: expect.any(String) });
    });
  });
}
