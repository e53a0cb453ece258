// A desk on two machines sharing one PostgreSQL database (docs/shared-desk.md): machine A is the
// desk's own environment, machine B a second state directory and environment with the same
// MT4GW_STATE_URL, agents.yml and paper terminals. Every concurrency and panic promise of
// docs/reliability.md must hold across them. A real server (test/setup/postgres.ts); each test a
// database of its own; the one that kills the database has a server of its own.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startPgServer, type PgServer } from '../../scripts/pg-server.mjs';
import { startCli, type RunResult } from '../helpers/cli.js';
import { DESIGN_AGENTS, startDesk, type Desk, type DeskAgent } from '../helpers/desk.js';
import { createDatabase, type TestDatabase } from '../helpers/pg.js';

let desk: Desk | undefined;
let db: TestDatabase | undefined;
let server: PgServer | undefined;
afterEach(async () => {
  await desk?.close();
  await db?.drop();
  server?.stop();
  desk = undefined;
  db = undefined;
  server = undefined;
});

const LONG = { timeoutMs: 90_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const buys = (d: Desk, id: string) =>
  d.sim
    .agent(id)
    .requests()
    .filter((q) => q.path === '/trade' && q.action === 'buy');

async function shared(agents: DeskAgent[] = DESIGN_AGENTS, simOptions = {}, url?: string): Promise<Desk> {
  if (url === undefined) {
    db = await createDatabase('desk');
    url = db.url;
  }
  desk = await startDesk(agents, simOptions, '', { stateUrl: url });
  for (const a of agents) if (a.pairs.includes('XAUUSD')) desk.sim.agent(a.id).setPrice('XAUUSD', 2650);
  return desk;
}

/** The process state letter of a pid (T: stopped). */
function procState(pid: number): string {
  try {
    return /\) (\w)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? '?';
  } catch {
    return 'gone';
  }
}

describe('a desk on two machines, one PostgreSQL database', () => {
  it('a panic on A halts orders on B; both see one journal', async () => {
    const d = await shared();
    const b = d.machine('B');
    const first = await b.run(['trade', 'agent_3', 'buy', 'XAUUSD', '0.01', '--yes', '--json'], LONG);
    expect(first.code, first.stderr).toBe(0);
    expect(d.sim.agent('agent_3').positions()).toHaveLength(1);

    const panic = await d.run(['panic', '--yes', '--json'], LONG);
    expect(panic.code, panic.stderr).toBe(0);
    for (const a of DESIGN_AGENTS) expect(d.sim.agent(a.id).positions()).toEqual([]);

    const after = await b.run(['trade', 'agent_3', 'buy', 'XAUUSD', '0.01', '--yes'], LONG);
    expect(after.code, after.stderr).toBe(4);
    expect(after.stderr).toContain('TRADING_HALTED');
    expect(buys(d, 'agent_3')).toHaveLength(1); // the halted order sent nothing
    // B's own state directory holds no halt: the one that binds it is the shared one.
    expect((await (await b.store()).readState()).global).toMatchObject({ state: 'halted', reason: 'panic' });

    // One journal, from either machine, filtered in SQL.
    const fromB = await b.run(['journal', '--json', '--limit', '500'], LONG);
    expect(fromB.code, fromB.stderr).toBe(0);
    const rows = JSON.parse(fromB.stdout) as Array<{ event: string; agent?: string }>;
    expect(rows.some((r) => r.event === 'panic')).toBe(true);
    expect(rows.filter((r) => r.event === 'intent')).toHaveLength(1); // the halted order was denied before any intent
    const onlyA3 = JSON.parse((await d.run(['journal', '--json', '--agent', 'agent_3', '--limit', '500'])).stdout) as Array<{
      agent: string;
    }>;
    expect(onlyA3.length).toBeGreaterThan(0);
    expect(onlyA3.every((r) => r.agent === 'agent_3')).toBe(true);

    // resume on B lifts it for A too.
    expect((await b.run(['resume', '--yes', '--reason', 'all clear'])).code).toBe(0);
    const again = await d.run(['trade', 'agent_3', 'buy', 'XAUUSD', '0.01', '--yes'], LONG);
    expect(again.code, again.stderr).toBe(0);
  }, 120_000);

  it('10 traders split over A and B against max_positions: 2 open exactly 2, one writer at a time', async () => {
    const agent: DeskAgent = { ...DESIGN_AGENTS[2]!, maxPositions: 2 };
    const d = await shared([agent], { tradeLatencyMs: 150 });
    const b = d.machine('B');
    const runs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? b : d).run(['trade', 'agent_3', 'buy', 'XAUUSD', '0.01', '--yes', '--json'], LONG)),
    );
    expect(d.sim.agent('agent_3').positions()).toHaveLength(2);
    expect(buys(d, 'agent_3')).toHaveLength(2);
    expect(runs.filter((r) => r.code === 0)).toHaveLength(2);
    for (const r of runs.filter((x) => x.code !== 0)) {
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain('MAX_POSITIONS_REACHED');
    }
    const journal = await d.journal();
    // No order ever met another at the terminal (it answers 146 to an overlap): no retry.
    expect(journal.filter((j) => j.event === 'retry')).toEqual([]);
    expect(journal.filter((j) => j.event === 'result' && j.outcome === 'opened')).toHaveLength(2);
    // Both machines traded.
    const hosts = new Set(journal.filter((j) => j.event === 'intent').map((j) => j.pid));
    expect(hosts.size).toBe(2);
    expect(await d.pending()).toEqual([]);
  }, 150_000);

  it('a holder frozen by SIGSTOP loses its lock to B and, woken, sends nothing under it', async () => {
    const d = await shared([{ ...DESIGN_AGENTS[0]!, maxPositions: 1 }]);
    const b = d.machine('B');
    // A decides, journals its intent, then stops itself holding agent_1's lock, just before the send.
    const a = startCli(['--config', d.configPath, 'trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json'], {
      env: { ...d.env, MT4GW_STOP_AT: 'before_send' },
      timeoutMs: 90_000,
    });
    const pid = a.child.pid!;
    const until = Date.now() + 20_000;
    while (procState(pid) !== 'T' && Date.now() < until) await sleep(20);
    expect(procState(pid)).toBe('T');
    expect((await (await b.store()).locks()).map((l) => l.name)).toEqual(['agent_1']);

    // B waits for the lock; the server ends A's silent session after 5 s, and B trades.
    const rb = await b.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json'], LONG);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stderr).toMatch(/waiting for agent_1's lock, held by pid \d+/);
    expect(buys(d, 'agent_1')).toHaveLength(1);

    process.kill(pid, 'SIGCONT');
    const ra = await a.done;
    // A finds its lock lost before the send, sends nothing, decides again under a fresh lock: denied.
    expect(ra.code, ra.stderr).toBe(4);
    expect(ra.stderr).toMatch(/lock was lost/);
    expect(ra.stderr).toContain('MAX_POSITIONS_REACHED');
    expect(buys(d, 'agent_1')).toHaveLength(1);
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    const journal = await d.journal();
    const aIntent = journal.find((j) => j.event === 'intent' && j.pid === pid)!;
    // B, holding the lock, proved A's order never sent (no request journaled) and resolved it; A's
    // own resolution then found nothing left to resolve.
    const aResults = journal.filter((j) => j.event === 'result' && j.order_id === aIntent.order_id);
    expect(aResults).toHaveLength(1);
    expect(aResults[0]).toMatchObject({ outcome: 'not_opened', proof: 'never_sent', orphan: true });
    expect(aResults[0]!.pid).not.toBe(pid);
    expect(await d.pending()).toEqual([]);
  }, 120_000);

  it('the database killed mid-order loses no journaled intent; B reconciles the order once it is back', async () => {
    server = await startPgServer();
    const d = await shared([DESIGN_AGENTS[0]!], {}, server.urlFor('postgres'));
    const b = d.machine('B');
    // Executed at once, answered 3 s later: the database dies in between.
    d.sim.agent('agent_1').setFaults([{ kind: 'latency', ms: 3000, endpoint: '/trade' }]);
    const a = startCli(['--config', d.configPath, '--timeout', '8s', 'trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json'], {
      env: d.env,
      timeoutMs: 60_000,
    });
    const until = Date.now() + 20_000;
    while (d.sim.agent('agent_1').positions().length === 0 && Date.now() < until) await sleep(10);
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    server.kill();
    const ra: RunResult = await a.done;
    // The order opened; its result could not be journaled, and A says so.
    expect(ra.code, ra.stderr).toBe(0);
    expect(ra.stderr).toMatch(/journal could not be written after the order was sent/);
    // Meanwhile nothing can be ordered from B: the desk state is unreachable (exit 3), nothing sent.
    d.sim.agent('agent_1').clearFaults();
    const down = await b.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'], LONG);
    expect(down.code, down.stderr).toBe(3);
    expect(down.stderr).toMatch(/desk state in postgres 127\.0\.0\.1:\d+\/postgres could not be/);
    expect(buys(d, 'agent_1')).toHaveLength(1);

    server.start();
    const store = await d.store();
    const records = (await store.query({ agent: 'agent_1' })).records;
    expect(records.map((r) => r.event)).toEqual(['intent', 'request']);
    expect((await store.pending('agent_1')).map((m) => m.order_id)).toEqual([records[0]!.order_id]);
    // B's next run finds the order opened and journals it; nothing is sent again.
    const next = await b.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'], LONG);
    expect(next.stderr).toMatch(/was opened as ticket \d+/);
    expect(next.code, next.stderr).toBe(4); // max_positions 1: the reconciled position counts
    expect(buys(d, 'agent_1')).toHaveLength(1);
    expect(await store.pending()).toEqual([]);
    const result = (await store.query({ order_id: records[0]!.order_id, events: ['result'] })).records;
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ outcome: 'opened', reconciled: true });
  }, 120_000);

  it('a signal re-delivered on B after A handled it is "already handled"; two at once open once', async () => {
    const d = await shared([{ ...DESIGN_AGENTS[0]!, maxPositions: 3 }]);
    const b = d.machine('B');
    const q = d.sim.agent('agent_1').setPrice('XAUUSD', 2650);
    const sl = String(Number((q.ask - 2).toFixed(2)));
    const sig = (id: string) => ['signal', 'XAUUSD', 'long', '--sl', sl, '--id', id, '--yes', '--json'];
    const ra = await d.run(sig('s-1'), LONG);
    expect(ra.code, ra.stderr).toBe(0);
    expect(JSON.parse(ra.stdout).signals[0].agents[0].status).toBe('opened');
    const rb = await b.run(sig('s-1'), LONG);
    expect(rb.code, rb.stderr).toBe(0);
    const row = JSON.parse(rb.stdout).signals[0].agents[0];
    expect(row.status).toBe('duplicate');
    expect(row.reason).toMatch(/^already handled at .*: opened ticket \d+/);
    expect(buys(d, 'agent_1')).toHaveLength(1);

    const both = await Promise.all([d.run(sig('s-2'), LONG), b.run(sig('s-2'), LONG), d.run(sig('s-2'), LONG), b.run(sig('s-2'), LONG)]);
    const statuses = both.map((r) => JSON.parse(r.stdout).signals[0].agents[0].status).sort();
    expect(statuses).toEqual(['duplicate', 'duplicate', 'duplicate', 'opened']);
    expect(buys(d, 'agent_1')).toHaveLength(2);
  }, 120_000);
});

describe('the desk database unreachable', () => {
  const DEAD = 'postgres://mt4gw:not-the-password-7f3a@127.0.0.1:9/desk';

  it('no order is sent (exit 3, the desk state unreachable), and the password is never shown', async () => {
    const d = await shared(DESIGN_AGENTS, {}, DEAD);
    const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--verbose'], LONG);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/the desk state in postgres 127\.0\.0\.1:9\/desk could not be/);
    expect(r.stderr).not.toContain('not-the-password-7f3a');
    expect(r.stdout).not.toContain('not-the-password-7f3a');
    expect(buys(d, 'agent_1')).toHaveLength(0);
    const s = await d.run(['signal', 'XAUUSD', 'long', '--sl', '2600', '--id', 'x1', '--yes', '--json'], LONG);
    expect(s.code).not.toBe(0);
    expect(buys(d, 'agent_1')).toHaveLength(0);
    expect(buys(d, 'agent_3')).toHaveLength(0);
  });

  it('panic records a local halt, flattens every agent, says the shared halt is NOT recorded, exits 7; the local halt binds this machine', async () => {
    const d = await shared(DESIGN_AGENTS, {}, DEAD);
    for (const a of DESIGN_AGENTS) {
      const sym = a.pairs[0]!;
      if (sym !== 'XAUUSD') d.sim.agent(a.id).setPrice(sym, 1.1);
      expect(d.sim.agent(a.id).engine.trade({ action: 'buy', symbol: sym, lots: a.lotSize }).success).toBe(true);
    }
    const p = await d.run(['panic', '--yes', '--json'], LONG);
    expect(p.code, p.stderr).toBe(7);
    expect(p.stderr).toMatch(/SHARED halt is NOT recorded/);
    expect(p.stderr).toMatch(/a local halt is recorded in .*state/);
    expect(p.stderr).not.toContain('not-the-password-7f3a');
    for (const a of DESIGN_AGENTS) expect(d.sim.agent(a.id).positions()).toEqual([]);
    const report = JSON.parse(p.stdout) as { halted: { persisted: boolean }; agents: Array<{ verified_flat: boolean; error: string }> };
    expect(report.halted.persisted).toBe(false);
    // Flat on every terminal, but not verified: another machine's order in flight cannot be ruled out.
    for (const a of report.agents) {
      expect(a.verified_flat).toBe(false);
      expect(a.error).toMatch(/orders in flight could not be checked/);
    }
    // The local halt, in this machine's state directory (the files store's trading state).
    const local = JSON.parse(readFileSync(`${d.env.MT4GW_STATE_DIR}/trading-state.json`, 'utf8'));
    expect(local.global.state).toBe('halted');
  });

  it('a local halt left while the database was down binds this machine once it is back, and resume here lifts it', async () => {
    db = await createDatabase('desk');
    const d = await shared(DESIGN_AGENTS, {}, DEAD);
    const p = await d.run(['halt', '--reason', 'db down drill'], LONG);
    expect(p.code).toBe(3);
    expect(p.stderr).toMatch(/SHARED halt is NOT recorded/);
    // The database is reachable again (the same state directory, the real URL).
    const env = { ...d.env, MT4GW_STATE_URL: db.url };
    const b = d.machine('B');
    const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'], { ...LONG, env });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('TRADING_HALTED');
    expect(r.stderr).toMatch(/recorded on this machine only/);
    // Machine B never saw that halt: it trades.
    const rb = await b.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'], { ...LONG, env: { ...b.env, MT4GW_STATE_URL: db.url } });
    expect(rb.code, rb.stderr).toBe(0);
    const res = await d.run(['resume', '--yes', '--reason', 'db back'], { ...LONG, env });
    expect(res.code, res.stderr).toBe(0);
    const local = JSON.parse(readFileSync(`${d.env.MT4GW_STATE_DIR}/trading-state.json`, 'utf8'));
    expect(local.global.state).toBe('active');
  });
});
