// Orders in flight against a bridge that QUEUES trades and answers late (the protocol allows it: "either
// queues it or answers 146"): an order whose answer was lost is unknown until proven, never resent,
// and counts against every limit; panic never says flat while one is in flight; the halt stops a
// retrying order. Each test asserts what the paper terminal received and holds, and what the journal
// says — never timings.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { DESIGN_AGENTS, type Desk, type DeskAgent, startDesk } from '../helpers/desk.js';
import { sleep, until } from '../helpers/sim-http.js';

let desk: Desk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

const ATLAS = DESIGN_AGENTS[0]!; // agent_1: XAUUSD, max_positions 1, 0.01 lots
const TRADE = ['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'];
const LONG = { timeoutMs: 60_000 };

async function open(agents: DeskAgent[] = [ATLAS]): Promise<Desk> {
  desk = await startDesk(agents, { busyPolicy: 'queue' });
  return desk;
}
const buys = (d: Desk) =>
  d.sim
    .agent('agent_1')
    .requests()
    .filter((q) => q.path === '/trade' && q.action === 'buy');
const positions = (d: Desk) => d.sim.agent('agent_1').positions();

describe('a lost answer is unknown until proven (a terminal that queues)', () => {
  it('a trade queued behind a busy context: exit 6, marker kept; a second run is denied and sends nothing; the fill is found', async () => {
    const d = await open();
    const a1 = d.sim.agent('agent_1');
    a1.holdTradeContext();
    const first = await d.run(TRADE, LONG);
    expect(first.code, first.stderr).toBe(6);
    expect(first.stderr).toMatch(/may still open/);
    expect(await d.pending('agent_1')).toHaveLength(1);
    const [marker] = await d.pending('agent_1');

    // Run twice, as a trader who saw "try again" would: denied, and nothing is sent.
    const second = await d.run(TRADE, LONG);
    expect(second.code, second.stderr).toBe(4);
    expect(second.stderr).toContain('ORDER_UNRESOLVED');
    expect(second.stderr).toContain(marker!.order_id);
    expect(buys(d)).toHaveLength(1);

    // The terminal drains its queue: the order fills — once.
    a1.releaseTradeContext();
    await a1.waitTradeContextIdle();
    expect(positions(d)).toHaveLength(1);
    expect(buys(d)[0]).toMatchObject({ queued: true, executedAt: expect.any(Number) });

    // Any command reading the agent finds it and journals it opened.
    const read = await d.run(['positions', 'agent_1', '--json']);
    expect(read.code, read.stderr).toBe(0);
    expect(await d.pending('agent_1')).toEqual([]);
    const result = (await d.journal()).find((j) => j.event === 'result' && j.order_id === marker!.order_id);
    expect(result).toMatchObject({ outcome: 'opened', ticket: positions(d)[0]!.ticket });

    // And max_positions holds: 1.
    const third = await d.run(TRADE, LONG);
    expect(third.code).toBe(4);
    expect(third.stderr).toContain('MAX_POSITIONS_REACHED');
    expect(positions(d)).toHaveLength(1);
    expect(buys(d)).toHaveLength(1);
  }, 60_000);

  it('a signal delivered twice while its order is queued: the second is unresolved and sends nothing; after the fill, already handled', async () => {
    const d = await open();
    const a1 = d.sim.agent('agent_1');
    a1.setPrice('XAUUSD', 2650); // so the stop below sizes to 0.01 lots
    a1.holdTradeContext();
    const signal = ['signal', 'XAUUSD', 'long', '--sl', '2649', '--id', 'cron-1', '--yes', '--json'];
    const first = await d.run(signal, LONG);
    expect(first.code, first.stderr).toBe(6);
    const again = await d.run(signal, LONG);
    expect(again.code, again.stderr).toBe(6);
    const row = JSON.parse(again.stdout).signals[0].agents[0];
    expect(row).toMatchObject({ agent_id: 'agent_1', status: 'unresolved' });
    expect(buys(d)).toHaveLength(1);

    a1.releaseTradeContext();
    await a1.waitTradeContextIdle();
    const third = await d.run(signal, LONG);
    expect(third.code, third.stderr).toBe(0);
    expect(JSON.parse(third.stdout).signals[0].agents[0]).toMatchObject({ status: 'duplicate', ticket: positions(d)[0]!.ticket });
    expect(positions(d)).toHaveLength(1);
    expect(buys(d)).toHaveLength(1);
  }, 60_000);

  it('kill -9 of a queued order: the next run does not call it "not opened"; once it fills, it is found', async () => {
    const d = await open();
    const a1 = d.sim.agent('agent_1');
    a1.holdTradeContext();
    const run = startCli(['--config', d.configPath, ...TRADE], { env: d.env, cwd: d.dir, timeoutMs: 30_000 });
    await until(() => buys(d).length === 1, 'the order to reach the terminal', 10_000);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');

    const next = await d.run([...TRADE.slice(0, -1), '--dry-run'], LONG);
    expect(next.code, next.stderr).toBe(4);
    expect(next.stderr).toContain('ORDER_UNRESOLVED');
    expect(next.stderr).not.toMatch(/was not opened/);
    expect(await d.pending('agent_1')).toHaveLength(1);

    a1.releaseTradeContext();
    await a1.waitTradeContextIdle();
    const after = await d.run(['status', 'agent_1', '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(await d.pending('agent_1')).toEqual([]);
    expect((await d.journal()).filter((j) => j.event === 'result' && j.outcome === 'opened')).toHaveLength(1);
    expect(positions(d)).toHaveLength(1);
  }, 60_000);

  it('proven by age: once older than mt4.max_order_age on the terminal clock, with its sender gone, not opened — and the agent trades again', async () => {
    const d = await open([{ ...ATLAS, mt4Extra: ['max_order_age: 10s'] }]);
    const a1 = d.sim.agent('agent_1');
    a1.setFaults([{ kind: 'hang', count: 1, endpoint: '/trade' }]);
    const first = await d.run(TRADE, LONG);
    expect(first.code, first.stderr).toBe(6);
    // The terminal's clock is what ages it (ours is the same here, plus 20 s).
    a1.setClock(Date.now() + 20_000);
    const next = await d.run(TRADE, LONG);
    expect(next.stderr).toMatch(/s old and no position or closed trade carries it: not opened/);
    const result = (await d.journal()).find((j) => j.event === 'result' && j.outcome === 'not_opened');
    expect(result).toMatchObject({ proof: 'age', certain: true, orphan: true });
    expect(await d.pending('agent_1')).toEqual([]);
  }, 60_000);
});

describe('panic never says flat while an order is in flight', () => {
  it('a trade queued in a busy terminal: panic exits 7 naming the order; once it fills, the next panic closes it and exits 0', async () => {
    const d = await open();
    const a1 = d.sim.agent('agent_1');
    a1.holdTradeContext();
    const trade = await d.run(TRADE, LONG);
    expect(trade.code).toBe(6);
    const [marker] = await d.pending('agent_1');

    const panic = await d.run(['panic', '--yes', '--deadline', '3s'], LONG);
    expect(panic.code, panic.stderr).toBe(7);
    expect(panic.stderr).toMatch(new RegExp(`agent_1: nothing open, but order ${marker!.order_id} sent at \\S+, outcome unknown`));
    expect(panic.stderr).not.toMatch(/Every agent verified flat/);

    // The queued order fills later: it can only come from the order panic reported.
    a1.releaseTradeContext();
    await a1.waitTradeContextIdle();
    expect(positions(d)).toHaveLength(1);
    const again = await d.run(['panic', '--yes', '--json'], LONG);
    expect(again.code, again.stderr).toBe(0);
    expect(positions(d)).toHaveLength(0);
    expect((await d.journal()).find((j) => j.event === 'result' && j.order_id === marker!.order_id)).toMatchObject({ outcome: 'opened' });
  }, 60_000);

  it('an order that fills during the panic is closed by it: exit 0 only once it is closed and nothing is in flight', async () => {
    const d = await open();
    const a1 = d.sim.agent('agent_1');
    a1.holdTradeContext();
    expect((await d.run(TRADE, LONG)).code).toBe(6);
    const panic = startCli(['--config', d.configPath, 'panic', '--yes', '--deadline', '20s', '--json'], {
      env: d.env,
      cwd: d.dir,
      timeoutMs: 40_000,
    });
    await sleep(1_000);
    a1.releaseTradeContext();
    const r = await panic.done;
    expect(r.code, r.stderr).toBe(0);
    expect(positions(d)).toHaveLength(0);
    const report = JSON.parse(r.stdout);
    expect(report.agents[0]).toMatchObject({ verified_flat: true, in_flight: [] });
    expect(report.agents[0].closed).toHaveLength(1);
  }, 60_000);

  it('the halt stops an order that is retrying 146: no send after the halt is recorded, exit 4', async () => {
    const d = await open();
    const a1 = d.sim.agent('agent_1');
    a1.setFaults([{ kind: 'trade_error', code: 146, endpoint: '/trade', action: 'buy' }]);
    const trade = startCli(['--config', d.configPath, ...TRADE, '--json'], { env: d.env, cwd: d.dir, timeoutMs: 40_000 });
    await until(() => buys(d).length >= 2, 'a couple of retries', 10_000);
    const panic = await d.run(['panic', '--yes', '--deadline', '3s'], LONG);
    const haltAt = Date.parse((await d.journal()).find((j) => j.event === 'halt')!.ts);
    const t = await trade.done;
    expect(t.code, t.stderr).toBe(4);
    expect(JSON.parse(t.stdout).decision.violations.map((v: { code: string }) => v.code)).toContain('TRADING_HALTED');
    // No buy reached the terminal after the halt was recorded (beyond the instant between the last
    // state check and its send).
    for (const q of buys(d)) expect(q.time).toBeLessThan(haltAt + 100);
    expect(positions(d)).toHaveLength(0);
    expect(panic.code).toBe(0);
    const orderId = (await d.journal()).find((j) => j.event === 'intent')!.order_id;
    expect((await d.journal()).find((j) => j.event === 'result' && j.order_id === orderId)).toMatchObject({ outcome: 'not_sent' });
  }, 60_000);
});

describe('a frozen lock holder sends nothing after losing its lock', () => {
  for (const point of ['before_send', 'after_request'] as const) {
    it(`A frozen (SIGSTOP) at ${point} past the stale limit; B takes the lock: one position in all, max_positions 1`, async () => {
      const d = await open();
      const a = startCli(['--config', d.configPath, ...TRADE, '--json'], {
        env: { ...d.env, MT4GW_STOP_AT: point },
        cwd: d.dir,
        timeoutMs: 60_000,
      });
      await until(() => a.child.exitCode === null && (readStopped(a.child.pid!) ?? false), 'A to stop itself', 10_000);
      const b = await d.run(TRADE, LONG);
      a.child.kill('SIGCONT');
      const ra = await a.done;
      const opened = [ra, b].filter((r) => r.code === 0);
      expect(opened.length, `A: ${ra.code} ${ra.stderr}\nB: ${b.code} ${b.stderr}`).toBeLessThanOrEqual(1);
      expect(positions(d)).toHaveLength(opened.length);
      expect(buys(d)).toHaveLength(opened.length);
      // A never sent under a lock it had lost.
      if (ra.code !== 0) expect(ra.stderr + ra.stdout).toMatch(/lock was taken over|ORDER_UNRESOLVED|MAX_POSITIONS_REACHED/);
      expect(await d.pending('agent_1')).toEqual([]);
    }, 90_000);
  }
});

/** Whether a process is stopped (state T in /proc). */
function readStopped(pid: number): boolean | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T';
  } catch {
    return undefined;
  }
}
