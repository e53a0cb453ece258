// kill -9 at each step of an order: the next run finds the orphan and reconciles it, nothing is
// opened twice, and the journal never has a torn line.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { startDesk, type Desk } from '../helpers/desk.js';

let desk: Desk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

async function open(): Promise<Desk> {
  desk = await startDesk();
  desk.sim.agent('agent_1').setPrice('XAUUSD', 2650);
  return desk;
}

const pending = (d: Desk) => {
  const dir = join(d.dir, 'state', 'pending', 'agent_1');
  return existsSync(dir) ? readdirSync(dir) : [];
};

/** Every journal line is whole JSON: a crash never leaves a torn line. */
function journalRecords(d: Desk): Array<Record<string, unknown>> {
  const text = readFileSync(join(d.dir, 'state', 'journal.jsonl'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const trade = ['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'];

describe('kill -9 in the middle of an order', () => {
  it('before the request is sent: nothing opens, and the next run records it as not opened', async () => {
    const d = await open();
    const run = startCli(['--config', d.configPath, ...trade], { env: { ...d.env, MT4GW_CRASH_AT: 'before_send' } });
    const r = await run.done;
    expect(r.signal).toBe('SIGKILL');
    expect(
      d.sim
        .agent('agent_1')
        .requests()
        .filter((q) => q.path === '/trade'),
    ).toHaveLength(0);
    expect(pending(d)).toHaveLength(1);
    const intent = journalRecords(d).find((j) => j.event === 'intent')!;

    const next = await d.run(trade);
    expect(next.stderr).toMatch(/interrupted run .* was not opened/);
    expect(next.code).toBe(0); // nothing was open, so this order goes through
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    expect(pending(d)).toHaveLength(0);
    const records = journalRecords(d);
    expect(
      records.some((j) => j.event === 'reconcile' && j.order_id === intent.order_id && j.outcome === 'not_opened' && j.orphan === true),
    ).toBe(true);
  });

  it('after the request is sent, before the answer: the next run finds the position opened', async () => {
    const d = await open();
    // The bridge executes the trade, then takes 5 s to answer: the process is killed in between.
    d.sim.agent('agent_1').setFaults([{ kind: 'latency', ms: 5000, endpoint: '/trade' }]);
    const run = startCli(['--config', d.configPath, '--timeout', '8s', ...trade], { env: d.env });
    const deadline = Date.now() + 10_000;
    while (d.sim.agent('agent_1').positions().length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    expect(pending(d)).toHaveLength(1);
    d.sim.agent('agent_1').clearFaults();

    const next = await d.run(trade);
    expect(next.stderr).toMatch(/interrupted run .* was opened as ticket/);
    expect(next.code).toBe(4); // Atlas allows one position, and it is the one the killed run opened
    expect(next.stderr).toContain('MAX_POSITIONS_REACHED');
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    expect(pending(d)).toHaveLength(0);
    journalRecords(d);
  });

  it('after the answer, before it is journaled: the next run finds the position opened', async () => {
    const d = await open();
    const run = startCli(['--config', d.configPath, ...trade], { env: { ...d.env, MT4GW_CRASH_AT: 'after_reply' } });
    expect((await run.done).signal).toBe('SIGKILL');
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    const before = journalRecords(d);
    expect(before.map((j) => j.event)).toEqual(['intent', 'request']);

    const j = await d.run(['journal', '--json']);
    expect(JSON.parse(j.stdout)).toHaveLength(2);
    const next = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--dry-run']);
    expect(next.stderr).toMatch(/was opened as ticket \d+/);
    const records = journalRecords(d);
    expect(records.filter((r) => r.event === 'result' && r.order_id === before[0]!.order_id && r.outcome === 'opened')).toHaveLength(1);
    expect(
      d.sim
        .agent('agent_1')
        .requests()
        .filter((q) => q.path === '/trade'),
    ).toHaveLength(1);
  });
});
